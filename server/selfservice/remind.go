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
	// that can't reset today or have a method due for confirmation again.
	Due int
	// Sent were reminded now (stored in the outbox for sending); Recent
	// were left out because they were reminded within Every (by an
	// earlier run, or by another run at the same time); Failed could not
	// be stored for sending (they are tried again next run).
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
	type person struct {
		id, mail, lang string
		reconfirm      bool
	}
	var due []person
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
		p := person{id: acct.ID, mail: acct.Mail, reconfirm: s.CanReset(rules)}
		if reg != nil {
			p.lang = reg.Lang
		}
		due = append(due, p)
		return nil
	})
	res.Due = len(due)
	if err == nil && !o.DryRun {
		for _, p := range due {
			var sent bool
			if sent, err = e.remind(ctx, o, p.id, p.mail, p.lang, p.reconfirm); err != nil {
				break
			}
			if sent {
				res.Sent++
			} else {
				res.Recent++
			}
		}
		if errors.Is(err, errNotStored) {
			res.Failed = 1
		}
	}
	ev := sspr.Event{Kind: sspr.EventRemindersSent, Outcome: sspr.OutcomeOK,
		Detail: fmt.Sprintf("due=%d sent=%d recent=%d failed=%d no_address=%d every=%s dry_run=%t",
			res.Due, res.Sent, res.Recent, res.Failed, res.NoAddress, o.Every, o.DryRun)}
	if err != nil {
		ev.Outcome = sspr.OutcomeFailed
	}
	e.note(ctx, ev, o.Client)
	return res, err
}

// errNotStored: a reminder could not be stored for sending.
var errNotStored = errors.New("remind: the message was not stored")

// remind claims the person's reminder and stores the message for
// sending, in lang, the language they registered in ("": unknown, the
// templates' default; the run is nobody's request); false when they were
// reminded within o.Every.
func (e *Engine) remind(ctx context.Context, o RemindOptions, user, to, lang string, reconfirm bool) (bool, error) {
	at := e.now()
	ok, err := o.Reminders.ClaimReminder(ctx, user, at, at.Add(-o.Every))
	if err != nil {
		return false, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("claim reminder: %w", err))
	}
	if !ok {
		return false, nil
	}
	m := notify.Reminder(to, o.Link, e.cfg.Required, reconfirm, at, e.cfg.Org)
	m.Account, m.Lang = user, lang
	if err := e.d.Sender.Send(ctx, m); err != nil {
		// Not stored, so never sent: the next run may try again.
		if rerr := o.Reminders.ReleaseReminder(context.WithoutCancel(ctx), user, at); rerr != nil {
			e.d.Log.ErrorContext(ctx, "release reminder", "user", user, "err", rerr)
		}
		return false, fmt.Errorf("%w: %w", errNotStored, err)
	}
	return true, nil
}
