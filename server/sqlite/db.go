// Package sqlite is the embedded default backend: the directory (accounts
// and their argon2id password hashes) and the store (registrations, audit
// events, password history) in one SQLite file, through the pure Go driver
// modernc.org/sqlite (no cgo).
//
// Many concurrent users must never see "database is locked" (an established
// Go identity server fails exactly there with 8 concurrent recoveries), so
// the file is opened twice:
//
//   - a write pool of exactly one connection: every write in this process
//     queues in Go for that connection instead of racing other connections
//     for SQLite's write lock, and its transactions begin IMMEDIATE, so a
//     transaction that reads and then writes can't fail to upgrade its lock
//     half-way;
//   - a read pool of several read-only connections: in WAL mode readers
//     never wait for the writer, and never block it.
//
// Both pools set a busy timeout, so another process holding the lock
// briefly (a backup, the sqlite3 shell) is waited for rather than failed.
//
// Errors: a refusal by the password policy is an *sspr.Error with code
// password_policy; a database still busy after the busy timeout is
// unavailable (sspr.Unavailable: directory_unavailable for the directory's
// calls, service_unavailable for the store's, wrapping the driver's error
// for the log); every other failure is a plain error wrapped with what was
// being done, which callers treat as internal. The database is a local file:
// failing to use it is a fault of this server, not an unreachable service.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	moderncsqlite "modernc.org/sqlite"

	"github.com/sspr-portal/sspr/server/sspr"
)

// BusyTimeout is how long a connection waits for a lock held by another
// connection or process before giving up.
const BusyTimeout = 5 * time.Second

// DB is an open SQLite database: one write connection and a pool of
// read-only connections to the same file.
type DB struct {
	write *sql.DB // exactly one connection; transactions BEGIN IMMEDIATE
	read  *sql.DB // read-only connections
	path  string
	// lock is taken by every write of the writer's and OpenPool's pools
	// (writelock.go).
	lock writeLock
}

// Open opens (creating if needed) the database file at path, switches it to
// WAL mode and brings its schema up to SchemaVersion. It refuses a file
// whose schema is newer than this program knows.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		// Two pools on one in-memory database would be two databases.
		return nil, errors.New("sqlite: a database file path is required")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: database path: %w", err)
	}
	busyTimeout := fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds())

	lock := newWriteLock()
	write, err := openDB(dsn(abs, url.Values{
		"_pragma": {busyTimeout, "foreign_keys(1)", "journal_mode(WAL)"},
		"_txlock": {"immediate"},
	}), lock)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	// The single writer. Its one connection stays open for the life of the
	// DB, which also keeps the WAL index (-shm) in place for the readers.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	db := &DB{write: write, path: abs, lock: lock}
	if err := db.checkWAL(ctx); err != nil {
		write.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}

	// The read pool is opened only now: a read-only connection can't be the
	// one that switches the file to WAL mode. mode=ro makes SQLite itself
	// refuse any write on these connections.
	read, err := openDB(dsn(abs, url.Values{
		"mode":    {"ro"},
		"_pragma": {busyTimeout, "foreign_keys(1)"},
	}), nil)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s read-only: %w", abs, err)
	}
	n := max(4, 2*runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	db.read = read
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds a "file:" URI, so that SQLite reads its own parameters (mode)
// as well as the driver's (_pragma, _txlock), with the path escaped.
func dsn(abs string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// OpenPool opens another pool of n read-write connections to the file,
// with the same settings as the writer's (WAL, a busy timeout, BEGIN
// IMMEDIATE): for a library that runs its own transactions, such as the
// durable outbox's queue, so that the store's single writer connection is
// never lent to it. Its writes take the file's write lock (writelock.go)
// as the writer's do. The caller closes it, before the DB.
func (db *DB) OpenPool(n int) (*sql.DB, error) {
	p, err := openDB(dsn(db.path, url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()), "foreign_keys(1)"},
		"_txlock": {"immediate"},
	}), db.lock)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	return p, nil
}

// checkWAL makes sure the journal mode really is WAL: on a file system that
// can't do it SQLite quietly keeps the old mode, and readers would then wait
// for the writer.
func (db *DB) checkWAL(ctx context.Context) error {
	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("sqlite: %s: journal mode is %q, not WAL (is it on a network file system?)", db.path, mode)
	}
	return nil
}

// Close closes both pools. The read pool goes first, so that the writer is
// the last connection and checkpoints the WAL into the main file.
func (db *DB) Close() error {
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// Ping reports whether both the write and the read connections answer, for
// the readiness check.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.write.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return wrap(sspr.BackendStore, "ping writer", err)
	}
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return wrap(sspr.BackendStore, "ping reader", err)
	}
	return nil
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE on the single
// write connection) and commits if fn returns nil. Keep fn short and free
// of slow work such as hashing: every writer of the process waits for it.
func (db *DB) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// readTx runs fn in a read transaction on a read-only connection: one
// consistent snapshot for several queries.
func (db *DB) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to commit
	return fn(tx)
}

// SQLite's primary result codes for "try again later".
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// wrap adds what was being done to a database error. A database still busy
// after the busy timeout is unavailable (503: try again later) rather than
// internal: backend is what the caller serves (sspr.BackendDirectory for
// the accounts, sspr.BackendStore for registrations and events), so that
// the code names it. The driver's error stays in the chain for the log.
func wrap(backend, op string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("sqlite: %s: %w", op, err)
	if busy(err) {
		return sspr.Unavailable(backend, err)
	}
	return err
}

// busy reports whether err is the database still busy after the busy
// timeout: SQLite's own (another process holds the file) or this
// process's write lock (writelock.go).
func busy(err error) bool {
	var se *moderncsqlite.Error
	if errors.As(err, &se) {
		if c := se.Code() & 0xff; c == sqliteBusy || c == sqliteLocked {
			return true
		}
	}
	return errors.Is(err, errWriteBusy)
}

// timeLayout is how times are stored: UTC, RFC 3339 with a fixed nine-digit
// fraction, so that the text sorts in time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime returns t as stored text, or NULL for the zero time.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time; NULL is the zero time.
func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s.String, err)
	}
	return t.UTC(), nil
}
