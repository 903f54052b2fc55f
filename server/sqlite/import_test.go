package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

var importRules = importer.Rules{DefaultDomain: "example.edu", PhoneRegion: "GB", Now: time.Now()}

// importAccounts runs an accounts import of the CSV body into d.
func importAccounts(t testing.TB, d *sqlite.Directory, body string, dryRun bool) (importer.Summary, []importer.Rejection) {
	t.Helper()
	rd, err := importer.NewAccountReader(strings.NewReader(body), importer.CSV, importRules)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := sqlite.OpenSeen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer seen.Close()
	var rejs []importer.Rejection
	sum, err := importer.Run(context.Background(), rd, importer.Options[importer.Account]{
		Batch: 3, DryRun: dryRun, Sink: d.ImportAccounts, Seen: seen,
		Reject: func(r importer.Rejection) error { rejs = append(rejs, r); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, rejs
}

// importRegistrations runs a registrations import of the CSV body into s,
// checked against d's accounts.
func importRegistrations(t testing.TB, s *sqlite.Store, d *sqlite.Directory, body string, dryRun bool) (importer.Summary, []importer.Rejection) {
	t.Helper()
	rd, err := importer.NewRegistrationReader(strings.NewReader(body), importer.CSV, importRules)
	if err != nil {
		t.Fatal(err)
	}
	var rejs []importer.Rejection
	sum, err := importer.Run(context.Background(), rd, importer.Options[importer.Registration]{
		Batch: 2, DryRun: dryRun, Sink: s.ImportRegistrations, Seen: importer.MemorySeen{}, Check: importer.CheckAccounts(d.Mails),
		Reject: func(r importer.Rejection) error { rejs = append(rejs, r); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, rejs
}

// dump is every row of the accounts table, as text: to compare two runs.
func dump(t testing.TB, path, query string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
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
	return b.String()
}

const accountsQuery = `SELECT id, display_name, mail, ou, locked, disabled, password_hash, must_change, password_set_at, updated_at FROM accounts ORDER BY id`

// TestImportAccounts: accounts imported with a hash sign in with its
// password, those with an initial password must change it; a second run
// of the same file finds everything unchanged and leaves every row as it
// was, to the byte; an edit to the file updates only what it edits.
func TestImportAccounts(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	d := sqlite.NewDirectory(db, newHasher(), 0)
	h, err := newHasher().Hash(ctx, "Hashed-Password-1")
	if err != nil {
		t.Fatal(err)
	}
	file := "id,name,mail,ou,password_hash,initial_password,locked\n" +
		"alice,Alice Archer,alice@example.edu,students/physics,\"" + h + "\",,\n" +
		"bob,Bob Baker,bob@example.edu,,,Initial-Password-1,true\n" +
		"carol,Carol Clark,carol@example.edu,staff,,Initial-Password-2,\n" +
		"dave,Dave Dunn,dave@example.edu,,$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW,,\n"

	sum, rejs := importAccounts(t, d, file, false)
	if want := (importer.Summary{Read: 4, New: 3, Rejected: 1}); sum != want {
		t.Fatalf("first run %+v, want %+v: %v", sum, want, rejs)
	}
	if len(rejs) != 1 || rejs[0].Reason != importer.ReasonHashUnsupported || rejs[0].Line != 5 {
		t.Fatalf("rejections %v", rejs)
	}
	for _, c := range []struct {
		id, pw     string
		mustChange bool
	}{{"alice@example.edu", "Hashed-Password-1", false}, {"bob@example.edu", "Initial-Password-1", true}, {"carol@example.edu", "Initial-Password-2", true}} {
		if ok, err := d.CheckPassword(ctx, c.id, c.pw); err != nil || !ok {
			t.Errorf("%s: CheckPassword = %v, %v", c.id, ok, err)
		}
		a, err := d.Lookup(ctx, c.id)
		if err != nil || a == nil || a.MustChange != c.mustChange || !a.PasswordSetAt.IsZero() {
			t.Errorf("%s: Lookup = %+v, %v", c.id, a, err)
		}
	}
	if a, _ := d.Lookup(ctx, "bob@example.edu"); !a.Locked || a.DisplayName != "Bob Baker" {
		t.Errorf("bob %+v", a)
	}
	if a, _ := d.Lookup(ctx, "alice@example.edu"); a.OU != "students/physics" || a.Locked {
		t.Errorf("alice %+v", a)
	}
	before := dump(t, db.Path(), accountsQuery)

	// Run twice: the same result.
	sum, _ = importAccounts(t, d, file, false)
	if want := (importer.Summary{Read: 4, Unchanged: 3, Rejected: 1}); sum != want {
		t.Fatalf("second run %+v, want %+v", sum, want)
	}
	if after := dump(t, db.Path(), accountsQuery); after != before {
		t.Fatalf("a second run changed the rows:\n%s\n%s", before, after)
	}

	// An edit: alice renamed, carol's initial password replaced, bob's
	// lock left out (kept), his OU empty (kept).
	edited := "id,name,mail,ou,password_hash,initial_password\n" +
		"alice,Alice A. Archer,alice@example.edu,,\"" + h + "\",\n" +
		"bob,Bob Baker,bob@example.edu,,,Initial-Password-1\n" +
		"carol,Carol Clark,carol@example.edu,staff,,Initial-Password-3\n"
	sum, _ = importAccounts(t, d, edited, false)
	if want := (importer.Summary{Read: 3, Updated: 2, Unchanged: 1}); sum != want {
		t.Fatalf("edited run %+v, want %+v", sum, want)
	}
	if a, _ := d.Lookup(ctx, "alice@example.edu"); a.DisplayName != "Alice A. Archer" || a.OU != "students/physics" {
		t.Errorf("alice %+v", a)
	}
	if a, _ := d.Lookup(ctx, "bob@example.edu"); !a.Locked {
		t.Errorf("bob lost his lock: %+v", a)
	}
	if ok, _ := d.CheckPassword(ctx, "carol@example.edu", "Initial-Password-3"); !ok {
		t.Error("carol's new initial password doesn't work")
	}
}

// TestImportKeepsTheOwnersPassword: once a person has set their password
// (a change, a reset), no import replaces it, with an initial password or
// a hash, and it is counted as kept; until then, must_change holds.
func TestImportKeepsTheOwnersPassword(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	d := sqlite.NewDirectory(db, newHasher(), 0)
	file := "id,name,mail,initial_password\nerin,Erin Evans,erin@example.edu,Initial-Password-1\n"
	importAccounts(t, d, file, false)
	if err := d.SetPassword(ctx, "erin@example.edu", "Erins-Own-Password-1"); err != nil {
		t.Fatal(err)
	}
	a, err := d.Lookup(ctx, "erin@example.edu")
	if err != nil || a.MustChange || a.PasswordSetAt.IsZero() {
		t.Fatalf("after SetPassword: %+v, %v", a, err)
	}
	h, _ := newHasher().Hash(ctx, "Someone-Elses-1")
	for _, f := range []string{file, "id,name,mail,password_hash\nerin,Erin Evans,erin@example.edu,\"" + h + "\"\n"} {
		sum, _ := importAccounts(t, d, f, false)
		if want := (importer.Summary{Read: 1, Unchanged: 1, PasswordsKept: 1}); sum != want {
			t.Fatalf("run %+v, want %+v", sum, want)
		}
		if ok, _ := d.CheckPassword(ctx, "erin@example.edu", "Erins-Own-Password-1"); !ok {
			t.Fatal("the import replaced erin's own password")
		}
		if a, _ := d.Lookup(ctx, "erin@example.edu"); a.MustChange {
			t.Fatal("must_change again")
		}
	}
	// The initial password may not be chosen again: it is in the history.
	if err := d.SetPassword(ctx, "erin@example.edu", "Initial-Password-1"); sspr.CodeOf(err) != sspr.CodePasswordPolicy {
		t.Fatalf("the initial password again: %v", err)
	}
}

// TestImportAccountsDryRun: a dry run counts what a run would do, and
// writes nothing.
func TestImportAccountsDryRun(t *testing.T) {
	db := MustOpen(t)
	d := sqlite.NewDirectory(db, newHasher(), 0)
	file := "id,name,mail,initial_password\nerin,Erin Evans,erin@example.edu,Initial-Password-1\nfrank,Frank,frank@example.edu,Initial-Password-2\n"
	sum, _ := importAccounts(t, d, file, true)
	if want := (importer.Summary{Read: 2, New: 2}); sum != want {
		t.Fatalf("dry run %+v, want %+v", sum, want)
	}
	if rows := dump(t, db.Path(), accountsQuery); rows != "" {
		t.Fatalf("a dry run wrote:\n%s", rows)
	}
	importAccounts(t, d, file, false)
	file = strings.Replace(file, "Initial-Password-2", "Initial-Password-3", 1)
	sum, _ = importAccounts(t, d, file, true)
	if want := (importer.Summary{Read: 2, Updated: 1, Unchanged: 1}); sum != want {
		t.Fatalf("dry run %+v, want %+v", sum, want)
	}
	if ok, _ := d.CheckPassword(context.Background(), "frank@example.edu", "Initial-Password-2"); !ok {
		t.Fatal("a dry run changed frank's password")
	}
}

// TestImportRegistrations: the methods given are registered and
// confirmed; the rest of a registration (answers, the authenticator app,
// passkeys, the language) stays; a second run changes nothing; lines for
// no account, or giving the account's own address, are refused.
func TestImportRegistrations(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d, s := sqlite.NewDirectory(db, h, 0), sqlite.NewStore(db)
	// alice has everything registered already; a passkey too.
	raw, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE registrations SET lang = 'cy', totp_key = randomblob(40), totp_confirmed_at = '2026-01-01T00:00:00.000000000Z' WHERE user_id = 'alice@example.edu';
INSERT INTO registration_passkeys (user_id, id, name, credential, created_at) VALUES ('alice@example.edu', x'0102', 'My phone', x'7b7d', '2026-01-01T00:00:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	regs := `SELECT r.user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at, lang, hex(totp_key), totp_confirmed_at,
	(SELECT count(*) FROM registration_answers a WHERE a.user_id = r.user_id), (SELECT count(*) FROM registration_passkeys p WHERE p.user_id = r.user_id)
FROM registrations r ORDER BY r.user_id`
	before := dump(t, db.Path(), regs)

	file := "id,email,mobile,confirmed_at\n" +
		"alice,alice.new@example.net,07700 900999,2026-09-01T09:00:00Z\n" + // updated: email and mobile
		"carol,carol.alt@example.net,,\n" + // new
		"dave,dave.alt@example.net,+44 7700 900654,\n" + // updated: a mobile added, the email as it was
		"ghost,ghost@example.net,,\n" + // no such account
		"erin,ERIN@example.edu,,\n" // the account's own address
	sum, rejs := importRegistrations(t, s, d, file, false)
	if want := (importer.Summary{Read: 5, New: 1, Updated: 2, Rejected: 2}); sum != want {
		t.Fatalf("first run %+v, want %+v: %v", sum, want, rejs)
	}
	if len(rejs) != 2 || rejs[0].Reason != importer.ReasonAccountUnknown || rejs[1].Reason != importer.ReasonEmailIsPrimary {
		t.Fatalf("rejections %v", rejs)
	}
	alice, err := s.Registration(ctx, "alice@example.edu")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	if alice.Email != "alice.new@example.net" || !alice.EmailConfirmed.Equal(at) || alice.Phone != "+447700900999" ||
		!alice.PhoneConfirmed.Equal(at) || len(alice.Answers) != 5 || !alice.HasTOTP() || alice.Lang != "cy" {
		t.Fatalf("alice %+v", alice)
	}
	carol, _ := s.Registration(ctx, "carol@example.edu")
	if carol == nil || !carol.HasEmail() || carol.HasPhone() {
		t.Fatalf("carol %+v", carol)
	}
	dave, _ := s.Registration(ctx, "dave@example.edu")
	if !dave.HasEmail() || !dave.EmailConfirmed.Equal(seedTime) || dave.Phone != "+447700900654" {
		t.Fatalf("dave %+v (his address's confirmation must stay %v)", dave, seedTime)
	}
	first := dump(t, db.Path(), regs)
	if first == before || !strings.Contains(first, "alice@example.edu") || strings.Count(first, " 1\n") < 1 {
		t.Fatalf("rows:\n%s", first)
	}

	sum, _ = importRegistrations(t, s, d, file, false)
	if want := (importer.Summary{Read: 5, Unchanged: 3, Rejected: 2}); sum != want {
		t.Fatalf("second run %+v, want %+v", sum, want)
	}
	if again := dump(t, db.Path(), regs); again != first {
		t.Fatalf("a second run changed the rows:\n%s\n%s", first, again)
	}
	// The passkey is still there, and the rest of alice's registration.
	if got := dump(t, db.Path(), `SELECT name FROM registration_passkeys`); got != "My phone\n" {
		t.Fatalf("passkeys: %q", got)
	}

	// A dry run of a change writes nothing.
	sum, _ = importRegistrations(t, s, d, "id,email\ncarol,carol.other@example.net\n", true)
	if want := (importer.Summary{Read: 1, Updated: 1}); sum != want {
		t.Fatalf("dry run %+v", sum)
	}
	if again := dump(t, db.Path(), regs); again != first {
		t.Fatal("a dry run wrote")
	}
}

// TestSeen: the ids of a run, on disk; a second line for an id, in the
// same call or a later one, names the first line.
func TestSeen(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.OpenSeen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := s.Add(ctx, []string{"a", "b", "a"}, []int{2, 3, 4})
	if err != nil || fmt.Sprint(first) != "[0 0 2]" {
		t.Fatalf("Add = %v, %v", first, err)
	}
	first, err = s.Add(ctx, []string{"c", "b"}, []int{5, 6})
	if err != nil || fmt.Sprint(first) != "[0 3]" {
		t.Fatalf("Add = %v, %v", first, err)
	}
}

// BenchmarkImport imports synthetic files into a fresh SQLite file, as
// `sspr accounts import` and `sspr registrations import` do (CSV parsed,
// checked, ids remembered on disk, batches of importer.DefaultBatch):
// accounts with an argon2id hash (the same for all: the hashing is the
// source system's), and registrations with an address and a mobile. One
// iteration imports -import.rows of each; it reports rows/s. Accounts
// with initial passwords cost an argon2id hash each at the configured
// parameters: "initial" measures them at the default ones, on fewer rows.
//
//	go test -run '^$' -bench Import -benchtime 1x ./server/sqlite/
func BenchmarkImport(b *testing.B) {
	const rows = 100_000
	ctx := context.Background()
	hash, err := newHasher().Hash(ctx, "Hashed-Password-1")
	if err != nil {
		b.Fatal(err)
	}
	accountsFile := func(n int, initial bool) io.Reader {
		return lineReader("id,name,mail,ou,password_hash,initial_password\n", n, func(i int) string {
			pw := `"` + hash + `",`
			if initial {
				pw = ",Initial-Password-" + fmt.Sprint(i)
			}
			return fmt.Sprintf("user%d,User %d,user%d@example.edu,students/unit%d,%s\n", i, i, i, i%50, pw)
		})
	}
	regsFile := func(n int) io.Reader {
		return lineReader("id,email,mobile\n", n, func(i int) string {
			return fmt.Sprintf("user%d,user%d.alt@example.net,+447700%06d\n", i, i, 900000+i%1000)
		})
	}
	run := func(b *testing.B, n int, params secret.Params, kind string) {
		for b.Loop() {
			b.StopTimer()
			db := MustOpen(b)
			d := sqlite.NewDirectory(db, secret.NewArgon2(params, 0), 0)
			s := sqlite.NewStore(db)
			seen, err := sqlite.OpenSeen(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			var sum importer.Summary
			switch kind {
			case "registrations":
				rd, err := importer.NewRegistrationReader(regsFile(n), importer.CSV, importRules)
				if err != nil {
					b.Fatal(err)
				}
				sum, err = importer.Run(ctx, rd, importer.Options[importer.Registration]{Sink: s.ImportRegistrations, Seen: seen})
				if err != nil {
					b.Fatal(err)
				}
			default:
				rd, err := importer.NewAccountReader(accountsFile(n, kind == "initial"), importer.CSV, importRules)
				if err != nil {
					b.Fatal(err)
				}
				sum, err = importer.Run(ctx, rd, importer.Options[importer.Account]{Sink: d.ImportAccounts, Seen: seen})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			seen.Close()
			if sum.New != n {
				b.Fatalf("%+v", sum)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("accounts", func(b *testing.B) { run(b, rows, fastParams, "accounts") })
	b.Run("registrations", func(b *testing.B) { run(b, rows, fastParams, "registrations") })
	b.Run("initial", func(b *testing.B) { run(b, 200, secret.DefaultParams, "initial") })
}

// lineReader streams a file: head, then n lines made by line, never held
// whole.
func lineReader(head string, n int, line func(i int) string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.WriteString(pw, head)
		for i := 0; i < n && err == nil; i++ {
			_, err = io.WriteString(pw, line(i))
		}
		pw.CloseWithError(err)
	}()
	return pr
}
