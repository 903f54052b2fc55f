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

// BenchmarkSMTP: messages per second from 4 (the outbox's default) or 16
// senders at once to a local SMTP listener, one connection per message,
// over STARTTLS with AUTH PLAIN and over a plain loopback relay: the
// mailer's part of server/dispatch's BenchmarkOutbox.
func BenchmarkSMTP(b *testing.B) {
	for _, tt := range []struct {
		name string
		o    smtptest.Options
		mod  func(*mailer.Config)
	}{
		{"starttls+auth", smtptest.Options{Username: user, Password: pass}, nil},
		{"plain", smtptest.Options{NoTLS: true}, func(c *mailer.Config) { c.Security, c.Username = mailer.Plain, "" }},
	} {
		for _, workers := range []int{4, 16} {
			b.Run(fmt.Sprintf("%s/workers=%d", tt.name, workers), func(b *testing.B) {
				s := smtptest.Start(b, tt.o)
				c := mailer.Config{Host: s.Host, Port: s.Port, Security: mailer.STARTTLS, RootCAs: s.CAPool,
					Auth: "auto", Username: user, Password: pass, From: "password-reset@example.edu", Timeout: 10 * time.Second}
				if tt.mod != nil {
					tt.mod(&c)
				}
				m, err := mailer.New(c)
				if err != nil {
					b.Fatal(err)
				}
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
