package dispatch_test

import (
	"context"
	"os"
	"strings"
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

// TestPostgresDataRightsOnly: once the owner has created River's tables,
// a running role with only the rights docs/DATABASE.md grants stores,
// delivers and reports health.
func TestPostgresDataRightsOnly(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := srv.NewDatabase(t)
	s := newSender()
	owner := pgServer(t, srv.URL(db), s, dispatch.Options{})
	if err := owner.Channel(sspr.Email).Send(t.Context(), codeMessage("alice@example.net", "111111")); err != nil {
		t.Fatal(err) // the owner migrates on first use
	}
	if err := owner.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	role := "app_" + db
	// As docs/DATABASE.md, "The role and its rights".
	srv.Exec(t, db, `CREATE ROLE `+role+` LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue, river_notification TO `+role+`;
GRANT SELECT ON river_migration TO `+role+`;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO `+role)
	app := pgServer(t, strings.Replace(srv.URL(db), pgtest.User+"@", role+"@", 1), s, dispatch.Options{})
	app.Start(t.Context())
	if err := app.Channel(sspr.Email).Send(t.Context(), codeMessage("bob@example.net", "222222")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both messages delivered by the data-rights role", func() bool { n, _ := s.delivered(); return n == 2 })
	if err := app.Channel(sspr.Email).Check(t.Context()); err != nil {
		t.Errorf("health as the data-rights role: %v", err)
	}
}
