package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// every reads every registration with EachRegistration, by user id.
func every(t *testing.T, s Store) map[string]sspr.Registration {
	t.Helper()
	got := map[string]sspr.Registration{}
	err := s.EachRegistration(ctx, func(r sspr.Registration) error {
		if _, twice := got[r.UserID]; twice {
			t.Errorf("%s read twice", r.UserID)
		}
		got[r.UserID] = r
		return nil
	})
	if err != nil {
		t.Fatalf("EachRegistration: %v", err)
	}
	return got
}

func eachEmpty(t *testing.T, s Store) {
	if got := every(t, s); len(got) != 0 {
		t.Fatalf("an empty store: %+v", got)
	}
}

// eachAll: every registration comes once, with every field and its
// answers' questions in order, as Registration reads it but for the
// answers' hashes, which it leaves out; its passkeys, and only its own,
// in the order they were added (a store may read them apart from the
// registrations and merge them in); a removed one doesn't.
func eachAll(t *testing.T, s Store) {
	want := map[string]sspr.Registration{}
	z := zoe(t)
	want[z.UserID] = z
	for i := range 30 {
		r := sspr.Registration{UserID: fmt.Sprintf("user%02d@example.edu", i), Email: fmt.Sprintf("u%d@example.net", i)}
		switch i % 3 {
		case 0:
			r.EmailConfirmed = base
		case 1:
			r.Phone, r.PhoneConfirmed = "+447700900123", base.Add(time.Hour)
		}
		if i%7 == 0 {
			// The first, some in between, none at the end but zoe's:
			// two each, the second's id before the first's.
			r.Passkeys = []sspr.Passkey{
				{ID: fmt.Appendf(nil, "key-%02d-b", i), Name: "Phone", Credential: []byte(`{}`), Created: base.Add(time.Duration(i) * time.Minute)},
				{ID: fmt.Appendf(nil, "key-%02d-a", i), Name: "Laptop", Credential: []byte(`{"n":1}`),
					Created: base.Add(time.Duration(i)*time.Minute + time.Second), LastUsed: base.Add(time.Hour)},
			}
		}
		want[r.UserID] = r
	}
	for _, r := range want {
		mustPut(t, s, r)
	}
	mustPut(t, s, sspr.Registration{UserID: "gone@example.edu", Email: "g@example.net", EmailConfirmed: base,
		Passkeys: []sspr.Passkey{{ID: []byte("gone-key"), Name: "Old", Credential: []byte(`{}`), Created: base}}})
	mustPut(t, s, sspr.Registration{UserID: "gone@example.edu"})
	got := every(t, s)
	if len(got) != len(want) {
		t.Fatalf("read %d registrations, want %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		w.Answers = slices.Clone(w.Answers)
		for i := range w.Answers {
			w.Answers[i].Hash = ""
		}
		if !ok || !sameRegistration(&g, w) {
			t.Errorf("%s: got %+v, want %+v", id, g, w)
		}
	}
}

// eachStops: fn's error ends the walk and comes back as it is.
func eachStops(t *testing.T, s Store) {
	for i := range 5 {
		mustPut(t, s, sspr.Registration{UserID: fmt.Sprintf("u%d@example.edu", i), Email: "a@example.net", EmailConfirmed: base})
	}
	stop := errors.New("enough")
	n := 0
	err := s.EachRegistration(ctx, func(sspr.Registration) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("EachRegistration = %v after %d; want fn's error after 2", err, n)
	}
}

// EachInIDOrder: a store that says it walks in id order (sspr.IDOrdered,
// as both backends do) returns the registrations by user id, comparing
// bytes as Go does, as the embedded directory walks its accounts: the
// reports merge the two walks. These ids sort otherwise under a
// language's collation (en-US: "a_b" before "a-b" before "a0", "élodie"
// before "fred"), which a PostgreSQL database may have; exported so that
// pgstore runs it on such a database too.
func EachInIDOrder(t *testing.T, s Store) {
	if !sspr.InIDOrder(s) {
		t.Fatalf("%T does not say it walks in id order", s)
	}
	ids := []string{"zoe@example.edu", "a_b@example.edu", "élodie@example.edu", "a-b@example.edu", "ab@example.edu",
		"fred@example.edu", "a0@example.edu", "a.b@example.edu", "eve@example.edu", "a@example.edu"}
	for i, id := range ids {
		r := sspr.Registration{UserID: id, Email: "a@example.net", EmailConfirmed: base}
		if i%2 == 0 {
			// Answers and passkeys joined or merged in change no order.
			r.Passkeys = []sspr.Passkey{{ID: []byte("key-" + id), Name: "Phone", Credential: []byte(`{}`), Created: base}}
		}
		mustPut(t, s, r)
	}
	var got []string
	err := s.EachRegistration(ctx, func(r sspr.Registration) error {
		got = append(got, r.UserID)
		return nil
	})
	if err != nil {
		t.Fatalf("EachRegistration: %v", err)
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("EachRegistration's order: %q; want %q", got, want)
	}
}

func claim(t *testing.T, s Store, user string, at, since time.Time) bool {
	t.Helper()
	ok, err := s.ClaimReminder(ctx, user, at, since)
	if err != nil {
		t.Fatalf("ClaimReminder: %v", err)
	}
	return ok
}

// remindersOnce: a person is claimed once a period: again only once the
// last claim is older than since.
func remindersOnce(t *testing.T, s Store) {
	const month = 30 * 24 * time.Hour
	t0 := base
	if !claim(t, s, "carol@example.edu", t0, t0.Add(-month)) {
		t.Fatal("the first claim failed")
	}
	if claim(t, s, "carol@example.edu", t0.Add(time.Hour), t0.Add(time.Hour-month)) {
		t.Fatal("claimed twice in a period")
	}
	if !claim(t, s, "dave@example.edu", t0.Add(time.Hour), t0.Add(time.Hour-month)) {
		t.Fatal("another person's claim failed")
	}
	later := t0.Add(month)
	if !claim(t, s, "carol@example.edu", later, later.Add(-month)) {
		t.Fatal("not claimed again a period later")
	}
	if claim(t, s, "carol@example.edu", later.Add(time.Minute), later.Add(time.Minute-month)) {
		t.Fatal("the new claim did not count")
	}
}

// remindersRelease: a release undoes the claim made at its time, and
// never a later one.
func remindersRelease(t *testing.T, s Store) {
	const day = 24 * time.Hour
	t0 := base
	if !claim(t, s, "carol@example.edu", t0, t0.Add(-day)) {
		t.Fatal("the first claim failed")
	}
	if err := s.ReleaseReminder(ctx, "carol@example.edu", t0); err != nil {
		t.Fatal(err)
	}
	if !claim(t, s, "carol@example.edu", t0.Add(time.Second), t0.Add(time.Second-day)) {
		t.Fatal("not claimed again after the release")
	}
	if err := s.ReleaseReminder(ctx, "carol@example.edu", t0); err != nil {
		t.Fatal(err)
	}
	if claim(t, s, "carol@example.edu", t0.Add(2*time.Second), t0.Add(2*time.Second-day)) {
		t.Fatal("an old release undid a later claim")
	}
}

// remindersConcurrent: of many claims for one person at once (several
// runs, several servers), exactly one wins.
func remindersConcurrent(t *testing.T, s Store) {
	const n = 16
	var (
		wg   sync.WaitGroup
		won  atomic.Int32
		errs = make(chan error, n)
	)
	for i := range n {
		wg.Go(func() {
			at := base.Add(time.Duration(i) * time.Millisecond)
			ok, err := s.ClaimReminder(ctx, "carol@example.edu", at, at.Add(-time.Hour))
			if err != nil {
				errs <- err
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("ClaimReminder: %v", err)
	}
	if won.Load() != 1 {
		t.Fatalf("%d of %d concurrent claims won; want 1", won.Load(), n)
	}
}
