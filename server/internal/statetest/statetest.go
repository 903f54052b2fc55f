// Package statetest is the behaviour every State backend shares, as one
// table of cases that runs against each: memstate with a fake clock,
// redisstate against a real redis-server with the real clock. A backend
// passes only if it behaves as sspr.State and the readiness check document.
package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// State is what the portal needs of a backend: the domain's State, and
// readiness.
type State interface {
	sspr.State
	Ping(ctx context.Context) error
}

// Backend is one fresh, empty store and how to move its time.
type Backend struct {
	State State
	// Tick is the unit of every ttl in the cases: a minute for a fake
	// clock; for the real one, long enough that a few ticks dwarf a slow
	// scheduler (time is only ever checked a couple of ticks away from an
	// expiry).
	Tick time.Duration
	// Advance moves the backend's clock on: a fake clock's, or a sleep.
	Advance func(d time.Duration)
	// ErrTTL and ErrNotInteger are the backend's errors for a ttl <= 0 and
	// for Incr on something that is not a counter.
	ErrTTL, ErrNotInteger error
	// Parallel lets the cases run at once (each has its own Backend).
	Parallel bool
}

// Case is one behaviour.
type Case struct {
	Name string
	Run  func(t *testing.T, b Backend)
}

// Run runs every case, each against a fresh backend.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	for _, c := range Cases {
		t.Run(c.Name, func(t *testing.T) {
			b := newBackend(t)
			if b.Parallel {
				t.Parallel()
			}
			c.Run(t, b)
		})
	}
}

var ctx = context.Background()

// The races below are shared cases that a backend's own test may also run
// harder than the table does.

// UpdateRace has workers goroutines each add one each times to a JSON
// counter through Update (ttl each time): with no lost update the total is
// exact.
func UpdateRace(t *testing.T, s State, workers, each int, ttl time.Duration) {
	t.Helper()
	type counter struct{ N int }
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(ctx, "n", func(cur []byte) ([]byte, time.Duration, error) {
					var c counter
					if cur != nil {
						if err := json.Unmarshal(cur, &c); err != nil {
							return nil, 0, err
						}
					}
					c.N++
					next, err := json.Marshal(c)
					return next, ttl, err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var c counter
	if err := json.Unmarshal(mustGet(t, s, "n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.N != workers*each {
		t.Fatalf("counter %d, want %d: updates were lost", c.N, workers*each)
	}
}

// IncrRace has workers goroutines each Incr one key each times: every
// increment is counted.
func IncrRace(t *testing.T, s State, workers, each int, window time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := s.Incr(ctx, "c", window); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	want(t, "Get", mustGet(t, s, "c"), strconv.Itoa(workers*each))
}

// TakeRace, in each of rounds rounds, sets a key for ttl and has callers
// parallel callers Take it: exactly one of them may get the value.
func TakeRace(t *testing.T, s State, rounds, callers int, ttl time.Duration) {
	t.Helper()
	for round := range rounds {
		key := fmt.Sprint("k", round)
		mustSet(t, s, key, "v", ttl)
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got int
		)
		start := make(chan struct{})
		for range callers {
			wg.Go(func() {
				<-start
				v, err := s.Take(ctx, key)
				if err != nil {
					t.Error(err)
				}
				if v != nil {
					mu.Lock()
					got++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if got != 1 {
			t.Fatalf("round %d: %d callers got the value, want 1", round, got)
		}
	}
}

func mustSet(t *testing.T, s State, key, value string, ttl time.Duration) {
	t.Helper()
	if err := s.Set(ctx, key, []byte(value), ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s State, key string) []byte {
	t.Helper()
	v, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

// want checks a value: "" stands for missing (nil).
func want(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if want == "" && got != nil || want != "" && string(got) != want {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func mustIncr(t *testing.T, s State, key string, window time.Duration, want int64) {
	t.Helper()
	n, err := s.Incr(ctx, key, window)
	if err != nil {
		t.Fatalf("Incr(%q): %v", key, err)
	}
	if n != want {
		t.Fatalf("Incr(%q) = %d, want %d", key, n, want)
	}
}

func put(v string, ttl time.Duration) func([]byte) ([]byte, time.Duration, error) {
	return func([]byte) ([]byte, time.Duration, error) { return []byte(v), ttl, nil }
}

// Cases is the table.
var Cases = []Case{
	{"a missing key is nil", func(t *testing.T, b Backend) {
		want(t, "Get", mustGet(t, b.State, "nope"), "")
	}},
	{"a value set is got back", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "v", b.Tick)
		want(t, "Get", mustGet(t, b.State, "k"), "v")
	}},
	{"any bytes are kept as they are", func(t *testing.T, b Backend) {
		v := string([]byte{0, 1, 0xff, '\r', '\n', 0xc3, 0x28})
		mustSet(t, b.State, "k", v, b.Tick)
		want(t, "Get", mustGet(t, b.State, "k"), v)
	}},
	{"an empty value is not a missing one", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "", b.Tick)
		if v := mustGet(t, b.State, "k"); v == nil || len(v) != 0 {
			t.Fatalf("Get = %#v, want empty non-nil", v)
		}
		var seen []byte
		err := b.State.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
			seen = cur
			return cur, b.Tick, nil
		})
		if err != nil || seen == nil {
			t.Fatalf("Update saw %#v, %v; want empty non-nil", seen, err)
		}
		if v, err := b.State.Take(ctx, "k"); err != nil || v == nil || len(v) != 0 {
			t.Fatalf("Take = %#v, %v; want empty non-nil", v, err)
		}
	}},
	{"keys are independent", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "a", "1", b.Tick)
		mustSet(t, b.State, "a:b", "2", b.Tick)
		want(t, "Get a", mustGet(t, b.State, "a"), "1")
		want(t, "Get a:b", mustGet(t, b.State, "a:b"), "2")
		want(t, "Get b", mustGet(t, b.State, "b"), "")
	}},
	{"values are copies", func(t *testing.T, b Backend) {
		in := []byte("abc")
		if err := b.State.Set(ctx, "k", in, b.Tick); err != nil {
			t.Fatal(err)
		}
		in[0] = 'X'
		out := mustGet(t, b.State, "k")
		out[1] = 'Y'
		err := b.State.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
			cur[2] = 'Z' // scribbling on cur and then failing must change nothing
			return nil, 0, errors.New("changed my mind")
		})
		if err == nil {
			t.Fatal("Update did not return fn's error")
		}
		want(t, "Get", mustGet(t, b.State, "k"), "abc")
	}},
	{"Set replaces value and expiry", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "old", 2*b.Tick)
		mustSet(t, b.State, "k", "new", 20*b.Tick)
		b.Advance(5 * b.Tick)
		want(t, "Get", mustGet(t, b.State, "k"), "new")
	}},
	{"Delete removes, and a missing key is fine", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "v", b.Tick)
		for range 2 {
			if err := b.State.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		}
		want(t, "Get", mustGet(t, b.State, "k"), "")
	}},
	{"ErrTTL", func(t *testing.T, b Backend) {
		for _, ttl := range []time.Duration{0, -time.Second} {
			if err := b.State.Set(ctx, "k", []byte("v"), ttl); !errors.Is(err, b.ErrTTL) {
				t.Errorf("Set ttl %v: err %v, want ErrTTL", ttl, err)
			}
			if _, err := b.State.Incr(ctx, "c", ttl); !errors.Is(err, b.ErrTTL) {
				t.Errorf("Incr window %v: err %v, want ErrTTL", ttl, err)
			}
			if err := b.State.Update(ctx, "u", put("x", ttl)); !errors.Is(err, b.ErrTTL) {
				t.Errorf("Update ttl %v: err %v, want ErrTTL", ttl, err)
			}
		}
		for _, k := range []string{"k", "c", "u"} {
			want(t, "Get "+k+" after refused writes", mustGet(t, b.State, k), "")
		}
	}},
	{"ErrTTL from Update keeps the old value", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "u", "old", 10*b.Tick)
		if err := b.State.Update(ctx, "u", put("x", 0)); !errors.Is(err, b.ErrTTL) {
			t.Fatalf("err %v, want ErrTTL", err)
		}
		want(t, "Get", mustGet(t, b.State, "u"), "old")
	}},
	{"a done context is an error", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "v", 10*b.Tick)
		dead, cancel := context.WithCancel(ctx)
		cancel()
		errs := map[string]error{}
		_, errs["Get"] = b.State.Get(dead, "k")
		errs["Set"] = b.State.Set(dead, "k", []byte("x"), b.Tick)
		errs["Delete"] = b.State.Delete(dead, "k")
		_, errs["Take"] = b.State.Take(dead, "k")
		errs["Update"] = b.State.Update(dead, "k", put("x", b.Tick))
		_, errs["Incr"] = b.State.Incr(dead, "k", b.Tick)
		errs["Ping"] = b.State.Ping(dead)
		for op, err := range errs {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: err %v, want context.Canceled", op, err)
			}
		}
		want(t, "Get", mustGet(t, b.State, "k"), "v")
		if err := b.State.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	}},
	{"expiry", func(t *testing.T, b Backend) {
		// Each op reports whether it saw the key, set to "1" by the test.
		ops := []struct {
			name string
			seen func(t *testing.T) bool
		}{
			{"Get", func(t *testing.T) bool { return mustGet(t, b.State, "k") != nil }},
			{"Take", func(t *testing.T) bool {
				v, err := b.State.Take(ctx, "k")
				if err != nil {
					t.Fatal(err)
				}
				return v != nil
			}},
			{"Update", func(t *testing.T) bool {
				var seen bool
				err := b.State.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
					seen = cur != nil
					return cur, b.Tick, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return seen
			}},
			{"Incr", func(t *testing.T) bool {
				n, err := b.State.Incr(ctx, "k", b.Tick)
				if err != nil {
					t.Fatal(err)
				}
				return n == 2
			}},
		}
		const ttl = 6
		for _, op := range ops {
			_ = b.State.Delete(ctx, "k")
			mustSet(t, b.State, "k", "1", ttl*b.Tick)
			b.Advance((ttl - 2) * b.Tick)
			if !op.seen(t) {
				t.Fatalf("%s: key gone before its ttl", op.name)
			}
			_ = b.State.Delete(ctx, "k")
			mustSet(t, b.State, "k", "1", ttl*b.Tick)
			b.Advance(ttl * b.Tick)
			if op.seen(t) {
				t.Fatalf("%s: key seen at its ttl", op.name)
			}
		}
	}},
	{"Update creates, replaces and deletes", func(t *testing.T, b Backend) {
		del := func([]byte) ([]byte, time.Duration, error) { return nil, 0, nil }
		boom := errors.New("boom")
		fail := func([]byte) ([]byte, time.Duration, error) { return []byte("no"), b.Tick, boom }
		tests := []struct {
			name    string
			initial string // "" means missing
			fn      func([]byte) ([]byte, time.Duration, error)
			wantErr error
			want    string // "" means missing
		}{
			{"creates a missing key", "", put("new", b.Tick), nil, "new"},
			{"replaces a value", "old", put("new", b.Tick), nil, "new"},
			{"nil deletes", "old", del, nil, ""},
			{"nil on a missing key is a no-op", "", del, nil, ""},
			{"an error changes nothing", "old", fail, boom, "old"},
			{"an error creates nothing", "", fail, boom, ""},
		}
		for i, tt := range tests {
			key := fmt.Sprint("k", i)
			if tt.initial != "" {
				mustSet(t, b.State, key, tt.initial, 10*b.Tick)
			}
			if err := b.State.Update(ctx, key, tt.fn); !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			}
			want(t, tt.name, mustGet(t, b.State, key), tt.want)
		}
	}},
	{"Update passes fn's own error back unwrapped", func(t *testing.T, b Backend) {
		type own struct{ error }
		mine := own{errors.New("mine")}
		err := b.State.Update(ctx, "k", func([]byte) ([]byte, time.Duration, error) { return nil, 0, mine })
		if err != mine {
			t.Fatalf("err %#v, want fn's own %#v", err, mine)
		}
	}},
	{"Update sets a new expiry", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "1", 2*b.Tick)
		err := b.State.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
			return append(cur, '2'), 8 * b.Tick, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Advance(5 * b.Tick)
		want(t, "Get before the new ttl", mustGet(t, b.State, "k"), "12")
		b.Advance(5 * b.Tick)
		want(t, "Get after the new ttl", mustGet(t, b.State, "k"), "")
	}},
	{"Update is atomic", func(t *testing.T, b Backend) {
		UpdateRace(t, b.State, 16, 25, 100*b.Tick)
	}},
	{"Update as a lock: one holder at a time", func(t *testing.T, b Backend) {
		// throttle.Lock's shape: take the key only if nobody holds it.
		busy := errors.New("busy")
		lock := func(cur []byte) ([]byte, time.Duration, error) {
			if cur != nil {
				return nil, 0, busy
			}
			return []byte("1"), 100 * b.Tick, nil
		}
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got int
		)
		start := make(chan struct{})
		for range 16 {
			wg.Go(func() {
				<-start
				err := b.State.Update(ctx, "lock", lock)
				switch {
				case err == nil:
					mu.Lock()
					got++
					mu.Unlock()
				case !errors.Is(err, busy):
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if got != 1 {
			t.Fatalf("%d callers took the lock, want 1", got)
		}
	}},
	{"Incr counts within a fixed window", func(t *testing.T, b Backend) {
		const w = 10
		mustIncr(t, b.State, "c", w*b.Tick, 1)
		b.Advance(4 * b.Tick)
		mustIncr(t, b.State, "c", w*b.Tick, 2)
		b.Advance(4 * b.Tick)
		mustIncr(t, b.State, "c", w*b.Tick, 3) // later increments do not push the window back
		b.Advance(4 * b.Tick)
		mustIncr(t, b.State, "c", w*b.Tick, 1) // the window that started at the first one is over
		want(t, "Get", mustGet(t, b.State, "c"), "1")
	}},
	{"Incr counts a key set to a number and keeps its expiry", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "c", "41", 4*b.Tick)
		mustIncr(t, b.State, "c", 100*b.Tick, 42)
		want(t, "Get", mustGet(t, b.State, "c"), "42")
		b.Advance(6 * b.Tick)
		want(t, "Get after the Set's ttl", mustGet(t, b.State, "c"), "")
	}},
	{"Incr refuses what is not a counter", func(t *testing.T, b Backend) {
		for _, v := range []string{"x", "", "1.5", "9223372036854775807"} {
			mustSet(t, b.State, "c", v, 10*b.Tick)
			if _, err := b.State.Incr(ctx, "c", 10*b.Tick); !errors.Is(err, b.ErrNotInteger) {
				t.Errorf("Incr on %q: err %v, want ErrNotInteger", v, err)
			}
			if got := mustGet(t, b.State, "c"); got == nil || string(got) != v {
				t.Errorf("Get after the refusal = %q, want %q", got, v)
			}
		}
	}},
	{"Incr counts every parallel increment", func(t *testing.T, b Backend) {
		IncrRace(t, b.State, 16, 25, 100*b.Tick)
	}},
	{"Take takes once", func(t *testing.T, b Backend) {
		mustSet(t, b.State, "k", "v", 10*b.Tick)
		for i, w := range []string{"v", ""} {
			v, err := b.State.Take(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			want(t, fmt.Sprint("Take #", i+1), v, w)
		}
		want(t, "Get", mustGet(t, b.State, "k"), "")
	}},
	{"Take gives the value to exactly one of parallel callers", func(t *testing.T, b Backend) {
		TakeRace(t, b.State, 20, 8, 10*b.Tick)
	}},
	{"Ping", func(t *testing.T, b Backend) {
		if err := b.State.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}},
}
