package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/sspr"
)

// auditDefaultLimit is how many events `sspr audit` prints unless told.
const auditDefaultLimit = 1000

// audit prints the audit events the flags select, oldest first: a
// readable timeline, or JSON lines (--json) for a SIEM. It reads the
// store the configuration names, as the server does, and may run while
// servers do.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fset := flag.NewFlagSet("sspr audit", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` whose [database] to read")
	data := fset.String("data", "", "the data `folder`, instead of server.data_dir")
	user := fset.String("user", "", "only this user `id` (alice or alice@example.edu)")
	flow := fset.String("flow", "", "only this flow or session `reference` (the flow column)")
	kinds := fset.String("kind", "", "only these event `kinds`, comma-separated (e.g. password_reset,code_wrong)")
	since := fset.String("since", "", "from this `time`: a duration back from now (24h, 90m) or a date/time (2026-12-01, 2026-12-01T09:00:00Z)")
	until := fset.String("until", "", "before this `time`, as --since")
	limit := fset.Int("limit", auditDefaultLimit, "at most this many events, the newest `n`")
	asJSON := fset.Bool("json", false, "print JSON lines, one event each, for a SIEM")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr audit [--config FILE] [--data DIR] [--user ID] [--flow REF] [--kind KINDS]\n"+
			"                  [--since TIME] [--until TIME] [--limit N] [--json]\n\n"+
			"Prints the audit events selected, oldest first: every step of every flow (docs/AUDIT.md).\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	if *limit < 1 {
		fset.Usage()
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "sspr audit: %v\n", err)
		return exitError
	}
	override(cfg, "", *data)
	q := sspr.EventQuery{Flow: *flow, Limit: *limit}
	if *user != "" {
		if q.User, err = canon.UserID(*user, cfg.Users.DefaultDomain); err != nil {
			fmt.Fprintf(stderr, "sspr audit: --user: %v\n", err)
			return exitUsage
		}
	}
	for k := range strings.SplitSeq(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			q.Kinds = append(q.Kinds, k)
		}
	}
	t := now()
	if q.Since, err = auditTime(*since, t); err != nil {
		fmt.Fprintf(stderr, "sspr audit: --since: %v\n", err)
		return exitUsage
	}
	if q.Until, err = auditTime(*until, t); err != nil {
		fmt.Fprintf(stderr, "sspr audit: --until: %v\n", err)
		return exitUsage
	}

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, closeStore, err := portal.OpenAuditor(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "sspr audit: %v\n", err)
		return exitError
	}
	defer closeStore()
	events, err := st.Events(ctx, q)
	if err != nil {
		fmt.Fprintf(stderr, "sspr audit: %v\n", err)
		return exitError
	}
	slices.Reverse(events) // oldest first: a timeline
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range events {
			if err := enc.Encode(jsonEvent{At: e.At.UTC(), Kind: e.Kind, User: e.UserID, Flow: e.Flow, Request: e.Request,
				Outcome: e.Outcome, ClientAddr: e.ClientAddr, UserAgent: e.UserAgent, Detail: e.Detail}); err != nil {
				fmt.Fprintf(stderr, "sspr audit: %v\n", err)
				return exitError
			}
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME (UTC)\tUSER\tFLOW\tEVENT\tOUTCOME\tDETAIL\tCLIENT\tREQUEST")
		for _, e := range events {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05.000"), dash(e.UserID),
				dash(e.Flow), e.Kind, dash(e.Outcome), dash(e.Detail), dash(e.ClientAddr), dash(e.Request))
		}
		if err := tw.Flush(); err != nil {
			return exitError
		}
	}
	if len(events) == *limit {
		fmt.Fprintf(stderr, "sspr audit: the newest %d events shown; there may be more (--limit, --since)\n", *limit)
	}
	return exitOK
}

// jsonEvent is an event as --json prints it: names a SIEM can map.
type jsonEvent struct {
	At         time.Time `json:"time"`
	Kind       string    `json:"event"`
	User       string    `json:"user,omitempty"`
	Flow       string    `json:"flow,omitempty"`
	Request    string    `json:"request_id,omitempty"`
	Outcome    string    `json:"outcome,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// auditTime reads --since or --until: "" (no bound), a duration back from
// now, a date (midnight UTC) or an RFC 3339 time.
func auditTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration back from now is positive, such as 24h", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (24h) nor a date (2026-12-01) nor a time (2026-12-01T09:00:00Z)", s)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
