package selfservice

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/coverage"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The coverage report: what share of the directory's accounts could
// reset their password today, overall and by OU (docs/COVERAGE.md). It
// walks the whole directory and reads every registration in one read
// (eachPerson), so it is for staff and the command line, now and then;
// never a user's path.

// Coverage is the coverage report, for a verified staff session of any
// role; reading it is audited under the staff member.
func (e *Engine) Coverage(ctx context.Context, staffID string, c sspr.Client) (deskapi.Coverage, error) {
	staff, err := e.Staff(ctx, staffID)
	if err != nil {
		return deskapi.Coverage{}, err
	}
	r, err := e.CoverageReport(ctx)
	if err != nil {
		return deskapi.Coverage{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventCoverageReported, UserID: staff.User,
		Detail: fmt.Sprintf("role=%s accounts=%d can_reset=%d", staff.Role, r.Accounts, r.CanReset)}, c)
	return r, nil
}

// CoverageReport is the coverage report, for `sspr report coverage`: no
// staff session, and not audited (the command's user is whoever may read
// the configuration and its database).
func (e *Engine) CoverageReport(ctx context.Context) (deskapi.Coverage, error) {
	rules := e.coverageRules()
	p := coverage.New(rules)
	err := e.eachPerson(ctx, func(acct sspr.Account, reg *sspr.Registration) error {
		p.Add(acct, reg)
		return nil
	})
	if err != nil {
		return deskapi.Coverage{}, err
	}
	return p.Result(), nil
}

// coverageRules are the engine's own rules, as package coverage takes
// them: the methods enabled, how many a reset needs, when one is due for
// confirmation again, and the directory's methods merged as a flow merges
// them (sspr.DirectoryMethods: ldapdir's rule, not a copy of it).
func (e *Engine) coverageRules() coverage.Rules {
	r := coverage.Rules{Required: e.cfg.Required, QuestionsAsked: e.cfg.QuestionsAsked,
		ReconfirmAfter: e.cfg.ReconfirmAfter, Now: e.now()}
	for _, m := range e.methods {
		r.Methods = append(r.Methods, m.Kind())
	}
	if dm, ok := e.d.Registrations.(sspr.DirectoryMethods); ok {
		r.Merge = dm.Merge
	}
	return r
}

// eachPerson calls fn with every account of the directory, in the
// directory's order, and what its owner registered in the store (nil:
// nothing); a registration whose account the directory doesn't return is
// passed over. Neither side is asked once per person: when both walk in
// id order (sspr.IDOrdered: SQLite's directory with either store) the two
// walks are merged as they go, holding one registration at a time;
// otherwise (LDAP) every registration is read first, into a map, then the
// directory is walked. Either way a store that fails is
// service_unavailable and a directory that fails, or fn's error, is
// directory_unavailable (sspr.Unavailable keeps an *sspr.Error's code).
// On the merged path fn runs while the store's walk is open, so fn must
// not call the store (sspr.Store's EachRegistration): gather what is due,
// and write once eachPerson has returned, as the reminders do.
func (e *Engine) eachPerson(ctx context.Context, fn func(acct sspr.Account, reg *sspr.Registration) error) error {
	if sspr.InIDOrder(e.d.Directory) && sspr.InIDOrder(e.d.Store) {
		return e.eachPersonMerged(ctx, fn)
	}
	regs := map[string]*sspr.Registration{}
	err := e.d.Store.EachRegistration(ctx, func(r sspr.Registration) error {
		regs[r.UserID] = &r
		return nil
	})
	if err != nil {
		return storeFailed(err)
	}
	if err := e.d.Directory.Each(ctx, func(a sspr.Account) error { return fn(a, regs[a.ID]) }); err != nil {
		return directoryFailed(err)
	}
	return nil
}

func storeFailed(err error) error {
	return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registrations: %w", err))
}

func directoryFailed(err error) error {
	return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("walk the directory: %w", err))
}

// Sentinels of eachPersonMerged: errPullStopped ends EachRegistration when
// no more registrations are wanted (a cancellation, which the metrics
// don't count as the store failing: metrics.Failed), errRegsFailed the
// directory's walk when the registrations' has failed (its own error is
// the one returned).
var (
	errPullStopped = fmt.Errorf("selfservice: registrations no longer wanted: %w", context.Canceled)
	errRegsFailed  = errors.New("selfservice: registrations failed")
)

// eachPersonMerged is eachPerson over two walks in id order: the
// registrations are pulled (iter.Pull runs EachRegistration in a goroutine
// of its own, in step with this one) and advanced past every id before
// the account's. The store's walk is read to its end after the
// directory's, so that a store failing after the last account fails the
// walk, as it does when the registrations are read first. Ids out of
// order on either side (a backend breaking sspr.IDOrdered) fail the walk
// rather than silently pass people over.
func (e *Engine) eachPersonMerged(ctx context.Context, fn func(acct sspr.Account, reg *sspr.Registration) error) error {
	var regErr error // EachRegistration's, once next has said there is no more
	next, stop := iter.Pull(func(yield func(sspr.Registration) bool) {
		err := e.d.Store.EachRegistration(ctx, func(r sspr.Registration) error {
			if !yield(r) {
				return errPullStopped
			}
			return nil
		})
		if !errors.Is(err, errPullStopped) {
			regErr = err
		}
	})
	// On every path, fn's panic included: the goroutine ends with it.
	defer stop()
	var (
		cur  sspr.Registration
		have bool // cur is a registration read and not yet passed over
		read bool // a registration was read: cur.UserID is the last one's
	)
	// advance reads the next registration; at the end, or on the store's
	// error (regErr) or one out of order, have is false.
	advance := func() {
		r, ok := next()
		if ok && read && r.UserID <= cur.UserID {
			regErr = fmt.Errorf("registrations out of id order: %q after %q", r.UserID, cur.UserID)
			ok = false
		}
		have = ok
		if ok {
			cur, read = r, true
		}
	}
	advance()
	var lastAcct string
	err := e.d.Directory.Each(ctx, func(a sspr.Account) error {
		if a.ID < lastAcct {
			return fmt.Errorf("accounts out of id order: %q after %q", a.ID, lastAcct)
		}
		lastAcct = a.ID
		for have && cur.UserID < a.ID {
			advance()
		}
		if regErr != nil {
			return errRegsFailed
		}
		var reg *sspr.Registration
		if have && cur.UserID == a.ID {
			r := cur
			reg = &r
		}
		return fn(a, reg)
	})
	for err == nil && have {
		advance()
	}
	switch {
	case regErr != nil:
		return storeFailed(regErr)
	case err != nil:
		return directoryFailed(err)
	}
	return nil
}
