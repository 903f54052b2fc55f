package selfservice

import (
	"context"
	"fmt"
	"strings"

	"github.com/sspr-portal/sspr/server/logctx"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Every step of a flow or a registration session is an audit event
// (docs/AUDIT.md), named by the flow's or session's Ref, never its id.

// record stamps ev (time, request, client; OK unless said) and records it,
// returning the store's error: for the events that must be recorded
// before what they announce happens (mustRecord).
func (e *Engine) record(ctx context.Context, ev sspr.Event, c sspr.Client) error {
	ev.At, ev.Request = e.now(), sspr.RequestOf(ctx)
	ev.ClientAddr, ev.UserAgent = c.Addr, c.UserAgent
	if ev.Outcome == "" {
		ev.Outcome = sspr.OutcomeOK
	}
	// request_id is the key every other line of the request carries
	// (server/logctx), so that one search finds them all.
	e.d.Log.InfoContext(ctx, "audit", "event", ev.Kind, "user", ev.UserID, "flow", ev.Flow, "outcome", ev.Outcome,
		logctx.Key, ev.Request, "client", c.Addr, "detail", ev.Detail)
	if e.d.Events != nil {
		e.d.Events(ev)
	}
	return e.d.Store.Record(context.WithoutCancel(ctx), ev)
}

// note records ev; a failure to record it is logged, because what it
// records has happened (or was refused) anyway.
func (e *Engine) note(ctx context.Context, ev sspr.Event, c sspr.Client) {
	if err := e.record(ctx, ev, c); err != nil {
		e.d.Log.ErrorContext(ctx, "record audit event", "event", ev.Kind, "user", ev.UserID, "flow", ev.Flow, "err", err)
	}
}

// mustRecord records that a change to the account is about to happen (a
// password set, an unlock, a registration changed). A change that can't
// be audited doesn't happen: the error is service_unavailable, and the
// caller leaves everything as it was so that a retry works.
func (e *Engine) mustRecord(ctx context.Context, ev sspr.Event, c sspr.Client) error {
	ev.Outcome = sspr.OutcomeStarted
	if err := e.record(ctx, ev, c); err != nil {
		return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("record audit event %s: %w", ev.Kind, err))
	}
	return nil
}

// audit records an event of no flow.
func (e *Engine) audit(ctx context.Context, kind, user string, c sspr.Client, detail string) {
	e.note(ctx, sspr.Event{Kind: kind, UserID: user, Detail: detail}, c)
}

// newRef is a flow's or session's name in the audit and the logs: short,
// random, and no use to anyone who reads it (the id is a bearer secret).
func (e *Engine) newRef() (string, error) {
	id, err := e.randomID()
	if err != nil {
		return "", err
	}
	return id[:12], nil
}

// rules is the codes of the password rules broken, for an event's detail.
func rules(broken []sspr.Rule) string {
	var codes []string
	for _, r := range broken {
		codes = append(codes, r.Code)
	}
	return "rules=" + strings.Join(codes, ",")
}
