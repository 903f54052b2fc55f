package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr-portal/sspr/server/internal/groupcommit"
	"github.com/sspr-portal/sspr/server/sspr"
)

// recordQuery appends an audit event: an event alone, or each event of a
// batch that recordBatchQuery could not write.
const recordQuery = `
INSERT INTO audit_events (at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// recordBatchQuery appends several audit events in one statement, so one
// commit: a column's values in an array each. They are inserted in the
// order they were recorded (the ORDER BY is above the identity column's
// default), so that the ids keep that order, which Events shows events of
// the same time in.
const recordBatchQuery = `
INSERT INTO audit_events (at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail)
SELECT at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
	WITH ORDINALITY AS e(at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail, n)
ORDER BY n`

// eventWriter writes audit events by group commit
// (server/internal/groupcommit): the events recorded while a batch is
// being written are written together, in one statement, as soon as it is
// done. Each commit waits for PostgreSQL to flush its WAL to disk: with
// one commit per event, every write waited for a flush of its own (the
// flows' p99 varied from 9 to 27 ms at 500 requests/s with a million
// accounts); under load the events of the moment now share one. Record
// still returns only once its event is committed.
//
// Each round acquires a connection from the pool first and takes the batch
// only then, so that the events recorded while every connection was busy
// go in; the round (the wait for a connection included) is bounded by the
// store's timeout, as any operation is (Store.op). A batch PostgreSQL
// refuses for what it holds (bug: text with a NUL byte, say) is written
// again event by event, so that only the bad event fails; one that fails
// for the state of the server (unreachable, timed out) fails every event
// at once, rather than each of them waiting for the same timeout in turn.
type eventWriter = groupcommit.Writer[*pgxpool.Conn, sspr.Event]

func newEventWriter(pool *pgxpool.Pool, timeout time.Duration) *eventWriter {
	return groupcommit.New(groupcommit.Funcs[*pgxpool.Conn, sspr.Event]{
		Acquire:    pool.Acquire,
		Release:    (*pgxpool.Conn).Release,
		WriteBatch: insertEvents,
		WriteOne:   insertEvent,
		Retry:      bug,
		Timeout:    timeout,
	})
}

// insertEvent writes e, its time stamped already.
func insertEvent(ctx context.Context, conn *pgxpool.Conn, e sspr.Event) error {
	_, err := conn.Exec(ctx, recordQuery,
		pgTime(e.At), e.Kind, e.UserID, e.Flow, e.Request, e.Outcome, e.ClientAddr, e.UserAgent, e.Detail)
	return err
}

// insertEvents writes events, their times stamped already, in one
// statement.
func insertEvents(ctx context.Context, conn *pgxpool.Conn, events []sspr.Event) error {
	n := len(events)
	at := make([]*time.Time, n)
	cols := make([][]string, 8)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	for i, e := range events {
		at[i] = pgTime(e.At)
		for j, v := range [...]string{e.Kind, e.UserID, e.Flow, e.Request, e.Outcome, e.ClientAddr, e.UserAgent, e.Detail} {
			cols[j][i] = v
		}
	}
	_, err := conn.Exec(ctx, recordBatchQuery, at, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7])
	return err
}
