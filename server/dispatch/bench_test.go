package dispatch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr-portal/sspr/server/dispatch"
	"github.com/sspr-portal/sspr/server/internal/smtptest"
	"github.com/sspr-portal/sspr/server/mailer"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// BenchmarkOutbox: messages per second through the durable outbox, from
// stored to delivered to a local SMTP server (connections reused, as the
// portal's mailer does; STARTTLS with AUTH PLAIN, or plain), on SQLite and on PostgreSQL, with
// the default 4 workers and with 16. The messages are stored first, then
// the workers start: the figure is the delivery rate, each message
// claimed, sent and marked done. Also reported: the time to store one
// (what a send-code request waits for).
func BenchmarkOutbox(b *testing.B) {
	const (
		user = "portal@example.edu"
		pass = "Bench-Smtp-Pass-1"
	)
	org := notify.Org{Name: "Example University", HelpDesk: "Contact the IT Service Desk."}
	for _, db := range []string{"sqlite", "postgres"} {
		for _, tt := range []struct {
			name string
			o    smtptest.Options
			mod  func(*mailer.Config)
		}{
			{"starttls+auth", smtptest.Options{Username: user, Password: pass}, nil},
			{"plain", smtptest.Options{NoTLS: true}, func(c *mailer.Config) { c.Security, c.Username = mailer.Plain, "" }},
		} {
			for _, workers := range []int{4, 16} {
				b.Run(fmt.Sprintf("%s/%s/workers=%d", db, tt.name, workers), func(b *testing.B) {
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
					b.Cleanup(func() { _ = m.Close() })
					o := dispatch.Options{Senders: map[sspr.Channel]sspr.Sender{sspr.Email: m}, Key: key, Workers: workers,
						Poll: 50 * time.Millisecond}
					var q *dispatch.Queue
					if db == "sqlite" {
						q = benchSQLite(b, o)
					} else {
						q = benchPostgres(b, o)
					}
					msg := notify.CodeMessage(notify.Email, "alice.alt@example.net", "31415926", 10*time.Minute, org)
					storeStart := time.Now()
					for range b.N {
						msg.ID = ""
						if err := q.Channel(sspr.Email).Send(context.Background(), msg); err != nil {
							b.Fatal(err)
						}
					}
					stored := time.Since(storeStart)
					b.ResetTimer()
					start := time.Now()
					q.Start(context.Background())
					for s.Count() < b.N {
						time.Sleep(time.Millisecond)
					}
					el := time.Since(start)
					b.StopTimer()
					b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
					b.ReportMetric(float64(stored.Microseconds())/float64(b.N), "µs/store")
					_ = q.Close(context.Background())
					s.Forget()
				})
			}
		}
	}
}

func benchSQLite(b *testing.B, o dispatch.Options) *dispatch.Queue {
	r := newRig(b)
	pool, err := r.db.OpenPool(2)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Close() })
	q, err := dispatch.NewSQLite(pool, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close(context.Background()) })
	return q
}

func benchPostgres(b *testing.B, o dispatch.Options) *dispatch.Queue {
	srv := pgtest.Shared(b)
	pool, err := pgxpool.New(context.Background(), srv.URL(srv.NewDatabase(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	q, err := dispatch.NewPostgres(pool, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close(context.Background()) })
	return q
}
