package selfservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Expiry reminders: `sspr remind expiring` emails each person whose
// password expires soon a link to change it, once per threshold (14, 7
// and 1 days before, by default), however often it runs and on however
// many servers.

// ChangePasswordPath is the page where a signed-in person changes their
// password (app/ui's PathRegPassword): the expiry reminders link to it.
const ChangePasswordPath = "/register/password"

// DefaultThresholds are the days before expiry on which a person is
// reminded.
var DefaultThresholds = []int{14, 7, 1}

// ExpiringOptions say how to remind of expiring passwords.
type ExpiringOptions struct {
	// Reminders keeps who was reminded of which threshold when.
	Reminders sspr.Reminders
	// Thresholds are the days before expiry on which to remind, each
	// once: a person is reminded of the nearest one they have reached.
	Thresholds []int
	// Link is the password change's address: the portal's public URL and
	// ChangePasswordPath.
	Link   string
	DryRun bool
	Client sspr.Client
}

// ExpiringResult is what a run did.
type ExpiringResult struct {
	// Due are the active accounts whose password expires within the
	// largest threshold (and has not yet expired).
	Due int
	// Sent were reminded now; Recent had been reminded of this threshold
	// already; Failed could not be stored for sending (tried again next
	// run); NoAddress have no primary address to remind.
	Sent, Recent, Failed, NoAddress int
}

// threshold is the threshold, in days, that a password expiring in left
// has reached: the smallest that is not less than the whole days left,
// counted up; false when it has reached none (or has expired).
func threshold(thresholds []int, left time.Duration) (int, bool) {
	if left <= 0 {
		return 0, false
	}
	days := int((left + 24*time.Hour - 1) / (24 * time.Hour))
	best, ok := 0, false
	for _, t := range thresholds {
		if t >= days && (!ok || t < best) {
			best, ok = t, true
		}
	}
	return best, ok
}

// expiringKey is the reminders store's key of user's reminder of the
// threshold of days: the store keeps one time per key, and the reminder to
// register keeps the user's id alone.
func expiringKey(days int, user string) string {
	return "expiring:" + strconv.Itoa(days) + ":" + user
}

// ParseThresholds reads "14,7,1": whole days, each at least 1.
func ParseThresholds(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 366 {
			return nil, fmt.Errorf("%q: thresholds are whole days from 1 to 366, separated by commas", s)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// RemindExpiring reminds each person whose password expires soon, once
// per threshold, and records one audit event for the run. The claim of a
// threshold (in the reminders store, under expiringKey) is made before
// the message is stored for sending, so two runs at once never both send
// it; it counts from the moment the threshold was reached, so a password
// changed since (a later expiry) is reminded afresh.
func (e *Engine) RemindExpiring(ctx context.Context, o ExpiringOptions) (ExpiringResult, error) {
	var res ExpiringResult
	if o.Reminders == nil || o.Link == "" || len(o.Thresholds) == 0 {
		return res, errBadRemind
	}
	type person struct {
		id, mail, lang string
		expires        time.Time
		days           int
	}
	now := e.now()
	var due []person
	err := e.eachPerson(ctx, func(acct sspr.Account, reg *sspr.Registration) error {
		if acct.Disabled || acct.PasswordExpiresAt.IsZero() {
			return nil
		}
		days, ok := threshold(o.Thresholds, acct.PasswordExpiresAt.Sub(now))
		if !ok {
			return nil
		}
		if acct.Mail == "" {
			res.NoAddress++
			return nil
		}
		p := person{id: acct.ID, mail: acct.Mail, expires: acct.PasswordExpiresAt, days: days}
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
			if sent, err = e.remindExpiring(ctx, o, p.id, p.mail, p.lang, p.expires, p.days); err != nil {
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
		Detail: fmt.Sprintf("expiring due=%d sent=%d recent=%d failed=%d no_address=%d thresholds=%v dry_run=%t",
			res.Due, res.Sent, res.Recent, res.Failed, res.NoAddress, o.Thresholds, o.DryRun)}
	if err != nil {
		ev.Outcome = sspr.OutcomeFailed
	}
	e.note(ctx, ev, o.Client)
	return res, err
}

// remindExpiring claims user's reminder of the threshold of days for the
// password expiring at expires, and stores the message for sending, in
// the language they registered in; false when that reminder was sent
// already.
func (e *Engine) remindExpiring(ctx context.Context, o ExpiringOptions, user, to, lang string, expires time.Time, days int) (bool, error) {
	at := e.now()
	key := expiringKey(days, user)
	// Reached at expires less the threshold: a claim since then (the
	// store's "since" is exclusive, and keeps whole seconds) is this
	// password's reminder of this threshold.
	reached := expires.Add(-time.Duration(days) * 24 * time.Hour)
	ok, err := o.Reminders.ClaimReminder(ctx, key, at, reached.Add(-time.Second))
	if err != nil {
		return false, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("claim reminder: %w", err))
	}
	if !ok {
		return false, nil
	}
	m := notify.Expiring(to, o.Link, expires, at, e.cfg.Org)
	m.Account, m.Lang = user, lang
	if err := e.d.Sender.Send(ctx, m); err != nil {
		if rerr := o.Reminders.ReleaseReminder(context.WithoutCancel(ctx), key, at); rerr != nil {
			e.d.Log.ErrorContext(ctx, "release reminder", "user", user, "err", rerr)
		}
		return false, fmt.Errorf("%w: %w", errNotStored, err)
	}
	return true, nil
}
