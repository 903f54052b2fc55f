package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"

	_ "modernc.org/sqlite"
)

// demoData is a data folder as `sspr serve --dev` leaves it: the keys,
// and the database seeded with the demo accounts (registered now).
func demoData(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	if _, err := keys.Create(filepath.Join(data, "keys.json")); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0)
	if err := sqlite.Seed(context.Background(), db, h, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return data
}

// TestReportCoverage: `sspr report coverage` counts the demo accounts,
// overall and by OU, as a table or CSV.
func TestReportCoverage(t *testing.T) {
	data := demoData(t)
	code, out, errOut := runOnce(t, "report", "coverage", "--data", data, "--csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	// alice, bob, erin and helpdesk have two methods or more; dave and
	// auditor one; carol none.
	want := [][]string{
		{"ou", "accounts", "can_reset", "can_reset_percent", "partial", "none", "reconfirm_due", "disabled"},
		{"(all)", "7", "4", "57.1", "2", "1", "0", "0"},
		{"staff/finance", "1", "0", "0.0", "1", "0", "0", "0"},
		{"staff/it", "1", "1", "100.0", "0", "0", "0", "0"},
		{"staff/library", "1", "1", "100.0", "0", "0", "0", "0"},
		{"students/history", "2", "0", "0.0", "1", "1", "0", "0"},
		{"students/physics", "2", "2", "100.0", "0", "0", "0", "0"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows:\n%s", out)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d: %v, want %v", i, rows[i], want[i])
		}
	}

	code, out, errOut = runOnce(t, "report", "coverage", "--data", data)
	if code != exitOK || !strings.Contains(out, "CAN RESET") || !strings.Contains(out, "57.1%") ||
		!strings.Contains(out, "students/physics") {
		t.Fatalf("table: exit %d\n%s%s", code, out, errOut)
	}
	for _, bad := range [][]string{{"report"}, {"report", "nothing"}, {"report", "coverage", "extra"}} {
		if code, _, _ := runOnce(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want usage", bad, code)
		}
	}
	if code, _, errOut := runOnce(t, "report", "coverage", "--data", filepath.Join(data, "none")); code != exitError || !strings.Contains(errOut, "--data") {
		t.Errorf("no database: exit %d: %s", code, errOut)
	}
}

// stored counts the reminders stored in the durable outbox for sending,
// and who reminded_at says were reminded.
func stored(t *testing.T, data string) (messages, reminded int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "sspr.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The outbox's table is created on its first message.
	_ = db.QueryRow(`SELECT count(*) FROM river_job WHERE queue = 'email'`).Scan(&messages)
	if err := db.QueryRow(`SELECT count(*) FROM reminders`).Scan(&reminded); err != nil {
		t.Fatal(err)
	}
	return messages, reminded
}

// TestRemindUnregistered: the demo accounts who can't reset (carol,
// dave, auditor) are reminded once; a second run reminds nobody; a dry
// run stores nothing. Each run is audited, without addresses.
func TestRemindUnregistered(t *testing.T) {
	data := demoData(t)
	cfg := writeFile(t, "sspr.toml", "[server]\npublic_url = \"https://password.example.edu\"\n")

	code, out, errOut := runOnce(t, "remind", "unregistered", "--config", cfg, "--data", data, "--dry-run")
	if code != exitOK || !strings.Contains(out, "3 people need a reminder") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if m, r := stored(t, data); m != 0 || r != 0 {
		t.Fatalf("a dry run stored %d messages, %d reminders", m, r)
	}

	code, out, errOut = runOnce(t, "remind", "unregistered", "--config", cfg, "--data", data)
	if code != exitOK || !strings.Contains(out, "reminded 3 people; 0 left out") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	if m, r := stored(t, data); m != 3 || r != 3 {
		t.Fatalf("first run stored %d messages, %d reminders; want 3", m, r)
	}

	code, out, errOut = runOnce(t, "remind", "unregistered", "--config", cfg, "--data", data)
	if code != exitOK || !strings.Contains(out, "reminded 0 people; 3 left out") {
		t.Fatalf("second run: exit %d\n%s%s", code, out, errOut)
	}
	if m, r := stored(t, data); m != 3 || r != 3 {
		t.Fatalf("second run: %d messages, %d reminders; want 3", m, r)
	}

	db, err := sqlite.Open(context.Background(), filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := sqlite.NewStore(db).Events(context.Background(), sspr.EventQuery{Kinds: []string{sspr.EventRemindersSent}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || !strings.Contains(evs[1].Detail, "sent=3") || !strings.Contains(evs[0].Detail, "sent=0 recent=3") ||
		!strings.Contains(evs[2].Detail, "dry_run=true") {
		t.Fatalf("events: %+v", evs)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Detail, "@") {
			t.Errorf("an address in the audit: %q", ev.Detail)
		}
	}
	for _, bad := range [][]string{{"remind"}, {"remind", "everyone"}, {"remind", "unregistered", "extra"}} {
		if code, _, _ := runOnce(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want usage", bad, code)
		}
	}
}
