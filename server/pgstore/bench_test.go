package pgstore_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/account"
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
	answers := []account.Answer{}
	for i := range 5 {
		answers = append(answers, account.Answer{QuestionID: fmt.Sprintf("q%d", i), Hash: hash(b, fmt.Sprint(i))})
	}
	for i := range users {
		r := account.Registration{UserID: fmt.Sprintf("user%d@example.edu", i), Email: "alt@example.net", EmailConfirmed: time.Now(),
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
			err := s.Record(ctx, account.Event{Kind: account.EventPasswordReset, UserID: "alice@example.edu",
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
