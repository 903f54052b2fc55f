package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// openTemp opens a fresh database file in a temporary folder, closed when
// the test ends: for the tests inside the package (helpers_test.go's
// MustOpen is for those outside).
func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
