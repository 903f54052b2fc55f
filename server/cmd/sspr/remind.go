package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// remindUsage lists the reminders.
const remindUsage = "Usage: sspr remind unregistered [--config FILE] [--data DIR] [--dry-run]\n" +
	"       sspr remind expiring [--within 14d] [--thresholds 14,7,1] [--config FILE] [--data DIR] [--dry-run]"

// remind runs `sspr remind SUBCOMMAND`.
func remind(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "expiring" {
		return remindExpiring(ctx, args[1:], stdout, stderr)
	}
	return subcommand(args, "unregistered", remindUsage, stderr,
		func(rest []string) int { return remindUnregistered(ctx, rest, stdout, stderr) })
}

// remindExpiring emails each person whose password expires within the
// window a link to change it, once per threshold (14, 7 and 1 days
// before, by default), however often it runs and on however many
// servers: run it from a timer, every hour if you like.
func remindExpiring(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr remind expiring", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` whose directory and database to use")
	data := fset.String("data", "", "the data `folder`, instead of server.data_dir")
	within := fset.String("within", "", "remind of passwords expiring within this `period`, such as 14d or 36h (default: the largest threshold)")
	thresholds := fset.String("thresholds", "14,7,1", "the `days` before expiry on which to remind, each once")
	dryRun := fset.Bool("dry-run", false, "count who needs a reminder, and send nothing")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr remind expiring [--within 14d] [--thresholds 14,7,1] [--config FILE] [--data DIR] [--dry-run]\n\n"+
			"Emails each person whose password expires soon (OpenLDAP: pwdChangedTime and the\n"+
			"ppolicy's pwdMaxAge; Active Directory: msDS-UserPasswordExpiryTimeComputed) a link\n"+
			"to change it, once per threshold, however often it runs (docs/COVERAGE.md).\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	days, err := selfservice.ParseThresholds(*thresholds)
	if err != nil {
		fmt.Fprintf(stderr, "sspr remind expiring: --thresholds %v\n", err)
		return exitUsage
	}
	if *within != "" {
		w, err := parsePeriod(*within)
		if err != nil {
			fmt.Fprintf(stderr, "sspr remind expiring: --within %v\n", err)
			return exitUsage
		}
		// A threshold beyond the window is never reached inside it.
		days = slices.DeleteFunc(days, func(d int) bool { return time.Duration(d)*24*time.Hour > w+23*time.Hour })
		if len(days) == 0 {
			fmt.Fprintf(stderr, "sspr remind expiring: no threshold (%s) falls within %s\n", *thresholds, *within)
			return exitUsage
		}
	}
	return runReminders(ctx, "sspr remind expiring", *cfgPath, *data, stdout, stderr,
		func(p *portal.Portal, cfg *config.Config, public string) (selfservice.RemindResult, string, error) {
			res, err := p.Engine.RemindExpiring(ctx, selfservice.ExpiringOptions{Reminders: p.Reminders, Thresholds: days,
				Link: public + selfservice.ChangePasswordPath, DryRun: *dryRun, Client: sspr.Client{UserAgent: "sspr remind expiring"}})
			if *dryRun {
				return res, fmt.Sprintf("dry run: %d people's passwords have reached a threshold (%v days); nothing sent", res.Due, days), err
			}
			return res, fmt.Sprintf("reminded %d people of their password's expiry; %d left out, already reminded of this threshold", res.Sent, res.Recent), err
		})
}

// runReminders opens the portal as the tool name, for its directory and
// its reminders store, has run send the reminders (cfg is the portal's
// configuration, public its address without the final slash), and prints
// what run says of them and whom they could not reach.
func runReminders(ctx context.Context, name, cfgPath, data string, stdout, stderr io.Writer,
	run func(p *portal.Portal, cfg *config.Config, public string) (selfservice.RemindResult, string, error)) int {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	p, cfg, code := openTool(ctx, name, cfgPath, data, stderr)
	if p == nil {
		return code
	}
	defer p.Close(context.WithoutCancel(ctx))
	if p.Reminders == nil {
		fmt.Fprintf(stderr, "%s: the store keeps no reminders\n", name)
		return exitError
	}
	res, said, err := run(p, cfg, strings.TrimSuffix(cfg.PublicURL().String(), "/"))
	fmt.Fprintln(stdout, said)
	if res.NoAddress > 0 {
		fmt.Fprintf(stdout, "%d more need a reminder but have no email address in the directory\n", res.NoAddress)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitError
	}
	return exitOK
}

// parsePeriod reads a period: whole days ("14d") or a Go duration
// ("36h").
func parsePeriod(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 {
			return 0, fmt.Errorf("%q: give whole days (14d) or hours (36h)", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: give whole days (14d) or hours (36h)", s)
	}
	return d, nil
}

// remindUnregistered emails each person who could not reset today, or
// whose methods are due for confirmation again, a link to the
// registration page: at most once per [remind] unregistered_every each,
// however often it runs and on however many servers. The messages are
// stored in the durable outbox, and the servers deliver them.
func remindUnregistered(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr remind unregistered", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` whose directory, database and [remind] to use")
	data := fset.String("data", "", "the data `folder`, instead of server.data_dir")
	dryRun := fset.Bool("dry-run", false, "count who needs a reminder, and send nothing")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr remind unregistered [--config FILE] [--data DIR] [--dry-run]\n\n"+
			"Emails the people who can't reset their password yet, or whose methods are due for\n"+
			"confirmation again, a link to register: each at most once per [remind] unregistered_every\n"+
			"(docs/COVERAGE.md).\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	return runReminders(ctx, "sspr remind unregistered", *cfgPath, *data, stdout, stderr,
		func(p *portal.Portal, cfg *config.Config, public string) (selfservice.RemindResult, string, error) {
			every := cfg.Remind.UnregisteredEvery.D()
			res, err := p.Engine.RemindUnregistered(ctx, selfservice.RemindOptions{Reminders: p.Reminders, Every: every,
				Link: public + selfservice.RegisterPath, DryRun: *dryRun, Client: sspr.Client{UserAgent: "sspr remind unregistered"}})
			if *dryRun {
				return res, fmt.Sprintf("dry run: %d people need a reminder (those reminded in the last %s will be left out); nothing sent",
					res.Due, period(every)), err
			}
			return res, fmt.Sprintf("reminded %d people; %d left out, reminded in the last %s", res.Sent, res.Recent, period(every)), err
		})
}

// period is a duration as people say it: "30 days" rather than 720h0m0s.
func period(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "day"
	case d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
