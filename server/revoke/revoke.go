// Package revoke keeps, for each account, the State keys of its live
// signed-in sessions and reset flows, so that a reset, an unlock, a
// password change or a service-desk action can end every one of them. The
// index lives in the State backend, which every server shares, so the end
// reaches sessions and flows started on any server.
//
// Ending is done twice over, because either alone has a gap: the keys the
// index lists are deleted, and the time of the end is recorded, so that a
// session or flow whose proof of identity began before it is refused at its
// next call even if its key was saved a moment after the index was read (a
// sign-in racing the reset), or its deletion failed.
package revoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// MaxKeys is the most keys one account's index holds. An account has a few
// flows (starts are limited per account) and a session or two at a time;
// past this, the key that expires soonest is ended at once to make room, so
// nothing live is ever left out of the index.
const MaxKeys = 64

// ErrEnded is returned by Add when the account's sessions and flows were
// ended after the proof the key stands on began.
var ErrEnded = errors.New("revoke: ended after this proof of identity began")

// Index is the per-account index.
type Index struct {
	state sspr.State
	now   func() time.Time
	// horizon is the longest any indexed key lives: the end's time is
	// kept that long, since only something older than it can need it.
	horizon time.Duration
}

// New returns the index over state. horizon is the longest life of
// anything indexed (a flow's lifetime, a session's absolute limit).
func New(state sspr.State, now func() time.Time, horizon time.Duration) *Index {
	return &Index{state: state, now: now, horizon: horizon}
}

// entry is one account's index as stored.
type entry struct {
	// Ended is when the account's sessions and flows were last ended.
	Ended time.Time `json:"ended,omitzero"`
	// Keys maps each live key to its expiry.
	Keys map[string]time.Time `json:"keys,omitempty"`
}

func indexKey(user string) string { return "index:user:" + user }

// Add records key, which expires at expires, as one of user's sessions or
// flows. begun is when the proof of identity the key stands on began (the
// sign-in, the start of the flow). If user's sessions and flows were ended
// since then, Add returns ErrEnded and the caller must delete what it saved:
// save first, then Add, and an end can never slip between the two. Keys in
// replaces leave the index at the same time: a flow whose id was renewed.
func (x *Index) Add(ctx context.Context, user, key string, begun, expires time.Time, replaces ...string) error {
	var evict []string
	err := x.update(ctx, user, func(e *entry, now time.Time) error {
		if !e.Ended.IsZero() && begun.Before(e.Ended) {
			return ErrEnded
		}
		if e.Keys == nil {
			e.Keys = map[string]time.Time{}
		}
		for _, k := range replaces {
			delete(e.Keys, k)
		}
		e.Keys[key] = expires
		for len(e.Keys) > MaxKeys {
			soonest := slices.MinFunc(slices.Collect(maps.Keys(e.Keys)), func(a, b string) int {
				return e.Keys[a].Compare(e.Keys[b])
			})
			delete(e.Keys, soonest)
			evict = append(evict, soonest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return x.delete(ctx, evict)
}

// Ended returns when user's sessions and flows were last ended, or the zero
// time. A session or flow whose proof began before it is no longer valid.
func (x *Index) Ended(ctx context.Context, user string) (time.Time, error) {
	b, err := x.state.Get(ctx, indexKey(user))
	if err != nil {
		return time.Time{}, fmt.Errorf("read session index: %w", err)
	}
	if b == nil {
		return time.Time{}, nil
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return time.Time{}, fmt.Errorf("read session index: %w", err)
	}
	return e.Ended, nil
}

// End ends every session and flow of user except the keys in keep, and
// returns how many it ended.
func (x *Index) End(ctx context.Context, user string, keep ...string) (int, error) {
	var ended []string
	err := x.update(ctx, user, func(e *entry, now time.Time) error {
		e.Ended = now
		for k := range e.Keys {
			if !slices.Contains(keep, k) {
				ended = append(ended, k)
				delete(e.Keys, k)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.Sort(ended)
	return len(ended), x.delete(ctx, ended)
}

// update applies fn to user's index atomically, dropping the keys that have
// expired, and stores it for as long as its longest key or its end matter.
func (x *Index) update(ctx context.Context, user string, fn func(e *entry, now time.Time) error) error {
	now := x.now()
	err := x.state.Update(ctx, indexKey(user), func(cur []byte) ([]byte, time.Duration, error) {
		var e entry
		if cur != nil {
			if err := json.Unmarshal(cur, &e); err != nil {
				// A broken index is replaced; its End is lost, so
				// keep the safe side: everything before now ended.
				e = entry{Ended: now}
			}
		}
		maps.DeleteFunc(e.Keys, func(_ string, exp time.Time) bool { return !exp.After(now) })
		if err := fn(&e, now); err != nil {
			return nil, 0, err
		}
		until := now
		for _, exp := range e.Keys {
			until = later(until, exp)
		}
		if !e.Ended.IsZero() {
			until = later(until, e.Ended.Add(x.horizon))
		}
		if !until.After(now) {
			return nil, 0, nil // nothing left worth keeping
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return nil, 0, err
		}
		return b, until.Sub(now), nil
	})
	if errors.Is(err, ErrEnded) {
		return err
	}
	if err != nil {
		return fmt.Errorf("update session index: %w", err)
	}
	return nil
}

func (x *Index) delete(ctx context.Context, keys []string) error {
	var errs []error
	for _, k := range keys {
		if err := x.state.Delete(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
