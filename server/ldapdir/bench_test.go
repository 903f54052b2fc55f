package ldapdir_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
)

// latencies collects per-operation times from parallel workers and reports
// operations per second and the 99th percentile.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) time(f func()) {
	t0 := time.Now()
	f()
	d := time.Since(t0)
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	b.StopTimer()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	p99 := l.d[(len(l.d)*99)/100]
	if len(l.d) < 100 {
		p99 = l.d[len(l.d)-1]
	}
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkLookup: lookups against the local slapd through the pool
// (StartTLS), from parallel goroutines.
func BenchmarkLookup(b *testing.B) {
	s := slapdtest.Shared(b)
	d, tree := newDir(b, s)
	for i := range 16 {
		s.AddUser(b, tree, slapdtest.User{UID: fmt.Sprintf("user%d", i), Password: "Old-Password-1", Mail: "u@example.edu"})
	}
	var n atomic.Int64
	var l latencies
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("user%d@example.edu", n.Add(1)%16)
			l.time(func() {
				if a, err := d.Lookup(ctx, id); err != nil || a == nil {
					b.Error(a, err)
				}
			})
		}
	})
	l.report(b)
}

// BenchmarkSetPassword: password changes (Password Modify, checked by
// ppolicy, then the pwdReset clean-up) through the pool, in parallel over
// 16 accounts.
func BenchmarkSetPassword(b *testing.B) {
	s := slapdtest.Shared(b)
	d, tree := newDir(b, s)
	for i := range 16 {
		s.AddUser(b, tree, slapdtest.User{UID: fmt.Sprintf("user%d", i), Password: "Old-Password-1"})
	}
	var n atomic.Int64
	var l latencies
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := n.Add(1)
			id := fmt.Sprintf("user%d@example.edu", k%16)
			l.time(func() {
				if err := d.SetPassword(ctx, id, fmt.Sprintf("New-Password-%d", k)); err != nil {
					b.Error(err)
				}
			})
		}
	})
	l.report(b)
}
