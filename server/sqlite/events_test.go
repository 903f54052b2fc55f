package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Events recorded while the writer is busy are committed together, each
// Record returns only once its event is in, and none is lost or written
// twice.
func TestEventsGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	s := NewStore(db)

	// One event alone: one commit.
	if err := s.Record(ctx, sspr.Event{Kind: "alone", UserID: "a@example.edu"}); err != nil {
		t.Fatal(err)
	}
	if got := s.events.Commits(); got != 1 {
		t.Fatalf("%d commits for one event", got)
	}

	// The writer busy with a transaction of its own while 50 are recorded.
	held, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	var returned sync.Map
	for i := range n {
		wg.Go(func() {
			if err := s.Record(ctx, sspr.Event{Kind: "together", UserID: fmt.Sprintf("u%d@example.edu", i)}); err != nil {
				t.Error(err)
			}
			returned.Store(i, true)
		})
	}
	// All 50 wait for the round whose connection the transaction holds.
	testkit.Eventually(t, 30*time.Second, fmt.Sprintf("%d events waiting", n), func() bool { return s.events.Waiting() == n })
	returnedEarly := 0
	returned.Range(func(any, any) bool { returnedEarly++; return true })
	if returnedEarly > 0 {
		t.Errorf("%d Records returned while the writer was busy, before their events could be committed", returnedEarly)
	}
	if err := held.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := s.events.Commits() - 1; got != 1 {
		t.Errorf("%d commits for %d events recorded together; want 1", got, n)
	}
	evs, err := s.Events(ctx, sspr.EventQuery{Kinds: []string{"together"}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.UserID] {
			t.Errorf("%s recorded twice", e.UserID)
		}
		seen[e.UserID] = true
	}
	if len(seen) != n {
		t.Errorf("%d events stored, want %d", len(seen), n)
	}

	// A closed database: every Record says so, none hangs.
	db.Close()
	for range 3 {
		if err := s.Record(ctx, sspr.Event{Kind: "late"}); err == nil {
			t.Error("Record on a closed database succeeded")
		}
	}
}
