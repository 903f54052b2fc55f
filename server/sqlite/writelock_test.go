package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// A write on one pool waits for a transaction on another in this process
// on the file's write lock, and goes as soon as it ends, where SQLite's
// busy handler would have slept on (1, 2, 5, 10, 15, 20 ms...); a wait
// ends with its context, and one past BusyTimeout is unavailable.
func TestWriteLock(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	other, err := db.OpenPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `CREATE TABLE t (v INTEGER)`); err != nil {
		t.Fatal(err)
	}

	for _, write := range []struct {
		name string
		run  func() error
	}{
		{"exec", func() error { _, err := other.ExecContext(ctx, `INSERT INTO t VALUES (1)`); return err }},
		{"query", func() error {
			// A write whose rows hold SQLite's lock (River's fetch).
			rows, err := other.QueryContext(ctx, `INSERT INTO t VALUES (2) RETURNING v`)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			return rows.Close()
		}},
		{"transaction", func() error {
			tx, err := other.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (3)`); err != nil {
				tx.Rollback()
				return err
			}
			return tx.Commit()
		}},
	} {
		t.Run(write.name, func(t *testing.T) {
			held, err := db.write.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan time.Time, 1)
			errc := make(chan error, 1)
			go func() { errc <- write.run(); done <- time.Now() }()
			time.Sleep(130 * time.Millisecond) // SQLite's busy handler sleeps 50 ms from 128 ms on
			select {
			case <-done:
				t.Fatal("the write went while another pool's transaction held the file")
			default:
			}
			ended := time.Now()
			if err := held.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if wait := (<-done).Sub(ended); wait > 25*time.Millisecond {
				t.Errorf("the write ended %v after the transaction it waited for", wait)
			}
		})
	}

	// A wait ends with its context.
	held, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := other.ExecContext(short, `INSERT INTO t VALUES (4)`); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a write past its context's end: %v, want the deadline", err)
	}
	if err := held.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `INSERT INTO t VALUES (5)`); err != nil {
		t.Fatalf("the lock was not given back: %v", err)
	}

	// Waiting past BusyTimeout is the store being unavailable.
	if err := wrap(sspr.BackendStore, "write", errWriteBusy); !errors.Is(err, errWriteBusy) || sspr.CodeOf(err) != sspr.CodeServiceUnavailable {
		t.Errorf("wrap(errWriteBusy) = %v", err)
	}
}

// busy tells the database too busy (SQLite's lock held by another
// connection, this process's write lock) from any other error: the
// audit's writer gives up on a batch at once for the first, instead of
// waiting for each event again.
func TestBusy(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE t (v INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	held, err := db.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the file's write lock
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	// Another connection with no busy timeout and none of this process's
	// lock, as another program would be.
	raw, err := sql.Open("sqlite", db.path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_, sqliteBusy := raw.ExecContext(ctx, `INSERT INTO t VALUES (1)`)
	_, constraint := held.ExecContext(ctx, `INSERT INTO t VALUES (NULL), (1), (1)`)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"SQLite's busy", sqliteBusy, true},
		{"the write lock's wait past BusyTimeout", fmt.Errorf("record: %w", errWriteBusy), true},
		{"a constraint", constraint, false},
		{"another error", errors.New("disk I/O error"), false},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error to judge", tc.name)
			continue
		}
		if got := busy(tc.err); got != tc.want {
			t.Errorf("%s (%v): busy %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
