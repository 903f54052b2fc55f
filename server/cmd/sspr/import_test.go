package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// importConfig is a configuration for the demo data folder with cheap
// hashing: these tests are about the command, not argon2id's cost.
func importConfig(t *testing.T, data string) string {
	t.Helper()
	return writeFile(t, "sspr.toml", fmt.Sprintf("[server]\ndata_dir = %q\n[hashing]\nargon2_memory_kib = 1024\nargon2_time = 1\n", data))
}

// tables is every row of the accounts and registrations, as text.
func tables(t *testing.T, data string) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, display_name, mail, ou, locked, disabled, password_hash, must_change, password_set_at, updated_at FROM accounts ORDER BY id`,
		`SELECT user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at FROM registrations ORDER BY user_id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// events are the audit events of kind.
func events(t *testing.T, data, kind string) []sspr.Event {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ev, err := sqlite.NewStore(db).Events(context.Background(), sspr.EventQuery{Kinds: []string{kind}})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestAccountsImport: `sspr accounts import` end to end on a data folder
// and its configuration: a dry run writes nothing (not even its audit
// event) and says what a run would do; the run imports the good lines,
// refuses the bad ones (each on standard error and in --report, with its
// line and reason and no password or hash) and exits 3; a second run
// changes nothing; each run is one audit event.
func TestAccountsImport(t *testing.T) {
	data := demoData(t)
	cfg := importConfig(t, data)
	hash, err := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0).Hash(context.Background(), "Hashed-Password-1")
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "people.csv", "id,name,mail,ou,password_hash,initial_password\n"+
		"frank,Frank Fisher,frank@example.edu,staff/it,\""+hash+"\",\n"+
		"grace,Grace Green,grace@example.edu,,,Graces-Initial-1\n"+
		"alice,Alice Archer,alice@example.edu,students/physics,,Alices-Initial-1\n"+ // her own password stays
		"heidi,Heidi,heidi@example.edu,,$2y$10$abcdefghijklmnopqrstuv,\n"+
		"ivan,Ivan,not an address,,,Ivans-Initial-1\n")
	report := filepath.Join(t.TempDir(), "rejected.jsonl")
	before := tables(t, data)

	code, out, errOut := runOnce(t, "accounts", "import", "--config", cfg, "--dry-run", file)
	if code != exitRejected || !strings.Contains(out, "dry run, nothing written: accounts: 5 lines read: 2 new, 0 updated, 1 unchanged, 2 refused; 1 passwords kept") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if after := tables(t, data); after != before || len(events(t, data, importer.EventAccountsImported)) != 0 {
		t.Fatalf("a dry run wrote:\n%s\n%s", before, after)
	}

	code, out, errOut = runOnce(t, "accounts", "import", file, "--config", cfg, "--report", report)
	if code != exitRejected || !strings.Contains(out, "accounts: 5 lines read: 2 new, 0 updated, 1 unchanged, 2 refused") {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "line 5 (heidi@example.edu): hash_unsupported") || !strings.Contains(errOut, "line 6 (ivan@example.edu): mail_invalid") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rejs []importer.Rejection
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var r importer.Rejection
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("report line %q: %v", l, err)
		}
		rejs = append(rejs, r)
	}
	if len(rejs) != 2 || rejs[0].Line != 5 || rejs[0].Reason != importer.ReasonHashUnsupported || rejs[1].ID != "ivan@example.edu" {
		t.Fatalf("report %v", rejs)
	}
	if st, _ := os.Stat(report); st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v", st.Mode())
	}
	for _, secret := range []string{"Initial-1", "$2y$", "abcdefghij", hash[20:]} {
		if strings.Contains(out+errOut+string(b), secret) {
			t.Fatalf("%q printed or reported", secret)
		}
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	d := sqlite.NewDirectory(db, secret.NewArgon2(secret.DefaultParams, 0), 0)
	for _, c := range []struct{ id, pw string }{{"frank@example.edu", "Hashed-Password-1"}, {"grace@example.edu", "Graces-Initial-1"},
		{"alice@example.edu", "Alice-Old-Password-1"}} {
		if ok, err := d.CheckPassword(context.Background(), c.id, c.pw); !ok || err != nil {
			t.Errorf("%s: CheckPassword = %v, %v", c.id, ok, err)
		}
	}
	if g, _ := d.Lookup(context.Background(), "grace@example.edu"); g == nil || !g.MustChange {
		t.Errorf("grace %+v", g)
	}
	db.Close()
	ev := events(t, data, importer.EventAccountsImported)
	if len(ev) != 1 || ev[0].Outcome != sspr.OutcomeOK || ev[0].UserID != "" ||
		ev[0].Detail != "read=5 new=2 updated=0 unchanged=1 rejected=2 passwords_kept=1" {
		t.Fatalf("audit %+v", ev)
	}

	// Run twice: the same result.
	first := tables(t, data)
	code, out, _ = runOnce(t, "accounts", "import", "--config", cfg, file)
	if code != exitRejected || !strings.Contains(out, "5 lines read: 0 new, 0 updated, 3 unchanged, 2 refused") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if again := tables(t, data); again != first {
		t.Fatalf("a second run changed the rows:\n%s\n%s", first, again)
	}
	if len(events(t, data, importer.EventAccountsImported)) != 2 {
		t.Fatal("no audit event for the second run")
	}
}

// TestRegistrationsImport: `sspr registrations import` from standard
// input, as JSON lines: registered and confirmed, checked against the
// embedded directory's accounts; all good is exit 0.
func TestRegistrationsImport(t *testing.T) {
	data := demoData(t)
	cfg := importConfig(t, data)
	stdin = strings.NewReader(`{"id":"carol","email":"carol.alt@example.net","mobile":"07700 900321"}` + "\n" +
		`{"id":"dave","mobile":"+447700900654","confirmed_at":"2026-09-01T09:00:00Z"}` + "\n")
	t.Cleanup(func() { stdin = os.Stdin })
	code, out, errOut := runOnce(t, "registrations", "import", "--config", cfg, "--format", "jsonl", "-")
	if code != exitOK || !strings.Contains(out, "registrations: 2 lines read: 1 new, 1 updated, 0 unchanged, 0 refused") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sqlite.NewStore(db)
	if r, _ := s.Registration(context.Background(), "carol@example.edu"); r == nil || !r.HasEmail() || r.Phone != "+447700900321" {
		t.Fatalf("carol %+v", r)
	}
	if r, _ := s.Registration(context.Background(), "dave@example.edu"); r == nil || !r.HasEmail() || r.Phone != "+447700900654" {
		t.Fatalf("dave %+v", r)
	}
	if ev := events(t, data, importer.EventRegistrationsImported); len(ev) != 1 || ev[0].Detail != "read=2 new=1 updated=1 unchanged=0 rejected=0" {
		t.Fatalf("audit %+v", ev)
	}
}

// TestImportRefuses: what stops an import before it writes anything.
func TestImportRefuses(t *testing.T) {
	data := demoData(t)
	cfg := importConfig(t, data)
	good := writeFile(t, "people.csv", "id,email\ncarol,carol.alt@example.net\n")
	pw := writeFile(t, "bind-password", "secret\n")
	ldapCfg := writeFile(t, "ldap.toml", fmt.Sprintf(`[server]
data_dir = %q
[directory]
kind = "openldap"
urls = ["ldaps://ldap.example.edu"]
start_tls = false
bind_dn = "cn=sspr,dc=example,dc=edu"
bind_password_file = %q
base_dn = "ou=people,dc=example,dc=edu"
`, data, filepath.ToSlash(pw)))
	before := tables(t, data)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no file", []string{"registrations", "import", "--config", cfg}, exitUsage, "give one file"},
		{"two files", []string{"registrations", "import", "--config", cfg, good, good}, exitUsage, "give one file"},
		{"no subcommand", []string{"accounts"}, exitUsage, "sspr accounts import"},
		{"unknown format", []string{"registrations", "import", "--config", cfg, "--format", "xml", good}, exitUsage, `unknown format "xml"`},
		{"stdin without a format", []string{"registrations", "import", "--config", cfg, "-"}, exitUsage, "--format"},
		{"no such file", []string{"registrations", "import", "--config", cfg, filepath.Join(t.TempDir(), "none.csv")}, exitError, "none.csv"},
		{"no database", []string{"registrations", "import", "--config", cfg, "--data", t.TempDir(), good}, exitError, "--data"},
		{"ldap directory", []string{"accounts", "import", "--config", ldapCfg, good}, exitError, `directory.kind is "openldap"`},
		{"unknown column", []string{"registrations", "import", "--config", cfg, writeFile(t, "bad.csv", "id,emial\ncarol,x@example.net\n")},
			exitError, `column 2, "emial", is not one of id, email, mobile, confirmed_at (is the header row missing?): nothing imported`},
		{"accounts file as registrations", []string{"registrations", "import", "--config", cfg,
			writeFile(t, "acc.csv", "id,name,mail,initial_password\ncarol,Carol,carol@example.edu,Initial-Pw-1\n")}, exitError, "nothing imported"},
		{"bad batch", []string{"registrations", "import", "--config", cfg, "--batch", "0", good}, exitUsage, "--batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runOnce(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, want %d with %q\n%s", code, tc.code, tc.stderr, stderr)
			}
			if strings.Contains(stderr, "Initial-Pw-1") || strings.Contains(stderr, "secret") {
				t.Fatalf("a secret printed: %s", stderr)
			}
		})
	}
	if after := tables(t, data); after != before {
		t.Fatal("a refused import wrote")
	}
	if code, _, stderr := runOnce(t, "accounts", "import", "-h"); code != exitOK || !strings.Contains(stderr, "Exit status") {
		t.Fatalf("-h: exit %d\n%s", code, stderr)
	}
}

// TestRegistrationsImportPostgres: with database.kind = "postgres" the
// registrations go to PostgreSQL (and the run's audit event with them),
// checked against the embedded directory's accounts, which stay in the
// SQLite file; a second run changes nothing.
func TestRegistrationsImportPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	db := srv.NewDatabase(t)
	data := demoData(t)
	cfg := writeFile(t, "sspr.toml", fmt.Sprintf(`[server]
data_dir = %q
[database]
kind = "postgres"
url = "postgres://%s@%s:%d/%s"
tls = "verify-full"
ca_file = %q
`, data, pgtest.User, srv.Host, srv.Port, db, filepath.ToSlash(srv.CAFile)))
	file := writeFile(t, "regs.csv", "id,email,mobile\ncarol,carol.alt@example.net,07700 900321\nghost,ghost@example.net,\n")
	code, out, errOut := runOnce(t, "registrations", "import", "--config", cfg, file)
	if code != exitRejected || !strings.Contains(out, "2 lines read: 1 new, 0 updated, 0 unchanged, 1 refused") ||
		!strings.Contains(errOut, "account_unknown") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runOnce(t, "registrations", "import", "--config", cfg, file)
	if code != exitRejected || !strings.Contains(out, "0 new, 0 updated, 1 unchanged, 1 refused") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	s, err := pgstore.Open(context.Background(), pgstore.Config{URL: fmt.Sprintf("postgres://%s@%s:%d/%s", pgtest.User, srv.Host, srv.Port, db),
		TLS: pgstore.TLSVerifyFull, CAFile: srv.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Registration(context.Background(), "carol@example.edu")
	if err != nil || r == nil || !r.HasEmail() || r.Phone != "+447700900321" {
		t.Fatalf("carol %+v, %v", r, err)
	}
	ev, err := s.Events(context.Background(), sspr.EventQuery{Kinds: []string{importer.EventRegistrationsImported}})
	if err != nil || len(ev) != 2 {
		t.Fatalf("audit %+v, %v", ev, err)
	}
}
