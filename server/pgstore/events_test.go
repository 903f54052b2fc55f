package pgstore_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// holdPool takes every connection of s's pool, so that the audit writer
// waits for one; release gives them back.
func holdPool(t *testing.T, s *pgstore.Store) (release func()) {
	t.Helper()
	var conns []*pgxpool.Conn
	for range s.Pool().Config().MaxConns {
		c, err := s.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	return func() {
		for _, c := range conns {
			c.Release()
		}
	}
}

// recordInOrder records events from a goroutine each, one after the other
// joining the audit writer's next batch (the pool held, the writer waits
// for a connection), so that the batch holds them in this order; it
// returns a channel that gets each Record's error, by index, once all have
// returned.
func recordInOrder(t *testing.T, s *pgstore.Store, events []sspr.Event) <-chan []error {
	t.Helper()
	errs := make([]error, len(events))
	var wg sync.WaitGroup
	for i, e := range events {
		wg.Go(func() { errs[i] = s.Record(ctx, e) })
		testkit.Eventually(t, 30*time.Second, fmt.Sprintf("event %d waiting", i), func() bool { return pgstore.EventsWaiting(s) == i+1 })
	}
	out := make(chan []error, 1)
	go func() {
		wg.Wait()
		out <- errs
	}()
	return out
}

// openPatient opens a store on a fresh database whose timeout outlasts a
// slow machine's setting up of a batch: the writer's wait for a
// connection counts against it.
func openPatient(t *testing.T) *pgstore.Store {
	srv := pgtest.Shared(t)
	cfg := config(srv, srv.NewDatabase(t))
	cfg.Timeout = time.Minute
	return MustOpenConfig(t, cfg)
}

// Events recorded while the writer waits are inserted together, in one
// statement and one commit, in the order they were recorded, every field
// intact; each Record returns only once its event is in.
func TestEventsGroupCommit(t *testing.T) {
	s := openPatient(t)

	// One event alone: one commit.
	if err := s.Record(ctx, sspr.Event{Kind: "alone", UserID: "a@example.edu"}); err != nil {
		t.Fatal(err)
	}
	if got := pgstore.EventCommits(s); got != 1 {
		t.Fatalf("%d commits for one event", got)
	}

	const n = 50
	at := time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))
	events := make([]sspr.Event, n)
	for i := range events {
		events[i] = sspr.Event{At: at, Kind: "together", UserID: fmt.Sprintf("u%d@example.edu", i),
			Flow: fmt.Sprintf("flow-%d", i), Request: fmt.Sprintf("req-%d", i), Outcome: sspr.OutcomeOK,
			ClientAddr: fmt.Sprintf("192.0.2.%d", i), UserAgent: "Mozilla/5.0 (X11; Linux x86_64) «ünïcødé»",
			Detail: fmt.Sprintf("n=%d, quote=' \"back\\slash\" {brace,comma}", i)}
	}
	events[7].At = time.Time{}                         // stamped by Record
	events[8].Detail, events[9].UserAgent = "", "NULL" // an empty text, and one that reads like NULL
	t0 := time.Now()
	release := holdPool(t, s)
	done := recordInOrder(t, s, events)
	select {
	case <-done:
		t.Fatal("Records returned while the writer waited, before their events could be committed")
	default:
	}
	release()
	for i, err := range <-done {
		if err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	after := time.Now()
	if got := pgstore.EventCommits(s) - 1; got != 1 {
		t.Errorf("%d commits for %d events recorded together; want 1", got, n)
	}

	got, err := s.Events(ctx, sspr.EventQuery{Kinds: []string{"together"}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d events stored, want %d", len(got), n)
	}
	// Newest first: event 7, stamped at its Record; then the others, of
	// the same time, the later recorded first.
	var want []sspr.Event
	for i := n - 1; i >= 0; i-- {
		e := events[i]
		e.At = at.UTC().Truncate(time.Microsecond)
		if i == 7 {
			e.At = got[0].At
			want = append([]sspr.Event{e}, want...)
			continue
		}
		want = append(want, e)
	}
	if got[0].At.Before(t0.Truncate(time.Microsecond)) || got[0].At.After(after) {
		t.Errorf("event 7 stamped %s, not between %s and %s", got[0].At, t0, after)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("event %d stored as\n%+v\nwant\n%+v", i, got[i], want[i])
		}
	}
}

// Many events recorded at once, with no connection held: each is stored
// once, and they share commits (as many as one each at worst: how many
// share depends on the machine's timing, which a test can't set).
func TestEventsConcurrent(t *testing.T) {
	s, _, _ := MustOpen(t)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.Record(ctx, sspr.Event{Kind: "concurrent", UserID: fmt.Sprintf("u%d@example.edu", i), Detail: fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	commits := pgstore.EventCommits(s)
	t.Logf("%d events in %d commits", n, commits)
	if commits > n {
		t.Errorf("%d commits for %d events", commits, n)
	}
	got, err := s.Events(ctx, sspr.EventQuery{Kinds: []string{"concurrent"}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.UserID] {
			t.Errorf("%s stored twice", e.UserID)
		}
		seen[e.UserID] = true
		if e.UserID != "u"+e.Detail+"@example.edu" {
			t.Errorf("fields of two events mixed: %+v", e)
		}
	}
	if len(seen) != n {
		t.Errorf("%d events stored, want %d", len(seen), n)
	}
}

// A batch that holds an event PostgreSQL refuses (text with a NUL byte:
// no text column takes one) is written again event by event: the bad
// event's Record fails, with PostgreSQL's refusal (a plain error: a bug,
// not an outage), and the good events of the same batch are stored.
func TestEventsBadEventInBatch(t *testing.T) {
	for name, bad := range map[string]sspr.Event{
		"a NUL byte in the detail": {Kind: "batch", UserID: "bad@example.edu", Detail: "nul \x00 byte"},
		"a NUL byte in the kind":   {Kind: "batch\x00", UserID: "bad@example.edu"},
		"invalid UTF-8":            {Kind: "batch", UserID: "bad@example.edu", UserAgent: "invalid UTF-8 \xff"},
	} {
		t.Run(name, func(t *testing.T) {
			s := openPatient(t)
			const n, badAt = 10, 4
			events := make([]sspr.Event, n)
			for i := range events {
				events[i] = sspr.Event{Kind: "batch", UserID: fmt.Sprintf("u%d@example.edu", i), Detail: fmt.Sprint(i)}
			}
			events[badAt] = bad
			release := holdPool(t, s)
			done := recordInOrder(t, s, events)
			release()
			for i, err := range <-done {
				switch {
				case i == badAt && err == nil:
					t.Errorf("the bad event was recorded")
				case i == badAt:
					var pe *pgconn.PgError
					if !errors.As(err, &pe) || pe.Code[:2] != "22" || code(err) != "" {
						t.Errorf("the bad event: %v (code %q); want PostgreSQL's data exception, a plain error", err, code(err))
					}
				case err != nil:
					t.Errorf("event %d, in the batch of a bad one: %v", i, err)
				}
			}
			got, err := s.Events(ctx, sspr.EventQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, e := range got {
				users = append([]string{e.UserID}, users...) // oldest first
			}
			var want []string
			for i, e := range events {
				if i != badAt {
					want = append(want, e.UserID)
				}
			}
			if !reflect.DeepEqual(users, want) {
				t.Errorf("stored %v; want %v", users, want)
			}
			if got := pgstore.EventCommits(s); got != n-1 {
				t.Errorf("%d commits; want %d, each good event on its own", got, n-1)
			}

			// The same event alone fails the same way, and the writer
			// goes on.
			if err := s.Record(ctx, bad); err == nil || code(err) != "" {
				t.Errorf("the bad event alone: %v; want a plain error", err)
			}
			if err := s.Record(ctx, sspr.Event{Kind: "after", UserID: "z@example.edu"}); err != nil {
				t.Errorf("an event after the bad one: %v", err)
			}
		})
	}
}
