package selfservice

import (
	"context"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Failures, blocks and the other counts. Throttles count by the canonical
// user id as typed (keys.go), and by client address (its network, for
// IPv6). Names and limits are in one table, failures, so that a reset and
// a sign-in count alike.

const (
	blockedMsg       = "Self-service is paused for this account after too many failed attempts."
	signInBlockedMsg = "Signing in is paused for this account after too many failed attempts."
)

// failure is a kind of failed proof of identity.
type failure int

const (
	// failVerify is a wrong code or wrong answers in a flow.
	failVerify failure = iota
	// failIdentity is a typed mobile number that isn't the registered one:
	// its own, longer window.
	failIdentity
	// failPassword is a wrong password: signing in, again before a change,
	// or the current one at a change.
	failPassword
	// failRegisterCode is a wrong code confirming a new address.
	failRegisterCode
)

// what each failure counts against and blocks: a flow's failures pause
// self-service; a signed-in user's, signing in.
func (e *Engine) failing(f failure) (counter string, l Limit, signIn bool) {
	switch f {
	case failIdentity:
		return "ident:user:", e.cfg.AccountIdentityFailures, false
	case failPassword:
		return "signin-fail:user:", e.cfg.SignInFailures, true
	case failRegisterCode:
		return "regcode-fail:user:", e.cfg.AccountFailures, true
	}
	return "fail:user:", e.cfg.AccountFailures, false
}

// checkBlocks refuses a flow's step for a blocked or closed account, or a
// blocked address.
func (e *Engine) checkBlocks(ctx context.Context, user string, c sspr.Client) error {
	if err := e.th.Closed(ctx, user); err != nil {
		return err
	}
	return e.th.Blocked(ctx, blockedMsg, blockFlow(user), blockAddr(c))
}

// fail records a failure against the account and the address: across
// flows and sessions, so neither a new code nor a new flow resets it
// (docs/SECURITY.md#per-account-failures); and in the account's run of
// failures, which only a success ends (docs/SECURITY.md#consecutive-failures).
// It returns a throttled error when this failure reached a limit and
// started a block; the account's owner is then told at their addresses
// (alt: the registered alternate one, if known), with until when.
func (e *Engine) fail(ctx context.Context, f failure, user, alt string, c sspr.Client) error {
	counter, l, signIn := e.failing(f)
	closed, err := e.th.Streak(ctx, user, e.cfg.ConsecutiveFailures)
	if err != nil {
		return err
	}
	if closed {
		e.d.Log.WarnContext(ctx, "self-service closed", "user", user, "client", c.Addr)
		e.blockedNotice(ctx, user, alt, c, notify.Block{Closed: true})
		return throttle.ClosedError(throttle.ClosedFor)
	}
	var blocked error
	n, _, err := e.th.Incr(ctx, counter+user, l)
	if err != nil {
		return err
	}
	if l.Max > 0 && n >= int64(l.Max) {
		key, msg := blockFlow(user), blockedMsg
		if signIn {
			key, msg = blockSignIn(user), signInBlockedMsg
		}
		until := e.now().Add(e.cfg.AccountBlock)
		if err := e.th.Block(ctx, key, until); err != nil {
			return err
		}
		e.d.Log.WarnContext(ctx, "blocked", "user", user, "client", c.Addr, "sign_in", signIn, "until", until)
		blocked = throttle.Throttled(e.cfg.AccountBlock, msg)
		e.blockedNotice(ctx, user, alt, c, notify.Block{SignIn: signIn})
	}
	al := e.cfg.AddressFailures
	n, left, err := e.th.Incr(ctx, failAddr(c), al)
	if err != nil {
		return err
	}
	if al.Max > 0 && n >= int64(al.Max) {
		if err := e.th.Block(ctx, blockAddr(c), e.now().Add(left)); err != nil {
			return err
		}
		if blocked == nil {
			blocked = throttle.Throttled(left, "There have been too many failed attempts from your network.")
		}
	}
	return blocked
}

// blockedNotice audits a block (b.Closed: the closure) and tells the
// account's owner at their primary and alternate addresses: anyone can
// pause someone's self-service by failing on purpose, so the owner must
// hear of it, and learn until when and whom to call
// (docs/SECURITY.md#blocks-are-told). The account is looked up for an
// unknown id too, and nothing is sent: the same work for every user id.
func (e *Engine) blockedNotice(ctx context.Context, user, alt string, c sspr.Client, b notify.Block) {
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil || acct == nil {
		return
	}
	b.At, b.Until, b.ClientAddr = e.now(), e.now().Add(e.cfg.AccountBlock), c.Addr
	kind, detail := sspr.EventBlocked, "failed verifications reached the limit"
	switch {
	case b.Closed:
		b.Until = e.now().Add(throttle.ClosedFor)
		kind, detail = sspr.EventSelfServiceClosed, "failures in a row reached the cap"
	case b.SignIn:
		detail = "failed sign-ins reached the limit"
	}
	e.audit(ctx, kind, user, c, detail)
	if alt == "" {
		if reg, err := e.d.Store.Registration(ctx, user); err == nil && reg != nil {
			alt = reg.Email // the primary address is told anyway
		}
	}
	var ms []sspr.Message
	for _, to := range recipients(acct, alt) {
		m := notify.Blocked(to, b, e.cfg.Org)
		m.Account = acct.ID
		ms = append(ms, m)
	}
	if err := sspr.SendAll(ctx, e.d.Sender, ms); err != nil {
		e.d.Log.ErrorContext(ctx, "queue notification", "user", user, "err", err)
	}
}

// succeeded ends the account's run of failures: a whole reset or unlock,
// or the right password.
func (e *Engine) succeeded(ctx context.Context, user string) {
	if err := e.th.EndStreak(ctx, user); err != nil {
		e.d.Log.ErrorContext(ctx, "end failure streak", "user", user, "err", err)
	}
}

// CountCaptcha counts a CAPTCHA made for c (or its sound drawn), and
// refuses one past the limit l: a flood from one network must not fill
// the State backend (docs/SECURITY.md#captcha-flood).
func (e *Engine) CountCaptcha(ctx context.Context, c sspr.Client, l Limit) error {
	return e.th.Count(ctx, captchasAddr(c), l)
}
