package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// remind runs `sspr remind SUBCOMMAND`.
func remind(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return subcommand(args, "unregistered", "Usage: sspr remind unregistered [--config FILE] [--data DIR] [--dry-run]", stderr,
		func(rest []string) int { return remindUnregistered(ctx, rest, stdout, stderr) })
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
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	p, cfg, code := openTool(ctx, "sspr remind unregistered", *cfgPath, *data, stderr)
	if p == nil {
		return code
	}
	defer p.Close(context.WithoutCancel(ctx))
	if p.Reminders == nil {
		fmt.Fprintln(stderr, "sspr remind unregistered: the store keeps no reminders")
		return exitError
	}
	link := strings.TrimSuffix(cfg.PublicURL().String(), "/") + selfservice.RegisterPath
	every := cfg.Remind.UnregisteredEvery.D()
	res, err := p.Engine.RemindUnregistered(ctx, selfservice.RemindOptions{Reminders: p.Reminders, Every: every,
		Link: link, DryRun: *dryRun, Client: sspr.Client{UserAgent: "sspr remind unregistered"}})
	if *dryRun {
		fmt.Fprintf(stdout, "dry run: %d people need a reminder (those reminded in the last %s will be left out); nothing sent\n",
			res.Due, period(every))
	} else {
		fmt.Fprintf(stdout, "reminded %d people; %d left out, reminded in the last %s\n", res.Sent, res.Recent, period(every))
	}
	if res.NoAddress > 0 {
		fmt.Fprintf(stdout, "%d more need a reminder but have no email address in the directory\n", res.NoAddress)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sspr remind unregistered: %v\n", err)
		return exitError
	}
	return exitOK
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
