package selfservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/sspr"
)

func (e *Engine) save(ctx context.Context, r *record) error {
	ttl := r.Expires.Sub(e.now())
	if ttl <= 0 {
		return errFlowMissing
	}
	b, err := r.encode()
	if err != nil {
		return fmt.Errorf("encode flow: %w", err)
	}
	if err := e.d.State.Set(ctx, flowKey(r.ID), b, ttl); err != nil {
		return fmt.Errorf("save flow: %w", err)
	}
	return nil
}

// load reads a flow; a missing, expired or unreadable one is flow_missing.
func (e *Engine) load(ctx context.Context, id string) (*record, error) {
	if id == "" {
		return nil, errFlowMissing
	}
	b, err := e.d.State.Get(ctx, flowKey(id))
	if err != nil {
		return nil, fmt.Errorf("load flow: %w", err)
	}
	if b == nil {
		return nil, errFlowMissing
	}
	r, err := decodeRecord(b)
	if err != nil || !e.now().Before(r.Expires) {
		return nil, errFlowMissing
	}
	if r.State != api.StateDone {
		// A reset, an unlock or a password change since this flow began
		// ended it, even if deleting it failed (package revoke). What is
		// done is only a tombstone, kept to answer "already done".
		ended, err := e.d.Sessions.Ended(ctx, r.User)
		if err != nil {
			return nil, err
		}
		if !ended.IsZero() && r.Created.Before(ended) {
			return nil, errFlowMissing
		}
	}
	return r, nil
}

// update applies fn to the stored flow atomically. If fn returns an error
// nothing is stored; to store a change and still report a failure, fn
// records the outcome in its closure and returns nil.
func (e *Engine) update(ctx context.Context, id string, fn func(r *record) error) (*record, error) {
	var out *record
	err := e.d.State.Update(ctx, flowKey(id), func(cur []byte) ([]byte, time.Duration, error) {
		if cur == nil {
			return nil, 0, errFlowMissing
		}
		r, err := decodeRecord(cur)
		if err != nil || !e.now().Before(r.Expires) {
			return nil, 0, errFlowMissing
		}
		if err := fn(r); err != nil {
			return nil, 0, err
		}
		b, err := r.encode()
		if err != nil {
			return nil, 0, err
		}
		out = r
		return b, r.Expires.Sub(e.now()), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expect refuses a call that the flow's state does not allow.
func expect(r *record, states ...api.State) error {
	for _, s := range states {
		if r.State == s {
			return nil
		}
	}
	switch r.State {
	case api.StateDone:
		return errAlreadyDone
	case stateFinishing:
		return wrongState("Your new password is being set. Wait a moment.")
	}
	return wrongState(fmt.Sprintf("That step isn't available now: this flow is at the %q step.", r.State))
}

// usable returns the flow's method of kind k if it can still be used.
func usable(r *record, k api.Kind) (*method, error) {
	if err := expect(r, api.StateVerify); err != nil {
		return nil, err
	}
	m := r.method(k)
	if m == nil {
		return nil, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method isn't available for this account."}
	}
	if m.Verified {
		return nil, wrongState("You've already passed this verification method. Choose another.")
	}
	return m, nil
}

// Flow returns the flow.
func (e *Engine) Flow(ctx context.Context, id string) (api.Flow, error) {
	r, err := e.load(ctx, id)
	if err != nil {
		return api.Flow{}, err
	}
	return r.view(e.cooldown), nil
}

// Extend gives the flow Lifetime more from now, never past its absolute
// end: the page's "Continue" when it warns that the flow is about to
// expire (WCAG 2.2.1, Timing Adjustable). It only ever lengthens the flow;
// a flow that is done is left as it is. A decoy is extended alike.
func (e *Engine) Extend(ctx context.Context, id string) (api.Flow, error) {
	if _, err := e.load(ctx, id); err != nil { // ended by a reset elsewhere
		return api.Flow{}, err
	}
	r, err := e.update(ctx, id, func(r *record) error {
		if r.State == api.StateDone {
			return nil
		}
		to := e.now().Add(e.cfg.Lifetime)
		if end := r.end(); to.After(end) {
			to = end
		}
		if to.After(r.Expires) {
			r.Expires = to
		}
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	return r.view(e.cooldown), nil
}

// ChooseIntent records what the user came to do. It may be changed until
// verification is complete (the Back button). Chosen again once every
// required method has passed, which happens only when the directory failed
// to unlock, it tries again.
func (e *Engine) ChooseIntent(ctx context.Context, id string, in api.Intent, c sspr.Client) (api.Flow, error) {
	if in != api.IntentReset && in != api.IntentUnlock {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: `Choose "reset" or "unlock".`}
	}
	if _, err := e.load(ctx, id); err != nil {
		return api.Flow{}, err
	}
	r, err := e.update(ctx, id, func(r *record) error {
		if err := expect(r, api.StateChooseIntent, api.StateVerify); err != nil {
			return err
		}
		r.Intent, r.State = in, api.StateVerify
		e.reached(r)
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventIntentChosen, UserID: r.User, Flow: r.Ref, Detail: "intent=" + string(in)}, c)
	return e.advance(ctx, r, c)
}

// Cancel ends the flow.
func (e *Engine) Cancel(ctx context.Context, id string) error {
	if _, err := e.load(ctx, id); err != nil {
		return err
	}
	if err := e.d.State.Delete(ctx, flowKey(id)); err != nil {
		return fmt.Errorf("delete flow: %w", err)
	}
	return nil
}

// codeMethod returns the flow's method of kind k if it passes by a code.
func (e *Engine) codeMethod(k api.Kind) (codeMethod, error) {
	m, ok := e.method(k)
	cm, isCode := m.(codeMethod)
	if !ok || !isCode {
		return nil, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method doesn't use codes."}
	}
	return cm, nil
}

// cooldown is the least time between two codes of method k.
func (e *Engine) cooldown(k api.Kind) time.Duration {
	if m, err := e.codeMethod(k); err == nil {
		return m.cooldown(&e.cfg)
	}
	return 0
}

// flowCode binds a flow's code to the flow, the user and the method, so a
// code is good for nothing else (docs/SECURITY.md#codes, #cross-user-code).
func flowCode(r *record, k api.Kind) []string {
	return []string{"code", r.ID, r.User, string(k)}
}

// attempt starts an attempt at method k of flow id: the flow must offer
// k, not yet passed, and the account must not be blocked. It holds the
// account's lock until release is called: one check of an account at a
// time, with the block read under it, so parallel wrong answers (or
// numbers) are not all judged before the first is counted
// (docs/SECURITY.md#one-check-at-a-time).
func (e *Engine) attempt(ctx context.Context, id string, k api.Kind, c sspr.Client) (r *record, release func(), err error) {
	if r, err = e.load(ctx, id); err != nil {
		return nil, nil, err
	}
	if _, err := usable(r, k); err != nil {
		return nil, nil, err
	}
	if release, err = e.th.Lock(ctx, flowLock(r.User)); err != nil {
		return nil, nil, err
	}
	if err := e.checkBlocks(ctx, r.User, c); err != nil {
		release()
		return nil, nil, err
	}
	return r, release, nil
}

// SendCode sends a one-time code by a method that uses codes; typed is what
// the method needs typed first (a text: the full number). A decoy flow
// does everything a real one does, with its throttles, but sends nothing.
func (e *Engine) SendCode(ctx context.Context, id string, k api.Kind, typed string, c sspr.Client) (api.Flow, error) {
	m, err := e.codeMethod(k)
	if err != nil {
		return api.Flow{}, err
	}
	// A typed number that doesn't match is a failure: one send at a time.
	r, release, err := e.attempt(ctx, id, k, c)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	to, country, err := m.prepare(ctx, e, r, typed, c)
	if err != nil {
		return api.Flow{}, err
	}
	plain, cd, err := e.issue(ctx, sendKey(k, r.User), m.cooldown(&e.cfg), flowCode(r, k)...)
	if err != nil {
		return api.Flow{}, err
	}
	if country != "" {
		if err := e.th.Texts(ctx, country, e.cfg.SMSPerCountry); err != nil {
			return api.Flow{}, err
		}
	}
	now := e.now()
	r, err = e.update(ctx, id, func(r *record) error {
		if _, err := usable(r, k); err != nil {
			return err
		}
		if r.Codes == nil {
			r.Codes = map[api.Kind]*code{}
			r.LastSent = map[api.Kind]time.Time{}
		}
		// A new code replaces the old one (docs/SECURITY.md#codes).
		r.Codes[k] = cd
		r.LastSent[k] = now
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	if err := e.sendCode(ctx, m, to, plain, r.User, r.Ref, r.Decoy, cd, codeRef(refFlow, k, id)); err != nil {
		// Not stored, so never sent: the code goes, and with it the
		// cool-down, so that trying again works (best effort: the
		// store being down is the likely cause, not the State).
		_, _ = e.update(ctx, id, func(r *record) error {
			if r.Codes[k] == cd {
				delete(r.Codes, k)
				delete(r.LastSent, k)
			}
			return nil
		})
		return api.Flow{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventCodeSent, UserID: r.User, Flow: r.Ref, Detail: "channel=" + string(m.channel())}, c)
	return r.view(e.cooldown), nil
}

// VerifyCode checks a code. Of parallel submissions of one code exactly one
// succeeds: the check and the consumption are one atomic update
// (docs/SECURITY.md#constant-time).
func (e *Engine) VerifyCode(ctx context.Context, id string, k api.Kind, raw string, c sspr.Client) (api.Flow, error) {
	if _, err := e.codeMethod(k); err != nil {
		return api.Flow{}, err
	}
	typed, err := e.typedCode(raw)
	if err != nil {
		return api.Flow{}, err
	}
	_, release, err := e.attempt(ctx, id, k, c)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	var res outcome
	left := 0
	r, err := e.update(ctx, id, func(r *record) error {
		m, err := usable(r, k)
		if err != nil {
			return err
		}
		cd := r.Codes[k]
		if cd == nil {
			return errNoCode
		}
		if cd.Undelivered {
			return errUndelivered
		}
		if res, left = e.check(cd, typed, r.Decoy, flowCode(r, k)...); res != codeWrong {
			delete(r.Codes, k) // used up: right, expired, or no tries left
		}
		if res == codeRight {
			m.Verified = true
			e.reached(r)
		}
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	if res != codeRight {
		e.note(ctx, sspr.Event{Kind: sspr.EventCodeWrong, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused,
			Detail: fmt.Sprintf("method=%s result=%s tries_left=%d", k, res, left)}, c)
	} else {
		e.note(ctx, sspr.Event{Kind: sspr.EventMethodPassed, UserID: r.User, Flow: r.Ref, Detail: "method=" + string(k)}, c)
	}
	if res == codeWrong || res == codeUsedUp {
		if err := e.fail(ctx, failVerify, r.User, r.addr(api.KindEmail), c); err != nil {
			return api.Flow{}, err
		}
	}
	if res != codeRight {
		return api.Flow{}, codeError(res, left)
	}
	return e.advance(ctx, r, c)
}

// passed marks method k of flow id passed, in one atomic change of the
// flow (the method must still be usable: not passed meanwhile by a
// parallel request), moves the flow on when that was enough (reached),
// and audits it. The caller then advances the flow.
func (e *Engine) passed(ctx context.Context, id string, k api.Kind, c sspr.Client) (*record, error) {
	r, err := e.update(ctx, id, func(r *record) error {
		m, err := usable(r, k)
		if err != nil {
			return err
		}
		m.Verified = true
		e.reached(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventMethodPassed, UserID: r.User, Flow: r.Ref, Detail: "method=" + string(k)}, c)
	return r, nil
}

// reached moves a flow whose required methods have all passed to the next
// state: new_password for a reset; for an unlock, finishing while the
// directory is asked (advance does that).
func (e *Engine) reached(r *record) {
	if !r.Pass && (r.verifiedCount() < r.Required || r.strongVerified() < r.Strong) {
		return
	}
	if r.Intent == api.IntentUnlock {
		r.State = stateFinishing
	} else {
		r.State = api.StateNewPassword
	}
}

// advance completes what reached started, outside the atomic update: a new
// flow id once identity is proven (no fixation: docs/SECURITY.md#cookies),
// or the unlock.
func (e *Engine) advance(ctx context.Context, r *record, c sspr.Client) (api.Flow, error) {
	switch r.State {
	case api.StateNewPassword:
		old := r.ID
		id, err := e.randomID()
		if err != nil {
			return api.Flow{}, err
		}
		r.ID = id
		if err := e.save(ctx, r); err != nil {
			return api.Flow{}, err
		}
		if err := e.index(ctx, r, flowKey(old)); err != nil {
			return api.Flow{}, err
		}
		if err := e.d.State.Delete(ctx, flowKey(old)); err != nil {
			return api.Flow{}, fmt.Errorf("delete old flow: %w", err)
		}
	case stateFinishing:
		// An account that isn't locked isn't unlocked: the user is told
		// what is true, and what else can stop a sign-in
		// (docs/SECURITY.md#unlock-not-locked: until now the answers were
		// the same as for a locked one).
		acct, err := e.d.Directory.Lookup(ctx, r.User)
		if err == nil && acct != nil && !acct.Locked {
			r.Outcome = api.OutcomeNotLocked
		} else if err == nil {
			// An unlock that can't be audited doesn't happen.
			if err := e.mustRecord(ctx, sspr.Event{Kind: sspr.EventAccountUnlocked, UserID: r.User, Flow: r.Ref}, c); err != nil {
				e.revert(ctx, r.ID, r.Ref, api.StateVerify)
				return api.Flow{}, err
			}
			if err = e.d.Directory.Unlock(ctx, r.User); err != nil {
				e.note(ctx, sspr.Event{Kind: sspr.EventAccountUnlocked, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeFailed, Detail: "directory"}, c)
			}
		}
		if err != nil {
			e.revert(ctx, r.ID, r.Ref, api.StateVerify)
			return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("unlock: %w", err))
		}
		return e.finish(ctx, r, c)
	}
	return r.view(e.cooldown), nil
}

// revert puts a flow back after the directory failed, keeping the methods
// passed, so the user can try again (docs/SECURITY.md#directory-policy and
// #directory-down).
func (e *Engine) revert(ctx context.Context, id, ref string, to api.State) {
	_, err := e.update(ctx, id, func(r *record) error {
		if r.State != stateFinishing {
			return nil
		}
		r.State = to
		return nil
	})
	if err != nil {
		e.d.Log.ErrorContext(ctx, "revert flow", "flow", ref, "err", err)
	}
}

// SetPassword sets the new password once the flow has reached new_password.
// A refusal, by the policy or by the directory's own, leaves the flow where
// it was so the user can try another (docs/SECURITY.md#directory-refusals).
func (e *Engine) SetPassword(ctx context.Context, id, password string, c sspr.Client) (api.Flow, error) {
	r, err := e.load(ctx, id)
	if err != nil {
		return api.Flow{}, err
	}
	if err := expect(r, api.StateNewPassword); err != nil {
		return api.Flow{}, err
	}
	acct, err := e.d.Directory.Lookup(ctx, r.User)
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if acct == nil {
		return api.Flow{}, errFlowMissing
	}
	if broken := e.d.Policy.Check(password, acct); len(broken) > 0 {
		e.note(ctx, sspr.Event{Kind: sspr.EventPasswordRefused, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused, Detail: rules(broken)}, c)
		return api.Flow{}, &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "Your new password doesn't meet the password rules.", Rules: broken}
	}
	// Claim the flow so a double submit can't change the account twice.
	if r, err = e.update(ctx, id, func(r *record) error {
		if err := expect(r, api.StateNewPassword); err != nil {
			return err
		}
		r.State = stateFinishing
		return nil
	}); err != nil {
		return api.Flow{}, err
	}
	// A reset that can't be audited doesn't happen (docs/AUDIT.md).
	if err := e.mustRecord(ctx, sspr.Event{Kind: sspr.EventPasswordReset, UserID: r.User, Flow: r.Ref}, c); err != nil {
		e.revert(ctx, id, r.Ref, api.StateNewPassword)
		return api.Flow{}, err
	}
	if err := e.d.Directory.SetPassword(ctx, acct.ID, password); err != nil {
		e.revert(ctx, id, r.Ref, api.StateNewPassword)
		var ae *sspr.Error
		if errors.As(err, &ae) && ae.Code == sspr.CodePasswordPolicy {
			e.note(ctx, sspr.Event{Kind: sspr.EventPasswordRefused, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused,
				Detail: "directory " + rules(ae.Rules)}, c)
			return api.Flow{}, ae
		}
		e.note(ctx, sspr.Event{Kind: sspr.EventPasswordReset, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeFailed, Detail: "directory"}, c)
		return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("set password: %w", err))
	}
	if acct.Locked {
		// A reset also unlocks, as the hosted services do: the user proved
		// who they are and chose a new password.
		if err := e.d.Directory.Unlock(ctx, acct.ID); err != nil {
			e.d.Log.ErrorContext(ctx, "unlock after reset", "user", acct.ID, "flow", r.Ref, "err", err)
		}
	}
	return e.finish(ctx, r, c)
}

// finish ends a flow that changed the account: what is left is a tombstone
// without secrets; the user is told at both addresses and the event is
// audited (docs/SECURITY.md#after-a-change). The user is not signed in.
func (e *Engine) finish(ctx context.Context, r *record, c sspr.Client) (api.Flow, error) {
	t := r.tombstone()
	if err := e.save(ctx, t); err != nil {
		// The account has changed: losing the tombstone only loses the
		// "already done" answer.
		e.d.Log.ErrorContext(ctx, "save finished flow", "flow", r.Ref, "err", err)
	}
	// Whoever else holds a session or a flow of this account, on any
	// server, is out: a phished password's session must not outlive the
	// reset that was meant to lock it out.
	if n, err := e.d.Sessions.End(ctx, r.User, flowKey(r.ID)); err != nil {
		e.d.Log.ErrorContext(ctx, "end other sessions", "user", r.User, "flow", r.Ref, "err", err)
	} else if n > 0 {
		e.note(ctx, sspr.Event{Kind: sspr.EventSessionsEnded, UserID: r.User, Flow: r.Ref, Detail: fmt.Sprintf("count=%d", n)}, c)
	}
	e.succeeded(ctx, r.User)
	what, kind := "reset", sspr.EventPasswordReset
	switch {
	case r.Outcome == api.OutcomeNotLocked:
		what, kind = "unlock-not-locked", sspr.EventUnlockNotNeeded
	case r.Intent == api.IntentUnlock:
		what, kind = "unlock", sspr.EventAccountUnlocked
	}
	var passed []string
	for _, m := range r.Methods {
		if m.Verified {
			passed = append(passed, string(m.Kind))
		}
	}
	e.note(ctx, sspr.Event{Kind: kind, UserID: r.User, Flow: r.Ref, Detail: "methods=" + strings.Join(passed, ",")}, c)
	ev := notify.Event{What: what, At: e.now(), ClientAddr: c.Addr}
	acct, err := e.d.Directory.Lookup(ctx, r.User)
	if err != nil {
		e.d.Log.ErrorContext(ctx, "look up account to notify", "user", r.User, "flow", r.Ref, "err", err)
	}
	var ms []sspr.Message
	for _, addr := range recipients(acct, r.addr(api.KindEmail)) {
		m := notify.Notification(addr, ev, e.cfg.Org)
		m.Account, m.Flow = r.User, r.Ref
		ms = append(ms, m)
	}
	if err := sspr.SendAll(ctx, e.d.Sender, ms); err != nil {
		e.d.Log.ErrorContext(ctx, "queue notification", "user", r.User, "flow", r.Ref, "err", err)
	}
	return t.view(e.cooldown), nil
}

// Start begins a flow for the user id as typed. The CAPTCHA is checked by
// the caller first. Unknown and unregistered users get a decoy flow that
// looks the same (docs/SECURITY.md#same-answer), unless RevealUnregistered
// is set.
func (e *Engine) Start(ctx context.Context, rawUser string, c sspr.Client) (api.Flow, error) {
	user, err := canon.UserID(rawUser, e.cfg.DefaultDomain)
	if err != nil {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	if err := e.checkBlocks(ctx, user, c); err != nil {
		return api.Flow{}, err
	}
	if err := e.th.Count(ctx, startsAddr(c), e.cfg.AddressStarts); err != nil {
		return api.Flow{}, err
	}
	if err := e.th.Count(ctx, startsUser(user), e.cfg.AccountStarts); err != nil {
		return api.Flow{}, err
	}
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	// Every user, known or not, costs the same reads and the same work, and
	// what isn't needed is thrown away: otherwise a backend that is down
	// would answer 503 for real accounts only, and the time taken would
	// tell them apart too (docs/SECURITY.md#same-answer). So the
	// registration is read, the question draw's count is read and a decoy
	// is drawn for everyone.
	regID := user
	if acct != nil {
		regID = acct.ID
	}
	reg, err := e.d.Registrations.Registration(ctx, regID)
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if acct == nil || acct.Disabled {
		reg = nil
	}
	pol, err := e.policyFor(ctx, regID)
	if err != nil {
		return api.Flow{}, err
	}
	gen, err := e.drawGeneration(ctx, user)
	if err != nil {
		return api.Flow{}, err
	}
	decoy := e.decoyProfile(user)
	id, err := e.randomID()
	if err != nil {
		return api.Flow{}, err
	}
	ref, err := e.newRef()
	if err != nil {
		return api.Flow{}, err
	}
	now := e.now()
	r := &record{ID: id, Ref: ref, User: user, State: api.StateChooseIntent, Required: pol.Required, Strong: pol.Strong,
		Created: now, Expires: now.Add(e.cfg.Lifetime), Ends: now.Add(e.cfg.MaxLifetime)}
	if reg != nil {
		for _, m := range pol.offered {
			if m.Registered(e, reg) {
				m.Offer(e, r, reg, gen)
			}
		}
	}
	if len(r.Methods) == 0 {
		// Decoys show the default policy: an unknown id is in no group.
		pol = &e.defaultPolicy
		r.Required, r.Strong = pol.Required, pol.Strong
		if e.cfg.RevealUnregistered {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeNotRegistered,
				Message: "You haven't registered for self-service password reset, so you can't reset or unlock your password here. Contact the service desk."}
		}
		// A decoy: nothing is ever sent and no method can pass, but it
		// shows what a real account shows (decoy.go).
		r.Decoy = true
		for _, m := range e.methods {
			if slices.Contains(decoy.methods, m.Kind()) {
				m.Decoy(e, r, decoy, gen)
			}
		}
	}
	for i := range r.Methods {
		r.Methods[i].Strong = pol.strong(r.Methods[i].Kind)
	}
	if err := e.save(ctx, r); err != nil {
		return api.Flow{}, err
	}
	if err := e.index(ctx, r); err != nil {
		return api.Flow{}, err
	}
	// Decoys too: the same work, and the audit says who tried what.
	e.note(ctx, sspr.Event{Kind: sspr.EventFlowStarted, UserID: user, Flow: ref,
		Detail: fmt.Sprintf("self_service=%t", !r.Decoy)}, c)
	return r.view(e.cooldown), nil
}

// index records the flow among its account's sessions and flows, so that
// a reset or an unlock elsewhere ends it. Decoys are indexed too, under the
// id as typed: the same work for every user. It is indexed until its
// absolute end, so that however often it is extended the index outlives it.
func (e *Engine) index(ctx context.Context, r *record, replaces ...string) error {
	err := e.d.Sessions.Add(ctx, r.User, flowKey(r.ID), r.Created, r.end(), replaces...)
	if errors.Is(err, revoke.ErrEnded) {
		_ = e.d.State.Delete(ctx, flowKey(r.ID))
		return errFlowMissing
	}
	return err
}
