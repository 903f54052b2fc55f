package sqlite

import (
	"context"
	"errors"
	"time"
)

// writeLock is one database file's write lock within this process, taken
// by every write of every pool that writes to it: the store's writer and
// the outbox's queue (OpenPool). SQLite lets one connection write at a
// time, and a connection that finds the file locked sleeps in SQLite's
// busy handler, 1, 2, 5, 10, 15, 20 ms and on, before it tries again: the
// outbox's inserts and the audit's commits, each waiting for the other so,
// made the p99 of sending a code 44-84 ms at 500 requests/s. Waiting here
// instead, the next writer goes as soon as the last is done.
//
// It is taken for a transaction from BEGIN to its end, and for a statement
// outside one until the statement is done (its rows closed): a statement
// on a pool that writes may be a write. Another process (an `sspr`
// command on the same file) still meets SQLite's own lock and busy
// handler. A wait is bounded by BusyTimeout, as SQLite's is, so a writer
// that waits on itself through another pool fails as it did, not forever.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

// errWriteBusy: the write lock was not free within BusyTimeout.
var errWriteBusy = errors.New("the database was busy writing for " + BusyTimeout.String())

func (l writeLock) acquire(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(BusyTimeout)
	defer t.Stop()
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errWriteBusy
	}
}

func (l writeLock) release() { <-l }
