package redisstate_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/redisstate"
)

// BenchmarkFlowOps measures the operations a flow makes, against a local
// redis-server, from parallel goroutines as requests would: each reports
// ops/s and the 99th percentile of one operation's latency.
//
//	go test -run '^$' -bench FlowOps -benchtime 3s ./server/redisstate/
func BenchmarkFlowOps(b *testing.B) {
	srv := startRedis(b)
	s := newStore(b, srv.Addr, func(c *redisstate.Config) { c.KeyPrefix = "bench:" })
	// A flow record is about this size (JSON, with code MACs).
	flow := make([]byte, 700)
	for i := range flow {
		flow[i] = 'a' + byte(i%26)
	}
	const flows = 1024
	for i := range flows {
		if err := s.Set(ctx, "flow:"+strconv.Itoa(i), flow, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	ops := []struct {
		name string
		op   func(i int) error
	}{
		{"Get", func(i int) error {
			_, err := s.Get(ctx, "flow:"+strconv.Itoa(i%flows))
			return err
		}},
		{"Set", func(i int) error { return s.Set(ctx, "flow:"+strconv.Itoa(i%flows), flow, time.Hour) }},
		{"Update", func(i int) error {
			return s.Update(ctx, "flow:"+strconv.Itoa(i%flows), func(cur []byte) ([]byte, time.Duration, error) {
				return cur, time.Hour, nil
			})
		}},
		{"Incr", func(i int) error {
			_, err := s.Incr(ctx, "n:fail:user:"+strconv.Itoa(i%flows), time.Hour)
			return err
		}},
		{"SetTake", func(i int) error { // a CAPTCHA: made, then answered
			k := fmt.Sprint("captcha:", i)
			if err := s.Set(ctx, k, []byte("123456"), time.Minute); err != nil {
				return err
			}
			_, err := s.Take(ctx, k)
			return err
		}},
		{"VerifyCall", func(i int) error { // what one code verification does
			id := "flow:" + strconv.Itoa(i%flows)
			user := strconv.Itoa(i % flows)
			if _, err := s.Get(ctx, id); err != nil {
				return err
			}
			if err := s.Update(ctx, "lock:"+user, func(cur []byte) ([]byte, time.Duration, error) {
				return []byte("1"), 30 * time.Second, nil
			}); err != nil {
				return err
			}
			for _, k := range []string{"block:user:" + user, "block:addr:192.0.2.1"} {
				if _, err := s.Get(ctx, k); err != nil {
					return err
				}
			}
			if err := s.Update(ctx, id, func(cur []byte) ([]byte, time.Duration, error) { return cur, time.Hour, nil }); err != nil {
				return err
			}
			return s.Delete(ctx, "lock:"+user)
		}},
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			var (
				mu   sync.Mutex
				lats []time.Duration
				n    atomic.Int64
			)
			b.SetParallelism(4) // 4×GOMAXPROCS goroutines: requests wait on the network
			b.ResetTimer()
			begin := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					i := int(n.Add(1))
					t0 := time.Now()
					if err := o.op(i); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lats = append(lats, mine...)
				mu.Unlock()
			})
			took := time.Since(begin)
			b.StopTimer()
			if len(lats) == 0 {
				return
			}
			slices.Sort(lats)
			p := func(q float64) float64 { return float64(lats[int(q*float64(len(lats)-1))].Microseconds()) }
			b.ReportMetric(float64(len(lats))/took.Seconds(), "ops/s")
			b.ReportMetric(p(0.5), "p50-µs")
			b.ReportMetric(p(0.99), "p99-µs")
		})
	}
}
