// Package coverage counts how many of the directory's accounts could
// reset their password today, and which ones have registered too little
// or are due to confirm their methods again: the coverage report
// (GET /api/v1/desk/coverage, `sspr report coverage`) and the reminders
// (`sspr remind unregistered`) both ask it. It is pure: the caller walks
// the directory and the store and hands each account in with its
// registration.
package coverage

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Rules are the configuration a reset is judged by: the engine's own.
type Rules struct {
	// Methods are the enabled methods ([flow] methods); Required how
	// many of them a reset needs ([flow] required_methods).
	Methods  []api.Kind
	Required int
	// QuestionsAsked is how many answers a reset asks ([flow]
	// questions_asked): fewer registered, the questions don't count.
	QuestionsAsked int
	// ReconfirmAfter is how long a method counts before it is due for
	// confirmation again ([registration] reconfirm_after; 0: never).
	ReconfirmAfter time.Duration
	// Now is the report's time.
	Now time.Time
	// Merge adds the methods the directory itself holds to what the
	// person registered (sspr.DirectoryMethods, ldapdir's rule); nil when
	// the directory holds none.
	Merge func(acct sspr.Account, reg *sspr.Registration) *sspr.Registration
}

// Status is one account's registration, judged by the rules.
type Status struct {
	// Methods counts the enabled methods registered and confirmed, as a
	// reset can use them.
	Methods int
	// Due: one of those is due for confirmation again.
	Due bool
}

// CanReset reports whether the account has the methods a reset needs.
func (s Status) CanReset(r Rules) bool { return s.Methods >= r.Required && s.Methods > 0 }

// Classify judges acct's registration reg (nil: nothing registered), with
// what the directory adds.
func Classify(r Rules, acct sspr.Account, reg *sspr.Registration) Status {
	if r.Merge != nil {
		reg = r.Merge(acct, reg)
	}
	if reg == nil {
		return Status{}
	}
	var s Status
	for _, k := range r.Methods {
		var (
			ok bool
			at time.Time
		)
		// The checks each method of the engine makes (its Registered).
		switch k {
		case api.KindEmail:
			ok, at = reg.HasEmail(), reg.EmailConfirmed
		case api.KindSMS:
			ok, at = reg.HasPhone(), reg.PhoneConfirmed
		case api.KindQuestions:
			ok, at = reg.HasQuestions(max(r.QuestionsAsked, 1)), reg.AnswersConfirmed
		case api.KindTOTP:
			ok = reg.HasTOTP() // never due again: each use proves it (no at)
		case api.KindPasskey:
			ok = reg.HasPasskey()
		}
		if !ok {
			continue
		}
		s.Methods++
		if r.ReconfirmAfter > 0 && !at.IsZero() && r.Now.Sub(at) >= r.ReconfirmAfter {
			s.Due = true
		}
	}
	return s
}

// Report adds accounts up, overall and by OU.
type Report struct {
	rules Rules
	all   counts
	ous   map[string]*counts
}

// counts are CoverageCounts as they are added up.
type counts deskapi.CoverageCounts

func (c *counts) add(acct sspr.Account, s Status, r Rules) {
	if acct.Disabled {
		c.Disabled++
		return
	}
	c.Accounts++
	switch {
	case s.CanReset(r):
		c.CanReset++
	case s.Methods > 0:
		c.Partial++
	default:
		c.None++
	}
	if s.Due {
		c.ReconfirmDue++
	}
}

func (c counts) done() deskapi.CoverageCounts {
	out := deskapi.CoverageCounts(c)
	if c.Accounts > 0 {
		out.CanResetPercent = math.Round(float64(c.CanReset)*1000/float64(c.Accounts)) / 10
	}
	return out
}

// New starts a report by rules r.
func New(r Rules) *Report { return &Report{rules: r, ous: map[string]*counts{}} }

// Add counts acct, with its registration reg (nil: nothing registered).
func (p *Report) Add(acct sspr.Account, reg *sspr.Registration) {
	s := Classify(p.rules, acct, reg)
	p.all.add(acct, s, p.rules)
	c := p.ous[acct.OU]
	if c == nil {
		c = &counts{}
		p.ous[acct.OU] = c
	}
	c.add(acct, s, p.rules)
}

// Result is the report of the accounts added so far.
func (p *Report) Result() deskapi.Coverage {
	out := deskapi.Coverage{At: p.rules.Now, Methods: slices.Clone(p.rules.Methods), Required: p.rules.Required,
		CoverageCounts: p.all.done(), OUs: []deskapi.CoverageGroup{}}
	if out.Methods == nil {
		out.Methods = []api.Kind{}
	}
	for ou, c := range p.ous {
		out.OUs = append(out.OUs, deskapi.CoverageGroup{OU: ou, CoverageCounts: c.done()})
	}
	slices.SortFunc(out.OUs, func(a, b deskapi.CoverageGroup) int { return strings.Compare(a.OU, b.OU) })
	return out
}
