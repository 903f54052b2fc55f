package memstate_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/statetest"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/memstate"
)

func mustNew(tb testing.TB, maxKeys int) (*memstate.Store, *testkit.Clock) {
	tb.Helper()
	c := testkit.NewClock(time.Time{}) // testkit.Epoch
	return memstate.New(c.Now, maxKeys), c
}

func mustSet(tb testing.TB, s *memstate.Store, key, value string, ttl time.Duration) {
	tb.Helper()
	if err := s.Set(context.Background(), key, []byte(value), ttl); err != nil {
		tb.Fatalf("Set(%q): %v", key, err)
	}
}

func mustGet(tb testing.TB, s *memstate.Store, key string) []byte {
	tb.Helper()
	v, err := s.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

// TestContract runs the behaviour every State backend shares
// (server/internal/statetest) against memstate, on a fake clock; the tests
// below are memstate's own: its precision, bounds, copies and sweeping.
func TestContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) statetest.Backend {
		s, c := mustNew(t, 0)
		return statetest.Backend{State: s, Tick: time.Minute, Advance: c.Advance,
			ErrTTL: memstate.ErrTTL, ErrNotInteger: memstate.ErrNotInteger}
	})
}

// A write refused for its ttl makes no entry at all.
func TestRefusedWritesStoreNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := mustNew(t, 0)
	for _, ttl := range []time.Duration{0, -time.Second} {
		_ = s.Set(ctx, "k", []byte("v"), ttl)
		_, _ = s.Incr(ctx, "c", ttl)
		_ = s.Update(ctx, "u", func([]byte) ([]byte, time.Duration, error) { return []byte("x"), ttl, nil })
	}
	if s.Len() != 0 {
		t.Fatalf("Len %d after refused writes", s.Len())
	}
}

// TestExpiry checks that every operation sees a key as gone from the moment
// its ttl has passed, and as present one nanosecond before.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	const ttl = 5 * time.Minute
	// Each op reports whether it saw the key set to "1" by the test.
	ops := []struct {
		name string
		seen func(t *testing.T, s *memstate.Store) bool
	}{
		{"Get", func(t *testing.T, s *memstate.Store) bool { return mustGet(t, s, "k") != nil }},
		{"Take", func(t *testing.T, s *memstate.Store) bool {
			v, err := s.Take(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			return v != nil
		}},
		{"Update", func(t *testing.T, s *memstate.Store) bool {
			var seen bool
			err := s.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
				seen = cur != nil
				return cur, time.Minute, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return seen
		}},
		{"Incr", func(t *testing.T, s *memstate.Store) bool {
			n, err := s.Incr(ctx, "k", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return n == 2
		}},
		{"Len", func(t *testing.T, s *memstate.Store) bool { return s.Len() == 1 }},
	}
	for _, op := range ops {
		t.Run(op.name+" before expiry", func(t *testing.T) {
			s, c := mustNew(t, 0)
			mustSet(t, s, "k", "1", ttl)
			c.Advance(ttl - time.Nanosecond)
			if !op.seen(t, s) {
				t.Fatal("key gone before its ttl")
			}
		})
		t.Run(op.name+" at expiry", func(t *testing.T) {
			s, c := mustNew(t, 0)
			mustSet(t, s, "k", "1", ttl)
			c.Advance(ttl)
			if op.seen(t, s) {
				t.Fatal("key seen at its ttl")
			}
		})
	}
	t.Run("Update sets a new expiry", func(t *testing.T) {
		s, c := mustNew(t, 0)
		mustSet(t, s, "k", "1", time.Minute)
		err := s.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
			return append(cur, '2'), time.Hour, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(59 * time.Minute)
		if v := mustGet(t, s, "k"); string(v) != "12" {
			t.Fatalf("got %q, want 12", v)
		}
		c.Advance(time.Minute)
		if v := mustGet(t, s, "k"); v != nil {
			t.Fatalf("got %q after the new ttl", v)
		}
	})
}

func TestCopies(t *testing.T) {
	ctx := context.Background()
	s, _ := mustNew(t, 0)

	in := []byte("abc")
	if err := s.Set(ctx, "k", in, time.Minute); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out := mustGet(t, s, "k")
	out[1] = 'Y'
	err := s.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
		cur[2] = 'Z' // scribbling on cur and then failing must change nothing
		return nil, 0, errors.New("changed my mind")
	})
	if err == nil {
		t.Fatal("Update did not return fn's error")
	}
	var kept []byte
	err = s.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
		kept = cur
		return cur, time.Minute, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kept[0] = 'W' // fn's result was copied in too
	if v := mustGet(t, s, "k"); string(v) != "abc" {
		t.Fatalf("stored bytes changed by a caller: %q", v)
	}
	taken, err := s.Take(ctx, "k")
	if err != nil || string(taken) != "abc" {
		t.Fatalf("Take = %q, %v", taken, err)
	}
}

func TestUpdatePanic(t *testing.T) {
	// A panic in fn leaves the store usable (its lock released).
	s, _ := mustNew(t, 0)
	func() {
		defer func() { _ = recover() }()
		_ = s.Update(context.Background(), "k", func([]byte) ([]byte, time.Duration, error) { panic("bug") })
	}()
	mustSet(t, s, "k", "v", time.Minute)
}

// TestUpdateAtomic and TestIncrParallel run the shared table's races with
// more goroutines: under -race, no update and no increment may be lost.
func TestUpdateAtomic(t *testing.T) {
	s, _ := mustNew(t, 0)
	statetest.UpdateRace(t, s, 64, 50, time.Minute)
}

func TestIncrParallel(t *testing.T) {
	s, _ := mustNew(t, 0)
	statetest.IncrRace(t, s, 64, 20, time.Hour)
}

// TestTakeParallel: with more callers and rounds than the shared table
// uses, exactly one caller gets the value.
func TestTakeParallel(t *testing.T) {
	s, _ := mustNew(t, 0)
	statetest.TakeRace(t, s, 50, 16, time.Minute)
}

func TestErrFull(t *testing.T) {
	ctx := context.Background()
	newFull := func(t *testing.T) (*memstate.Store, *testkit.Clock) {
		s, c := mustNew(t, 3)
		mustSet(t, s, "a", "1", time.Minute)
		mustSet(t, s, "b", "1", time.Minute)
		mustSet(t, s, "c", "1", time.Hour)
		return s, c
	}
	put := func(v string) func([]byte) ([]byte, time.Duration, error) {
		return func([]byte) ([]byte, time.Duration, error) { return []byte(v), time.Minute, nil }
	}
	t.Run("new keys are refused", func(t *testing.T) {
		s, _ := newFull(t)
		if err := s.Set(ctx, "d", []byte("1"), time.Minute); !errors.Is(err, memstate.ErrFull) {
			t.Errorf("Set: err %v, want ErrFull", err)
		}
		if err := s.Update(ctx, "d", put("1")); !errors.Is(err, memstate.ErrFull) {
			t.Errorf("Update: err %v, want ErrFull", err)
		}
		if _, err := s.Incr(ctx, "d", time.Minute); !errors.Is(err, memstate.ErrFull) {
			t.Errorf("Incr: err %v, want ErrFull", err)
		}
		if s.Len() != 3 {
			t.Errorf("Len %d, want 3", s.Len())
		}
	})
	t.Run("existing keys still work", func(t *testing.T) {
		s, _ := newFull(t)
		mustSet(t, s, "a", "2", time.Minute)
		if err := s.Update(ctx, "b", put("2")); err != nil {
			t.Errorf("Update: %v", err)
		}
		if n, err := s.Incr(ctx, "c", time.Minute); err != nil || n != 2 {
			t.Errorf("Incr = %d, %v", n, err)
		}
		// fn deciding to store nothing needs no room.
		err := s.Update(ctx, "d", func([]byte) ([]byte, time.Duration, error) { return nil, 0, nil })
		if err != nil {
			t.Errorf("Update to nothing: %v", err)
		}
	})
	t.Run("a delete makes room", func(t *testing.T) {
		s, _ := newFull(t)
		if err := s.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		mustSet(t, s, "d", "1", time.Minute)
	})
	t.Run("a take makes room", func(t *testing.T) {
		s, _ := newFull(t)
		if _, err := s.Take(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		mustSet(t, s, "d", "1", time.Minute)
	})
	t.Run("expiry makes room without a sweep", func(t *testing.T) {
		s, c := newFull(t)
		c.Advance(time.Minute) // a and b expire; c lives on
		mustSet(t, s, "d", "1", time.Minute)
		mustSet(t, s, "e", "1", time.Minute)
		if err := s.Set(ctx, "f", []byte("1"), time.Minute); !errors.Is(err, memstate.ErrFull) {
			t.Errorf("Set: err %v, want ErrFull", err)
		}
		if v := mustGet(t, s, "c"); v == nil {
			t.Error("a live key was evicted")
		}
	})
}

func TestSweep(t *testing.T) {
	t.Run("frees expired entries", func(t *testing.T) {
		s, c := mustNew(t, 0)
		for i := range 100 {
			mustSet(t, s, fmt.Sprint("short", i), "v", time.Minute)
			mustSet(t, s, fmt.Sprint("long", i), "v", time.Hour)
		}
		c.Advance(time.Minute)
		if n := s.Sweep(); n != 100 {
			t.Fatalf("Sweep dropped %d, want 100", n)
		}
		if n := s.Len(); n != 100 {
			t.Fatalf("Len %d, want 100", n)
		}
		c.Advance(time.Hour)
		if n := s.Len(); n != 0 {
			t.Fatalf("Len %d, want 0", n)
		}
	})
	t.Run("returns the memory of a flood", func(t *testing.T) {
		// Not parallel: it reads the heap size of the whole process.
		s, c := mustNew(t, 0)
		const n, size = 50_000, 256
		value := make([]byte, size)
		before := heapAlloc()
		for i := range n {
			if err := s.Set(context.Background(), strconv.Itoa(i), value, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		full := heapAlloc()
		grown := int64(full) - int64(before)
		if grown < n*size {
			t.Fatalf("heap grew by %d bytes only for %d bytes of values", grown, n*size)
		}
		c.Advance(time.Minute)
		s.Sweep()
		after := heapAlloc()
		if kept := int64(after) - int64(before); kept > grown/10 {
			t.Fatalf("after the sweep %d of %d bytes are still held", kept, grown)
		}
		runtime.KeepAlive(s)
	})
	t.Run("Run returns when its context is done", func(t *testing.T) {
		s, _ := mustNew(t, 0)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx, time.Millisecond) }()
		time.Sleep(5 * time.Millisecond) // let it tick a few times
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	})
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func BenchmarkSetGet(b *testing.B) {
	ctx := context.Background()
	s, _ := mustNew(b, 0)
	v := make([]byte, 512)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := strconv.Itoa(i % 4096)
			_ = s.Set(ctx, k, v, time.Minute)
			_, _ = s.Get(ctx, k)
			i++
		}
	})
}
