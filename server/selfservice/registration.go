package selfservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Registration: a signed-in user registers, changes or removes the methods
// a reset needs, each address confirmed by a code before it counts, and may
// change their password. Every change is told to the primary address and
// to the alternate address as it was before, and audited.

// Registration returns what the user has registered, masked.
func (e *Engine) Registration(ctx context.Context, id string) (api.Registration, error) {
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	pol, err := e.policyFor(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	v := e.describe(reg, pol)
	switch {
	case s.Pending != nil:
		v.Pending = s.Pending.Kind
	case s.TOTP != nil:
		v.Pending = api.KindTOTP
	}
	return v, nil
}

// registration is what user registered in the portal (the store's, not
// the directory's), never nil.
func (e *Engine) registration(ctx context.Context, user string) (*sspr.Registration, error) {
	reg, err := e.d.Store.Registration(ctx, user)
	if err != nil {
		return nil, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if reg == nil {
		reg = &sspr.Registration{UserID: user}
	}
	return reg, nil
}

// describe is reg as the registration pages show it, under the account's
// policy pol. The wire has a field for each method; a method the policy
// doesn't offer is shown as not offered.
func (e *Engine) describe(reg *sspr.Registration, pol *policy) api.Registration {
	v := api.Registration{Required: pol.Required, Strong: pol.Strong}
	for _, m := range allMethods {
		d := api.RegisteredMethod{}
		if slices.Contains(pol.offered, m) {
			d = m.Describe(e, reg)
			d.Strong = pol.strong(m.Kind())
		}
		if f := v.Method(m.Kind()); f != nil {
			*f = d
		}
		v.ReconfirmDue = v.ReconfirmDue || d.Due
	}
	v.Complete = pol.complete(e, reg)
	if v.Passkey.Enabled {
		v.Passkeys = passkeyInfos(reg)
	}
	return v
}

// registerCode binds a registration's code to the session, the user, the
// method and the address it was sent to.
func registerCode(s *session, k api.Kind, value string) []string {
	return []string{"register", s.ID, s.User, string(k), value}
}

// Register sends a code to a new address or number of method k; it counts
// once the code comes back (Confirm). Texts go only to numbers that can
// receive them, of the countries served, within the country's hourly cap
// (docs/SECURITY.md#sms-pumping).
func (e *Engine) Register(ctx context.Context, id string, k api.Kind, raw string, c sspr.Client) (api.Registration, error) {
	m, err := e.codeMethod(k)
	if err != nil {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That method isn't offered here."}
	}
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if err := e.recent(s); err != nil {
		return api.Registration{}, err
	}
	value, country, err := m.parse(e, raw, acct)
	if err != nil {
		return api.Registration{}, err
	}
	plain, cd, err := e.issue(ctx, registerKey(k, s.User), m.cooldown(&e.cfg), registerCode(s, k, value)...)
	if err != nil {
		return api.Registration{}, err
	}
	if country != "" {
		if err := e.th.Texts(ctx, country, e.cfg.SMSPerCountry); err != nil {
			return api.Registration{}, err
		}
	}
	if _, err := e.updateSession(ctx, id, func(s *session) error {
		s.Pending = &pending{Kind: k, Value: value, code: *cd}
		return nil
	}); err != nil {
		return api.Registration{}, err
	}
	if err := e.sendCode(ctx, m, value, plain, s.User, s.Ref, false, cd, codeRef(refRegistration, k, id)); err != nil {
		// Not stored, so never sent: nothing waits for its code.
		_, _ = e.updateSession(ctx, id, func(s *session) error {
			if s.Pending != nil && s.Pending.Kind == k && s.Pending.Value == value {
				s.Pending = nil
			}
			return nil
		})
		return api.Registration{}, err
	}
	return e.Registration(ctx, id)
}

// Confirm checks the code sent by Register and, when it matches, registers
// the address or number.
func (e *Engine) Confirm(ctx context.Context, id string, k api.Kind, raw string, c sspr.Client) (api.Registration, error) {
	m, err := e.codeMethod(k)
	if err != nil {
		return api.Registration{}, err
	}
	typed, err := e.typedCode(raw)
	if err != nil {
		return api.Registration{}, err
	}
	if _, _, err := e.live(ctx, id); err != nil {
		return api.Registration{}, err
	}
	var (
		res   outcome
		left  int
		value string
	)
	s, err := e.updateSession(ctx, id, func(s *session) error {
		p := s.Pending
		if p == nil || p.Kind != k {
			return errNoCode
		}
		if p.Undelivered {
			return errUndelivered
		}
		if res, left = e.check(&p.code, typed, false, registerCode(s, k, p.Value)...); res != codeWrong {
			value, s.Pending = p.Value, nil // used up
		}
		return nil
	})
	if err != nil {
		return api.Registration{}, err
	}
	if res == codeWrong || res == codeUsedUp {
		if err := e.fail(ctx, failRegisterCode, s.User, "", c); err != nil {
			return api.Registration{}, err
		}
	}
	if res != codeRight {
		return api.Registration{}, codeError(res, left)
	}
	err = e.changeRegistration(ctx, s.User, s.Ref, c, m.registeredMsg(), string(k), func(reg *sspr.Registration) error {
		m.put(reg, value, e.now())
		return nil
	})
	if err != nil {
		return api.Registration{}, err
	}
	return e.Registration(ctx, id)
}

// Remove deletes a registered method, unless that would leave fewer than
// a reset needs.
func (e *Engine) Remove(ctx context.Context, id string, k api.Kind, c sspr.Client) (api.Registration, error) {
	m, ok := e.method(k)
	if !ok {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "There is no such method."}
	}
	return e.removeFrom(ctx, id, "removed="+string(k), c, func(reg *sspr.Registration) error {
		if !m.Registered(e, reg) {
			return &sspr.Error{Code: sspr.CodeWrongState, Message: "That method isn't registered."}
		}
		m.Remove(reg)
		return nil
	})
}

// removeFrom is every removal from the signed-in user's registration (a
// method, one passkey): the password typed recently, take applied, and
// refused unless what is left still meets the account's policy; audited
// (detail) and told as a change.
func (e *Engine) removeFrom(ctx context.Context, id, detail string, c sspr.Client, take func(*sspr.Registration) error) (api.Registration, error) {
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if err := e.recent(s); err != nil {
		return api.Registration{}, err
	}
	pol, err := e.policyFor(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	err = e.changeRegistration(ctx, s.User, s.Ref, c, removedMsg, detail, func(reg *sspr.Registration) error {
		if err := take(reg); err != nil {
			return err
		}
		return pol.check(e, reg)
	})
	if err != nil {
		return api.Registration{}, err
	}
	return e.Registration(ctx, id)
}

// changeRegistration applies change to user's registration, stores it,
// audits it (detail) and tells the user what changed at their primary
// address and at the alternate address as it was before, so that someone
// who got in can't silently redirect recovery. It is the person's own
// request, so it keeps the language of its pages with the registration,
// for the messages sent outside their requests (a reminder, the service
// desk's notice); a request that names none leaves the one kept.
func (e *Engine) changeRegistration(ctx context.Context, user, ref string, c sspr.Client, what, detail string, change func(reg *sspr.Registration) error) error {
	reg, err := e.registration(ctx, user)
	if err != nil {
		return err
	}
	old := *reg
	if err := change(reg); err != nil {
		return err
	}
	if c.Lang != "" {
		reg.Lang = c.Lang
	}
	// A change that can't be audited doesn't happen (docs/AUDIT.md).
	ev := sspr.Event{Kind: sspr.EventRegistrationChanged, UserID: user, Flow: ref, Detail: detail}
	if err := e.mustRecord(ctx, ev, c); err != nil {
		return err
	}
	if err := e.d.Store.PutRegistration(ctx, *reg); err != nil {
		ev.Outcome = sspr.OutcomeFailed
		e.note(ctx, ev, c)
		return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("save registration: %w", err))
	}
	ev.Outcome = sspr.OutcomeOK
	e.note(ctx, ev, c)
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil || acct == nil {
		e.d.Log.ErrorContext(ctx, "notify registration change", "user", user, "flow", ref, "err", err)
		return nil
	}
	e.tell(ctx, acct, notify.KindRegistrationChanged, c, "", old.Email, what)
	return nil
}

// ChangePassword changes the signed-in user's password under the same
// policy as a reset, tells them, and ends every session and flow of the
// account, this one too. It is the one change an account that must change
// its password may make (the directory's SetPassword ends the must-change).
func (e *Engine) ChangePassword(ctx context.Context, id, current, next string, c sspr.Client) error {
	s, acct, err := e.signedIn(ctx, id)
	if err != nil {
		return err
	}
	wrong := &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Your current password is wrong."}
	if err := e.checkPassword(ctx, s.User, current, wrong, c); err != nil {
		return err
	}
	e.succeeded(ctx, s.User)
	if broken := e.d.Policy.Check(next, acct); len(broken) > 0 {
		e.note(ctx, sspr.Event{Kind: sspr.EventPasswordRefused, UserID: s.User, Flow: s.Ref, Outcome: sspr.OutcomeRefused, Detail: rules(broken)}, c)
		return &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "Your new password doesn't meet the password rules.", Rules: broken}
	}
	// A change that can't be audited doesn't happen (docs/AUDIT.md).
	ev := sspr.Event{Kind: sspr.EventPasswordChanged, UserID: s.User, Flow: s.Ref, Detail: "signed in"}
	if err := e.mustRecord(ctx, ev, c); err != nil {
		return err
	}
	if err := e.d.Directory.SetPassword(ctx, s.User, next); err != nil {
		var ae *sspr.Error
		if errors.As(err, &ae) && ae.Code == sspr.CodePasswordPolicy {
			e.note(ctx, sspr.Event{Kind: sspr.EventPasswordRefused, UserID: s.User, Flow: s.Ref, Outcome: sspr.OutcomeRefused,
				Detail: "directory " + rules(ae.Rules)}, c)
			return ae
		}
		ev.Outcome, ev.Detail = sspr.OutcomeFailed, "directory"
		e.note(ctx, ev, c)
		return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("set password: %w", err))
	}
	// Whoever else was signed in with the old password is out, on every
	// server (docs/SECURITY.md#sessions-end).
	if n, err := e.d.Sessions.End(ctx, s.User); err != nil {
		e.d.Log.ErrorContext(ctx, "end sessions", "user", s.User, "flow", s.Ref, "err", err)
	} else if n > 1 { // more than this one
		e.note(ctx, sspr.Event{Kind: sspr.EventSessionsEnded, UserID: s.User, Flow: s.Ref, Detail: fmt.Sprintf("count=%d", n-1)}, c)
	}
	_ = e.d.State.Delete(ctx, sessionKey(id))
	ev.Outcome = sspr.OutcomeOK
	e.note(ctx, ev, c)
	alt := ""
	if reg, err := e.registration(ctx, s.User); err == nil {
		alt = reg.Email
	}
	e.tell(ctx, acct, notify.KindPasswordChanged, c, "", alt, "")
	return nil
}

// tell sends acct's owner a notice of a change, at the primary address and
// at alt, in lang: "" for the language of the request (their own), the
// registration's for a notice of what someone else did (the service
// desk).
func (e *Engine) tell(ctx context.Context, acct *sspr.Account, kind notify.Kind, c sspr.Client, lang, alt string, what string, args ...any) {
	var ms []sspr.Message
	for _, addr := range recipients(acct, alt) {
		m := notify.Change(addr, kind, e.now(), c.Addr, e.cfg.Org, what, args...)
		m.Account, m.Lang = acct.ID, lang
		ms = append(ms, m)
	}
	if err := sspr.SendAll(ctx, e.d.Sender, ms); err != nil {
		e.d.Log.ErrorContext(ctx, "queue notification", "user", acct.ID, "err", err)
	}
}

// recipients are where an account's notices go, each once: its primary
// address and the alternate ones given.
func recipients(acct *sspr.Account, alts ...string) []string {
	var to []string
	add := func(a string) {
		if a != "" && !slices.ContainsFunc(to, func(x string) bool { return strings.EqualFold(x, a) }) {
			to = append(to, a)
		}
	}
	if acct != nil {
		add(acct.Mail)
	}
	for _, a := range alts {
		add(a)
	}
	return to
}

// codeMessage is the message that carries a code.
func codeMessage(ch sspr.Channel, to, plain string, cfg Config) sspr.Message {
	return notify.CodeMessage(ch, to, plain, cfg.CodeLifetime, cfg.Org)
}
