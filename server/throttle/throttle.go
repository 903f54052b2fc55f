// Package throttle counts attempts and blocks what goes past a limit: the
// per-account and per-address throttles of SECURITY.md rules 5 to 9, shared
// by the reset flow and by sign-in. Everything lives in the State backend,
// so every server behind a load balancer sees the same counts.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sspr-portal/sspr/app/api"
)

// State is the part of the State backend a throttle needs.
type State interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
	Update(ctx context.Context, key string, fn func(cur []byte) (next []byte, ttl time.Duration, err error)) error
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
}

// Limit is a count allowed in a fixed window. A zero Max counts nothing.
type Limit struct {
	Max    int
	Window time.Duration
}

// Throttle counts and blocks.
type Throttle struct {
	state State
	now   func() time.Time
}

// New returns a throttle over state, judging time by now.
func New(state State, now func() time.Time) *Throttle {
	return &Throttle{state: state, now: now}
}

// Throttled is the error of a refusal: the throttled code, a message that
// says when to try again, and Retry-After in whole seconds.
func Throttled(retry time.Duration, msg string) *api.Error {
	secs := max(int(math.Ceil(retry.Seconds())), 1)
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

// Count adds one to a fixed-window counter and refuses once it is past the
// limit.
func (t *Throttle) Count(ctx context.Context, name string, l Limit) error {
	n, left, err := t.Incr(ctx, name, l)
	if err != nil || l.Max <= 0 {
		return err
	}
	if n > int64(l.Max) {
		return Throttled(left, "You've tried too many times.")
	}
	return nil
}

// Incr adds one to the counter of the current window and returns the new
// count and the time left in the window. The window is part of the key, so
// its end, and with it Retry-After, is known exactly.
func (t *Throttle) Incr(ctx context.Context, name string, l Limit) (int64, time.Duration, error) {
	if l.Max <= 0 || l.Window <= 0 {
		return 0, 0, nil
	}
	now := t.now()
	bucket := now.UnixNano() / int64(l.Window)
	left := time.Unix(0, (bucket+1)*int64(l.Window)).Sub(now)
	n, err := t.state.Incr(ctx, "n:"+name+":"+strconv.FormatInt(bucket, 10), left)
	if err != nil {
		return 0, 0, fmt.Errorf("count %s: %w", name, err)
	}
	return n, left, nil
}

// Block marks key as blocked until the given time.
func (t *Throttle) Block(ctx context.Context, key string, until time.Time) error {
	if err := t.state.Set(ctx, key, []byte(until.Format(time.RFC3339Nano)), until.Sub(t.now())); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return nil
}

// Until returns how long key stays blocked, or zero.
func (t *Throttle) Until(ctx context.Context, key string) (time.Duration, error) {
	v, err := t.state.Get(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("read block: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	until, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		return 0, fmt.Errorf("read block: %w", err)
	}
	return max(until.Sub(t.now()), 0), nil
}

// Blocked refuses with msg when any of the keys is blocked.
func (t *Throttle) Blocked(ctx context.Context, msg string, keys ...string) error {
	for _, key := range keys {
		left, err := t.Until(ctx, key)
		if err != nil {
			return err
		}
		if left > 0 {
			return Throttled(left, msg)
		}
	}
	return nil
}

var errBusy = errors.New("busy")

// Lock lets one holder of key at a time run, across requests and servers.
// A second caller is refused with a throttled error (retry in a second)
// rather than made to wait.
func (t *Throttle) Lock(ctx context.Context, key string) (release func(), err error) {
	err = t.state.Update(ctx, key, func(cur []byte) ([]byte, time.Duration, error) {
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
	return func() { _ = t.state.Delete(context.WithoutCancel(ctx), key) }, nil
}

// Send allows one more message to key (e.g. "email:alice@example.edu"):
// refused during the cool-down after the last one, or past perHour in the
// current hour; when allowed, the next cool-down starts.
func (t *Throttle) Send(ctx context.Context, key string, cooldown time.Duration, perHour int) error {
	if err := t.Blocked(ctx, "A code was sent a moment ago. Check your messages, or ask for a new code later.", "cool:"+key); err != nil {
		return err
	}
	if err := t.Count(ctx, "sends:"+key, Limit{Max: perHour, Window: time.Hour}); err != nil {
		return err
	}
	return t.Block(ctx, "cool:"+key, t.now().Add(cooldown))
}
