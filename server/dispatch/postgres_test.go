package dispatch_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr-portal/sspr/server/dispatch"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgServer is one portal server's outbox in db, a PostgreSQL database
// that several share, not started.
func pgServer(t *testing.T, url string, s sspr.Sender, o dispatch.Options) *dispatch.Queue {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	o.Senders = map[sspr.Channel]sspr.Sender{sspr.Email: s, sspr.SMS: s}
	o.Key = key
	o.Poll = 20 * time.Millisecond
	o.Backoff, o.MaxBackoff = 20*time.Millisecond, 80*time.Millisecond
	q, err := dispatch.NewPostgres(pool, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	return q
}

// On PostgreSQL, as on SQLite: two servers start together (their
// migrations don't race), one stores while the sender is down, both say
// the channel is degraded, and once it is back every message arrives
// exactly once, delivered by either.
func TestPostgres(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	url := srv.URL(srv.NewDatabase(t))
	s := newSender()
	s.setDown(true, nil)
	a := pgServer(t, url, s, dispatch.Options{})
	b := pgServer(t, url, s, dispatch.Options{})
	a.Start(t.Context()) // each migrates in the background, together
	b.Start(t.Context())
	for range 10 {
		if err := a.Channel(sspr.Email).Send(t.Context(), codeMessage("erin@example.net", "765432")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both servers degraded", func() bool {
		return a.Channel(sspr.Email).Check(t.Context()) != nil && b.Channel(sspr.Email).Check(t.Context()) != nil
	})
	s.setDown(false, nil)
	eventually(t, "all 10 delivered", func() bool { n, _ := s.delivered(); return n == 10 })
	time.Sleep(200 * time.Millisecond)
	if n, dupes := s.delivered(); n != 10 || dupes != 0 {
		t.Errorf("delivered %d, %d twice; want 10, none twice", n, dupes)
	}
	eventually(t, "both servers healthy", func() bool {
		return a.Channel(sspr.Email).Check(t.Context()) == nil && b.Channel(sspr.Email).Check(t.Context()) == nil
	})
}
