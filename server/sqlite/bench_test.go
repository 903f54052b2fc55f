package sqlite_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/storetest"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// BenchmarkRegistration: a reset's start reads the registration of the
// typed user id whether it exists or not, and the two must cost the same
// but for the data itself (TestRegistrationSameStatements checks that the
// statements are the same). The three kinds of id are read in turn, so
// that a busy machine slows them alike, and each kind's median is
// reported: "answers5-µs" (a registration with five answers),
// "email-µs" (an address only), "unknown-µs" (no registration).
//
//	go test -run '^$' -bench Registration -count 5 ./server/sqlite/
func BenchmarkRegistration(b *testing.B) {
	ctx := context.Background()
	db := MustOpen(b)
	const users = 1000
	answers := hashedAnswers(b, "q1", "q2", "q3", "q4", "q5")
	at := time.Now()
	regs := func(yield func(sspr.Registration) bool) {
		for i := range users {
			if !yield(sspr.Registration{UserID: fmt.Sprintf("answers%d@example.edu", i), Email: "alt@example.net", EmailConfirmed: at,
				Phone: "+447700900123", PhoneConfirmed: at, Answers: answers, AnswersConfirmed: at}) {
				return
			}
			if !yield(sspr.Registration{UserID: fmt.Sprintf("email%d@example.edu", i), Email: "alt@example.net", EmailConfirmed: at}) {
				return
			}
		}
	}
	if err := sqlite.PutRegistrations(ctx, db, regs); err != nil {
		b.Fatal(err)
	}
	s := sqlite.NewStore(db)
	kinds := []struct {
		prefix  string // the user ids are prefixN@example.edu
		answers int    // -1: not registered
	}{{"answers", 5}, {"email", 0}, {"unknown", -1}}
	times := make([][]time.Duration, len(kinds))
	i := 0
	for b.Loop() {
		i++
		for k, kind := range kinds {
			id := fmt.Sprintf("%s%d@example.edu", kind.prefix, i%users)
			t0 := time.Now()
			r, err := s.Registration(ctx, id)
			times[k] = append(times[k], time.Since(t0))
			if err != nil || (r == nil) != (kind.answers < 0) || (r != nil && len(r.Answers) != kind.answers) {
				b.Fatalf("Registration(%s) = %+v, %v", id, r, err)
			}
		}
	}
	for k, kind := range kinds {
		slices.Sort(times[k])
		b.ReportMetric(float64(times[k][len(times[k])/2].Nanoseconds())/1e3, kind.prefix+"-µs")
	}
}

// BenchmarkPopulation: counting the registrations of each shape, as every
// server does about once an hour, over 100,000 registrations written in
// one transaction (and, with -population-1m, over 1,000,000: about 20 s
// more of setup). Each count is checked against storetest's reference.
//
//	go test -run '^$' -bench Population ./server/sqlite/ -args -population-1m
func BenchmarkPopulation(b *testing.B) {
	sizes := []int{100_000}
	if *million {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			db := MustOpen(b)
			t0 := time.Now()
			if err := sqlite.PutRegistrations(ctx, db, storetest.Synthetic(n)); err != nil {
				b.Fatal(err)
			}
			b.Logf("%d registrations written in %s", n, time.Since(t0).Round(time.Millisecond))
			s := sqlite.NewStore(db)
			want := storetest.PopulationOf(storetest.Synthetic(n))
			for b.Loop() {
				got, err := s.Population(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if !maps.Equal(got, want) {
					b.Fatalf("Population = %v\nwant %v", got, want)
				}
			}
		})
	}
}

var million = flag.Bool("population-1m", false, "also benchmark Population on 1,000,000 registrations")
