package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/storetest"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The behaviour every Store backend shares (the SQLite store runs the same
// table).
func TestStoreBehaviour(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s, _, _ := MustOpen(t)
		return s
	})
}

var ctx = context.Background()

func hash(t testing.TB, plain string) string {
	t.Helper()
	h, err := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0).Hash(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func registration(t testing.TB, user string) sspr.Registration {
	return sspr.Registration{UserID: user, Email: "alt@example.net", EmailConfirmed: time.Now(),
		Answers:          []sspr.Answer{{QuestionID: "first_pet", Hash: hash(t, "rex")}, {QuestionID: "first_car", Hash: hash(t, "mini")}},
		AnswersConfirmed: time.Now()}
}

func TestMigrate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s, srv, db := MustOpen(t)
		if v, err := s.Version(ctx); err != nil || v != pgstore.SchemaVersion {
			t.Fatalf("Version = %d, %v; want %d", v, err, pgstore.SchemaVersion)
		}
		// Opening again applies nothing twice.
		MustOpenConfig(t, config(srv, db))
		if got := query[int32](t, srv, db, `SELECT count(*)::int FROM sspr_schema_migrations`); got[0] != int32(pgstore.SchemaVersion) {
			t.Fatalf("%d migration rows, want %d", got[0], pgstore.SchemaVersion)
		}
	})

	t.Run("servers starting at once migrate once", func(t *testing.T) {
		srv := pgtest.Shared(t)
		db := srv.NewDatabase(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				s, err := pgstore.Open(ctx, config(srv, db))
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				errs <- s.Record(ctx, sspr.Event{Kind: sspr.EventSignIn, UserID: "alice@example.edu"})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Open or Record: %v", err)
			}
		}
		if got := query[int32](t, srv, db, `SELECT version FROM sspr_schema_migrations ORDER BY version`); len(got) != pgstore.SchemaVersion {
			t.Fatalf("migrations applied: %v", got)
		}
		if got := query[int64](t, srv, db, `SELECT count(*) FROM audit_events`); got[0] != 8 {
			t.Fatalf("%d events, want 8", got[0])
		}
	})

	t.Run("OK schema 3 gets the language, unknown for what it holds", func(t *testing.T) {
		srv := pgtest.Shared(t)
		db := srv.NewDatabase(t)
		srv.Exec(t, db, `CREATE TABLE sspr_schema_migrations (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`)
		for i, step := range pgstore.Migrations[:3] {
			srv.Exec(t, db, step)
			srv.Exec(t, db, fmt.Sprintf(`INSERT INTO sspr_schema_migrations (version) VALUES (%d)`, i+1))
		}
		srv.Exec(t, db, `INSERT INTO registrations (user_id, email, email_confirmed_at) VALUES ('zoe@example.edu', 'zoe@example.net', now())`)
		s := MustOpenConfig(t, config(srv, db))
		if v, err := s.Version(ctx); err != nil || v != pgstore.SchemaVersion {
			t.Fatalf("Version = %d, %v; want %d", v, err, pgstore.SchemaVersion)
		}
		r, err := s.Registration(ctx, "zoe@example.edu")
		if err != nil || r == nil || !r.HasEmail() || r.Lang != "" {
			t.Fatalf("the older registration after migrating: %+v, %v", r, err)
		}
		r.Lang = "cy"
		if err := s.PutRegistration(ctx, *r); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Registration(ctx, "zoe@example.edu"); err != nil || r == nil || r.Lang != "cy" {
			t.Fatalf("Registration after setting the language: %+v, %v", r, err)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		s, srv, db := MustOpen(t)
		if err := s.PutRegistration(ctx, registration(t, "alice@example.edu")); err != nil {
			t.Fatal(err)
		}
		srv.Exec(t, db, fmt.Sprintf(`INSERT INTO sspr_schema_migrations (version) VALUES (%d)`, pgstore.SchemaVersion+1))
		_, err := pgstore.Open(ctx, config(srv, db))
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open on a newer schema: %v", err)
		}
		// Nothing was touched.
		if got := query[int64](t, srv, db, `SELECT count(*) FROM registration_answers`); got[0] != 2 {
			t.Fatalf("%d answers left, want 2", got[0])
		}
	})

	t.Run("OK a role with only data rights, once the owner migrated", func(t *testing.T) {
		s, srv, db := MustOpen(t) // the owner migrates
		s.Close()
		role := "app_" + db
		srv.Exec(t, db, `CREATE ROLE `+role+` LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON registrations, registration_answers, registration_passkeys TO `+role+`;
GRANT SELECT, INSERT ON audit_events TO `+role+`;
GRANT SELECT ON sspr_schema_migrations TO `+role)
		cfg := config(srv, db)
		cfg.URL = strings.Replace(cfg.URL, pgtest.User+"@", role+"@", 1)
		app := MustOpenConfig(t, cfg)
		if err := app.PutRegistration(ctx, registration(t, "alice@example.edu")); err != nil {
			t.Fatal(err)
		}
		if err := app.Record(ctx, sspr.Event{Kind: sspr.EventSignIn, UserID: "alice@example.edu"}); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Events(ctx, sspr.EventQuery{}); err != nil {
			t.Fatal(err)
		}
		if p, err := app.Population(ctx); err != nil || len(p) != 1 {
			t.Fatalf("Population = %v, %v", p, err)
		}
	})

	t.Run("ErrNoRightToCreate", func(t *testing.T) {
		srv := pgtest.Shared(t)
		db := srv.NewDatabase(t)
		role := "reader_" + db
		srv.Exec(t, db, `CREATE ROLE `+role+` LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC`)
		cfg := config(srv, db)
		cfg.URL = strings.Replace(cfg.URL, pgtest.User+"@", role+"@", 1)
		_, err := pgstore.Open(ctx, cfg)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("Open by a role that may not create tables: %v", err)
		}
	})
}

// A registration is replaced whole or not at all: a failure half-way
// (here an answer the database refuses) leaves the old one as it was.
func TestPutRegistrationIsAtomic(t *testing.T) {
	s, srv, db := MustOpen(t)
	old := registration(t, "alice@example.edu")
	if err := s.PutRegistration(ctx, old); err != nil {
		t.Fatal(err)
	}
	srv.Exec(t, db, `
CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
BEGIN
	IF NEW.question_id = 'boom' THEN RAISE EXCEPTION 'boom refused' USING ERRCODE = 'check_violation'; END IF;
	RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_boom BEFORE INSERT ON registration_answers FOR EACH ROW EXECUTE FUNCTION refuse_boom();`)
	r := registration(t, "alice@example.edu")
	r.Email = "new@example.net"
	r.Answers = append(r.Answers, sspr.Answer{QuestionID: "boom", Hash: hash(t, "x")})
	err := s.PutRegistration(ctx, r)
	if err == nil || code(err) != "" {
		t.Fatalf("PutRegistration with a refused answer: %v (code %q); want an internal error", err, code(err))
	}
	got, err := s.Registration(ctx, "alice@example.edu")
	if err != nil || got == nil || got.Email != old.Email || len(got.Answers) != 2 || got.Answers[0] != old.Answers[0] {
		t.Fatalf("after the failed replacement: %+v, %v", got, err)
	}
}

// Answer hashes are stored exactly as they come, in their own column.
func TestHashesStoredAsTheyCome(t *testing.T) {
	s, srv, db := MustOpen(t)
	r := registration(t, "alice@example.edu")
	if err := s.PutRegistration(ctx, r); err != nil {
		t.Fatal(err)
	}
	got := query[string](t, srv, db, `SELECT hash FROM registration_answers ORDER BY position`)
	if len(got) != 2 || got[0] != r.Answers[0].Hash || got[1] != r.Answers[1].Hash {
		t.Fatalf("stored hashes %q", got)
	}
}

// unavailable fails the test unless err is service_unavailable wrapping
// a driver error.
func unavailable(t *testing.T, what string, err error) {
	t.Helper()
	var ae *sspr.Error
	if !errors.As(err, &ae) || ae.Code != sspr.CodeServiceUnavailable {
		t.Fatalf("%s: %v; want service_unavailable", what, err)
	}
	if err.Error() == ae.Error() || !strings.Contains(err.Error(), "pgstore") {
		t.Fatalf("%s: %v does not carry the cause for the log", what, err)
	}
	if strings.Contains(ae.Message, "postgres") || strings.Contains(ae.Message, "127.0.0.1") {
		t.Fatalf("%s: the user's message names internals: %q", what, ae.Message)
	}
}

// every calls each method of the store once and returns its errors.
func every(s *pgstore.Store, r sspr.Registration) map[string]error {
	_, errGet := s.Registration(ctx, r.UserID)
	_, errEvents := s.Events(ctx, sspr.EventQuery{})
	return map[string]error{
		"Registration":    errGet,
		"PutRegistration": s.PutRegistration(ctx, r),
		"Record":          s.Record(ctx, sspr.Event{Kind: sspr.EventSignIn, UserID: r.UserID}),
		"Events":          errEvents,
		"Ping":            s.Ping(ctx),
	}
}

// PostgreSQL stopped: every call fails closed with service_unavailable,
// quickly; started again on the same port: the same store works again,
// without being reopened (docs/SECURITY.md#backend-down).
func TestPostgresDown(t *testing.T) {
	srv := pgtest.Start(t)
	t.Logf("postgres started in %s", srv.StartTime)
	srv.Exec(t, "postgres", "CREATE DATABASE sspr")
	cfg := config(srv, "sspr")
	cfg.ConnectTimeout, cfg.Timeout = 500*time.Millisecond, time.Second
	s := MustOpenConfig(t, cfg)
	r := registration(t, "alice@example.edu")
	for name, err := range every(s, r) {
		if err != nil {
			t.Fatalf("%s before: %v", name, err)
		}
	}

	t.Run("stopped", func(t *testing.T) {
		srv.Stop()
		for name, err := range every(s, r) {
			unavailable(t, name, err)
		}
		// Population has a longer time budget (it runs once an hour, with
		// no user waiting), but a server that refuses connections fails
		// it at once.
		start := time.Now()
		_, err := s.Population(ctx)
		unavailable(t, "Population", err)
		if d := time.Since(start); d > 4*cfg.Timeout {
			t.Errorf("Population took %s to fail", d)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		for name, err := range every(s, r) {
			if err != nil {
				t.Fatalf("%s after the restart: %v", name, err)
			}
		}
		t.Logf("every call works again %s after the restart", time.Since(t0))
	})

	t.Run("frozen", func(t *testing.T) {
		// Connections open but nothing answering: the timeouts end the
		// wait, never a hang.
		srv.Freeze()
		t0 := time.Now()
		for name, err := range every(s, r) {
			unavailable(t, name, err)
		}
		if d := time.Since(t0); d > 5*4*cfg.Timeout {
			t.Errorf("the calls took %s in all", d)
		}
		srv.Thaw()
		deadline := time.Now().Add(10 * time.Second)
		for {
			errs := every(s, r)
			var failed []string
			for name, err := range errs {
				if err != nil {
					failed = append(failed, fmt.Sprintf("%s: %v", name, err))
				}
			}
			if len(failed) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still failing 10s after the thaw: %v", failed)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("every call works again %s after the thaw", time.Since(t0))
	})

	t.Run("down at start", func(t *testing.T) {
		srv.Stop()
		cfg := cfg
		srv.Start()
		srv.Exec(t, "postgres", "CREATE DATABASE fresh")
		srv.Stop()
		cfg.URL = strings.TrimSuffix(cfg.URL, "/sspr") + "/fresh"
		s, err := pgstore.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open with PostgreSQL down: %v; want a store that waits for it", err)
		}
		defer s.Close()
		for name, err := range every(s, r) {
			unavailable(t, name, err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		for name, err := range every(s, r) {
			if err != nil {
				t.Fatalf("%s once PostgreSQL is up: %v", name, err)
			}
		}
		if v, err := s.Version(ctx); err != nil || v != pgstore.SchemaVersion {
			t.Fatalf("Version = %d, %v", v, err)
		}
	})
}

func TestTLS(t *testing.T) {
	srv := pgtest.Shared(t)
	db := srv.NewDatabase(t)

	t.Run("OK verify-full with the CA file, by address and by name", func(t *testing.T) {
		MustOpenConfig(t, config(srv, db))
		cfg := config(srv, db)
		cfg.URL = strings.Replace(cfg.URL, "127.0.0.1", "localhost", 1)
		MustOpenConfig(t, cfg)
	})

	t.Run("the connection really is encrypted", func(t *testing.T) {
		s := MustOpenConfig(t, config(srv, db))
		if err := s.Record(ctx, sspr.Event{Kind: sspr.EventSignIn, UserID: "tls-check"}); err != nil {
			t.Fatal(err)
		}
		got := query[bool](t, srv, db, `SELECT bool_or(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE application_name = 'sspr'`)
		if len(got) != 1 || !got[0] {
			t.Fatalf("no TLS connection from the store: %v", got)
		}
	})

	t.Run("ErrUnknownCA", func(t *testing.T) {
		cfg := config(srv, db)
		cfg.CAFile = "" // the system's roots do not know the test CA
		if _, err := pgstore.Open(ctx, cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Open trusting the system's roots: %v", err)
		}
	})

	t.Run("ErrOffToANetwork", func(t *testing.T) {
		cfg := config(srv, db)
		cfg.URL = "postgres://sspr@db.example.edu/sspr"
		cfg.TLS = pgstore.TLSOff
		if _, err := pgstore.Open(ctx, cfg); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Fatalf("Open without TLS to a network host: %v", err)
		}
	})

	t.Run("OK off on loopback", func(t *testing.T) {
		cfg := config(srv, db)
		cfg.TLS, cfg.CAFile = pgstore.TLSOff, ""
		MustOpenConfig(t, cfg)
	})
}

// The password never shows in an error, whatever fails.
func TestPasswordNeverInErrors(t *testing.T) {
	const pw = "hunter2-Very-Secret"
	srv := pgtest.Shared(t)
	cfg := config(srv, "postgres")
	cfg.Password = pw
	cfg.URL = "postgres://sspr@127.0.0.1:1/sspr" // nothing listens on port 1
	cfg.ConnectTimeout = 500 * time.Millisecond
	s, err := pgstore.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, err := range every(s, registration(t, "alice@example.edu")) {
		unavailable(t, name, err)
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), pw) {
			t.Fatalf("%s: the error holds the password", name)
		}
	}
}

// EachRegistration's order is the ids' bytes whatever the database's
// collation: here ICU's en-US, under which "a_b" sorts before "a-b" and
// "élodie" before "fred" (the shared server's databases are in C).
func TestEachRegistrationOrderLinguisticDatabase(t *testing.T) {
	srv := pgtest.Shared(t)
	db := "t_icu_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	srv.Exec(t, "postgres", "CREATE DATABASE "+db+` TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`)
	if got := query[bool](t, srv, db, `SELECT 'a_b' < 'a-b' AND 'élodie' < 'fred'`); len(got) != 1 || !got[0] {
		t.Fatalf("the database's collation is not en-US's: %v", got)
	}
	storetest.EachInIDOrder(t, MustOpenConfig(t, config(srv, db)))
}
