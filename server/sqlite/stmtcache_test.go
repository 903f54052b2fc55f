package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// oneConn opens a pool of one connection with the statement cache on a
// new file, and returns it with that connection's cache.
func oneConn(t *testing.T) (*sql.DB, func() *cachingConn) {
	t.Helper()
	db, err := openDB(dsn(filepath.Join(t.TempDir(), "c.db"), url.Values{"_pragma": {"journal_mode(WAL)"}}), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	cache := func() *cachingConn {
		t.Helper()
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var c *cachingConn
		if err := conn.Raw(func(dc any) error { c = dc.(*cachingConn); return nil }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	return db, cache
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, cache := oneConn(t)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	const ins = `INSERT INTO t (k, v) VALUES (?, ?)`
	for i := range 10 {
		if _, err := db.ExecContext(ctx, ins, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	c := cache()
	first := c.byText[ins].Value.(*cachedStmt)

	// The same text while its rows are open: the second runs uncached,
	// and both read everything.
	const sel = `SELECT k, v FROM t ORDER BY k`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for outer.Next() {
		var k int
		var v string
		if err := outer.Scan(&k, &v); err != nil || v != fmt.Sprint("v", k) {
			t.Fatalf("row %d: %d %q %v", n, k, v, err)
		}
		if n == 0 {
			var count int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+sel+`)`).Scan(&count); err != nil || count != 10 {
				t.Fatalf("count while rows are open: %d, %v", count, err)
			}
			inner, err := tx.QueryContext(ctx, sel)
			if err != nil {
				t.Fatal(err)
			}
			m := 0
			for inner.Next() {
				m++
			}
			if err := inner.Close(); err != nil || m != 10 {
				t.Fatalf("the same statement while its rows are open: %d rows, %v", m, err)
			}
		}
		n++
	}
	if err := outer.Close(); err != nil || n != 10 {
		t.Fatalf("%d rows, %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if cs := c.byText[sel].Value.(*cachedStmt); cs.busy {
		t.Error("the statement is still busy after its rows closed")
	}

	// A schema change: SQLite prepares the cached statement again.
	if _, err := db.ExecContext(ctx, `ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, ins, 10, "v10"); err != nil {
		t.Fatal(err)
	}
	var w string
	if err := db.QueryRowContext(ctx, `SELECT w FROM t WHERE k = ?`, 10).Scan(&w); err != nil || w != "x" {
		t.Fatalf("after ALTER TABLE: %q, %v", w, err)
	}
	if got := c.byText[ins].Value.(*cachedStmt); got != first {
		t.Error("the INSERT was prepared twice")
	}

	// An error in a statement is the driver's, whether cached or not.
	if _, err := db.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`); err == nil {
		t.Error("an INSERT into no table worked")
	}

	// More texts than the cache holds: the oldest go, one of them while
	// its rows are open (it is closed when they close).
	rows, err := db.QueryContext(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no row")
	}
	held := c.byText[sel].Value.(*cachedStmt)
	for i := range stmtCacheSize + 5 {
		// With the rows open, the pool's one connection is theirs: use it
		// through them, as a transaction would.
		if _, err := c.ExecContext(ctx, fmt.Sprintf("SELECT %d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if c.lru.Len() != stmtCacheSize || len(c.byText) != stmtCacheSize {
		t.Errorf("cache holds %d (%d by text), want %d", c.lru.Len(), len(c.byText), stmtCacheSize)
	}
	if !held.evicted || !held.busy {
		t.Errorf("held statement: evicted %v, busy %v; want both", held.evicted, held.busy)
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if held.busy {
		t.Error("the evicted statement is still busy after its rows closed")
	}
}

func TestFixedLimit(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1 LIMIT ?", "SELECT 1 LIMIT ? + 0"},
		{"SELECT 1 LIMIT ?3;", "SELECT 1 LIMIT ?3 + 0;"},
		{"SELECT 1 limit @max", "SELECT 1 limit @max + 0"},
		{"DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY id LIMIT ?5\n)", "DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY id LIMIT ?5 + 0\n)"},
		{"SELECT 1 FROM (SELECT 1 LIMIT :n) LIMIT $m", "SELECT 1 FROM (SELECT 1 LIMIT :n + 0) LIMIT $m + 0"},
		// Already an expression, a constant, or with an OFFSET: as it was.
		{"SELECT 1 LIMIT ?7 - 1", "SELECT 1 LIMIT ?7 - 1"},
		{"SELECT 1 LIMIT 10", "SELECT 1 LIMIT 10"},
		{"SELECT 1 LIMIT ? OFFSET ?", "SELECT 1 LIMIT ? OFFSET ?"},
		{"SELECT 1 LIMIT ?, ?", "SELECT 1 LIMIT ?, ?"},
		{"SELECT limited FROM t WHERE a = ?", "SELECT limited FROM t WHERE a = ?"},
	} {
		if got := fixedLimit(tc.in); got != tc.want {
			t.Errorf("fixedLimit(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A statement of the form of River's fetch, with its LIMIT fixed, takes
// what each run's LIMIT says.
func TestChangingLimit(t *testing.T) {
	ctx := context.Background()
	db, cache := oneConn(t)
	if _, err := db.ExecContext(ctx, `CREATE TABLE j (id INTEGER PRIMARY KEY, state TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := db.ExecContext(ctx, `INSERT INTO j (state) VALUES ('available')`); err != nil {
			t.Fatal(err)
		}
	}
	const fetch = `UPDATE j SET state = 'running' WHERE id IN (SELECT id FROM j WHERE state = 'available' ORDER BY id LIMIT ?1
) RETURNING id`
	var got []int
	for _, limit := range []int{1, 3, 2, 4} {
		rows, err := db.QueryContext(ctx, fetch, limit)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
			n++
		}
		if err := rows.Close(); err != nil || n != limit {
			t.Fatalf("LIMIT %d: %d rows, %v", limit, n, err)
		}
	}
	if fmt.Sprint(got) != "[1 2 3 4 5 6 7 8 9 10]" {
		t.Errorf("fetched %v", got)
	}
	if _, ok := cache().byText[fetch]; !ok {
		t.Error("the fetch is not in the cache")
	}
}

// River's fetch is a statement fixedLimit changes: should River write it
// otherwise, this fails, and fixedLimit must be looked at again.
func TestRiverFetchFixed(t *testing.T) {
	ctx := context.Background()
	db, cache := oneConn(t)
	d := riversqlite.New(db)
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 4} {
		if _, err := d.GetExecutor().JobGetAvailable(ctx, &riverdriver.JobGetAvailableParams{
			ClientID: "c", MaxAttemptedBy: 100, MaxToLock: limit, Queue: "email",
		}); err != nil {
			t.Fatal(err)
		}
	}
	var fetch []string
	for text := range cache().byText {
		if strings.Contains(text, "state = 'running'") && strings.Contains(text, "RETURNING") {
			fetch = append(fetch, text)
		}
	}
	if len(fetch) != 1 {
		t.Fatalf("%d statements look like River's fetch, want 1", len(fetch))
	}
	if fixedLimit(fetch[0]) == fetch[0] {
		t.Errorf("River's fetch has no bare LIMIT parameter any more:\n%s", fetch[0])
	}
}
