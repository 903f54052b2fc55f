package flow

import (
	"context"
	"slices"
	"strings"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Throttles count by the canonical user id as typed, whether or not an
// account has it, so a throttled unknown id looks like a throttled real one
// (docs/SECURITY.md#same-answer), and by client address (its network, for
// IPv6).

// Limit is a count allowed in any window of that length (a sliding window).
type Limit = throttle.Limit

const blockedMsg = "Self-service is paused for this account after too many failed attempts."

// checkBlocks refuses a blocked or closed account, or a blocked address.
func (e *Engine) checkBlocks(ctx context.Context, user string, c sspr.Client) error {
	if err := e.th.Closed(ctx, user); err != nil {
		return err
	}
	return e.th.Blocked(ctx, blockedMsg, "block:user:"+user, "block:addr:"+c.Key())
}

// fail records a failed verification against the account and the address
// (docs/SECURITY.md#per-account-failures: across flows, so neither a new
// code nor a new flow resets it). identity is true for a typed phone number
// that didn't match, which has its own, longer window. It returns a
// throttled error when this failure reached a limit and started a block;
// the account's owner is then told, at their addresses, that self-service
// is paused and until when.
func (e *Engine) fail(ctx context.Context, r *record, c sspr.Client, identity bool) error {
	l, name := e.cfg.AccountFailures, "fail:user:"
	if identity {
		l, name = e.cfg.AccountIdentityFailures, "ident:user:"
	}
	var blocked error
	closed, err := e.th.Streak(ctx, r.User, e.cfg.ConsecutiveFailures)
	if err != nil {
		return err
	}
	if closed {
		e.d.Log.Warn("self-service closed", "user", r.User, "client", c.Addr)
		e.blockedNotice(ctx, r, c, true)
		return throttle.ClosedError(throttle.ClosedFor)
	}
	n, _, err := e.th.Incr(ctx, name+r.User, l)
	if err != nil {
		return err
	}
	if l.Max > 0 && n >= int64(l.Max) {
		until := e.now().Add(e.cfg.AccountBlock)
		if err := e.th.Block(ctx, "block:user:"+r.User, until); err != nil {
			return err
		}
		e.d.Log.Warn("self-service blocked", "user", r.User, "client", c.Addr, "until", until)
		blocked = throttle.Throttled(e.cfg.AccountBlock, blockedMsg)
		e.blockedNotice(ctx, r, c, false)
	}
	al := e.cfg.AddressFailures
	n, left, err := e.th.Incr(ctx, "fail:addr:"+c.Key(), al)
	if err != nil {
		return err
	}
	if al.Max > 0 && n >= int64(al.Max) {
		if err := e.th.Block(ctx, "block:addr:"+c.Key(), e.now().Add(left)); err != nil {
			return err
		}
		if blocked == nil {
			blocked = throttle.Throttled(left, "There have been too many failed attempts from your network.")
		}
	}
	return blocked
}

// blockedNotice audits a block (closed: the closure) and tells the
// account's owner at their primary and alternate addresses: anyone can
// pause someone's self-service by failing on purpose, so the owner must
// hear of it, and learn until when and whom to call. The account is looked
// up for a decoy too, and thrown away: the same work for every user id.
func (e *Engine) blockedNotice(ctx context.Context, r *record, c sspr.Client, closed bool) {
	acct, err := e.d.Directory.Lookup(ctx, r.User)
	if err != nil || acct == nil {
		return
	}
	until := e.now().Add(e.cfg.AccountBlock)
	kind, detail := sspr.EventBlocked, "failed verifications reached the limit"
	if closed {
		until = e.now().Add(throttle.ClosedFor)
		kind, detail = sspr.EventSelfServiceClosed, "failures in a row reached the cap"
	}
	e.audit(ctx, kind, r.User, c, detail)
	for _, to := range e.recipients(acct, r.Email) {
		m := notify.Blocked(to, notify.Block{At: e.now(), Until: until, Closed: closed, ClientAddr: c.Addr}, e.cfg.Org)
		if err := e.d.Sender.Send(ctx, m); err != nil {
			e.d.Log.Error("queue notification", "user", r.User, "err", err)
		}
	}
}

// succeeded ends the account's run of failures: a whole reset or unlock.
func (e *Engine) succeeded(ctx context.Context, user string) {
	if err := e.th.EndStreak(ctx, user); err != nil {
		e.d.Log.Error("end failure streak", "user", user, "err", err)
	}
}

// recipients are where an account's notices go: its primary address and
// its registered alternate one (alt, if any), each once.
func (e *Engine) recipients(acct *sspr.Account, alt string) []string {
	var to []string
	if acct != nil && acct.Mail != "" {
		to = append(to, acct.Mail)
	}
	if alt != "" && !slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, alt) }) {
		to = append(to, alt)
	}
	return to
}

// Count counts one event against a limit, for the callers' own throttles
// (e.g. CAPTCHAs made per address), and refuses it once past the limit.
func (e *Engine) Count(ctx context.Context, name string, l Limit) error {
	return e.th.Count(ctx, name, l)
}
