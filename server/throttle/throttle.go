// Package throttle counts attempts and blocks what goes past a limit: the
// per-account and per-address throttles of
// docs/SECURITY.md#per-account-failures, #account-throttles,
// #address-throttles and #retry-after, shared by the reset flow and by
// sign-in. Everything lives in the State backend, so every server behind a
// load balancer sees the same counts.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// Limit is a count allowed in any Window (a sliding window: see Incr). A
// zero Max counts nothing.
type Limit struct {
	Max    int
	Window time.Duration
}

// Throttle counts and blocks.
type Throttle struct {
	state sspr.State
	now   func() time.Time
}

// New returns a throttle over state, judging time by now.
func New(state sspr.State, now func() time.Time) *Throttle {
	return &Throttle{state: state, now: now}
}

// Throttled is the error of a refusal: the throttled code, a message that
// says why, and when to try again in whole seconds (RetryAfterSeconds,
// and the Retry-After header). The message doesn't say when: the pages
// say it by the person's clock, in their language ("Try again at 14:05").
func Throttled(retry time.Duration, msg string) *sspr.Error {
	secs := max(int(math.Ceil(retry.Seconds())), 1)
	return &sspr.Error{Code: sspr.CodeThrottled, Message: msg, RetryAfterSeconds: secs}
}

// Count adds one to a counter and refuses once it is past the limit.
func (t *Throttle) Count(ctx context.Context, name string, l Limit) error {
	n, retry, err := t.Incr(ctx, name, l)
	if err != nil || l.Max <= 0 {
		return err
	}
	if n > int64(l.Max) {
		return Throttled(retry, "You've tried too many times.")
	}
	return nil
}

// Incr adds one to the counter and returns the count over the last window
// and how long until one more would be within the limit.
//
// The count slides: it is this window's count plus the last window's,
// weighted by how much of the last window still lies within one window
// of now (Cloudflare's sliding-window counter). Fixed windows alone would
// let an attacker fit nearly twice the limit around a window's end; this
// costs one more read, and two counters per name instead of one.
func (t *Throttle) Incr(ctx context.Context, name string, l Limit) (int64, time.Duration, error) {
	if l.Max <= 0 || l.Window <= 0 {
		return 0, 0, nil
	}
	now, w := t.now(), int64(l.Window)
	bucket := now.UnixNano() / w
	elapsed := time.Duration(now.UnixNano() - bucket*w)
	left := l.Window - elapsed
	key := func(b int64) string { return "n:" + name + ":" + strconv.FormatInt(b, 10) }
	// A bucket is read through the next window too, as the previous one.
	cur, err := t.state.Incr(ctx, key(bucket), left+l.Window)
	if err != nil {
		return 0, 0, fmt.Errorf("count %s: %w", name, err)
	}
	var prev int64
	if v, err := t.state.Get(ctx, key(bucket-1)); err != nil {
		return 0, 0, fmt.Errorf("count %s: %w", name, err)
	} else if v != nil {
		if prev, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("count %s: %w", name, err)
		}
	}
	s := slide{prev: float64(prev), cur: float64(cur), elapsed: elapsed, window: l.Window}
	// Rounded up, so a partly weighed attempt still counts; less a hair, so
	// that float error doesn't push an exact 3 to 4 at the moment
	// Retry-After named.
	return cur + int64(math.Ceil(s.prevWeighted(0)-1e-9)), s.wait(float64(l.Max - 1)), nil
}

// slide is a sliding count at one moment: the counts of the last and of
// this window, and how far into this window the moment is.
type slide struct {
	prev, cur       float64
	elapsed, window time.Duration
}

// prevWeighted is the last window's count as it weighs d from now, before
// this window ends.
func (s slide) prevWeighted(d time.Duration) float64 {
	return s.prev * (1 - float64(s.elapsed+d)/float64(s.window))
}

// wait is how long until the count is at most target.
func (s slide) wait(target float64) time.Duration {
	left := s.window - s.elapsed
	if s.cur > target {
		// Only once this window is the last one, weighing less and less.
		return left + time.Duration(float64(s.window)*(1-target/s.cur))
	}
	if s.prevWeighted(0) <= target-s.cur {
		return 0
	}
	// While the last window's weight falls to what the limit leaves room for.
	d := time.Duration(float64(s.window)*(1-(target-s.cur)/s.prev)) - s.elapsed
	return min(max(d, 0), left)
}

// Block marks key as blocked until the given time.
func (t *Throttle) Block(ctx context.Context, key string, until time.Time) error {
	if !until.After(t.now()) {
		return nil // a block that has already ended
	}
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
		return nil, &sspr.Error{Code: sspr.CodeThrottled, Message: "Another check is in progress.", RetryAfterSeconds: 1}
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
	// A zero cool-down (turned off in the configuration) blocks nothing.
	return t.Block(ctx, "cool:"+key, t.now().Add(cooldown))
}

// Consecutive failures. Limits over a window never stop someone who
// guesses slowly enough (three an hour, for ever); so every failure of an
// account, of any kind, also adds to a run that only a success ends, and a
// run of throttle.account_consecutive_failures closes self-service for the
// account until the service desk opens it again (NIST SP 800-63B-4 allows
// at most 100 consecutive failures).

// ClosedFor is how long a closure lasts if nobody opens it, and how long a
// run of failures is remembered between two of them.
const ClosedFor = 365 * 24 * time.Hour

const closedMsg = "Self-service is closed for this account after too many failed attempts in a row. " +
	"Contact the service desk to have it opened again."

func streakKey(user string) string { return "streak:user:" + user }
func closedKey(user string) string { return "closed:user:" + user }

// ClosedError is the refusal of an account whose self-service is closed.
func ClosedError(left time.Duration) *sspr.Error {
	return &sspr.Error{Code: sspr.CodeThrottled, Message: closedMsg, RetryAfterSeconds: max(int(math.Ceil(left.Seconds())), 1)}
}

// Closed refuses user if their self-service is closed.
func (t *Throttle) Closed(ctx context.Context, user string) error {
	left, err := t.Until(ctx, closedKey(user))
	if err != nil {
		return err
	}
	if left > 0 {
		return ClosedError(left)
	}
	return nil
}

// Lift ends the blocks of these keys now (the service desk's decision).
func (t *Throttle) Lift(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := t.state.Delete(ctx, k); err != nil {
			return fmt.Errorf("lift block: %w", err)
		}
	}
	return nil
}

// Reopen opens user's closed self-service and ends their run of failures.
func (t *Throttle) Reopen(ctx context.Context, user string) error {
	return t.Lift(ctx, closedKey(user), streakKey(user))
}

// Forget sets the count of name back to zero (both of its windows), so
// that a block lifted isn't set again by the next failure.
func (t *Throttle) Forget(ctx context.Context, name string, l Limit) error {
	if l.Window <= 0 {
		return nil
	}
	b := t.now().UnixNano() / int64(l.Window)
	for _, k := range []int64{b, b - 1} {
		if err := t.state.Delete(ctx, "n:"+name+":"+strconv.FormatInt(k, 10)); err != nil {
			return fmt.Errorf("forget %s: %w", name, err)
		}
	}
	return nil
}

// ClosedLeft is how long user's self-service stays closed, or zero.
func (t *Throttle) ClosedLeft(ctx context.Context, user string) (time.Duration, error) {
	return t.Until(ctx, closedKey(user))
}

// Streak adds one failure to user's run and, when the run reaches limit,
// closes self-service for user. It reports whether this failure closed it,
// so that the closure is announced once. A zero limit closes nothing.
func (t *Throttle) Streak(ctx context.Context, user string, limit int) (closed bool, err error) {
	var n int64
	err = t.state.Update(ctx, streakKey(user), func(cur []byte) ([]byte, time.Duration, error) {
		n, _ = strconv.ParseInt(string(cur), 10, 64) // missing or broken: 0
		n++
		return strconv.AppendInt(nil, n, 10), ClosedFor, nil
	})
	if err != nil {
		return false, fmt.Errorf("count failures in a row: %w", err)
	}
	if limit <= 0 || n != int64(limit) {
		return false, nil
	}
	return true, t.Block(ctx, closedKey(user), t.now().Add(ClosedFor))
}

// EndStreak ends user's run of failures: they succeeded.
func (t *Throttle) EndStreak(ctx context.Context, user string) error {
	if err := t.state.Delete(ctx, streakKey(user)); err != nil {
		return fmt.Errorf("end failures in a row: %w", err)
	}
	return nil
}

// Texts counts one text to a number of region (an ISO 3166-1 code) and
// refuses it past perHour texts to that country in an hour (0: no cap), so
// that SMS pumping costs at most so many texts an hour per country.
func (t *Throttle) Texts(ctx context.Context, region string, perHour int) error {
	l := Limit{Max: perHour, Window: time.Hour}
	n, retry, err := t.Incr(ctx, "sms:country:"+region, l)
	if err != nil || l.Max <= 0 {
		return err
	}
	if n > int64(l.Max) {
		return Throttled(retry, "We can't send more texts to numbers of that country just now.")
	}
	return nil
}
