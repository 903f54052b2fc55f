package selfservice

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

// What the service desk's console does for the staff signed in to it
// (staff.go): look a person up, and (next) act on their account. Every
// look-up is audited under the person, with the staff member's id.

// personEvents is how many of a person's recent audit events a look-up
// shows.
const personEvents = 50

// Person is what the console shows of the person whose user id is typed:
// the account, the registration as its owner sees it (masked), whatever
// pauses their self-service and until when, and their recent audit
// events. Any staff role may look.
func (e *Engine) Person(ctx context.Context, staffID, rawUser string, c sspr.Client) (api.Person, error) {
	staff, err := e.Staff(ctx, staffID)
	if err != nil {
		return api.Person{}, err
	}
	user, err := canon.UserID(rawUser, e.cfg.DefaultDomain)
	if err != nil {
		return api.Person{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	p := api.Person{User: user, Blocks: []api.Block{}, Events: []api.Event{}}
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return api.Person{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if acct != nil {
		p.Exists, p.DisplayName, p.Locked, p.Disabled = true, acct.DisplayName, acct.Locked, acct.Disabled
	}
	reg, err := e.d.Registrations.Registration(ctx, user)
	if err != nil {
		return api.Person{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if reg == nil {
		reg = &sspr.Registration{UserID: user}
	}
	p.Registration = e.describe(reg)
	now := e.now()
	for _, b := range []struct {
		kind string
		left func() (time.Duration, error)
	}{
		{"self_service", func() (time.Duration, error) { return e.th.Until(ctx, blockFlow(user)) }},
		{"sign_in", func() (time.Duration, error) { return e.th.Until(ctx, blockSignIn(user)) }},
		{"closed", func() (time.Duration, error) { return e.th.ClosedLeft(ctx, user) }},
	} {
		left, err := b.left()
		if err != nil {
			return api.Person{}, sspr.Unavailable(sspr.BackendState, err)
		}
		if left > 0 {
			p.Blocks = append(p.Blocks, api.Block{Kind: b.kind, Until: now.Add(left)})
		}
	}
	events, err := e.d.Store.Events(ctx, sspr.EventQuery{User: user, Limit: personEvents})
	if err != nil {
		return api.Person{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read audit events: %w", err))
	}
	for _, ev := range events {
		p.Events = append(p.Events, api.Event{Time: ev.At, Event: ev.Kind, Outcome: ev.Outcome, Flow: ev.Flow,
			Detail: ev.Detail, ClientAddr: ev.ClientAddr})
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventPersonLookedUp, UserID: user, Detail: "by=" + staff.User + " role=" + string(staff.Role)}, c)
	return p, nil
}
