// Package redisstate is the Redis State backend: flows, CAPTCHA answers,
// code hashes and throttle counters kept in Redis, so that every server
// behind a load balancer sees the same ones and a flow started on one
// server continues on any other (docs/SECURITY.md#restart-mid-flow).
//
// It behaves as memstate does (the shared table in server/internal/statetest
// runs against both), with these Redis commands:
//
//   - Get, Set, Delete: GET, SET ... PX, DEL; expiries in milliseconds,
//     rounded up, so a positive ttl never becomes "no expiry".
//   - Take: GETDEL (Redis 6.2), so of parallel takers exactly one gets the
//     value.
//   - Update: WATCH, GET, then MULTI/SET or DEL/EXEC, tried again when
//     another server changed the key in between. Updates of one key by this
//     server wait for each other first, so retries happen only between
//     servers.
//   - Incr: MULTI/INCR/PEXPIRE ... NX/EXEC (Redis 7.0): the expiry is set
//     only on a new counter, in the same step, so the window is fixed and a
//     counter can never be left without an expiry.
//
// Fail closed: any failure to reach Redis, a timeout, or a refusal such as
// READONLY, LOADING or OOM is service_unavailable (sspr.Unavailable: 503,
// with a message safe to show) and wraps the cause for the log. Errors from
// go-redis never carry keys, which hold flow ids (bearer secrets), nor
// values. A failure is never taken for a missing key, which would skip a
// throttle (docs/SECURITY.md#backend-down).
package redisstate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/sspr-portal/sspr/server/sspr"
)

// Defaults of Config.
const (
	DefaultKeyPrefix    = "sspr:"
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	DefaultPoolSize     = 20
	// DefaultUpdateTries bounds the optimistic transactions of one Update.
	DefaultUpdateTries = 32
)

// Errors of the store.
var (
	// ErrTTL is returned for a ttl or window that is not positive: every
	// entry here is short-lived, so an entry that never expires is a bug.
	ErrTTL = errors.New("redisstate: ttl must be positive")
	// ErrNotInteger is returned by Incr when the key holds something that is
	// not a decimal counter, or a counter that would overflow.
	ErrNotInteger = errors.New("redisstate: value is not an integer")
	// ErrContention is returned by Update when other servers changed the
	// key every time it was tried. Only many parallel requests on one flow
	// or one account do that; it is a 429 with a short Retry-After.
	ErrContention error = &sspr.Error{Code: sspr.CodeThrottled,
		Message: "Too many requests at once.", RetryAfterSeconds: 1}
)

var _ sspr.State = (*Store)(nil)

// Config configures a Store. Zero values take the defaults.
type Config struct {
	// Addr is the server's host:port.
	Addr     string
	Username string
	Password string
	DB       int
	// TLS, when set, encrypts the connection. The caller builds it with
	// verification on (server/portal does).
	TLS *tls.Config
	// KeyPrefix is put before every key, so that one Redis can serve other
	// things too. Empty takes DefaultKeyPrefix; NoPrefix means none.
	KeyPrefix    string
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	PoolSize     int
	// UpdateTries bounds how often Update tries its transaction when other
	// servers keep changing the key (DefaultUpdateTries).
	UpdateTries int
}

// NoPrefix as Config.KeyPrefix means keys are used as they are.
const NoPrefix = "\x00none"

// Store is an sspr.State in Redis. It is safe for
// concurrent use.
type Store struct {
	c      *redis.Client
	prefix string
	tries  int
	// locks serialise Updates of one key within this process: without
	// them, parallel updates here would only fight over WATCH and retry.
	locks [64]chan struct{}
	seed  maphash.Seed
}

var quietLibrary sync.Once

// New returns a store that talks to the server cfg names. It connects on
// first use, so it succeeds while Redis is down (Ping says so).
func New(cfg Config) (*Store, error) {
	if cfg.Addr == "" {
		return nil, errors.New("redisstate: no address")
	}
	// go-redis prints its own lines (failed dials, mostly) to stderr, in
	// its own format. Every such failure reaches a caller as an error here
	// and is logged once there, with the request it broke.
	quietLibrary.Do(func() { redis.SetLogger(&logging.VoidLogger{}) })

	prefix := cfg.KeyPrefix
	switch prefix {
	case "":
		prefix = DefaultKeyPrefix
	case NoPrefix:
		prefix = ""
	}
	or := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	pool := cfg.PoolSize
	if pool <= 0 {
		pool = DefaultPoolSize
	}
	tries := cfg.UpdateTries
	if tries <= 0 {
		tries = DefaultUpdateTries
	}
	c := redis.NewClient(&redis.Options{
		Addr: cfg.Addr, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB, TLSConfig: cfg.TLS,
		DialTimeout: or(cfg.DialTimeout, DefaultDialTimeout),
		ReadTimeout: or(cfg.ReadTimeout, DefaultReadTimeout), WriteTimeout: or(cfg.WriteTimeout, DefaultWriteTimeout),
		// A request's deadline bounds its wait for Redis too.
		ContextTimeoutEnabled: true,
		PoolSize:              pool,
		// One attempt per dial and one retry per command (a pooled
		// connection that a restart broke): a user waits for a 503 no
		// longer than about twice the timeouts, not for rounds of
		// retries. While dials keep failing, go-redis answers at once and
		// probes in the background every second.
		DialerRetries: 1, MaxRetries: 1,
		MinRetryBackoff: 8 * time.Millisecond, MaxRetryBackoff: 64 * time.Millisecond,
		// Nothing here needs Redis's newer client features; each would be
		// one more command per connection, refused by some servers.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	s := &Store{c: c, prefix: prefix, tries: tries, seed: maphash.MakeSeed()}
	for i := range s.locks {
		s.locks[i] = make(chan struct{}, 1)
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.c.Close() }

func (s *Store) key(k string) string { return s.prefix + k }

// ms is d in whole milliseconds, rounded up: Redis's precision, and never
// zero for a positive d (PX 0 is an error).
func ms(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// Get returns the value, or nil when the key is missing or expired. A stored
// empty value is returned as a non-nil empty slice.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := s.c.Get(ctx, s.key(key)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	return []byte(v), nil // a copy, and non-nil when empty
}

// Set stores value, replacing any previous value and expiry, to expire after
// ttl. It returns ErrTTL if ttl <= 0.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrTTL
	}
	if err := s.c.Set(ctx, s.key(key), value, ms(ttl)).Err(); err != nil {
		return sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	return nil
}

// Delete removes a key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.key(key)).Err(); err != nil {
		return sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	return nil
}

// Take returns the value and deletes the key in one step (GETDEL): of
// several callers taking one key at once, on any servers, exactly one gets
// the value. It returns nil when the key is missing or expired.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := s.c.GetDel(ctx, s.key(key)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	return []byte(v), nil
}

// errFn marks fn's own error (or ErrTTL for its ttl) inside the
// transaction, so that it is returned as it is and not as a Redis failure.
type errFn struct{ err error }

func (e errFn) Error() string { return e.err.Error() }

// Update atomically replaces a key's value with what fn returns; fn gets the
// current value, or nil for a missing or expired key. If fn returns a nil
// value the key is deleted; if it returns an error nothing changes and
// Update returns that error. A non-nil value needs a positive ttl (ErrTTL
// otherwise).
//
// The key is WATCHed while fn runs, and the write is committed only if no
// other client changed the key meanwhile; otherwise fn runs again on the new
// value. So fn may be called more than once: it must depend on cur only
// (and on what does not change, such as the clock), keep no effect of an
// earlier call, and not call back into the store. After UpdateTries
// conflicts Update gives up with ErrContention.
func (s *Store) Update(ctx context.Context, key string, fn func(cur []byte) (next []byte, ttl time.Duration, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := s.key(key)
	release, err := s.lock(ctx, k)
	if err != nil {
		return sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	defer release()
	txf := func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, k).Result()
		var cur []byte
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		default:
			cur = []byte(v)
		}
		next, ttl, err := fn(cur)
		switch {
		case err != nil:
			return errFn{err}
		case next == nil && cur == nil:
			return nil // nothing to delete
		case next != nil && ttl <= 0:
			return errFn{ErrTTL}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if next == nil {
				p.Del(ctx, k)
			} else {
				p.Set(ctx, k, next, ms(ttl))
			}
			return nil
		})
		return err
	}
	for try := range s.tries {
		err := s.c.Watch(ctx, txf, k)
		var fe errFn
		switch {
		case err == nil:
			return nil
		case errors.As(err, &fe):
			return fe.err
		case !errors.Is(err, redis.TxFailedErr):
			return sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
		}
		// Another server wrote the key between WATCH and EXEC: wait a
		// little, more after each conflict, with jitter so that two
		// servers don't collide again in step.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(try, 4)))
		select {
		case <-ctx.Done():
			return sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", ctx.Err()))
		case <-time.After(wait):
		}
	}
	return ErrContention
}

// lock serialises Updates of keys that share k's slot, within this process.
func (s *Store) lock(ctx context.Context, k string) (release func(), err error) {
	l := s.locks[maphash.String(s.seed, k)%uint64(len(s.locks))]
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Incr adds one to a counter and returns the new count. A new (or expired)
// counter starts at 1 and expires after window; later increments keep that
// expiry, so the window is fixed. The counter is decimal text, so Get
// returns it as such. It returns ErrTTL if window <= 0, and ErrNotInteger if
// the key holds something else.
func (s *Store) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if window <= 0 {
		return 0, ErrTTL
	}
	k := s.key(key)
	var incr *redis.IntCmd
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		// NX: only a key without an expiry, that is the counter INCR has
		// just created, gets one.
		p.Do(ctx, "PEXPIRE", k, ms(window).Milliseconds(), "NX")
		return nil
	})
	if incr != nil && notInteger(incr.Err()) {
		return 0, ErrNotInteger
	}
	if err != nil {
		return 0, sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	return incr.Val(), nil
}

// notInteger reports whether err is INCR's refusal of the key's value.
func notInteger(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	return strings.HasPrefix(msg, "ERR value is not an integer") || strings.Contains(msg, "would overflow")
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.c.Ping(ctx).Err(); err != nil {
		return sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	return nil
}

// Server is what CheckServer learnt about the server.
type Server struct {
	// Version is redis_version, such as "7.0.15".
	Version string
	// EvictionPolicy is maxmemory-policy, or "" when the server does not
	// let clients read its configuration (some managed services).
	EvictionPolicy string
}

// Problems lists what makes the server unfit, for a warning: a version
// before 7.0 (Incr needs PEXPIRE NX), and an eviction policy other than
// noeviction, under which Redis may drop a throttle counter or a block
// when memory runs short, silently handing an attacker a fresh quota.
func (sv Server) Problems() []string {
	var p []string
	if major, _, _ := strings.Cut(sv.Version, "."); sv.Version != "" {
		if n, err := strconv.Atoi(major); err == nil && n < 7 {
			p = append(p, fmt.Sprintf("Redis %s is too old: 7.0 or later is needed (PEXPIRE NX, GETDEL)", sv.Version))
		}
	}
	if sv.EvictionPolicy != "" && sv.EvictionPolicy != "noeviction" {
		p = append(p, fmt.Sprintf("maxmemory-policy is %q: set it to \"noeviction\", so that Redis refuses writes (the portal answers 503) rather than evicting throttle counters and blocks", sv.EvictionPolicy))
	}
	return p
}

// CheckServer reads the server's version and eviction policy.
func (s *Store) CheckServer(ctx context.Context) (Server, error) {
	var sv Server
	info, err := s.c.Info(ctx, "server").Result()
	if err != nil {
		return sv, sspr.Unavailable(sspr.BackendState, fmt.Errorf("redis: %w", err))
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			sv.Version = v
		}
	}
	if m, err := s.c.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
		sv.EvictionPolicy = m["maxmemory-policy"]
	}
	return sv, nil
}
