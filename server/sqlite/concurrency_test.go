package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Many users at once must never see "database is locked": 32 goroutines
// reset passwords, record events, look accounts up and read registrations
// on one file, with a second DB on the same file (as a second process
// would be) writing at the same time.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	other := MustOpenPath(t, db.Path())

	d := sqlite.NewDirectory(db, h, 0)
	s := sqlite.NewStore(db)
	otherDir := sqlite.NewDirectory(other, h, 0)
	otherStore := sqlite.NewStore(other)

	const workers, rounds = 32, 5
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range workers {
		// Several workers share each account, so resets of one account race.
		id := sqlite.DevAccounts[w%len(sqlite.DevAccounts)].ID
		wg.Go(func() {
			for r := range rounds {
				pw := fmt.Sprintf("Worker-%d-Round-%d-Password", w, r)
				if err := d.SetPassword(ctx, id, pw); err != nil {
					fail(fmt.Errorf("SetPassword(%s): %w", id, err))
				}
				if err := s.Record(ctx, sspr.Event{Kind: sspr.EventPasswordReset, UserID: id, Detail: pw[:9]}); err != nil {
					fail(fmt.Errorf("Record: %w", err))
				}
				if a, err := d.Lookup(ctx, id); err != nil || a == nil {
					fail(fmt.Errorf("Lookup(%s) = %v, %w", id, a, err))
				}
				if _, err := s.Registration(ctx, id); err != nil {
					fail(fmt.Errorf("Registration(%s): %w", id, err))
				}
				if _, err := d.CheckPassword(ctx, id, pw); err != nil {
					fail(fmt.Errorf("CheckPassword(%s): %w", id, err))
				}
				// The other "process": short writes and reads.
				if err := otherStore.Record(ctx, sspr.Event{Kind: sspr.EventBlocked, UserID: id}); err != nil {
					fail(fmt.Errorf("other Record: %w", err))
				}
				if err := otherDir.Unlock(ctx, "bob@example.edu"); err != nil {
					fail(fmt.Errorf("other Unlock: %w", err))
				}
				if _, err := otherStore.Events(ctx, sspr.EventQuery{User: id, Limit: 5}); err != nil {
					fail(fmt.Errorf("other Events: %w", err))
				}
			}
		})
	}
	wg.Wait()

	for _, err := range errs {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			t.Errorf("database lock error: %v", err)
		} else {
			t.Error(err)
		}
	}
	all, err := s.Events(ctx, sspr.EventQuery{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * workers * rounds; len(all) != want {
		t.Errorf("%d audit events, want %d", len(all), want)
	}
	// Every account ended with exactly one worker's last password: the
	// resets of one account were serialised, none lost half-way.
	for _, a := range sqlite.DevAccounts {
		last := 0
		for w := range workers {
			if sqlite.DevAccounts[w%len(sqlite.DevAccounts)].ID != a.ID {
				continue
			}
			ok, err := d.CheckPassword(ctx, a.ID, fmt.Sprintf("Worker-%d-Round-%d-Password", w, rounds-1))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				last++
			}
		}
		if last != 1 {
			t.Errorf("%s: %d workers' last passwords are current, want exactly 1", a.ID, last)
		}
	}
}
