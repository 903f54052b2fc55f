package throttle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

var ctx = context.Background()

func setup() (*throttle.Throttle, *testkit.Clock) {
	c := testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 30, 0, time.UTC))
	return throttle.New(memstate.New(c.Now, 0), c.Now), c
}

func retry(t *testing.T, err error) int {
	t.Helper()
	var ae *sspr.Error
	if !errors.As(err, &ae) || ae.Code != sspr.CodeThrottled {
		t.Fatalf("want throttled, got %v", err)
	}
	return ae.RetryAfterSeconds
}

func TestCount(t *testing.T) {
	th, c := setup() // 30 s into a minute
	l := throttle.Limit{Max: 3, Window: time.Minute}
	for range 3 {
		if err := th.Count(ctx, "x", l); err != nil {
			t.Fatal(err)
		}
	}
	// The 4th is refused, and counted: 4 in this minute weigh 3 once half
	// of the next minute has gone, 30 + 30 s from now.
	if s := retry(t, th.Count(ctx, "x", l)); s != 60 {
		t.Fatalf("retry after %d s", s)
	}
	if err := th.Count(ctx, "y", l); err != nil {
		t.Fatal("one name's count spilled into another's")
	}
	c.Advance(30 * time.Second) // the next minute starts: 4 still weigh 4
	retry(t, th.Count(ctx, "x", l))
	c.Advance(59 * time.Second) // 5 from the last minute weigh 5/60 of themselves
	if err := th.Count(ctx, "x", l); err != nil {
		t.Fatal("refused after a whole window without attempts:", err)
	}
	if err := th.Count(ctx, "z", throttle.Limit{}); err != nil {
		t.Fatal("a zero limit refused")
	}
}

// Fixed windows would let Max attempts in just before a window's end and
// Max more just after it; the sliding count refuses the second lot.
func TestCountSlides(t *testing.T) {
	th, c := setup()
	l := throttle.Limit{Max: 5, Window: time.Hour}
	c.Set(time.Date(2026, 11, 23, 12, 59, 50, 0, time.UTC))
	for range 5 {
		if err := th.Count(ctx, "x", l); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(20 * time.Second) // 13:00:10, a new fixed window
	s := retry(t, th.Count(ctx, "x", l))
	// 5 from the last hour, 1 from this one: one more is allowed once the
	// last hour's 5 weigh at most 3, at 13:24, 23 m 50 s from now.
	if want := int((23*time.Minute + 50*time.Second).Seconds()); s != want {
		t.Fatalf("retry after %d s, want %d", s, want)
	}
	c.Advance(time.Duration(s) * time.Second)
	if err := th.Count(ctx, "x", l); err != nil {
		t.Fatal("still refused when Retry-After said to come back:", err)
	}
	retry(t, th.Count(ctx, "x", l))
}

func TestBlock(t *testing.T) {
	th, c := setup()
	if err := th.Blocked(ctx, "paused.", "a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := th.Block(ctx, "b", c.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s := retry(t, th.Blocked(ctx, "paused.", "a", "b")); s != 3600 {
		t.Fatalf("retry after %d s", s)
	}
	c.Advance(time.Hour)
	if err := th.Blocked(ctx, "paused.", "a", "b"); err != nil {
		t.Fatal("still blocked after the block ended")
	}
}

func TestLock(t *testing.T) {
	th, _ := setup()
	release, err := th.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := th.Lock(ctx, "k"); retry(t, err) != 1 {
		t.Fatal("a second holder got the lock")
	}
	release()
	again, err := th.Lock(ctx, "k")
	if err != nil {
		t.Fatal("the lock was not released")
	}
	again()
}

func TestSend(t *testing.T) {
	th, c := setup()
	if err := th.Send(ctx, "sms:a", 2*time.Minute, 2); err != nil {
		t.Fatal(err)
	}
	if s := retry(t, th.Send(ctx, "sms:a", 2*time.Minute, 2)); s != 120 {
		t.Fatalf("cool-down retry after %d s", s)
	}
	c.Advance(2 * time.Minute)
	if err := th.Send(ctx, "sms:a", 2*time.Minute, 2); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Minute)
	retry(t, th.Send(ctx, "sms:a", 2*time.Minute, 2)) // the hour's two are used
	if err := th.Send(ctx, "sms:b", 2*time.Minute, 2); err != nil {
		t.Fatal("one key's sends spilled into another's")
	}
}

// A zero cool-down (codes.email_cooldown = "0s") turns it off; the hourly
// count still applies.
func TestSendWithoutCooldown(t *testing.T) {
	th, _ := setup()
	for range 2 {
		if err := th.Send(ctx, "email:a", 0, 2); err != nil {
			t.Fatal(err)
		}
	}
	retry(t, th.Send(ctx, "email:a", 0, 2))
}

// TestLiftReopenForget: what the service desk's "lift the block" does: a
// block ends now, a closure and its run of failures end, and a counter
// starts again from zero (both of its windows).
func TestLiftReopenForget(t *testing.T) {
	th, c := setup()
	l := throttle.Limit{Max: 3, Window: time.Hour}
	for range 3 {
		if _, _, err := th.Incr(ctx, "fail:user:alice", l); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(time.Hour) // one count in each window
	if _, _, err := th.Incr(ctx, "fail:user:alice", l); err != nil {
		t.Fatal(err)
	}
	if err := th.Block(ctx, "block:user:alice", c.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := th.Streak(ctx, "alice", 2); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := th.ClosedLeft(ctx, "alice"); left <= 0 {
		t.Fatal("not closed after the streak")
	}

	if err := th.Lift(ctx, "block:user:alice"); err != nil {
		t.Fatal(err)
	}
	if err := th.Reopen(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := th.Forget(ctx, "fail:user:alice", l); err != nil {
		t.Fatal(err)
	}
	if left, err := th.Until(ctx, "block:user:alice"); err != nil || left != 0 {
		t.Errorf("block after Lift: %v %v", left, err)
	}
	if left, err := th.ClosedLeft(ctx, "alice"); err != nil || left != 0 {
		t.Errorf("closure after Reopen: %v %v", left, err)
	}
	if n, _, err := th.Incr(ctx, "fail:user:alice", l); err != nil || n != 1 {
		t.Errorf("count after Forget: %d %v, want 1", n, err)
	}
	if closed, err := th.Streak(ctx, "alice", 2); err != nil || closed {
		t.Errorf("one failure after Reopen closed it again: %v %v", closed, err)
	}
}
