package flow

import (
	"context"

	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Throttles count by the canonical user id as typed, whether or not an
// account has it, so a throttled unknown id looks like a throttled real
// one (rule 9), and by client address.

// Limit is a count allowed in any window of that length (a sliding window).
type Limit = throttle.Limit

const blockedMsg = "Self-service is paused for this account after too many failed attempts."

// checkBlocks refuses a blocked account or address.
func (e *Engine) checkBlocks(ctx context.Context, user string, c Client) error {
	return e.th.Blocked(ctx, blockedMsg, "block:user:"+user, "block:addr:"+c.Addr)
}

// fail records a failed verification against the account and the address
// (rule 5: across flows, so neither a new code nor a new flow resets it).
// identity is true for a typed phone number that didn't match, which has
// its own, longer window. It returns a throttled error when this failure
// reached a limit and started a block.
func (e *Engine) fail(ctx context.Context, r *record, c Client, identity bool) error {
	l, name := e.cfg.AccountFailures, "fail:user:"
	if identity {
		l, name = e.cfg.AccountIdentityFailures, "ident:user:"
	}
	var blocked error
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
		if !r.Decoy {
			e.audit(ctx, account.EventBlocked, r.User, c, "failed verifications reached the limit")
		}
		blocked = throttle.Throttled(e.cfg.AccountBlock, blockedMsg)
	}
	al := e.cfg.AddressFailures
	n, left, err := e.th.Incr(ctx, "fail:addr:"+c.Addr, al)
	if err != nil {
		return err
	}
	if al.Max > 0 && n >= int64(al.Max) {
		if err := e.th.Block(ctx, "block:addr:"+c.Addr, e.now().Add(left)); err != nil {
			return err
		}
		if blocked == nil {
			blocked = throttle.Throttled(left, "There have been too many failed attempts from your network.")
		}
	}
	return blocked
}

// Count counts one event against a limit, for the callers' own throttles
// (e.g. CAPTCHAs made per address), and refuses it once past the limit.
func (e *Engine) Count(ctx context.Context, name string, l Limit) error {
	return e.th.Count(ctx, name, l)
}
