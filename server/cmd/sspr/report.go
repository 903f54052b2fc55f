package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/portal"
)

// toolTimeout bounds a report or a reminders run: a walk of a large
// directory and every registration takes a while, never this long.
const toolTimeout = 30 * time.Minute

// openTool loads the configuration (--config, --data) and builds the
// portal as a tool (no workers: messages are stored for the servers to
// deliver), with the keys a server has: the outbox seals its messages
// with them. The SQLite file must exist, as for `sspr audit`: a report
// of a database that isn't there is a mistake in --data.
func openTool(ctx context.Context, name, cfgPath, data string, stderr io.Writer) (*portal.Portal, *config.Config, int) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, exitError
	}
	override(cfg, "", data)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, exitError
	}
	// The SQLite file must be there already (a tool never makes one),
	// unless the portal keeps none (LDAP and PostgreSQL).
	if _, err := os.Stat(cfg.DatabasePath()); err != nil && cfg.KeepsSQLite() {
		fmt.Fprintf(stderr, "%s: database: %v (set --data, server.data_dir or database.path)\n", name, err)
		return nil, nil, exitError
	}
	k, err := keys.Load(cfg.KeysFile())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, exitError
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := portal.New(ctx, portal.Options{Config: cfg, Keys: k, Tool: true, Version: buildVersion(), Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, exitError
	}
	return p, cfg, exitOK
}

// report runs `sspr report SUBCOMMAND`.
func report(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return subcommand(args, "coverage", "Usage: sspr report coverage [--config FILE] [--data DIR] [--csv]", stderr,
		func(rest []string) int { return reportCoverage(ctx, rest, stdout, stderr) })
}

// reportCoverage prints what share of the directory's accounts could
// reset their password today, overall and by OU: a table, or CSV (--csv)
// for a spreadsheet (docs/COVERAGE.md).
func reportCoverage(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr report coverage", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` whose directory and database to read")
	data := fset.String("data", "", "the data `folder`, instead of server.data_dir")
	asCSV := fset.Bool("csv", false, "print CSV: a row for all accounts, then one per OU")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr report coverage [--config FILE] [--data DIR] [--csv]\n\n"+
			"Prints how many accounts could reset their password today (enough methods registered),\n"+
			"overall and by organisational unit (docs/COVERAGE.md).\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	p, _, code := openTool(ctx, "sspr report coverage", *cfgPath, *data, stderr)
	if p == nil {
		return code
	}
	defer p.Close(context.WithoutCancel(ctx))
	c, err := p.Engine.CoverageReport(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sspr report coverage: %v\n", err)
		return exitError
	}
	if *asCSV {
		err = coverageCSV(stdout, c)
	} else {
		err = coverageTable(stdout, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sspr report coverage: %v\n", err)
		return exitError
	}
	return exitOK
}

// coverageRows are the report's rows: everyone, then each OU.
func coverageRows(c deskapi.Coverage) []deskapi.CoverageGroup {
	return append([]deskapi.CoverageGroup{{OU: "(all)", CoverageCounts: c.CoverageCounts}}, c.OUs...)
}

// ouName is how an OU is printed: "(none)" for the accounts filed under
// none.
func ouName(ou string) string {
	if ou == "" {
		return "(none)"
	}
	return ou
}

func percent(n, of int) string {
	if of == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(n)*100/float64(of), 'f', 1, 64) + "%"
}

func coverageTable(w io.Writer, c deskapi.Coverage) error {
	methods := make([]string, len(c.Methods))
	for i, k := range c.Methods {
		methods[i] = string(k)
	}
	fmt.Fprintf(w, "Coverage at %s: %d of the methods %s needed for a reset; disabled accounts counted apart.\n\n",
		c.At.UTC().Format("2006-01-02 15:04 MST"), c.Required, strings.Join(methods, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OU\tACCOUNTS\tCAN RESET\tPARTIAL\tNONE\tRECONFIRM DUE\tDISABLED")
	for _, g := range coverageRows(c) {
		n := g.Accounts
		fmt.Fprintf(tw, "%s\t%d\t%d (%s)\t%d (%s)\t%d (%s)\t%d\t%d\n", ouName(g.OU), n, g.CanReset, percent(g.CanReset, n),
			g.Partial, percent(g.Partial, n), g.None, percent(g.None, n), g.ReconfirmDue, g.Disabled)
	}
	return tw.Flush()
}

func coverageCSV(w io.Writer, c deskapi.Coverage) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"ou", "accounts", "can_reset", "can_reset_percent", "partial", "none", "reconfirm_due", "disabled"})
	for _, g := range coverageRows(c) {
		_ = cw.Write([]string{ouName(g.OU), strconv.Itoa(g.Accounts), strconv.Itoa(g.CanReset),
			strconv.FormatFloat(g.CanResetPercent, 'f', 1, 64), strconv.Itoa(g.Partial), strconv.Itoa(g.None),
			strconv.Itoa(g.ReconfirmDue), strconv.Itoa(g.Disabled)})
	}
	cw.Flush()
	return cw.Error()
}
