package redisstate_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/statetest"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/redisstate"
)

// TestStateContract runs the one table of State behaviours against both
// backends: memstate, the reference, with a fake clock; and redisstate
// against a real redis-server, with real time.
func TestStateContract(t *testing.T) {
	t.Run("memstate", func(t *testing.T) {
		statetest.Run(t, func(t *testing.T) statetest.Backend {
			c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
			return statetest.Backend{State: memstate.New(c.Now, 0), Tick: time.Minute, Advance: c.Advance,
				ErrTTL: memstate.ErrTTL, ErrNotInteger: memstate.ErrNotInteger}
		})
	})
	t.Run("redis", func(t *testing.T) {
		srv := startRedis(t)
		statetest.Run(t, func(t *testing.T) statetest.Backend {
			// Every case has its own prefix on the one server, so the
			// cases run in parallel: most of their time is sleeping.
			return statetest.Backend{State: newStore(t, srv.Addr), Tick: 50 * time.Millisecond, Advance: sleepPast,
				ErrTTL: redisstate.ErrTTL, ErrNotInteger: redisstate.ErrNotInteger, Parallel: true}
		})
	})
}

// sleepPast sleeps d and a little more: Redis keeps time in whole
// milliseconds and drops a key only once its expiry is strictly past, so a
// key may still be there within a millisecond after its ttl (memstate drops
// it at the very nanosecond). Found by the shared table; harmless, as every
// ttl here is minutes long.
func sleepPast(d time.Duration) { time.Sleep(d + 3*time.Millisecond) }

// clock is a fake clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
