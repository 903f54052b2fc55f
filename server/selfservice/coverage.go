package selfservice

import (
	"context"
	"fmt"

	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/coverage"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The coverage report: what share of the directory's accounts could
// reset their password today, overall and by OU (docs/COVERAGE.md). It
// walks the whole directory and reads every registration in one go, so it
// is for staff and the command line, now and then; never a user's path.

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

// eachPerson calls fn with every account of the directory and what its
// owner registered in the store (nil: nothing): every registration is
// read first, in one read, then the directory is walked, so that neither
// is asked once per person.
func (e *Engine) eachPerson(ctx context.Context, fn func(acct sspr.Account, reg *sspr.Registration) error) error {
	regs := map[string]*sspr.Registration{}
	err := e.d.Store.EachRegistration(ctx, func(r sspr.Registration) error {
		regs[r.UserID] = &r
		return nil
	})
	if err != nil {
		return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registrations: %w", err))
	}
	if err := e.d.Directory.Each(ctx, func(a sspr.Account) error { return fn(a, regs[a.ID]) }); err != nil {
		return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("walk the directory: %w", err))
	}
	return nil
}
