package redisstate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sspr-portal/sspr/server/redisstate"
	"github.com/sspr-portal/sspr/server/redisstate/redistest"
	"github.com/sspr-portal/sspr/server/sspr"
)

var ctx = context.Background()

func startRedis(tb testing.TB, args ...string) *redistest.Server {
	tb.Helper()
	s := redistest.Start(tb, args...)
	tb.Logf("redis-server %s ready in %s", s.Addr, s.StartTime)
	return s
}

var prefixes atomic.Int64

// newStore returns a store on addr with a prefix of its own, so that tests
// can share one server.
func newStore(tb testing.TB, addr string, tweak ...func(*redisstate.Config)) *redisstate.Store {
	tb.Helper()
	cfg := redisstate.Config{Addr: addr, KeyPrefix: fmt.Sprintf("t%d:", prefixes.Add(1)),
		DialTimeout: time.Second, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := redisstate.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// raw is a plain client, to look at what the store wrote.
func raw(tb testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
	tb.Cleanup(func() { c.Close() })
	return c
}

// wantUnavailable checks the contract of a Redis failure: a 503 error that
// errors.As finds, with a safe message, and the cause kept for the log.
func wantUnavailable(t *testing.T, op string, err error) {
	t.Helper()
	var ae *sspr.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error while Redis is down", op)
	case !errors.As(err, &ae) || ae.Code != sspr.CodeServiceUnavailable:
		t.Errorf("%s: err %v, want an *sspr.Error service_unavailable", op, err)
	case !strings.Contains(err.Error(), "redis: "):
		t.Errorf("%s: err %q does not keep the cause", op, err)
	case strings.Contains(ae.Message, "redis") || strings.Contains(ae.Message, "127.0.0.1"):
		t.Errorf("%s: message %q names internals", op, ae.Message)
	}
}

// every calls each operation once and returns its error.
func every(s *redisstate.Store, key string) map[string]error {
	errs := map[string]error{}
	var v []byte
	v, errs["Get"] = s.Get(ctx, key)
	if v != nil {
		errs["Get"] = fmt.Errorf("got %q", v)
	}
	errs["Set"] = s.Set(ctx, key, []byte("x"), time.Minute)
	errs["Delete"] = s.Delete(ctx, key)
	_, errs["Take"] = s.Take(ctx, key)
	called := false
	errs["Update"] = s.Update(ctx, key, func(cur []byte) ([]byte, time.Duration, error) {
		called = true
		return []byte("x"), time.Minute, nil
	})
	if called && errs["Update"] == nil {
		errs["Update"] = errors.New("fn ran and Update succeeded")
	}
	_, errs["Incr"] = s.Incr(ctx, key, time.Minute)
	errs["Ping"] = s.Ping(ctx)
	return errs
}

// TestDownFailsClosed: with Redis stopped, every operation is a 503, never
// a missing key (that would skip a throttle), and it comes back by itself.
func TestDownFailsClosed(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv.Addr)
	if _, err := s.Incr(ctx, "fail:alice", time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for round := range 3 { // past go-redis's count of failed dials too
		for op, err := range every(s, "fail:alice") {
			wantUnavailable(t, fmt.Sprint(op, " #", round+1), err)
		}
	}
	begin := time.Now()
	if _, err := s.Get(ctx, "k"); time.Since(begin) > time.Second {
		t.Errorf("a call took %s to fail (%v)", time.Since(begin), err)
	}

	srv.Start() // empty: no persistence
	waitUp(t, s)
	if n, err := s.Incr(ctx, "fail:alice", time.Hour); err != nil || n != 1 {
		t.Fatalf("Incr after the restart = %d, %v; want 1 (the data went with the server)", n, err)
	}
}

// waitUp waits for the store to reach the server again, without a new
// client: go-redis redials by itself.
func waitUp(t *testing.T, s *redisstate.Store) time.Duration {
	t.Helper()
	begin := time.Now()
	for time.Since(begin) < 10*time.Second {
		if s.Ping(ctx) == nil {
			t.Logf("the store reached the server again after %s", time.Since(begin))
			return time.Since(begin)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the store never reached the server again")
	return 0
}

// TestHungFailsClosed: a server that accepts but never answers (frozen) is
// a 503 within the read timeout, and its data is there when it answers
// again.
func TestHungFailsClosed(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv.Addr, func(c *redisstate.Config) { c.ReadTimeout, c.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond })
	if _, err := s.Incr(ctx, "c", time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.Freeze()
	begin := time.Now()
	_, err := s.Incr(ctx, "c", time.Hour)
	took := time.Since(begin)
	wantUnavailable(t, "Incr", err)
	if took > 2*time.Second {
		t.Errorf("Incr took %s to fail", took)
	}
	t.Logf("Incr on a frozen server failed after %s: %v", took, err)
	// A request's own deadline is kept too.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	begin = time.Now()
	_, err = s.Get(short, "c")
	wantUnavailable(t, "Get with a deadline", err)
	if took := time.Since(begin); took > 150*time.Millisecond {
		t.Errorf("Get with a 50ms deadline took %s", took)
	}
	srv.Thaw()
	waitUp(t, s)
	n, err := s.Incr(ctx, "c", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The frozen Incr may or may not have reached Redis before its answer
	// was lost: either way no count is lost.
	if n < 2 || n > 3 {
		t.Fatalf("count %d after thaw, want 2 or 3", n)
	}
}

// TestRefusalsFailClosed: Redis answering but refusing writes (a replica
// after a failover, memory full under noeviction, a wrong password) is a
// 503 too.
func TestRefusalsFailClosed(t *testing.T) {
	srv := startRedis(t)
	admin := raw(t, srv.Addr)
	t.Run("READONLY", func(t *testing.T) {
		s := newStore(t, srv.Addr)
		// A replica of a master that is not there: reads work, writes are
		// refused.
		if err := admin.Do(ctx, "REPLICAOF", "127.0.0.1", "1").Err(); err != nil {
			t.Fatal(err)
		}
		defer admin.Do(ctx, "REPLICAOF", "NO", "ONE")
		wantUnavailable(t, "Set", s.Set(ctx, "k", []byte("v"), time.Minute))
		_, err := s.Incr(ctx, "c", time.Minute)
		wantUnavailable(t, "Incr", err)
		_, err = s.Take(ctx, "k")
		wantUnavailable(t, "Take", err)
		wantUnavailable(t, "Update", s.Update(ctx, "k", func([]byte) ([]byte, time.Duration, error) { return []byte("v"), time.Minute, nil }))
	})
	t.Run("OOM", func(t *testing.T) {
		s := newStore(t, srv.Addr)
		if err := admin.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
			t.Fatal(err)
		}
		defer admin.ConfigSet(ctx, "maxmemory", "0")
		wantUnavailable(t, "Set", s.Set(ctx, "k", []byte("v"), time.Minute))
		_, err := s.Incr(ctx, "c", time.Minute)
		wantUnavailable(t, "Incr", err)
	})
	t.Run("WRONGPASS", func(t *testing.T) {
		locked := startRedis(t, "--requirepass", "right-password")
		for op, err := range every(newStore(t, locked.Addr, func(c *redisstate.Config) { c.Password = "wrong-password" }), "k") {
			wantUnavailable(t, op, err)
			if err != nil && strings.Contains(err.Error(), "wrong-password") {
				t.Errorf("%s: the error shows the password: %v", op, err)
			}
		}
		good := newStore(t, locked.Addr, func(c *redisstate.Config) { c.Password = "right-password" })
		if err := good.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeys checks the prefix and the expiries Redis is given.
func TestKeys(t *testing.T) {
	srv := startRedis(t)
	r := raw(t, srv.Addr)
	t.Run("the default prefix", func(t *testing.T) {
		s := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "" })
		if err := s.Set(ctx, "flow:abc", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, err := r.Get(ctx, "sspr:flow:abc").Result(); err != nil || v != "v" {
			t.Fatalf("sspr:flow:abc = %q, %v", v, err)
		}
	})
	t.Run("no prefix", func(t *testing.T) {
		s := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = redisstate.NoPrefix })
		if err := s.Set(ctx, "bare", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, err := r.Get(ctx, "bare").Result(); err != nil || v != "v" {
			t.Fatalf("bare = %q, %v", v, err)
		}
	})
	t.Run("milliseconds, rounded up", func(t *testing.T) {
		s := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "ms:" })
		for _, tt := range []struct {
			ttl      time.Duration
			min, max time.Duration
		}{
			{1500 * time.Millisecond, 1400 * time.Millisecond, 1500 * time.Millisecond},
			{time.Nanosecond, 0, time.Millisecond}, // never "no expiry" nor an error
			{90*time.Second + 1, 90*time.Second - 100*time.Millisecond, 90*time.Second + time.Millisecond},
		} {
			if err := s.Set(ctx, "k", []byte("v"), tt.ttl); err != nil {
				t.Fatalf("Set ttl %v: %v", tt.ttl, err)
			}
			if d, err := r.PTTL(ctx, "ms:k").Result(); err != nil || d < tt.min || d > tt.max {
				// PTTL is -2 for a key already gone: fine for 1ns.
				if !(tt.ttl == time.Nanosecond && d == -2*time.Nanosecond) {
					t.Errorf("ttl %v: PTTL %v, %v; want %v..%v", tt.ttl, d, err, tt.min, tt.max)
				}
			}
		}
	})
	t.Run("a new counter gets the window, a later increment keeps it", func(t *testing.T) {
		s := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "win:" })
		if _, err := s.Incr(ctx, "c", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := s.Incr(ctx, "c", time.Hour); err != nil {
			t.Fatal(err)
		}
		if d := r.PTTL(ctx, "win:c").Val(); d <= 0 || d > 9950*time.Millisecond {
			t.Fatalf("PTTL %v, want under 9.95s: the first window, not the second call's", d)
		}
	})
}

// TestUpdateAcrossServers has two stores (two servers) update one key at
// once: WATCH makes them retry, no update is lost, and fn sees only what is
// stored.
func TestUpdateAcrossServers(t *testing.T) {
	srv := startRedis(t)
	a := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "shared:" })
	b := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "shared:" })
	const workers, each = 8, 40
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 * workers {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for range each {
				err := s.Update(ctx, "n", func(cur []byte) ([]byte, time.Duration, error) {
					calls.Add(1)
					var n int
					if cur != nil {
						if err := json.Unmarshal(cur, &n); err != nil {
							return nil, 0, err
						}
					}
					next, err := json.Marshal(n + 1)
					return next, time.Minute, err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	v, err := a.Get(ctx, "n")
	if err != nil || string(v) != fmt.Sprint(2*workers*each) {
		t.Fatalf("counter %q, %v; want %d", v, err, 2*workers*each)
	}
	t.Logf("%d updates, fn called %d times (%d retries after a conflict)", 2*workers*each, calls.Load(), calls.Load()-2*workers*each)
}

// TestContention: a key that another server changes at every try makes
// Update give up with a 429 rather than loop, changing nothing.
func TestContention(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "busy:"; c.UpdateTries = 3 })
	other := raw(t, srv.Addr)
	var calls int
	err := s.Update(ctx, "k", func(cur []byte) ([]byte, time.Duration, error) {
		calls++
		// Another server writes between this one's WATCH and EXEC.
		if err := other.Set(ctx, "busy:k", fmt.Sprint("other", calls), time.Minute).Err(); err != nil {
			return nil, 0, err
		}
		return []byte("mine"), time.Minute, nil
	})
	var ae *sspr.Error
	if !errors.Is(err, redisstate.ErrContention) || !errors.As(err, &ae) || ae.Code != sspr.CodeThrottled {
		t.Fatalf("err %v, want ErrContention (throttled)", err)
	}
	if calls != 3 {
		t.Errorf("fn called %d times, want 3 (UpdateTries)", calls)
	}
	if v := other.Get(ctx, "busy:k").Val(); v != "other3" {
		t.Errorf("value %q, want the other server's last write", v)
	}
}

// TestErrorsNameNoKey: keys hold flow ids, which are bearer secrets, and
// errors end up in logs.
func TestErrorsNameNoKey(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv.Addr)
	const key = "flow:SECRET-FLOW-ID"
	if err := s.Set(ctx, key, []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, key, time.Minute); !errors.Is(err, redisstate.ErrNotInteger) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("Incr: %v", err)
	}
	srv.Stop()
	for op, err := range every(s, key) {
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: %v names the key", op, err)
		}
	}
}

func TestCheckServer(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv.Addr)
	sv, err := s.CheckServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server %+v", sv)
	if sv.Version == "" || sv.EvictionPolicy != "noeviction" || len(sv.Problems()) != 0 {
		t.Fatalf("%+v: problems %q", sv, sv.Problems())
	}
	if err := raw(t, srv.Addr).ConfigSet(ctx, "maxmemory-policy", "volatile-lru").Err(); err != nil {
		t.Fatal(err)
	}
	sv, err = s.CheckServer(ctx)
	if err != nil || len(sv.Problems()) != 1 || !strings.Contains(sv.Problems()[0], "noeviction") {
		t.Fatalf("%+v %v: problems %q", sv, err, sv.Problems())
	}
	if p := (redisstate.Server{Version: "6.2.14", EvictionPolicy: "noeviction"}).Problems(); len(p) != 1 {
		t.Fatalf("6.2: problems %q", p)
	}
	srv.Stop()
	_, err = s.CheckServer(ctx)
	wantUnavailable(t, "CheckServer", err)
}
