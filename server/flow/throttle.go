package flow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/account"
)

// Throttles are kept in the State backend, keyed by the canonical user id
// as typed (whether or not an account has it, so a throttled unknown id
// looks like a throttled real one: rule 9) and by client address.

func throttled(retry time.Duration, msg string) *api.Error {
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &api.Error{Code: api.CodeThrottled, Message: msg + " " + tryAgainIn(retry), RetryAfterSeconds: secs}
}

func tryAgainIn(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return "Try again in a minute."
	case d < 90*time.Minute:
		return fmt.Sprintf("Try again in %d minutes.", int(math.Ceil(d.Minutes())))
	default:
		return fmt.Sprintf("Try again in %d hours.", int(math.Ceil(d.Hours())))
	}
}

// count adds one to a fixed-window counter and refuses once it is past
// the limit. The window is part of the key, so its end, and with it
// Retry-After, is known exactly.
func (e *Engine) count(ctx context.Context, name string, l Limit) error {
	n, left, err := e.incr(ctx, name, l)
	if err != nil || l.Max <= 0 {
		return err
	}
	if n > int64(l.Max) {
		return throttled(left, "You've tried too many times.")
	}
	return nil
}

// incr adds one to the counter of the current window and returns the new
// count and the time left in the window. A limit of zero counts nothing.
func (e *Engine) incr(ctx context.Context, name string, l Limit) (int64, time.Duration, error) {
	if l.Max <= 0 || l.Window <= 0 {
		return 0, 0, nil
	}
	now := e.now()
	bucket := now.UnixNano() / int64(l.Window)
	left := time.Unix(0, (bucket+1)*int64(l.Window)).Sub(now)
	n, err := e.d.State.Incr(ctx, "n:"+name+":"+strconv.FormatInt(bucket, 10), left)
	if err != nil {
		return 0, 0, fmt.Errorf("count %s: %w", name, err)
	}
	return n, left, nil
}

// block stops self-service for a key until the given time.
func (e *Engine) block(ctx context.Context, key string, until time.Time) error {
	if err := e.d.State.Set(ctx, key, []byte(until.Format(time.RFC3339Nano)), until.Sub(e.now())); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return nil
}

// checkBlocks refuses a blocked account or address. A block applies to the
// typed id, so an unknown id is blocked like a real one.
func (e *Engine) checkBlocks(ctx context.Context, user string, c Client) error {
	for _, key := range []string{"block:user:" + user, "block:addr:" + c.Addr} {
		v, err := e.d.State.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read block: %w", err)
		}
		if v == nil {
			continue
		}
		until, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return fmt.Errorf("read block: %w", err)
		}
		if left := until.Sub(e.now()); left > 0 {
			return throttled(left, "Self-service is paused for this account after too many failed attempts.")
		}
	}
	return nil
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
	var blocked *api.Error
	n, _, err := e.incr(ctx, name+r.User, l)
	if err != nil {
		return err
	}
	if l.Max > 0 && n >= int64(l.Max) {
		until := e.now().Add(e.cfg.AccountBlock)
		if err := e.block(ctx, "block:user:"+r.User, until); err != nil {
			return err
		}
		e.d.Log.Warn("self-service blocked", "user", r.User, "client", c.Addr, "until", until)
		if !r.Decoy {
			e.audit(ctx, account.EventBlocked, r.User, c, "failed verifications reached the limit")
		}
		blocked = throttled(e.cfg.AccountBlock, "Self-service is paused for this account after too many failed attempts.")
	}
	al := e.cfg.AddressFailures
	n, left, err := e.incr(ctx, "fail:addr:"+c.Addr, al)
	if err != nil {
		return err
	}
	if al.Max > 0 && n >= int64(al.Max) {
		if err := e.block(ctx, "block:addr:"+c.Addr, e.now().Add(left)); err != nil {
			return err
		}
		if blocked == nil {
			blocked = throttled(left, "There have been too many failed attempts from your network.")
		}
	}
	if blocked != nil {
		return blocked
	}
	return nil
}

var errBusy = errors.New("busy")

// lock lets one verification of an account run at a time, across flows and
// servers, so parallel guesses can't all slip in before the failure count
// catches up. A second caller is told to retry rather than made to wait.
func (e *Engine) lock(ctx context.Context, user string) (func(), error) {
	key := "lock:" + user
	err := e.d.State.Update(ctx, key, func(cur []byte) ([]byte, time.Duration, error) {
		if cur != nil {
			return nil, 0, errBusy
		}
		return []byte("1"), 30 * time.Second, nil
	})
	if errors.Is(err, errBusy) {
		return nil, &api.Error{Code: api.CodeThrottled, Message: "Another check is in progress. Try again in a moment.", RetryAfterSeconds: 1}
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return func() {
		if err := e.d.State.Delete(context.WithoutCancel(ctx), key); err != nil {
			e.d.Log.Error("unlock verification", "err", err)
		}
	}, nil
}

// Count counts one event against a limit, for the callers' own throttles
// (e.g. CAPTCHAs made per address), and refuses it once past the limit.
func (e *Engine) Count(ctx context.Context, name string, l Limit) error {
	return e.count(ctx, name, l)
}
