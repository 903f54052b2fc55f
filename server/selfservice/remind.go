package selfservice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sspr-portal/sspr/server/coverage"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Reminders: `sspr remind unregistered` emails the people who could not
// reset their password today, or whose methods are due for confirmation
// again, with a link to the registration page; each at most once a
// period, however often it runs and on however many servers
// (docs/COVERAGE.md).

// RegisterPath is the registration page's path (app/ui's PathRegister):
// the reminders link to it.
const RegisterPath = "/register"

// RemindOptions say how to remind.
type RemindOptions struct {
	// Reminders keeps when each person was last reminded.
	Reminders sspr.Reminders
	// Every is the least time between two reminders to one person.
	Every time.Duration
	// Link is the registration page's address: the portal's public URL
	// and RegisterPath.
	Link string
	// DryRun counts who would be reminded, and sends and records
	// nothing but the run's audit event.
	DryRun bool
	// Client is who runs it, for the audit.
	Client sspr.Client
}

// RemindResult is what a run did.
type RemindResult struct {
	// Due are the active accounts (not disabled) with a primary address
	// that need the reminder: that can't reset today or have a method due
	// for confirmation again (RemindUnregistered); whose password has
	// reached a threshold before it expires (RemindExpiring).
	Due int
	// Sent were reminded now (stored in the outbox for sending); Recent
	// were left out because they had this reminder already (within Every;
	// of this threshold), by an earlier run or by another run at the same
	// time; Failed could not be stored for sending (they are tried again
	// next run).
	Sent, Recent, Failed int
	// NoAddress need a reminder but have no primary address.
	NoAddress int
}

// errBadRemind is a bug of the caller's, not a state of the backends.
var errBadRemind = errors.New("remind: no reminders store, no link or no period")

// RemindUnregistered reminds each person who needs it once, as o says,
// and records one audit event for the run. A person is claimed in the
// store before the message is stored for sending, so two runs at once
// never both remind the same person; a message that can't be stored
// releases its claim. A store that fails ends the run with its error
// (and what was done so far).
func (e *Engine) RemindUnregistered(ctx context.Context, o RemindOptions) (RemindResult, error) {
	var res RemindResult
	if o.Reminders == nil || o.Link == "" || o.Every <= 0 {
		return res, errBadRemind
	}
	rules := e.coverageRules()
	var due []reminder
	err := e.eachPerson(ctx, func(acct sspr.Account, reg *sspr.Registration) error {
		if acct.Disabled {
			return nil
		}
		s := coverage.Classify(rules, acct, reg)
		if s.CanReset(rules) && !s.Due {
			return nil
		}
		if acct.Mail == "" {
			res.NoAddress++
			return nil
		}
		to, reconfirm := acct.Mail, s.CanReset(rules)
		due = append(due, reminder{user: acct.ID, lang: regLang(reg), key: acct.ID,
			since: func(at time.Time) time.Time { return at.Add(-o.Every) },
			msg: func(at time.Time) notify.Message {
				return notify.Reminder(to, o.Link, e.cfg.Required, reconfirm, at, e.cfg.Org)
			}})
		return nil
	})
	res.Due = len(due)
	if err == nil && !o.DryRun {
		err = e.sendReminders(ctx, o.Reminders, due, &res)
	}
	e.noteReminders(ctx, err, o.Client, fmt.Sprintf("due=%d sent=%d recent=%d failed=%d no_address=%d every=%s dry_run=%t",
		res.Due, res.Sent, res.Recent, res.Failed, res.NoAddress, o.Every, o.DryRun))
	return res, err
}

// reminder is one person's reminder, as the runs of both commands send
// it: claimed in the reminders store under key (the user's id, for the
// reminder to register), unless a claim made after since(at) is there
// already, then stored for sending, in lang, the language they registered
// in ("": unknown, the templates' default; a run is nobody's request).
type reminder struct {
	user, lang string
	key        string
	since      func(at time.Time) time.Time
	msg        func(at time.Time) notify.Message
}

// regLang is the language reg was made in ("" for none).
func regLang(reg *sspr.Registration) string {
	if reg == nil {
		return ""
	}
	return reg.Lang
}

// sendReminders sends each reminder due in turn, counting into res what
// was sent and what had been already. A store that fails ends the run
// with its error; a message that couldn't be stored counts as Failed.
func (e *Engine) sendReminders(ctx context.Context, store sspr.Reminders, due []reminder, res *RemindResult) error {
	for _, r := range due {
		sent, err := e.sendReminder(ctx, store, r)
		if err != nil {
			if errors.Is(err, errNotStored) {
				res.Failed = 1
			}
			return err
		}
		if sent {
			res.Sent++
		} else {
			res.Recent++
		}
	}
	return nil
}

// noteReminders records a run's audit event: its counts, never an address.
func (e *Engine) noteReminders(ctx context.Context, err error, c sspr.Client, detail string) {
	ev := sspr.Event{Kind: sspr.EventRemindersSent, Outcome: sspr.OutcomeOK, Detail: detail}
	if err != nil {
		ev.Outcome = sspr.OutcomeFailed
	}
	e.note(ctx, ev, c)
}

// errNotStored: a reminder could not be stored for sending.
var errNotStored = errors.New("remind: the message was not stored")

// sendReminder claims r and stores its message for sending; false when
// it was claimed already (sent by an earlier run, or by another run at the
// same time). A message that can't be stored gives its claim back, so that
// the next run tries again.
func (e *Engine) sendReminder(ctx context.Context, store sspr.Reminders, r reminder) (bool, error) {
	at := e.now()
	ok, err := store.ClaimReminder(ctx, r.key, at, r.since(at))
	if err != nil {
		return false, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("claim reminder: %w", err))
	}
	if !ok {
		return false, nil
	}
	m := r.msg(at)
	m.Account, m.Lang = r.user, r.lang
	if err := e.d.Sender.Send(ctx, m); err != nil {
		// Not stored, so never sent: the next run may try again.
		if rerr := store.ReleaseReminder(context.WithoutCancel(ctx), r.key, at); rerr != nil {
			e.d.Log.ErrorContext(ctx, "release reminder", "user", r.user, "err", rerr)
		}
		return false, fmt.Errorf("%w: %w", errNotStored, err)
	}
	return true, nil
}
