package pgstore_test

import (
	"flag"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/server/internal/storetest"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// latencies collects each operation's time from the parallel workers and
// reports reads or writes per second and the 99th percentile.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, unit string, elapsed time.Duration) {
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	p99 := l.all[min(len(l.all)-1, len(l.all)*99/100)]
	b.ReportMetric(float64(len(l.all))/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// BenchmarkRegistration: reads of a five-answer registration, from as many
// goroutines as the pool has connections (pool_size 8), as a reset start
// does them; against the local test PostgreSQL over verified TLS.
//
//	go test -run '^$' -bench . -benchtime 5s ./server/pgstore/
func BenchmarkRegistration(b *testing.B) {
	s, _, _ := MustOpen(b)
	const users = 1000
	answers := []sspr.Answer{}
	for i := range 5 {
		answers = append(answers, sspr.Answer{QuestionID: fmt.Sprintf("q%d", i), Hash: hash(b, fmt.Sprint(i))})
	}
	for i := range users {
		r := sspr.Registration{UserID: fmt.Sprintf("user%d@example.edu", i), Email: "alt@example.net", EmailConfirmed: time.Now(),
			Phone: "+447700900123", PhoneConfirmed: time.Now(), Answers: answers, AnswersConfirmed: time.Now()}
		if err := s.PutRegistration(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	var l latencies
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines: enough to fill the pool
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		i := 0
		for pb.Next() {
			i++
			start := time.Now()
			r, err := s.Registration(ctx, fmt.Sprintf("user%d@example.edu", i%users))
			mine = append(mine, time.Since(start))
			if err != nil || r == nil || len(r.Answers) != 5 {
				b.Errorf("Registration = %v, %v", r, err)
				return
			}
		}
		l.add(mine)
	})
	l.report(b, "reads", time.Since(t0))
}

// BenchmarkRecord: audit events written from many goroutines at once.
func BenchmarkRecord(b *testing.B) {
	s, _, _ := MustOpen(b)
	var l latencies
	b.SetParallelism(4)
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			err := s.Record(ctx, sspr.Event{Kind: sspr.EventPasswordReset, UserID: "alice@example.edu",
				ClientAddr: "192.0.2.1", UserAgent: "Mozilla/5.0", Detail: "methods=email,sms"})
			mine = append(mine, time.Since(start))
			if err != nil {
				b.Errorf("Record: %v", err)
				return
			}
		}
		l.add(mine)
	})
	l.report(b, "writes", time.Since(t0))
}

// BenchmarkRegistrationKinds: a reset's start reads the registration of
// the typed user id whether it exists or not, and the reads must cost the
// same but for the data itself (TestRegistrationSameWork checks the
// plans). The three kinds of id are read in turn, one at a time, so that a
// busy machine slows them alike, and each kind's median is reported:
// "answers5-µs" (a registration with five answers), "email-µs" (an
// address only), "unknown-µs" (no registration).
func BenchmarkRegistrationKinds(b *testing.B) {
	s, _, _ := MustOpen(b)
	const users = 100
	answers := []sspr.Answer{}
	for i := range 5 {
		answers = append(answers, sspr.Answer{QuestionID: fmt.Sprintf("q%d", i), Hash: hash(b, fmt.Sprint(i))})
	}
	for i := range users {
		for _, r := range []sspr.Registration{
			{UserID: fmt.Sprintf("answers%d@example.edu", i), Email: "alt@example.net", EmailConfirmed: time.Now(),
				Phone: "+447700900123", PhoneConfirmed: time.Now(), Answers: answers, AnswersConfirmed: time.Now()},
			{UserID: fmt.Sprintf("email%d@example.edu", i), Email: "alt@example.net", EmailConfirmed: time.Now()},
		} {
			if err := s.PutRegistration(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	}
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
// server does about once an hour, over 100,000 registrations (and, with
// -population-1m, over 1,000,000), copied in (COPY) and then vacuumed and
// analysed, as autovacuum would have done. Each count is checked against
// storetest's reference.
//
//	go test -run '^$' -bench Population ./server/pgstore/ -args -population-1m
func BenchmarkPopulation(b *testing.B) {
	sizes := []int{100_000}
	if *million {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, srv, db := MustOpen(b)
			t0 := time.Now()
			copyRegistrations(b, srv, db, storetest.Synthetic(n))
			b.Logf("%d registrations copied in %s", n, time.Since(t0).Round(time.Millisecond))
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

// copyRegistrations writes rs into db's tables with COPY, as the
// superuser, then vacuums and analyses them. rs is read twice: once for
// the registrations, once for their answers.
func copyRegistrations(tb testing.TB, srv *pgtest.Server, db string, rs iter.Seq[sspr.Registration]) {
	tb.Helper()
	c, err := pgx.Connect(ctx, srv.URL(db))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	// A zero time is NULL, as the store writes it.
	when := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	next, stop := iter.Pull(rs)
	_, err = c.CopyFrom(ctx, pgx.Identifier{"registrations"},
		[]string{"user_id", "email", "email_confirmed_at", "phone", "phone_confirmed_at", "answers_confirmed_at", "lang"},
		pgx.CopyFromFunc(func() ([]any, error) {
			r, ok := next()
			if !ok {
				return nil, nil
			}
			return []any{r.UserID, r.Email, when(r.EmailConfirmed), r.Phone, when(r.PhoneConfirmed), when(r.AnswersConfirmed), r.Lang}, nil
		}))
	stop()
	if err != nil {
		tb.Fatal(err)
	}
	next, stop = iter.Pull(rs)
	defer stop()
	var (
		r   sspr.Registration
		pos int // r.Answers[pos] is the next answer to copy
	)
	_, err = c.CopyFrom(ctx, pgx.Identifier{"registration_answers"},
		[]string{"user_id", "position", "question_id", "hash"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for pos == len(r.Answers) {
				var ok bool
				if r, ok = next(); !ok {
					return nil, nil
				}
				pos = 0
			}
			a := r.Answers[pos]
			pos++
			// Positions count from 1, as PutRegistration's do.
			return []any{r.UserID, int32(pos), a.QuestionID, a.Hash}, nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Exec(ctx, `VACUUM ANALYZE registrations, registration_answers`); err != nil {
		tb.Fatal(err)
	}
}
