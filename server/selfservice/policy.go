package selfservice

import (
	"context"
	"fmt"
	"slices"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// A Policy is which methods the people of one directory group are
// offered, how many a reset needs, and how many of those must be strong
// (for example: staff with administrative rights need two, one of them an
// authenticator app, and are never offered security questions).
// Config.Policies are tried in order, and the first whose group the
// account is in applies; everyone else has the default policy, made of
// Config.Methods and Config.Required.
type Policy struct {
	// Name says who the policy is for, in the audit and the logs.
	Name string
	// Group is the directory group (as sspr.Directory.MemberOf takes it).
	Group string
	// Methods are the methods offered, of Config.Methods, in its order.
	Methods []api.Kind
	// Required is how many different methods a reset needs; Strong how
	// many of them must be of StrongMethods.
	Required, Strong int
	StrongMethods    []api.Kind
}

// DefaultStrong are the methods the default policy (everyone outside the
// groups of Config.Policies, who need none) marks as strong: those that
// are an authenticator in NIST SP 800-63B-4's sense and can't be phished
// over the phone or intercepted on the way (an emailed or texted code
// can be; a security question isn't an authenticator at all). A group's
// policy names its own (server/config: DefaultStrongMethods).
var DefaultStrong = []api.Kind{api.KindTOTP, api.KindPasskey}

// policy is the policy that applies to one account.
type policy struct {
	Policy
	// offered are the engine's method strategies the policy offers.
	offered []Method
}

// strong reports whether k counts as strong under p.
func (p *policy) strong(k api.Kind) bool { return slices.Contains(p.StrongMethods, k) }

// newPolicy checks p against the enabled methods and returns it ready.
func (e *Engine) newPolicy(p Policy) (policy, error) {
	out := policy{Policy: p}
	for _, k := range p.Methods {
		m, ok := e.method(k)
		if !ok {
			return policy{}, fmt.Errorf("policy %q offers %q, which flow.methods doesn't", p.Name, k)
		}
		out.offered = append(out.offered, m)
	}
	strongOffered := 0
	for _, m := range out.offered {
		if out.strong(m.Kind()) {
			strongOffered++
		}
	}
	switch {
	case p.Required < 1 || p.Required > len(p.Methods):
		return policy{}, fmt.Errorf("policy %q needs %d methods of the %d it offers", p.Name, p.Required, len(p.Methods))
	case p.Strong < 0 || p.Strong > p.Required || p.Strong > strongOffered:
		return policy{}, fmt.Errorf("policy %q needs %d strong methods: at most its required %d and the %d strong ones it offers",
			p.Name, p.Strong, p.Required, strongOffered)
	}
	return out, nil
}

// policyFor is the policy of user: the first of Config.Policies whose
// group the account is in, else the default. Every policy's group is
// asked about for every user, known or not, so that the time taken says
// nothing about which applies (docs/SECURITY.md#same-answer).
func (e *Engine) policyFor(ctx context.Context, user string) (*policy, error) {
	found := &e.defaultPolicy
	for i := range e.policies {
		in, err := e.d.Directory.MemberOf(ctx, user, e.policies[i].Group)
		if err != nil {
			return nil, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("read the groups of the account: %w", err))
		}
		if in && found == &e.defaultPolicy {
			found = &e.policies[i]
		}
	}
	return found, nil
}

// counts returns how many of the methods reg has registered the policy
// offers, and how many of those are strong.
func (p *policy) counts(e *Engine, reg *sspr.Registration) (n, strong int) {
	for _, m := range p.offered {
		if m.Registered(e, reg) {
			n++
			if p.strong(m.Kind()) {
				strong++
			}
		}
	}
	return n, strong
}

// check refuses a change that would leave reg short of p: fewer methods
// than a reset needs, or fewer strong ones.
func (p *policy) check(e *Engine, reg *sspr.Registration) error {
	left, strong := p.counts(e, reg)
	if left < p.Required {
		return sspr.Errorf(sspr.CodeWrongState,
			"You can't remove this method: a reset needs %d, and you would have %d left. Register another one first.", p.Required, left)
	}
	if strong < p.Strong {
		return sspr.Errorf(sspr.CodeWrongState,
			"You can't remove this method: a reset needs %d of yours to be a strong method, and you would have %d left. Register another one first.", p.Strong, strong)
	}
	return nil
}

// complete reports whether reg is enough for a reset under p.
func (p *policy) complete(e *Engine, reg *sspr.Registration) bool {
	n, strong := p.counts(e, reg)
	return n >= p.Required && strong >= p.Strong
}
