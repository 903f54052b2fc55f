package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// fastParams make argon2id cheap: these tests are about storage, not cost.
var fastParams = secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

func newHasher() *secret.Argon2 { return secret.NewArgon2(fastParams, 0) }

// seedTime is the "now" the tests seed with.
var seedTime = time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)

// MustOpen opens a fresh database file in a temporary folder and closes it
// when the test ends.
func MustOpen(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "sspr.db"))
}

// MustOpenPath opens the database at path and closes it when the test ends.
func MustOpenPath(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// MustSeed opens a fresh database and seeds it with the dev accounts.
func MustSeed(tb testing.TB) (*sqlite.DB, *secret.Argon2) {
	tb.Helper()
	db := MustOpen(tb)
	h := newHasher()
	if err := sqlite.Seed(context.Background(), db, h, seedTime); err != nil {
		tb.Fatalf("Seed: %v", err)
	}
	return db, h
}
