package mailer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/mailer"
	"github.com/sspr-portal/sspr/server/mailer/smtptest"
	"github.com/sspr-portal/sspr/server/notify"
)

// BenchmarkQueueToSMTP: messages per second through the queue (4 workers,
// the default) to a local SMTP listener, one connection per message, over
// STARTTLS with AUTH PLAIN and over a plain loopback relay.
func BenchmarkQueueToSMTP(b *testing.B) {
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
				q := notify.NewQueueWith(m, notify.QueueOptions{Size: b.N + 1, Workers: workers})
				msg := notify.CodeMessage(notify.Email, "alice.alt@example.net", "31415926", 10*time.Minute, org)
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					if err := q.Send(context.Background(), msg); err != nil {
						b.Fatal(err)
					}
				}
				if err := q.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				el := time.Since(start)
				if st := q.Stats(); st.Sent != uint64(b.N) {
					b.Fatalf("stats %+v", st)
				}
				b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
				s.Forget()
			})
		}
	}
}
