package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// withPostgres points the portal's store at a fresh database in srv, over
// TLS verified against the test CA, with short timeouts.
func withPostgres(t *testing.T, srv *pgtest.Server) func(*config.Config) {
	t.Helper()
	db := srv.NewDatabase(t)
	return func(c *config.Config) {
		d := &c.Database
		d.Kind = config.DatabasePostgres
		d.URL = "postgres://" + pgtest.User + "@" + srv.Host + ":" + strconv.Itoa(srv.Port) + "/" + db
		d.TLS, d.CAFile = config.DatabaseTLSVerify, srv.CAFile
		d.ConnectTimeout, d.Timeout = config.Duration{Duration: 500 * time.Millisecond}, config.Duration{Duration: time.Second}
	}
}

// pgRows runs a query in the portal's PostgreSQL database and returns the
// first column of each row.
func pgRows[T any](t *testing.T, e *env, srv *pgtest.Server, sql string, args ...any) []T {
	t.Helper()
	ctx := context.Background()
	db := e.cfg.Database.URL[strings.LastIndex(e.cfg.Database.URL, "/")+1:]
	c, err := pgx.Connect(ctx, srv.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[T])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// TestPostgresStore: with database.kind = "postgres", a registration made
// through the API lands in PostgreSQL (not in the SQLite file, which still
// holds the embedded directory's accounts) and a reset then uses it.
// PostgreSQL stopped: the calls that need the store answer 503
// service_unavailable, never 500, and /readyz says the store is
// unavailable; started again, everything works without restarting the
// portal (docs/SECURITY.md#backend-down).
func TestPostgresStore(t *testing.T) {
	srv := pgtest.Start(t)
	e := newEnv(t, withPostgres(t, srv))
	c := e.client(t)
	if h := c.ready(); h.Status != "ok" || h.Checks["store"] != "ok" {
		t.Fatalf("readyz before: %+v", h)
	}

	c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	c.registerAll("carol.alt@example.net", "07700 900321", "+447700900321")
	if reg := c.registration(); !reg.Complete || reg.Questions.Count != 5 {
		t.Fatalf("registration %+v", reg)
	}
	if got := pgRows[string](t, e, srv, `SELECT email || ' ' || phone FROM registrations WHERE user_id = 'carol@example.edu'`); len(got) != 1 || got[0] != "carol.alt@example.net +447700900321" {
		t.Fatalf("carol's row in PostgreSQL: %q", got)
	}
	hashes := pgRows[string](t, e, srv, `SELECT hash FROM registration_answers WHERE user_id = 'carol@example.edu' ORDER BY position`)
	if len(hashes) != 5 {
		t.Fatalf("%d answers in PostgreSQL, want 5", len(hashes))
	}
	for _, h := range hashes {
		if !strings.HasPrefix(h, "$argon2id$") {
			t.Fatalf("an answer is stored as %q", h)
		}
	}
	if got := pgRows[int64](t, e, srv, `SELECT count(*) FROM audit_events WHERE user_id = 'carol@example.edu' AND kind = 'registration_changed' AND outcome = 'ok'`); got[0] != 3 {
		t.Fatalf("%d registration_changed events in PostgreSQL, want 3", got[0])
	}
	// The SQLite file has none of it.
	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	if r, err := sqlite.NewStore(db).Registration(context.Background(), "carol@example.edu"); err != nil || r != nil {
		t.Fatalf("carol's registration in SQLite: %+v, %v", r, err)
	}
	db.Close()

	// A reset reads the registration back from PostgreSQL.
	e.client(t).resetCarol(e, "Brand-New-Passphrase-For-C")
	if got := pgRows[int64](t, e, srv, `SELECT count(*) FROM audit_events WHERE user_id = 'carol@example.edu' AND kind = 'password_reset' AND outcome = 'ok'`); got[0] != 1 {
		t.Fatalf("%d password_reset events in PostgreSQL, want 1", got[0])
	}

	// The reset ended carol's session: she signs in again, with the new
	// password.
	c.wantError(c.call("GET", api.PathRegistration, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	c.ok(201, c.signIn("carol", "Brand-New-Passphrase-For-C"))
	var catalog api.CatalogResponse
	json.Unmarshal(c.ok(200, c.call("GET", api.PathRegQuestionsCatalog, nil)).body, &catalog)
	srv.Stop()
	c.wantError(c.call("GET", api.PathRegistration, nil), http.StatusServiceUnavailable, api.CodeServiceUnavailable)
	var answers []api.AnswerInput
	for i, q := range catalog.Questions[:catalog.Count] {
		answers = append(answers, api.AnswerInput{ID: q.ID, Answer: "New answer " + strconv.Itoa(i)})
	}
	c.wantError(c.call("PUT", api.PathRegQuestions, api.QuestionsRequest{Answers: answers}), http.StatusServiceUnavailable, api.CodeServiceUnavailable)
	d := e.client(t)
	d.wantError(d.call("POST", api.PathFlows, api.StartRequest{User: "carol", Captcha: api.CaptchaRef{ID: d.captcha(), Answer: devAnswer}}),
		http.StatusServiceUnavailable, api.CodeServiceUnavailable)
	// An unknown user gets the same 503: 201 against 503 would tell real
	// accounts from others during an outage.
	u := e.client(t)
	u.wantError(u.call("POST", api.PathFlows, api.StartRequest{User: "nobody-here", Captcha: api.CaptchaRef{ID: u.captcha(), Answer: devAnswer}}),
		http.StatusServiceUnavailable, api.CodeServiceUnavailable)
	if h := c.ready(); h.Status != "unavailable" || h.Checks["store"] != "unavailable" || h.Checks["directory"] != "ok" {
		t.Fatalf("readyz while PostgreSQL is down: %+v", h)
	}
	if log := e.log.String(); !strings.Contains(log, "backend unavailable") || strings.Contains(log, "internal error") {
		t.Fatalf("the outage is not logged as a backend being unavailable:\n%s", log)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if h := c.ready(); h.Status != "ok" || h.Checks["store"] != "ok" {
		t.Fatalf("readyz after PostgreSQL is back: %+v", h)
	}
	if reg := c.registration(); !reg.Complete {
		t.Fatalf("registration after PostgreSQL is back: %+v", reg)
	}
	c.ok(200, c.call("PUT", api.PathRegQuestions, api.QuestionsRequest{Answers: answers}))
	// (The codes' cooldown, from the reset above, stops a second one.)
	if f := d.startWith("carol", api.IntentReset); len(f.Methods) != 3 || f.Methods[0].Hint != "c•••@example.net" {
		t.Fatalf("flow after PostgreSQL is back: %+v", f)
	}
	e.noSecretsLogged(t, "Pickles", "Morecambe", "Carol-Old-Password-1", "Brand-New-Passphrase-For-C")
	for _, h := range hashes {
		if strings.Contains(e.log.String(), h) {
			t.Fatal("an answer hash reached the log")
		}
	}
}

// TestPostgresDownAtThePasswordStep: PostgreSQL stops after the methods
// passed. Setting the password is refused with 503 (a reset that can't be
// audited doesn't happen): the password is unchanged and the flow kept.
// Once PostgreSQL is back, the same request goes through, and the audit
// has the reset.
func TestPostgresDownAtThePasswordStep(t *testing.T) {
	srv := pgtest.Start(t)
	e := newEnv(t, withPostgres(t, srv))
	r := e.client(t) // the registrations live in PostgreSQL: carol makes hers
	r.ok(201, r.signIn("carol", "Carol-Old-Password-1"))
	r.registerAll("carol.alt@example.net", "07700 900321", "+447700900321")
	c := e.client(t)
	c.startWith("carol", api.IntentReset)
	c.passEmail("carol.alt@example.net")
	f := c.passSMS("07700 900321", "+447700900321")
	if f.State != api.StateNewPassword {
		t.Fatalf("flow %+v", f)
	}
	srv.Stop()
	c.wantError(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: newPassword}),
		http.StatusServiceUnavailable, api.CodeServiceUnavailable)
	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := sqlite.NewDirectory(db, secret.NewArgon2(secret.DefaultParams, 0), 0)
	if ok, err := dir.CheckPassword(context.Background(), "carol@example.edu", newPassword); err != nil || ok {
		t.Fatalf("the password changed while the audit was down: %v %v", ok, err)
	}
	if got := c.ok(http.StatusOK, c.call("GET", api.PathFlow, nil)).flow(t); got.State != api.StateNewPassword {
		t.Fatalf("the flow after the refusal: %s", got.State)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: newPassword})
		if r.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retry once PostgreSQL is back: %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ok, err := dir.CheckPassword(context.Background(), "carol@example.edu", newPassword); err != nil || !ok {
		t.Fatalf("the retry did not set the password: %v %v", ok, err)
	}
	got := pgRows[string](t, e, srv, `SELECT outcome FROM audit_events WHERE user_id = 'carol@example.edu' AND kind = 'password_reset' ORDER BY id`)
	if !slices.Equal(got, []string{"started", "ok"}) {
		t.Fatalf("the reset's events in PostgreSQL: %q", got)
	}
}
