package sqlite

import (
	"context"
	"database/sql"

	"github.com/sspr-portal/sspr/server/internal/groupcommit"
)

// recordQuery appends an audit event.
const recordQuery = `
INSERT INTO audit_events (at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// eventWriter writes audit events by group commit
// (server/internal/groupcommit): the events recorded while the file's one
// writer is busy are written together, in one transaction, as soon as it
// is free. A reset records a dozen events, and each commit costs an fsync
// (the audit was the largest share of the server's CPU outside argon2id);
// under load most of them now share one. Record still returns only once
// its event is committed, so that what a request did is in the audit
// before its answer is sent.
//
// Each round takes the write connection first and the batch only then, so
// that every event recorded while it waited for the connection goes in. A
// batch that fails is written again event by event, so that one event's
// error is not every other's; but not one the database was too busy for,
// which each event would wait for again, BusyTimeout after BusyTimeout.
type eventWriter = groupcommit.Writer[*sql.Conn, []any]

// newEventWriter writes events (recordQuery's arguments) on write, the
// file's one writer.
func newEventWriter(write *sql.DB) *eventWriter {
	return groupcommit.New(groupcommit.Funcs[*sql.Conn, []any]{
		Acquire:    write.Conn,
		Release:    func(c *sql.Conn) { c.Close() },
		WriteBatch: insertAll,
		WriteOne:   insertOne,
		Retry:      func(err error) bool { return !busy(err) },
	})
}

func insertOne(ctx context.Context, conn *sql.Conn, args []any) error {
	_, err := conn.ExecContext(ctx, recordQuery, args...)
	return err
}

func insertAll(ctx context.Context, conn *sql.Conn, rows [][]any) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, args := range rows {
		if _, err := tx.ExecContext(ctx, recordQuery, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
