package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/sqlite"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := MustOpen(t)
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		v, err := db.Version(ctx)
		if err != nil {
			t.Fatalf("Version: %v", err)
		}
		if v != sqlite.SchemaVersion || v < 1 {
			t.Fatalf("Version = %d, want SchemaVersion %d", v, sqlite.SchemaVersion)
		}
		if _, err := os.Stat(db.Path() + "-wal"); err != nil {
			t.Errorf("no WAL file next to the database: %v", err)
		}
	})

	t.Run("the file is in WAL mode for any later connection", func(t *testing.T) {
		db := MustOpen(t)
		raw, err := sql.Open("sqlite", db.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var mode string
		if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
	})

	t.Run("a path with spaces and a question mark", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "my data?x=1#y", "sspr db.sqlite")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		db := MustOpenPath(t, path)
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database not created at the path given: %v", err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrPathRequired", func(t *testing.T) {
		for _, p := range []string{"", ":memory:"} {
			if db, err := sqlite.Open(ctx, p); err == nil {
				db.Close()
				t.Errorf("Open(%q) succeeded", p)
			}
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sspr.db")
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		db, err := sqlite.Open(ctx, path)
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded on a database from a newer program")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Errorf("error = %v, want it to say the schema is newer", err)
		}
	})

	t.Run("a file of schema 5 gets the language, unknown for what it holds", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sspr.db")
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range sqlite.Migrations[:5] {
			if _, err := raw.Exec(step); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := raw.Exec(`PRAGMA user_version = 5;
INSERT INTO registrations (user_id, email, email_confirmed_at) VALUES ('zoe@example.edu', 'zoe@example.net', '2026-01-02T03:04:05.000000000Z')`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		db := MustOpenPath(t, path)
		if v, err := db.Version(ctx); err != nil || v != sqlite.SchemaVersion {
			t.Fatalf("Version after migrating = %d, %v", v, err)
		}
		s := sqlite.NewStore(db)
		r, err := s.Registration(ctx, "zoe@example.edu")
		if err != nil || r == nil || r.Email != "zoe@example.net" || !r.HasEmail() || r.Lang != "" {
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

	t.Run("reopening keeps the data and the version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sspr.db")
		h := newHasher()
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sqlite.Seed(ctx, db, h, seedTime); err != nil {
			t.Fatal(err)
		}
		if err := sqlite.NewDirectory(db, h, 0).SetPassword(ctx, "alice@example.edu", "Alice-New-Password-2"); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		db = MustOpenPath(t, path)
		if v, err := db.Version(ctx); err != nil || v != sqlite.SchemaVersion {
			t.Fatalf("Version after reopening = %d, %v", v, err)
		}
		ok, err := sqlite.NewDirectory(db, h, 0).CheckPassword(ctx, "alice@example.edu", "Alice-New-Password-2")
		if err != nil || !ok {
			t.Fatalf("the new password after reopening: %v, %v", ok, err)
		}
		r, err := sqlite.NewStore(db).Registration(ctx, "alice@example.edu")
		if err != nil || r == nil || len(r.Answers) != 5 {
			t.Fatalf("registration after reopening: %+v, %v", r, err)
		}
	})
}
