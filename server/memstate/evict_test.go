package memstate_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/statetest"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/memstate"
)

// The tests of eviction use two classes of keys: "cheap:" may be evicted,
// everything else is kept.
const cheap = "cheap:"

func newEvicting(tb testing.TB, maxKeys int, opts ...memstate.Option) (*memstate.Store, *testkit.Clock) {
	tb.Helper()
	c := testkit.NewClock(time.Time{})
	return memstate.New(c.Now, maxKeys, append([]memstate.Option{memstate.Evictable(cheap)}, opts...)...), c
}

// write is each way a new key enters the store: each must evict alike.
var writes = []struct {
	name  string
	write func(s *memstate.Store, key string, ttl time.Duration) error
}{
	{"Set", func(s *memstate.Store, key string, ttl time.Duration) error {
		return s.Set(context.Background(), key, []byte("v"), ttl)
	}},
	{"Update", func(s *memstate.Store, key string, ttl time.Duration) error {
		return s.Update(context.Background(), key, func([]byte) ([]byte, time.Duration, error) { return []byte("v"), ttl, nil })
	}},
	{"Incr", func(s *memstate.Store, key string, ttl time.Duration) error {
		_, err := s.Incr(context.Background(), key, ttl)
		return err
	}},
}

// A flood of evictable keys never fails and never holds more than its
// share of the store.
func TestEvictionBoundsTheFlood(t *testing.T) {
	for _, tc := range []struct {
		name          string
		maxKeys       int
		opts          []memstate.Option
		wantEvictable int
	}{
		{"default share", 10, nil, 5},
		{"a quarter", 100, []memstate.Option{memstate.EvictableShare(0.25)}, 25},
		{"the whole store", 10, []memstate.Option{memstate.EvictableShare(1)}, 10},
		{"a tiny store still evicts", 1, nil, 1},
	} {
		for _, w := range writes {
			t.Run(tc.name+"/"+w.name, func(t *testing.T) {
				s, _ := newEvicting(t, tc.maxKeys, tc.opts...)
				const n = 1000
				for i := range n {
					if err := w.write(s, fmt.Sprint(cheap, i), time.Minute); err != nil {
						t.Fatalf("write %d: %v", i, err)
					}
				}
				if got := s.Len(); got != tc.wantEvictable {
					t.Errorf("Len %d, want %d", got, tc.wantEvictable)
				}
				if got := s.Evicted(); got != uint64(n-tc.wantEvictable) {
					t.Errorf("Evicted %d, want %d", got, n-tc.wantEvictable)
				}
				// The newest survive: every ttl is the same, so the oldest
				// expire soonest.
				if v := mustGet(t, s, fmt.Sprint(cheap, n-1)); v == nil {
					t.Error("the newest key was evicted")
				}
			})
		}
	}
}

// The evictable entry that expires soonest goes first, whatever the order
// the entries were written in.
func TestEvictsTheSoonestExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttls map[string]time.Duration // the evictable keys already stored
		gone string
	}{
		{"written last", map[string]time.Duration{"a": time.Hour, "b": 2 * time.Hour, "c": time.Minute}, "c"},
		{"written first", map[string]time.Duration{"a": time.Minute, "b": time.Hour, "c": 2 * time.Hour}, "a"},
		{"in between", map[string]time.Duration{"a": time.Hour, "b": time.Second, "c": 2 * time.Hour}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Room for three evictable entries; a fourth evicts one.
			s, _ := newEvicting(t, 3, memstate.EvictableShare(1))
			for _, k := range []string{"a", "b", "c"} {
				mustSet(t, s, cheap+k, k, tc.ttls[k])
			}
			mustSet(t, s, cheap+"new", "new", time.Minute)
			for _, k := range []string{"a", "b", "c", "new"} {
				if got, want := mustGet(t, s, cheap+k) != nil, k != tc.gone; got != want {
					t.Errorf("%s present %v, want %v", k, got, want)
				}
			}
		})
	}
}

// Replacing or counting an existing evictable key needs no room, so it
// evicts nothing.
func TestExistingKeysEvictNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := newEvicting(t, 4) // two evictable
	mustSet(t, s, cheap+"a", "1", time.Minute)
	mustSet(t, s, cheap+"b", "1", time.Hour)
	mustSet(t, s, cheap+"a", "2", time.Minute)
	if _, err := s.Incr(ctx, cheap+"b", time.Hour); err != nil {
		t.Fatal(err)
	}
	if s.Evicted() != 0 || s.Len() != 2 {
		t.Fatalf("Evicted %d, Len %d", s.Evicted(), s.Len())
	}
}

// Expired entries make room before anything live is evicted.
func TestExpiredGoBeforeEviction(t *testing.T) {
	s, c := newEvicting(t, 4)
	mustSet(t, s, cheap+"a", "1", time.Minute)
	mustSet(t, s, cheap+"b", "1", time.Hour)
	c.Advance(time.Minute)
	mustSet(t, s, cheap+"c", "1", time.Minute)
	if s.Evicted() != 0 {
		t.Fatalf("evicted %d live entries while an expired one was there", s.Evicted())
	}
	if mustGet(t, s, cheap+"b") == nil || mustGet(t, s, cheap+"c") == nil {
		t.Fatal("a live key is gone")
	}
}

// Kept entries are never evicted; they can always push evictable ones out;
// a store full of them fails closed, for every kind of key.
func TestKeptEntries(t *testing.T) {
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			s, c := newEvicting(t, 6) // at most three evictable
			for i := range 3 {
				mustSet(t, s, fmt.Sprint("flow:", i), "kept", time.Minute) // sooner than any evictable
			}
			for i := range 3 {
				mustSet(t, s, fmt.Sprint(cheap, i), "v", time.Duration(i+2)*time.Minute)
			}
			// Full. A flood of evictable keys evicts evictable ones only.
			for i := range 100 {
				if err := w.write(s, fmt.Sprint(cheap, "flood", i), time.Hour); err != nil {
					t.Fatalf("evictable write %d: %v", i, err)
				}
			}
			// New kept keys take the evictable entries' room...
			for i := 3; i < 6; i++ {
				if err := w.write(s, fmt.Sprint("flow:", i), time.Minute); err != nil {
					t.Fatalf("kept write %d: %v", i, err)
				}
			}
			// ...until the store is all kept: then it fails closed, for
			// both classes.
			if err := w.write(s, "flow:6", time.Minute); !errors.Is(err, memstate.ErrFull) {
				t.Errorf("kept write to a store full of kept keys: %v, want ErrFull", err)
			}
			if err := w.write(s, cheap+"more", time.Minute); !errors.Is(err, memstate.ErrFull) {
				t.Errorf("evictable write to a store full of kept keys: %v, want ErrFull", err)
			}
			for i := range 6 {
				if mustGet(t, s, fmt.Sprint("flow:", i)) == nil {
					t.Errorf("kept key flow:%d was evicted", i)
				}
			}
			if s.Len() != 6 {
				t.Errorf("Len %d, want 6", s.Len())
			}
			// Once kept keys expire, evictable ones have room again.
			c.Advance(time.Minute)
			if err := w.write(s, cheap+"later", time.Minute); err != nil {
				t.Errorf("evictable write after the kept keys expired: %v", err)
			}
		})
	}
}

// Without Evictable nothing is ever evicted (TestErrFull covers the rest);
// a prefix must match from the start of the key.
func TestOnlyNamedPrefixesAreEvicted(t *testing.T) {
	s, _ := newEvicting(t, 2)
	mustSet(t, s, "x:"+cheap+"1", "kept", time.Minute) // holds "cheap:", not at the start
	mustSet(t, s, cheap+"1", "v", time.Minute)
	if err := s.Set(context.Background(), "x:"+cheap+"2", []byte("kept"), time.Minute); err != nil {
		t.Fatalf("a kept key could not evict: %v", err)
	}
	if mustGet(t, s, "x:"+cheap+"1") == nil || mustGet(t, s, cheap+"1") != nil {
		t.Fatal("evicted the wrong key")
	}
	plain := memstate.New(testkit.NewClock(time.Time{}).Now, 1)
	mustSet(t, plain, cheap+"1", "v", time.Minute)
	if err := plain.Set(context.Background(), cheap+"2", []byte("v"), time.Minute); !errors.Is(err, memstate.ErrFull) {
		t.Fatalf("a store without Evictable evicted: %v", err)
	}
}

func TestEvictableShareRefusesNonsense(t *testing.T) {
	for _, share := range []float64{0, -0.5, 1.5} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("share %v accepted", share)
				}
			}()
			memstate.New(nil, 10, memstate.EvictableShare(share))
		}()
	}
}

// Every key evictable, and no pressure: the shared behaviour is unchanged.
func TestContractEvicting(t *testing.T) {
	statetest.Run(t, func(t *testing.T) statetest.Backend {
		c := testkit.NewClock(time.Time{})
		s := memstate.New(c.Now, 0, memstate.Evictable(""))
		return statetest.Backend{State: s, Tick: time.Minute, Advance: c.Advance,
			ErrTTL: memstate.ErrTTL, ErrNotInteger: memstate.ErrNotInteger}
	})
}

// Under -race: a flood of evictable writes from many goroutines, kept
// writes and reads meanwhile, and time passing. No kept key is lost, no
// evictable write fails, and the bound holds throughout.
func TestEvictionRace(t *testing.T) {
	ctx := context.Background()
	const maxKeys, kept, workers, each = 200, 50, 16, 500
	s, c := newEvicting(t, maxKeys)
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprint(cheap, w, ":", i)
				var err error
				switch i % 3 {
				case 0:
					err = s.Set(ctx, key, []byte("v"), time.Duration(1+i%7)*time.Minute)
				case 1:
					_, err = s.Incr(ctx, key, time.Hour)
				default:
					_, err = s.Take(ctx, fmt.Sprint(cheap, w, ":", i-2))
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d, write %d: %w", w, i, err)
					return
				}
				if n := s.Len(); n > maxKeys {
					errs <- fmt.Errorf("Len %d past the bound", n)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range kept {
			err := s.Update(ctx, fmt.Sprint("flow:", i), func([]byte) ([]byte, time.Duration, error) {
				return []byte("kept"), 10 * time.Hour, nil
			})
			if err != nil {
				errs <- fmt.Errorf("kept write %d: %w", i, err)
				return
			}
			if i%10 == 0 {
				c.Advance(time.Minute)
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range kept {
		if mustGet(t, s, fmt.Sprint("flow:", i)) == nil {
			t.Errorf("kept key flow:%d was lost", i)
		}
	}
	if s.Evicted() == 0 {
		t.Error("the flood evicted nothing: the test did not fill the store")
	}
}
