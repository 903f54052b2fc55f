package selfservice

import (
	"context"
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
func (e *Engine) RemindExpiring(ctx context.Context, o ExpiringOptions) (RemindResult, error) {
	var res RemindResult
	if o.Reminders == nil || o.Link == "" || len(o.Thresholds) == 0 {
		return res, errBadRemind
	}
	now := e.now()
	var due []reminder
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
		to, expires := acct.Mail, acct.PasswordExpiresAt
		// Reached at expires less the threshold: a claim since then (the
		// store's "since" is exclusive, and keeps whole seconds) is this
		// password's reminder of this threshold.
		reached := expires.Add(-time.Duration(days) * 24 * time.Hour)
		due = append(due, reminder{user: acct.ID, lang: regLang(reg), key: expiringKey(days, acct.ID),
			since: func(time.Time) time.Time { return reached.Add(-time.Second) },
			msg: func(at time.Time) notify.Message {
				return notify.Expiring(to, o.Link, expires, at, e.cfg.Org)
			}})
		return nil
	})
	res.Due = len(due)
	if err == nil && !o.DryRun {
		err = e.sendReminders(ctx, o.Reminders, due, &res)
	}
	e.noteReminders(ctx, err, o.Client, fmt.Sprintf("expiring due=%d sent=%d recent=%d failed=%d no_address=%d thresholds=%v dry_run=%t",
		res.Due, res.Sent, res.Recent, res.Failed, res.NoAddress, o.Thresholds, o.DryRun))
	return res, err
}
