package selfservice

import (
	"context"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// A Method is one verification method: everything about it that a reset
// flow and registration need, in one place. The engine asks the method
// and never switches on its kind, so adding a method is a file with its
// Method and its pages (docs/ADDING-A-METHOD.md).
type Method interface {
	// Kind is the method's name in the API and the configuration.
	Kind() api.Kind
	// Registered reports whether reg has the method registered and
	// confirmed, as a reset can use it.
	Registered(e *Engine, reg *sspr.Registration) bool
	// InShape reports whether a registration of shape s has it: decoys
	// copy the shapes of real registrations (decoy.go).
	InShape(e *Engine, s sspr.Shape) bool
	// Offer adds the method to flow r, of an account with registration
	// reg that has it, with what passing it needs (an address, questions
	// drawn with draw generation gen).
	Offer(e *Engine, r *record, reg *sspr.Registration, gen string)
	// Decoy adds the method to decoy flow r as profile p shows it.
	Decoy(e *Engine, r *record, p profile, gen string)
	// Describe is the method of reg as the registration pages show it.
	Describe(e *Engine, reg *sspr.Registration) api.RegisteredMethod
	// Remove takes the method out of reg.
	Remove(reg *sspr.Registration)
}

// A codeMethod is passed with a one-time code sent to an address (codes.go):
// email and text.
type codeMethod interface {
	Method
	channel() sspr.Channel
	cooldown(cfg *Config) time.Duration
	// prepare checks what the person typed before a flow's code is sent
	// (a text needs the full number typed first), failing it as a failure
	// of identity if wrong; it returns where the code goes and the
	// country the text counts against ("" for email).
	prepare(ctx context.Context, e *Engine, r *record, typed string, c sspr.Client) (to, country string, err error)
	// parse checks a new address to register, for acct, and returns it in
	// canonical form and its country.
	parse(e *Engine, raw string, acct *sspr.Account) (value, country string, err error)
	// put registers value, confirmed at at, in reg.
	put(reg *sspr.Registration, value string, at time.Time)
	// registeredMsg is what a notice says when the method is registered
	// or confirmed (an English message the catalogues translate).
	registeredMsg() string
}

// allMethods are the methods the portal knows, in the order they are
// offered when all are enabled.
var allMethods = []Method{emailMethod{}, smsMethod{}, questionsMethod{}, totpMethod{}, passkeyMethod{}}

// described is how the registration pages show a method: with when
// it was confirmed, and whether it is due for confirmation again.
func (e *Engine) described(ok bool, hint string, count int, at time.Time) api.RegisteredMethod {
	v := api.RegisteredMethod{Registered: ok, Enabled: true}
	if ok {
		t := at
		v.Hint, v.Count, v.ConfirmedAt = hint, count, &t
		v.Due = e.cfg.ReconfirmAfter > 0 && e.now().Sub(at) >= e.cfg.ReconfirmAfter
	}
	return v
}
