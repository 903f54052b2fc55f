package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/portal"
)

// checkDirectory connects to the LDAP directory the configuration names,
// binds as the service account and looks a user up, printing what the
// portal would see: the way for an operator to check [directory] before
// going live. The service account's password is read as the server reads
// it and never printed; the details of a failure go to stderr, as they go
// to the server's log.
func checkDirectory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr check-directory", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` whose [directory] to check")
	user := fset.String("user", "", "a user `id` to look up, such as alice or alice@example.edu")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr check-directory --config FILE --user ID\n\n"+
			"Connects to the directory as the portal would, binds as the service account and looks the\nuser up.\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	if *user == "" {
		fset.Usage()
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "sspr check-directory: %v\n", err)
		return exitError
	}
	d := cfg.Directory
	ctx, cancel := context.WithTimeout(ctx, 2*(d.ConnectTimeout.D()+d.Timeout.D())+5*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	check, err := portal.CheckDirectory(ctx, cfg, *user, log)
	a := check.Account
	if err != nil {
		fmt.Fprintf(stderr, "sspr check-directory: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "connected to %v (%s) and bound as %s\n", d.URLs, d.Kind, d.BindDN)
	if a == nil {
		fmt.Fprintf(stdout, "no user %q under %s: check directory.base_dn, directory.user_filter and users.default_domain\n", *user, d.BaseDN)
		return exitError
	}
	fmt.Fprintf(stdout, "found %s: display name %q, mail %q, locked %v, disabled %v\n", a.ID, a.DisplayName, a.Mail, a.Locked, a.Disabled)
	desk, auditor := portal.StaffGroups(cfg)
	for _, g := range []struct {
		key, dn string
		in      bool
	}{{"staff.service_desk_group", desk, check.ServiceDesk}, {"staff.auditor_group", auditor, check.Auditor}} {
		switch {
		case g.dn == "":
			fmt.Fprintf(stdout, "%s: not set\n", g.key)
		case g.in:
			fmt.Fprintf(stdout, "%s: a member of %s\n", g.key, g.dn)
		default:
			fmt.Fprintf(stdout, "%s: not a member of %s\n", g.key, g.dn)
		}
	}
	return exitOK
}
