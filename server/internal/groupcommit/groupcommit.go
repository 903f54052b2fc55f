// Package groupcommit writes items to a database by group commit: the
// items added while a batch is being written wait, and are written
// together, in one commit, as soon as it is done.
//
// Both stores write the audit this way (server/sqlite, server/pgstore). A
// commit costs an fsync, which every commit waits for (SQLite's file,
// PostgreSQL's WAL), and a reset records a dozen events: under load, one
// commit each made the audit a large share of the CPU on SQLite and made
// every write wait for its own flush on PostgreSQL. Grouped, the events of
// all the requests of the moment share one.
//
// Add still returns only once its item is committed (or failed), so that
// the audit holds what a request did before its answer is sent, and a
// change that can't be audited is not made. The writing is not the
// callers' to cancel: one caller gone must not undo the batch of all the
// others, so the writes run under a context of their own
// (context.Background, bounded by Funcs.Timeout), and Add takes none.
//
// A Writer has no goroutine of its own while idle: the first item added
// starts one, which writes batches until none is waiting.
package groupcommit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Funcs say how a Writer writes: C is what a batch is written with (a
// connection), T an item (a row).
type Funcs[C, T any] struct {
	// Acquire takes what the next batch is written with. It is called
	// before the batch is taken, so that every item added while it
	// waits (for a connection busy elsewhere) goes in the batch. Its
	// error is the error of every item of the batch. nil: no step, the
	// zero C.
	Acquire func(ctx context.Context) (C, error)
	// Release gives back what Acquire took, once the batch is written;
	// nil: nothing to give back.
	Release func(C)
	// WriteBatch writes two or more items in one commit: all or none.
	WriteBatch func(ctx context.Context, c C, items []T) error
	// WriteOne writes one item in a commit of its own: an item alone,
	// and each item of a batch that failed, so that one bad item's error
	// is not every other's.
	WriteOne func(ctx context.Context, c C, item T) error
	// Retry reports whether a batch that failed with err is written
	// again item by item; nil: always. An error that is not the items'
	// (the database unreachable) had better be every item's at once than
	// met again by each.
	Retry func(err error) bool
	// Timeout, when positive, bounds each round: the Acquire, the batch,
	// and the items written again one by one.
	Timeout time.Duration
}

// Writer writes items by group commit. Make one with New; it is safe
// for concurrent use.
type Writer[C, T any] struct {
	f Funcs[C, T]

	mu      sync.Mutex
	next    *batch[T] // the items waiting for the next round
	writing bool      // a goroutine is writing batches

	commits atomic.Int64
}

type batch[T any] struct {
	items []T
	errs  []error       // set by the writer, one per item
	done  chan struct{} // closed once errs is set
}

// New returns a Writer that writes with f. f.WriteBatch and f.WriteOne
// are required.
func New[C, T any](f Funcs[C, T]) *Writer[C, T] {
	if f.WriteBatch == nil || f.WriteOne == nil {
		panic("groupcommit: WriteBatch and WriteOne are required")
	}
	return &Writer[C, T]{f: f}
}

// Add writes item with the others added meanwhile and returns once it is
// committed, with nil, or failed, with its error: the batch's, or its
// own when the batch was written again item by item.
func (w *Writer[C, T]) Add(item T) error {
	w.mu.Lock()
	if w.next == nil {
		w.next = &batch[T]{done: make(chan struct{})}
	}
	b := w.next
	i := len(b.items)
	b.items = append(b.items, item)
	if !w.writing {
		w.writing = true
		go w.run()
	}
	w.mu.Unlock()
	<-b.done
	return b.errs[i]
}

// Commits is how many commits the writer has made: a batch written
// whole is one, each item written alone another.
func (w *Writer[C, T]) Commits() int64 { return w.commits.Load() }

// Waiting is how many items wait for the next round (the one whose
// Acquire is under way, if any): for tests that need a batch to hold
// several items.
func (w *Writer[C, T]) Waiting() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next == nil {
		return 0
	}
	return len(w.next.items)
}

// run writes rounds until no item is waiting. Each round acquires first
// and takes the batch only then, so that the items added while it waited
// go in.
func (w *Writer[C, T]) run() {
	for {
		w.mu.Lock()
		if w.next == nil {
			w.writing = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		w.round()
	}
}

// round acquires, takes the waiting batch, writes it and tells its
// items.
func (w *Writer[C, T]) round() {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if w.f.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, w.f.Timeout)
	}
	defer cancel()
	var (
		c   C
		err error
	)
	if w.f.Acquire != nil {
		c, err = w.f.Acquire(ctx)
	}
	w.mu.Lock()
	b := w.next // not nil: only this goroutine takes batches
	w.next = nil
	w.mu.Unlock()
	b.errs = make([]error, len(b.items))
	defer close(b.done)
	if err != nil {
		for i := range b.errs {
			b.errs[i] = err
		}
		return
	}
	if w.f.Release != nil {
		defer w.f.Release(c)
	}
	w.write(ctx, c, b)
}

// write writes b's items on c: in one commit when there are several; if
// that fails, each on its own, unless Retry says otherwise.
func (w *Writer[C, T]) write(ctx context.Context, c C, b *batch[T]) {
	if len(b.items) > 1 {
		err := w.f.WriteBatch(ctx, c, b.items)
		if err == nil {
			w.commits.Add(1)
			return
		}
		if w.f.Retry != nil && !w.f.Retry(err) {
			for i := range b.errs {
				b.errs[i] = err
			}
			return
		}
	}
	for i, item := range b.items {
		if b.errs[i] = w.f.WriteOne(ctx, c, item); b.errs[i] == nil {
			w.commits.Add(1)
		}
	}
}
