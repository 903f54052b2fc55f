package mailer_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/smtptest"
	"github.com/sspr-portal/sspr/server/mailer"
	"github.com/sspr-portal/sspr/server/notify"
)

// benchKinds are the servers the benchmarks send to: STARTTLS with AUTH
// PLAIN, and a plain loopback relay.
var benchKinds = []struct {
	name string
	o    smtptest.Options
	mod  func(*mailer.Config)
}{
	{"starttls+auth", smtptest.Options{Username: user, Password: pass}, nil},
	{"plain", smtptest.Options{NoTLS: true}, func(c *mailer.Config) { c.Security, c.Username = mailer.Plain, "" }},
}

// benchConns are the two ways to connect: a new connection per message
// (MaxIdle below 0, as before connections were reused), and reused ones
// (the default pool).
var benchConns = []struct {
	name    string
	maxIdle int
}{
	{"new", -1},
	{"reused", 0},
}

func benchMailer(b *testing.B, s *smtptest.Server, mod func(*mailer.Config), maxIdle int) *mailer.Mailer {
	b.Helper()
	c := mailer.Config{Host: s.Host, Port: s.Port, Security: mailer.STARTTLS, RootCAs: s.CAPool,
		Auth: "auto", Username: user, Password: pass, From: "password-reset@example.edu", Timeout: 10 * time.Second,
		MaxIdle: maxIdle}
	if mod != nil {
		mod(&c)
	}
	m, err := mailer.New(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	return m
}

// BenchmarkSMTP: messages per second from 4 (the outbox's default) or 16
// senders at once to a local SMTP listener, over STARTTLS with AUTH PLAIN
// and over a plain loopback relay, on a new connection per message and
// on reused ones: the mailer's part of server/dispatch's BenchmarkOutbox.
func BenchmarkSMTP(b *testing.B) {
	for _, tt := range benchKinds {
		for _, conns := range benchConns {
			for _, workers := range []int{4, 16} {
				b.Run(fmt.Sprintf("%s/conns=%s/workers=%d", tt.name, conns.name, workers), func(b *testing.B) {
					s := smtptest.Start(b, tt.o)
					m := benchMailer(b, s, tt.mod, conns.maxIdle)
					msg := notify.CodeMessage(notify.Email, "alice.alt@example.net", "31415926", 10*time.Minute, org)
					b.ResetTimer()
					start := time.Now()
					jobs := make(chan struct{})
					var wg sync.WaitGroup
					var failed atomic.Int64
					for range workers {
						wg.Go(func() {
							for range jobs {
								if err := m.Send(context.Background(), msg); err != nil {
									failed.Add(1)
								}
							}
						})
					}
					for range b.N {
						jobs <- struct{}{}
					}
					close(jobs)
					wg.Wait()
					el := time.Since(start)
					if n := failed.Load(); n != 0 {
						b.Fatalf("%d sends failed", n)
					}
					b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
					s.Forget()
				})
			}
		}
	}
}

// BenchmarkSend: what one message costs, sent one after another, on a new
// connection each and on a reused one. The allocations are the test
// server's too (it runs in the same process).
func BenchmarkSend(b *testing.B) {
	for _, tt := range benchKinds {
		for _, conns := range benchConns {
			b.Run(fmt.Sprintf("%s/conns=%s", tt.name, conns.name), func(b *testing.B) {
				s := smtptest.Start(b, tt.o)
				m := benchMailer(b, s, tt.mod, conns.maxIdle)
				msg := notify.CodeMessage(notify.Email, "alice.alt@example.net", "31415926", 10*time.Minute, org)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := m.Send(context.Background(), msg); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				s.Forget()
			})
		}
	}
}
