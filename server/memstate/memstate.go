// Package memstate is the in-memory State backend, the embedded default:
// flows, captcha answers, code hashes and throttle counters, each with an
// expiry judged by an injected clock. It serves one server only; several
// servers behind a load balancer share the Redis backend instead.
//
// Memory is bounded. Every write first drops the entries that have expired
// (they are kept in heaps ordered by expiry, so this costs nothing when
// nothing has expired), and at most maxKeys live keys are stored.
//
// What happens when the store is full depends on the key. By default every
// key is kept until it expires or is deleted, and writing a new key to a
// full store fails with ErrFull (503 service_unavailable for everyone: the
// store fails closed rather than drop a throttle counter, which would hand
// an attacker a fresh quota). The caller may name, with the option
// Evictable, the key prefixes whose entries are cheap to lose, such as
// unsolved CAPTCHAs (which anyone can make) and per-address counters. Then:
//
//   - a new evictable key that finds the store full, or finds the evictable
//     entries already holding their share of it (EvictableShare, half by
//     default), evicts the evictable entry that expires soonest (the one
//     with the least left to protect) instead of failing;
//   - a new kept key that finds the store full evicts an evictable entry
//     the same way: evictable entries never take room kept ones need;
//   - kept entries are never evicted, and a store full of them still fails
//     closed with ErrFull.
//
// So a flood of CAPTCHA requests from many addresses (which no per-address
// limit stops) costs at most a share of the bound, and everyone else keeps
// working: at worst the flood's own entries, and the oldest unsolved
// CAPTCHAs, make way. What an attacker gains from an eviction is a fresh
// per-address quota, for addresses that are flooding anyway; the
// per-account limits, blocks and locks are kept entries and are never
// evicted, so no account gets more guesses. docs/STATE.md has the whole
// argument.
package memstate

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// DefaultMaxKeys is the bound New uses when given maxKeys <= 0.
const DefaultMaxKeys = 1 << 20

// DefaultEvictableShare is the share of maxKeys that evictable entries may
// hold unless EvictableShare says otherwise.
const DefaultEvictableShare = 0.5

// Errors of the store.
var (
	// ErrFull is returned when a new key would exceed the store's bound.
	// Existing keys can still be read, replaced and deleted. It is an
	// *sspr.Error, service_unavailable, so the caller answers 503,
	// failing closed, never 500. With evictable prefixes (Evictable),
	// only a store full of kept entries returns it.
	ErrFull error = &sspr.Error{Code: sspr.CodeServiceUnavailable, Message: "The service is busy. Try again in a few minutes."}
	// ErrTTL is returned for a ttl or window that is not positive: every
	// entry here is short-lived, so an entry that never expires is a bug
	// (and Redis refuses a zero expiry too).
	ErrTTL = errors.New("memstate: ttl must be positive")
	// ErrNotInteger is returned by Incr when the key holds something that is
	// not a decimal counter.
	ErrNotInteger = errors.New("memstate: value is not an integer")
)

var _ sspr.State = (*Store)(nil)

// Store is an in-memory sspr.State. It is safe for concurrent use; one mutex
// guards everything, which keeps Update trivially atomic and is far from a
// bottleneck at the request rates one server sees.
type Store struct {
	now     func() time.Time
	maxKeys int
	// evictable are the key prefixes of the entries that may be evicted,
	// and maxEvictable how many of them may be live at once.
	evictable    []string
	share        float64
	maxEvictable int

	mu sync.Mutex
	m  map[string]*entry
	// byExp holds the entries of each class, soonest expiry first: sweeps
	// pop expired entries from both, evictions from byExp[evictable].
	byExp [2]expiryHeap
	// peak is the largest len(m) since m was last allocated: Go maps never
	// shrink, so after a flood has expired the map is rebuilt to free it.
	peak    int
	evicted uint64
}

// class says whether an entry may be evicted; it follows from the key, so
// an entry never changes class.
type class uint8

const (
	kept class = iota
	evictable
)

type entry struct {
	key     string
	value   []byte
	expires time.Time
	class   class
	index   int // in byExp[class]
}

// Option configures a Store.
type Option func(*Store)

// Evictable lets the store evict, when it is full, the entries whose keys
// start with one of prefixes (see the package documentation). Only what is
// cheap to lose belongs here: an entry whose loss could give anyone a
// second chance against an account (per-account counters, blocks, locks,
// cool-downs) or end someone's work (flows, sessions) must stay kept.
func Evictable(prefixes ...string) Option {
	return func(s *Store) { s.evictable = append(s.evictable, prefixes...) }
}

// EvictableShare sets the share of maxKeys that evictable entries may hold
// at once, more than 0 and at most 1 (DefaultEvictableShare otherwise). It
// bounds what a flood of evictable keys can hold even while the store has
// room; kept entries can take the rest, and may evict to get it.
func EvictableShare(share float64) Option {
	return func(s *Store) { s.share = share }
}

// New returns an empty store that reads the time from now (time.Now if nil)
// and holds at most maxKeys live keys (DefaultMaxKeys if maxKeys <= 0). It
// panics on an EvictableShare outside (0, 1]: a programming error.
func New(now func() time.Time, maxKeys int, opts ...Option) *Store {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	s := &Store{now: now, maxKeys: maxKeys, share: DefaultEvictableShare, m: make(map[string]*entry)}
	for _, o := range opts {
		o(s)
	}
	if !(s.share > 0 && s.share <= 1) {
		panic(fmt.Sprintf("memstate.New: evictable share %v is not in (0, 1]", s.share))
	}
	// At least one, so that a tiny store can still evict.
	s.maxEvictable = max(int(float64(maxKeys)*s.share), 1)
	return s
}

// Get returns a copy of the value, or nil when the key is missing or
// expired. A stored empty value is returned as a non-nil empty slice.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(key, s.now())
	if e == nil {
		return nil, nil
	}
	return clone(e.value), nil
}

// Set stores a copy of value, replacing any previous value and expiry, to
// expire after ttl. It returns ErrTTL if ttl <= 0 and ErrFull if key is new
// and the store is full.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	return s.put(key, clone(value), now.Add(ttl))
}

// Delete removes a key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		s.remove(e)
	}
	return nil
}

// Take returns the value and deletes the key in one step, like Redis GETDEL:
// of several callers taking one key at once, exactly one gets the value. It
// returns nil when the key is missing or expired.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(key, s.now())
	if e == nil {
		return nil, nil
	}
	s.remove(e)
	// The entry has left the store, so nobody else can see its bytes.
	return e.value, nil
}

// Update atomically replaces a key's value with what fn returns; fn gets a
// copy of the current value, or nil for a missing or expired key. If fn
// returns a nil value the key is deleted; if it returns an error nothing
// changes and Update returns that error. A non-nil value needs a positive
// ttl (ErrTTL otherwise), and a new key needs room (ErrFull otherwise).
//
// fn runs with the store's lock held: it must be quick and must not call
// back into the store, or it deadlocks.
func (s *Store) Update(ctx context.Context, key string, fn func(cur []byte) (next []byte, ttl time.Duration, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock() // deferred so that a panic in fn can't leave it locked
	now := s.now()
	s.sweep(now)
	var cur []byte
	e := s.live(key, now)
	if e != nil {
		cur = clone(e.value)
	}
	next, ttl, err := fn(cur)
	if err != nil {
		return err
	}
	if next == nil {
		if e != nil {
			s.remove(e)
		}
		return nil
	}
	if ttl <= 0 {
		return ErrTTL
	}
	return s.put(key, clone(next), now.Add(ttl))
}

// Incr adds one to a counter and returns the new count. A new (or expired)
// counter starts at 1 and expires after window; later increments keep that
// expiry, so the window is fixed. The counter is stored as decimal text, so
// Get returns it as Redis would. It returns ErrTTL if window <= 0, ErrFull if
// the counter is new and the store is full, and ErrNotInteger if the key
// holds something else.
func (s *Store) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if window <= 0 {
		return 0, ErrTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	e := s.live(key, now)
	if e == nil {
		if err := s.put(key, []byte("1"), now.Add(window)); err != nil {
			return 0, err
		}
		return 1, nil
	}
	n, err := strconv.ParseInt(string(e.value), 10, 64)
	if err != nil || n == 1<<63-1 {
		// The key is not named: keys carry flow ids, which are bearer
		// secrets, and errors end up in logs.
		return 0, ErrNotInteger
	}
	n++
	e.value = strconv.AppendInt(e.value[:0], n, 10)
	return n, nil
}

// Ping reports whether the store can serve; in memory it always can.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// Len returns the number of live keys.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.now())
	return len(s.m)
}

// Evicted returns how many live entries have been evicted to make room
// since the store was made: more than zero means it has been full, most
// likely under a flood.
func (s *Store) Evicted() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evicted
}

// Sweep drops every expired entry now and returns how many it dropped.
// Writes sweep as they go; Sweep (or Run) also frees memory while no writes
// come.
func (s *Store) Sweep() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sweep(s.now())
}

// Run sweeps every interval until ctx is done, then returns ctx's error.
func (s *Store) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			s.Sweep()
		}
	}
}

// live returns the entry for key if it has not expired, dropping it if it
// has. The caller holds s.mu.
func (s *Store) live(key string, now time.Time) *entry {
	e, ok := s.m[key]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		s.remove(e)
		return nil
	}
	return e
}

// put stores value (already a private copy) under key. The caller holds s.mu
// and has swept, so len(s.m) counts live keys only, and never more than
// maxKeys.
func (s *Store) put(key string, value []byte, expires time.Time) error {
	if e, ok := s.m[key]; ok {
		e.value, e.expires = value, expires
		heap.Fix(&s.byExp[e.class], e.index)
		return nil
	}
	c := s.classOf(key)
	if len(s.m) >= s.maxKeys || c == evictable && len(s.byExp[evictable]) >= s.maxEvictable {
		// One eviction is always enough: it frees a key of the store and
		// of the evictable share alike.
		if len(s.byExp[evictable]) == 0 {
			return ErrFull
		}
		s.remove(s.byExp[evictable][0])
		s.evicted++
	}
	e := &entry{key: key, value: value, expires: expires, class: c}
	s.m[key] = e
	heap.Push(&s.byExp[c], e)
	s.peak = max(s.peak, len(s.m))
	return nil
}

func (s *Store) classOf(key string) class {
	for _, p := range s.evictable {
		if strings.HasPrefix(key, p) {
			return evictable
		}
	}
	return kept
}

func (s *Store) remove(e *entry) {
	delete(s.m, e.key)
	heap.Remove(&s.byExp[e.class], e.index)
}

// sweep drops expired entries, oldest expiry first, and returns how many.
// The caller holds s.mu.
func (s *Store) sweep(now time.Time) int {
	n := 0
	for c := range s.byExp {
		h := &s.byExp[c]
		for len(*h) > 0 && !now.Before((*h)[0].expires) {
			e := heap.Pop(h).(*entry)
			delete(s.m, e.key)
			n++
		}
	}
	if n > 0 {
		s.shrink()
	}
	return n
}

// shrinkMin is the size below which the map and heap are never rebuilt.
const shrinkMin = 1024

// shrink rebuilds the map and the heap's array when they hold less than a
// quarter of what they once did, so that the memory of a past flood is
// returned instead of kept for ever.
func (s *Store) shrink() {
	if s.peak >= shrinkMin && len(s.m) <= s.peak/4 {
		m := make(map[string]*entry, len(s.m))
		for k, e := range s.m {
			m[k] = e
		}
		s.m = m
		s.peak = len(m)
	}
	for c, h := range s.byExp {
		if cap(h) >= shrinkMin && len(h) <= cap(h)/4 {
			s.byExp[c] = append(expiryHeap(nil), h...) // indexes are unchanged
		}
	}
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

// expiryHeap orders entries by expiry, soonest first (container/heap).
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old) - 1
	e := old[n]
	old[n] = nil // let the entry be collected
	*h = old[:n]
	return e
}
