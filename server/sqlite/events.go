package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// recordQuery appends an audit event.
const recordQuery = `
INSERT INTO audit_events (at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// eventWriter writes audit events by group commit: the events recorded
// while the file's one writer is busy are written together, in one
// transaction, as soon as it is free. A reset records a dozen events, and
// each commit costs an fsync (the audit was the largest share of the
// server's CPU outside argon2id); under load most of them now share one.
// Record still returns only once its event is committed, so that what a
// request did is in the audit before its answer is sent.
type eventWriter struct {
	write *sql.DB

	mu      sync.Mutex
	next    *eventBatch // the events waiting for the writer
	writing bool        // a goroutine is writing batches

	commits atomic.Int64 // transactions written, for tests
}

type eventBatch struct {
	events []*pendingEvent
	done   chan struct{} // closed once every event's err is set
}

type pendingEvent struct {
	args []any
	err  error
}

// record writes one event's row (recordQuery's arguments) and returns
// once it is committed, or failed.
func (w *eventWriter) record(args []any) error {
	e := &pendingEvent{args: args}
	w.mu.Lock()
	if w.next == nil {
		w.next = &eventBatch{done: make(chan struct{})}
	}
	b := w.next
	b.events = append(b.events, e)
	if !w.writing {
		w.writing = true
		go w.run()
	}
	w.mu.Unlock()
	<-b.done
	return e.err
}

// run writes batches until none is waiting. It takes the writer first and
// the batch only then, so that every event recorded while it waited for
// the connection goes in.
func (w *eventWriter) run() {
	// The events' requests may end once they are committed; the writing
	// itself is not theirs to cancel.
	ctx := context.Background()
	for {
		conn, err := w.write.Conn(ctx)
		w.mu.Lock()
		b := w.next
		w.next = nil
		if b == nil {
			w.writing = false
			w.mu.Unlock()
			if conn != nil {
				conn.Close()
			}
			return
		}
		w.mu.Unlock()
		if err != nil {
			for _, e := range b.events {
				e.err = err
			}
		} else {
			w.commits.Add(int64(w.insert(ctx, conn, b.events)))
			conn.Close()
		}
		close(b.done)
	}
}

// insert writes events on conn, in one transaction when there are
// several; if that fails, each on its own, so that one event's error is
// not every other's. It returns how many commits it made.
func (w *eventWriter) insert(ctx context.Context, conn *sql.Conn, events []*pendingEvent) int {
	if len(events) > 1 {
		if err := insertAll(ctx, conn, events); err == nil {
			return 1
		}
	}
	for _, e := range events {
		_, e.err = conn.ExecContext(ctx, recordQuery, e.args...)
	}
	return len(events)
}

func insertAll(ctx context.Context, conn *sql.Conn, events []*pendingEvent) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, recordQuery, e.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
