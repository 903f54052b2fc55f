package flow

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/secret"
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

// Current returns the flow.
func (e *Engine) Current(ctx context.Context, id string) (api.Flow, error) {
	r, err := e.load(ctx, id)
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

// SendCode sends a one-time code by email or text. For a text, the user
// must first type the full registered number (docs/SECURITY.md#sms). A
// decoy flow does everything a real one does, with its throttles, but sends
// nothing.
func (e *Engine) SendCode(ctx context.Context, id string, k api.Kind, phone string, c sspr.Client) (api.Flow, error) {
	if k != api.KindEmail && k != api.KindSMS {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method doesn't use codes."}
	}
	r, err := e.load(ctx, id)
	if err != nil {
		return api.Flow{}, err
	}
	if _, err := usable(r, k); err != nil {
		return api.Flow{}, err
	}
	// One send at a time per account, and the block read under it: a
	// typed number that doesn't match is a failure, and parallel wrong
	// numbers must not all be judged before the first is counted.
	release, err := e.th.Lock(ctx, "lock:"+r.User)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	if err := e.checkBlocks(ctx, r.User, c); err != nil {
		return api.Flow{}, err
	}
	region := ""
	if k == api.KindSMS {
		if err := e.matchPhone(ctx, r, phone, c); err != nil {
			return api.Flow{}, err
		}
		// A number registered before the portal refused premium-rate and
		// foreign numbers, or read from the directory, is checked again:
		// nothing is texted to a number that can't receive a text or that
		// the portal doesn't text (SMS pumping). Only its owner gets here:
		// they have typed it in full.
		var err error
		if _, region, err = canon.Mobile(r.Phone, e.cfg.PhoneRegion, e.cfg.PhoneCountries); err != nil {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeMethodUnavailable,
				Message: "We can't send texts to that number. Choose another method."}
		}
	}
	if err := e.th.Send(ctx, string(k)+":"+r.User, e.cooldown(k), e.cfg.MaxSendsPerHour); err != nil {
		return api.Flow{}, err
	}
	if k == api.KindSMS {
		if err := e.th.Texts(ctx, region, e.cfg.SMSPerCountry); err != nil {
			return api.Flow{}, err
		}
	}
	sent, err := secret.NewCode(e.d.Rand, e.cfg.CodeDigits)
	if err != nil {
		return api.Flow{}, err
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
		r.Codes[k] = &code{MAC: e.codeMAC(r, k, sent), Expires: now.Add(e.cfg.CodeLifetime)}
		r.LastSent[k] = now
		if k == api.KindSMS {
			r.PhoneMatched = true
		}
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	if !r.Decoy {
		ch, to := notify.Email, r.Email
		if k == api.KindSMS {
			ch, to = notify.SMS, r.Phone
		}
		// Delivery is queued: its time and its failures are no signal
		// (docs/SECURITY.md#same-answer); a failure is for operators, and
		// the user can resend or use another method.
		if err := e.d.Sender.Send(ctx, notify.CodeMessage(ch, to, sent, e.cfg.CodeLifetime, e.cfg.Org)); err != nil {
			e.d.Log.Error("queue code", "channel", ch, "user", r.User, "err", err)
		}
	}
	return r.view(e.cooldown), nil
}

func (e *Engine) matchPhone(ctx context.Context, r *record, typed string, c sspr.Client) error {
	n, err := canon.Phone(typed, e.cfg.PhoneRegion)
	if err != nil {
		return &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter your full mobile number, for example +44 7700 900123."}
	}
	if r.Decoy || subtle.ConstantTimeCompare([]byte(n), []byte(r.Phone)) != 1 {
		if err := e.fail(ctx, r, c, true); err != nil {
			return err
		}
		return &sspr.Error{Code: sspr.CodePhoneMismatch, Message: "That number doesn't match the one you registered. Enter the full number."}
	}
	return nil
}

// codeMAC is the keyed hash of a code, bound to the flow, the user and the
// channel, so a code is good for nothing else (docs/SECURITY.md#codes and
// #cross-user-code).
func (e *Engine) codeMAC(r *record, k api.Kind, typed string) []byte {
	return secret.MAC(e.d.CodeKey, "code", r.ID, r.User, string(k), typed)
}

// VerifyCode checks a code. Of parallel submissions of one code exactly one
// succeeds: the check and the consumption are one atomic update
// (docs/SECURITY.md#constant-time).
func (e *Engine) VerifyCode(ctx context.Context, id string, k api.Kind, typed string, c sspr.Client) (api.Flow, error) {
	if k != api.KindEmail && k != api.KindSMS {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method doesn't use codes."}
	}
	typed = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, typed)
	if len(typed) != e.cfg.CodeDigits || strings.IndexFunc(typed, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: fmt.Sprintf("Enter the %d-digit code we sent you.", e.cfg.CodeDigits)}
	}
	r, err := e.load(ctx, id)
	if err != nil {
		return api.Flow{}, err
	}
	if _, err := usable(r, k); err != nil {
		return api.Flow{}, err
	}
	release, err := e.th.Lock(ctx, "lock:"+r.User)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	if err := e.checkBlocks(ctx, r.User, c); err != nil {
		return api.Flow{}, err
	}
	type outcome int
	const (
		ok outcome = iota
		wrong
		usedUp
		expired
	)
	var res outcome
	triesLeft := 0
	r, err = e.update(ctx, id, func(r *record) error {
		m, err := usable(r, k)
		if err != nil {
			return err
		}
		cd := r.Codes[k]
		if cd == nil {
			return &sspr.Error{Code: sspr.CodeCodeExpired, Message: "There's no code waiting. Send a new code."}
		}
		switch {
		case !e.now().Before(cd.Expires):
			res = expired
			delete(r.Codes, k)
		case !r.Decoy && hmac.Equal(cd.MAC, e.codeMAC(r, k, typed)):
			res = ok
			delete(r.Codes, k) // one use
			m.Verified = true
			e.reached(r)
		default:
			cd.Tries++
			res, triesLeft = wrong, e.cfg.CodeMaxTries-cd.Tries
			if triesLeft <= 0 {
				res = usedUp
				delete(r.Codes, k)
			}
		}
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	switch res {
	case expired:
		return api.Flow{}, &sspr.Error{Code: sspr.CodeCodeExpired, Message: "That code has expired. Send a new code."}
	case wrong, usedUp:
		if err := e.fail(ctx, r, c, false); err != nil {
			return api.Flow{}, err
		}
		if res == usedUp {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeCodeExpired, Message: "That code was entered wrongly too many times. Send a new code."}
		}
		msg := "That code didn't match. Check it and try again."
		if triesLeft == 1 {
			msg = "That code didn't match. You have one more try."
		}
		return api.Flow{}, &sspr.Error{Code: sspr.CodeCodeInvalid, Message: msg, TriesLeft: &triesLeft}
	}
	return e.advance(ctx, r, c)
}

// reached moves a flow whose required methods have all passed to the next
// state: new_password for a reset; for an unlock, finishing while the
// directory is asked (advance does that).
func (e *Engine) reached(r *record) {
	if r.verifiedCount() < r.Required {
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
			err = e.d.Directory.Unlock(ctx, r.User)
		}
		if err != nil {
			e.revert(ctx, r.ID, api.StateVerify)
			return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("unlock: %w", err))
		}
		return e.finish(ctx, r, c)
	}
	return r.view(e.cooldown), nil
}

// revert puts a flow back after the directory failed, keeping the methods
// passed, so the user can try again (docs/SECURITY.md#directory-policy and
// #directory-down).
func (e *Engine) revert(ctx context.Context, id string, to api.State) {
	_, err := e.update(ctx, id, func(r *record) error {
		if r.State != stateFinishing {
			return nil
		}
		r.State = to
		return nil
	})
	if err != nil {
		e.d.Log.Error("revert flow", "err", err)
	}
}

// Questions returns the questions drawn for this flow.
func (e *Engine) Questions(ctx context.Context, id string) ([]api.Question, error) {
	r, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := usable(r, api.KindQuestions); err != nil {
		return nil, err
	}
	qs := make([]api.Question, 0, len(r.Questions))
	for _, qid := range r.Questions {
		text, _ := e.d.Catalog.Text(qid)
		qs = append(qs, api.Question{ID: qid, Text: text})
	}
	return qs, nil
}

// VerifyAnswers checks the answers to this flow's questions. Every answer
// is hashed whatever the others gave, and a decoy's against a dummy hash,
// so the time taken says nothing.
func (e *Engine) VerifyAnswers(ctx context.Context, id string, answers map[string]string, c sspr.Client) (api.Flow, error) {
	r, err := e.load(ctx, id)
	if err != nil {
		return api.Flow{}, err
	}
	if _, err := usable(r, api.KindQuestions); err != nil {
		return api.Flow{}, err
	}
	if len(answers) != len(r.Questions) {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: fmt.Sprintf("Answer all %d questions.", len(r.Questions))}
	}
	for _, qid := range r.Questions {
		a, ok := answers[qid]
		if !ok || strings.TrimSpace(a) == "" {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: fmt.Sprintf("Answer all %d questions.", len(r.Questions))}
		}
		if len(a) > 1024 {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "That answer is too long."}
		}
	}
	release, err := e.th.Lock(ctx, "lock:"+r.User)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	if err := e.checkBlocks(ctx, r.User, c); err != nil {
		return api.Flow{}, err
	}
	hashes := map[string]string{}
	if !r.Decoy {
		reg, err := e.d.Registrations.Registration(ctx, r.User)
		if err != nil {
			return api.Flow{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
		}
		if reg != nil {
			for _, a := range reg.Answers {
				hashes[a.QuestionID] = a.Hash
			}
		}
	}
	all := !r.Decoy
	for _, qid := range r.Questions {
		h, ok := hashes[qid]
		if !ok {
			h, all = e.d.DummyHash, false
		}
		match, err := e.d.Hasher.Verify(ctx, h, canon.Answer(answers[qid]))
		if err != nil {
			return api.Flow{}, fmt.Errorf("check answer: %w", err)
		}
		all = all && match
	}
	if !all {
		if err := e.fail(ctx, r, c, false); err != nil {
			return api.Flow{}, err
		}
		return api.Flow{}, &sspr.Error{Code: sspr.CodeAnswersInvalid, Message: "One or more answers didn't match. Check them and try again."}
	}
	r, err = e.update(ctx, id, func(r *record) error {
		m, err := usable(r, api.KindQuestions)
		if err != nil {
			return err
		}
		m.Verified = true
		e.reached(r)
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	e.redraw(ctx, r.User)
	return e.advance(ctx, r, c)
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
	if err := e.d.Directory.SetPassword(ctx, acct.ID, password); err != nil {
		e.revert(ctx, id, api.StateNewPassword)
		var ae *sspr.Error
		if errors.As(err, &ae) && ae.Code == sspr.CodePasswordPolicy {
			return api.Flow{}, ae
		}
		return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("set password: %w", err))
	}
	if acct.Locked {
		// A reset also unlocks, as the hosted services do: the user proved
		// who they are and chose a new password.
		if err := e.d.Directory.Unlock(ctx, acct.ID); err != nil {
			e.d.Log.Error("unlock after reset", "user", acct.ID, "err", err)
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
		e.d.Log.Error("save finished flow", "err", err)
	}
	// Whoever else holds a session or a flow of this account, on any
	// server, is out: a phished password's session must not outlive the
	// reset that was meant to lock it out.
	if n, err := e.d.Sessions.End(ctx, r.User, flowKey(r.ID)); err != nil {
		e.d.Log.Error("end other sessions", "user", r.User, "err", err)
	} else if n > 0 {
		e.audit(ctx, sspr.EventSessionsEnded, r.User, c, fmt.Sprintf("count=%d", n))
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
	e.audit(ctx, kind, r.User, c, "methods="+strings.Join(passed, ","))
	ev := notify.Event{What: what, At: e.now(), ClientAddr: c.Addr}
	acct, err := e.d.Directory.Lookup(ctx, r.User)
	if err != nil {
		e.d.Log.Error("look up account to notify", "user", r.User, "err", err)
	}
	for _, addr := range e.recipients(acct, r.Email) {
		if err := e.d.Sender.Send(ctx, notify.Notification(addr, ev, e.cfg.Org)); err != nil {
			e.d.Log.Error("queue notification", "user", r.User, "err", err)
		}
	}
	return t.view(e.cooldown), nil
}

func (e *Engine) audit(ctx context.Context, kind, user string, c sspr.Client, detail string) {
	ev := sspr.Event{At: e.now(), Kind: kind, UserID: user, ClientAddr: c.Addr, UserAgent: c.UserAgent, Detail: detail}
	e.d.Log.Info("audit", "event", kind, "user", user, "client", c.Addr, "detail", detail)
	if err := e.d.Auditor.Record(context.WithoutCancel(ctx), ev); err != nil {
		e.d.Log.Error("record audit event", "event", kind, "user", user, "err", err)
	}
}
