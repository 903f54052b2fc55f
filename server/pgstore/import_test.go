package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/pgstore"
)

// importRegistrations runs a registrations import of the CSV body into s.
func importRegistrations(t testing.TB, s *pgstore.Store, body string, dryRun bool) importer.Summary {
	t.Helper()
	rules := importer.Rules{DefaultDomain: "example.edu", PhoneRegion: "GB", Now: time.Now()}
	rd, err := importer.NewRegistrationReader(strings.NewReader(body), importer.CSV, rules)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := importer.Run(context.Background(), rd, importer.Options[importer.Registration]{
		Batch: 2, DryRun: dryRun, Sink: s.ImportRegistrations, Seen: importer.MemorySeen{}})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestImportRegistrations: registrations imported into PostgreSQL, as
// into SQLite: the methods given registered and confirmed, the rest of a
// registration kept (answers, passkeys, language), nothing deleted; a
// second run changes nothing, not even updated_at; a dry run writes
// nothing.
func TestImportRegistrations(t *testing.T) {
	s, srv, db := MustOpen(t)
	alice := registration(t, "alice@example.edu")
	alice.Lang = "cy"
	if err := s.PutRegistration(ctx, alice); err != nil {
		t.Fatal(err)
	}
	query[int32](t, srv, db, `WITH p AS (INSERT INTO registration_passkeys (user_id, id, name, credential, created_at)
VALUES ('alice@example.edu', '\x0102', 'My phone', '\x7b7d', now()) RETURNING 1) SELECT 1 FROM p`)
	rows := func() string {
		got := query[string](t, srv, db, `SELECT concat_ws(' ', r.user_id, email, email_confirmed_at, phone, phone_confirmed_at, lang, updated_at,
	(SELECT count(*) FROM registration_answers a WHERE a.user_id = r.user_id), (SELECT count(*) FROM registration_passkeys p WHERE p.user_id = r.user_id))
FROM registrations r ORDER BY r.user_id`)
		return strings.Join(got, "\n")
	}

	file := "id,email,mobile,confirmed_at\n" +
		"alice,alice.new@example.net,07700 900999,2026-09-01T09:00:00.1234567Z\n" +
		"bob,bob.alt@example.net,,\n" +
		"carol,,+44 7700 900123,\n"
	if sum := importRegistrations(t, s, file, true); sum != (importer.Summary{Read: 3, New: 2, Updated: 1}) {
		t.Fatalf("dry run %+v", sum)
	}
	if got := rows(); strings.Contains(got, "bob@") || strings.Contains(got, "alice.new") {
		t.Fatalf("a dry run wrote:\n%s", got)
	}

	if sum := importRegistrations(t, s, file, false); sum != (importer.Summary{Read: 3, New: 2, Updated: 1}) {
		t.Fatalf("first run %+v", sum)
	}
	r, err := s.Registration(ctx, "alice@example.edu")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 9, 1, 9, 0, 0, 123456000, time.UTC)
	if r.Email != "alice.new@example.net" || !r.EmailConfirmed.Equal(at) || r.Phone != "+447700900999" || !r.PhoneConfirmed.Equal(at) ||
		len(r.Answers) != 2 || r.Lang != "cy" {
		t.Fatalf("alice %+v", r)
	}
	if c, _ := s.Registration(ctx, "carol@example.edu"); c == nil || c.Email != "" || !c.HasPhone() {
		t.Fatalf("carol %+v", c)
	}
	first := rows()
	if !strings.HasSuffix(strings.Split(first, "\n")[0], " 2 1") {
		t.Fatalf("alice's answers or passkey are gone:\n%s", first)
	}

	// Run twice: the same rows, updated_at included.
	if sum := importRegistrations(t, s, file, false); sum != (importer.Summary{Read: 3, Unchanged: 3}) {
		t.Fatalf("second run %+v", sum)
	}
	if again := rows(); again != first {
		t.Fatalf("a second run changed the rows:\n%s\n%s", first, again)
	}
}

// BenchmarkImportRegistrations imports -rows registrations (an address
// and a mobile each) into a fresh PostgreSQL database, as `sspr
// registrations import` does; it reports rows/s.
//
//	go test -run '^$' -bench ImportRegistrations -benchtime 1x ./server/pgstore/
func BenchmarkImportRegistrations(b *testing.B) {
	const rows = 100_000
	var sb strings.Builder
	sb.WriteString("id,email,mobile\n")
	for i := range rows {
		fmt.Fprintf(&sb, "user%d,user%d.alt@example.net,+447700%06d\n", i, i, 900000+i%1000)
	}
	body := sb.String()
	for b.Loop() {
		b.StopTimer()
		s, _, _ := MustOpen(b)
		rd, err := importer.NewRegistrationReader(strings.NewReader(body), importer.CSV, importer.Rules{PhoneRegion: "GB", Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := importer.Run(context.Background(), rd, importer.Options[importer.Registration]{Sink: s.ImportRegistrations, Seen: importer.MemorySeen{}})
		if err != nil || sum.New != rows {
			b.Fatalf("%+v, %v", sum, err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
