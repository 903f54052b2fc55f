package selfservice

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/notify"
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
func (e *Engine) Person(ctx context.Context, staffID, rawUser string, c sspr.Client) (deskapi.Person, error) {
	staff, err := e.Staff(ctx, staffID)
	if err != nil {
		return deskapi.Person{}, err
	}
	user, err := canon.UserID(rawUser, e.cfg.DefaultDomain)
	if err != nil {
		return deskapi.Person{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	p, err := e.person(ctx, user)
	if err != nil {
		return deskapi.Person{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventPersonLookedUp, UserID: user, Detail: "by=" + staff.User + " role=" + string(staff.Role)}, c)
	return p, nil
}

// person is what the console shows of user (Person).
func (e *Engine) person(ctx context.Context, user string) (deskapi.Person, error) {
	p := deskapi.Person{User: user, Blocks: []deskapi.Block{}, Events: []deskapi.Event{}}
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return deskapi.Person{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if acct != nil {
		p.Exists, p.DisplayName, p.Locked, p.Disabled = true, acct.DisplayName, acct.Locked, acct.Disabled
		if !acct.PasswordSetAt.IsZero() {
			at := acct.PasswordSetAt
			p.PasswordSetAt = &at
		}
	}
	reg, err := e.d.Registrations.Registration(ctx, user)
	if err != nil {
		return deskapi.Person{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if reg == nil {
		reg = &sspr.Registration{UserID: user}
	}
	pol, err := e.policyFor(ctx, user)
	if err != nil {
		return deskapi.Person{}, err
	}
	p.Registration = e.describe(reg, pol)
	now := e.now()
	for _, b := range []struct {
		kind deskapi.BlockKind
		left func() (time.Duration, error)
	}{
		{deskapi.BlockSelfService, func() (time.Duration, error) { return e.th.Until(ctx, blockFlow(user)) }},
		{deskapi.BlockSignIn, func() (time.Duration, error) { return e.th.Until(ctx, blockSignIn(user)) }},
		{deskapi.BlockClosed, func() (time.Duration, error) { return e.th.ClosedLeft(ctx, user) }},
	} {
		left, err := b.left()
		if err != nil {
			return deskapi.Person{}, sspr.Unavailable(sspr.BackendState, err)
		}
		if left > 0 {
			p.Blocks = append(p.Blocks, deskapi.Block{Kind: b.kind, Until: now.Add(left)})
		}
	}
	events, err := e.d.Store.Events(ctx, sspr.EventQuery{User: user, Limit: personEvents})
	if err != nil {
		return deskapi.Person{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read audit events: %w", err))
	}
	for _, ev := range events {
		p.Events = append(p.Events, deskapi.Event{Time: ev.At, Event: ev.Kind, Outcome: ev.Outcome, Flow: ev.Flow,
			Detail: ev.Detail, ClientAddr: ev.ClientAddr})
	}
	return p, nil
}

var (
	errStaffRole = &sspr.Error{Code: sspr.CodeForbidden, Message: "Your role can look people up, not change their accounts."}
	errNoAccount = &sspr.Error{Code: sspr.CodeBadRequest, Message: "There's no account with that user ID."}
	// A ticket reference as service desks write them: INC0012345, #4521,
	// SD-2026/118.
	ticketRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._#/:-]{0,63}$`)
)

// deskAct is every action of the service desk on a person's account: by a
// verified staff session of the service desk's role, under a ticket and
// with a reason; recorded as started before it is done (an action that
// can't be audited doesn't happen), then ok or failed; and told to the
// person at their addresses ("the service desk <what>": what is an
// English format whose one %s is the ticket).
func (e *Engine) deskAct(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client, kind, what string,
	act func(user string) error) (deskapi.Person, error) {
	staff, err := e.Staff(ctx, staffID)
	if err != nil {
		return deskapi.Person{}, err
	}
	if staff.Role != deskapi.RoleServiceDesk {
		return deskapi.Person{}, errStaffRole
	}
	ticket, reason := strings.TrimSpace(in.Ticket), strings.Join(strings.Fields(in.Reason), " ")
	switch {
	case !ticketRef.MatchString(ticket):
		return deskapi.Person{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter the ticket's reference, such as INC0012345."}
	case reason == "" || len(reason) > 300 || strings.ContainsFunc(reason, unicode.IsControl):
		return deskapi.Person{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "Say why, in at most 300 characters."}
	}
	user, err := canon.UserID(in.User, e.cfg.DefaultDomain)
	if err != nil {
		return deskapi.Person{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return deskapi.Person{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if acct == nil {
		return deskapi.Person{}, errNoAccount
	}
	// The alternate address as it is before the action: a cleared
	// registration's owner hears of it there too. The notice is written
	// in the language the person registered in, not the staff member's:
	// the request is the desk's, not theirs.
	alt, lang := "", ""
	if reg, err := e.registration(ctx, user); err == nil {
		alt, lang = reg.Email, reg.Lang
	}
	ev := sspr.Event{Kind: kind, UserID: user, Detail: fmt.Sprintf("by=%s ticket=%q reason=%q", staff.User, ticket, reason)}
	if err := e.mustRecord(ctx, ev, c); err != nil {
		return deskapi.Person{}, err
	}
	if err := act(user); err != nil {
		ev.Outcome = sspr.OutcomeFailed
		e.note(ctx, ev, c)
		return deskapi.Person{}, err
	}
	ev.Outcome = sspr.OutcomeOK
	e.note(ctx, ev, c)
	e.tell(ctx, acct, notify.KindDeskAction, c, lang, alt, what, ticket)
	// The person as they are now; the staff session was checked above.
	return e.person(ctx, user)
}

// DeskUnlock unlocks the person's account in the directory.
func (e *Engine) DeskUnlock(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.Person, error) {
	return e.deskAct(ctx, staffID, in, c, sspr.EventDeskUnlock, deskUnlockMsg, func(user string) error {
		if err := e.d.Directory.Unlock(ctx, user); err != nil {
			return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("unlock: %w", err))
		}
		return nil
	})
}

// DeskLiftBlock ends whatever pauses the person's self-service: the pause
// after failed verifications, the pause of signing in, a closure after
// failures in a row; and forgets the failures counted, so that the next
// one doesn't pause it again at once.
func (e *Engine) DeskLiftBlock(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.Person, error) {
	return e.deskAct(ctx, staffID, in, c, sspr.EventDeskLiftBlock, deskLiftMsg, func(user string) error {
		if err := e.th.Lift(ctx, blockFlow(user), blockSignIn(user)); err != nil {
			return sspr.Unavailable(sspr.BackendState, err)
		}
		if err := e.th.Reopen(ctx, user); err != nil {
			return sspr.Unavailable(sspr.BackendState, err)
		}
		for _, f := range []failure{failVerify, failIdentity, failPassword, failRegisterCode} {
			counter, l, _ := e.failing(f)
			if err := e.th.Forget(ctx, counter+user, l); err != nil {
				return sspr.Unavailable(sspr.BackendState, err)
			}
		}
		return nil
	})
}

// DeskClearRegistration removes everything the person registered, so that
// they register again (their old methods may be someone else's now).
func (e *Engine) DeskClearRegistration(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.Person, error) {
	return e.deskAct(ctx, staffID, in, c, sspr.EventDeskClearRegistration, deskClearMsg,
		func(user string) error {
			if err := e.d.Store.PutRegistration(ctx, sspr.Registration{UserID: user}); err != nil {
				return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("clear registration: %w", err))
			}
			return nil
		})
}

// searchHits is the most people a search by name shows.
const searchHits = 20

// FindPeople finds people by a part of their name or user id, for staff
// who don't know the id: any role; the search is audited under the staff
// member.
func (e *Engine) FindPeople(ctx context.Context, staffID, term string, c sspr.Client) ([]deskapi.PersonHit, error) {
	staff, err := e.Staff(ctx, staffID)
	if err != nil {
		return nil, err
	}
	term = strings.Join(strings.Fields(term), " ")
	if n := utf8.RuneCountInString(term); n < 2 || n > 64 || strings.ContainsFunc(term, unicode.IsControl) {
		return nil, &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter 2 to 64 characters of a name or user ID."}
	}
	found, err := e.d.Directory.Find(ctx, term, searchHits)
	if err != nil {
		return nil, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("find people: %w", err))
	}
	hits := make([]deskapi.PersonHit, 0, len(found))
	for _, a := range found {
		hits = append(hits, deskapi.PersonHit{User: a.ID, DisplayName: a.DisplayName})
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventPeopleSearched, UserID: staff.User, Detail: fmt.Sprintf("term=%q hits=%d", term, len(hits))}, c)
	return hits, nil
}
