package revoke_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/revoke"
)

func setup(t *testing.T) (*revoke.Index, *memstate.Store, *testkit.Clock) {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	st := memstate.New(c.Now, 0)
	return revoke.New(st, c.Now, time.Hour), st, c
}

// save stores a key as a session or flow would be stored, then indexes it.
func save(t *testing.T, x *revoke.Index, st *memstate.Store, c *testkit.Clock, user, key string, begun time.Time) error {
	t.Helper()
	ctx := context.Background()
	if err := st.Set(ctx, key, []byte("x"), 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	return x.Add(ctx, user, key, begun, c.Now().Add(15*time.Minute))
}

func live(t *testing.T, st *memstate.Store, key string) bool {
	t.Helper()
	b, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return b != nil
}

func TestEndDeletesEveryKeyButThoseKept(t *testing.T) {
	x, st, c := setup(t)
	ctx := context.Background()
	for _, k := range []string{"session:a", "session:b", "flow:c", "flow:d"} {
		if err := save(t, x, st, c, "alice@example.edu", k, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := save(t, x, st, c, "bob@example.edu", "session:bob", c.Now()); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	n, err := x.End(ctx, "alice@example.edu", "flow:d")
	if err != nil || n != 3 {
		t.Fatalf("End = %d, %v; want 3 ended", n, err)
	}
	for k, want := range map[string]bool{"session:a": false, "session:b": false, "flow:c": false, "flow:d": true, "session:bob": true} {
		if got := live(t, st, k); got != want {
			t.Errorf("%s live = %v, want %v", k, got, want)
		}
	}
	ended, err := x.Ended(ctx, "alice@example.edu")
	if err != nil || !ended.Equal(c.Now()) {
		t.Errorf("Ended = %v, %v; want %v", ended, err, c.Now())
	}
	if ended, _ := x.Ended(ctx, "bob@example.edu"); !ended.IsZero() {
		t.Errorf("bob's Ended = %v, want zero", ended)
	}
}

func TestAddRefusesAProofOlderThanTheEnd(t *testing.T) {
	x, st, c := setup(t)
	ctx := context.Background()
	begun := c.Now() // a sign-in that began before the reset...
	c.Advance(time.Second)
	if _, err := x.End(ctx, "alice@example.edu"); err != nil {
		t.Fatal(err)
	}
	// ...and saved its session just after it: refused.
	if err := save(t, x, st, c, "alice@example.edu", "session:late", begun); !errors.Is(err, revoke.ErrEnded) {
		t.Fatalf("Add after the end = %v, want ErrEnded", err)
	}
	// A proof that began after the end is let in.
	if err := save(t, x, st, c, "alice@example.edu", "session:new", c.Now()); err != nil {
		t.Fatalf("Add of a new proof = %v", err)
	}
	// The end is remembered for the horizon, then forgotten with the index.
	c.Advance(time.Hour + time.Minute)
	if ended, err := x.Ended(ctx, "alice@example.edu"); err != nil || !ended.IsZero() {
		t.Errorf("Ended after the horizon = %v, %v; want zero", ended, err)
	}
}

func TestTheIndexIsBounded(t *testing.T) {
	x, st, c := setup(t)
	ctx := context.Background()
	for i := range revoke.MaxKeys + 5 {
		c.Advance(time.Second) // each expires a second after the one before
		if err := save(t, x, st, c, "alice@example.edu", fmt.Sprintf("flow:%02d", i), c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// The five that expire soonest were ended at once to make room: nothing
	// live is ever outside the index.
	for i := range 5 {
		if live(t, st, fmt.Sprintf("flow:%02d", i)) {
			t.Errorf("flow:%02d still live past the bound", i)
		}
	}
	n, err := x.End(ctx, "alice@example.edu")
	if err != nil || n != revoke.MaxKeys {
		t.Fatalf("End = %d, %v; want %d", n, err, revoke.MaxKeys)
	}
	if st.Len() != 1 { // the index itself, holding the end
		t.Errorf("%d keys left, want only the index", st.Len())
	}
}

func TestExpiredKeysLeaveTheIndex(t *testing.T) {
	x, st, c := setup(t)
	ctx := context.Background()
	if err := save(t, x, st, c, "alice@example.edu", "flow:old", c.Now()); err != nil {
		t.Fatal(err)
	}
	c.Advance(20 * time.Minute) // the flow has expired, and so has its index
	if st.Len() != 0 {
		t.Errorf("%d keys left after everything expired, want 0", st.Len())
	}
	if n, err := x.End(ctx, "alice@example.edu"); err != nil || n != 0 {
		t.Errorf("End = %d, %v; want 0", n, err)
	}
}

// TestEndRacesSignIns runs ends and sign-ins at once: whatever the order,
// no session whose proof began before the last end survives it.
func TestEndRacesSignIns(t *testing.T) {
	x, st, c := setup(t)
	ctx := context.Background()
	begun := c.Now()
	c.Advance(time.Second)
	var wg sync.WaitGroup
	refused := make([]bool, 200)
	for i := range refused {
		wg.Go(func() {
			err := save(t, x, st, c, "alice@example.edu", fmt.Sprintf("session:%d", i), begun)
			refused[i] = errors.Is(err, revoke.ErrEnded)
			if err != nil && !refused[i] {
				t.Error(err)
			}
		})
		if i == 100 {
			wg.Go(func() {
				if _, err := x.End(ctx, "alice@example.edu"); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for i, r := range refused {
		if !r && live(t, st, fmt.Sprintf("session:%d", i)) {
			t.Errorf("session:%d, begun before the end, survived it", i)
		}
	}
}
