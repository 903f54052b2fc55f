package redisstate_test

import (
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/statetest"
	"github.com/sspr-portal/sspr/server/redisstate"
)

// TestStateContract runs the one table of State behaviours against
// redisstate on a real redis-server, with real time (memstate runs it in
// its own tests, on a fake clock).
func TestStateContract(t *testing.T) {
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
