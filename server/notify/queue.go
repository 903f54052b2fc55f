package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sender delivers a message: SMTP, the SMS gateway, the dev outbox, or a
// Queue in front of one of them. Errors must not carry the message's body or
// code, because they are logged.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Errors of Queue.Send. Either way the message was dropped and logged.
var (
	ErrQueueFull = errors.New("notify: queue full, message dropped")
	ErrClosed    = errors.New("notify: queue closed, message dropped")
)

// Defaults of NewQueue.
const (
	DefaultQueueSize = 1024
	DefaultWorkers   = 4
	// SendTimeout bounds one delivery attempt.
	SendTimeout = 30 * time.Second
)

var _ Sender = (*Queue)(nil)

// Queue delivers messages off the request path: Send only puts the message
// in a buffer and returns at once, whatever the sender underneath is doing,
// so the time a request takes says nothing about whether a message was sent
// (SECURITY rule 1: no enumeration by timing). Workers deliver from the
// buffer in the background, in no particular order.
//
// Start it with NewQueue and stop it with Close, which delivers what is
// still queued.
type Queue struct {
	next    Sender
	log     *slog.Logger
	timeout time.Duration
	ch      chan Message

	mu     sync.RWMutex // guards closed against close(ch) during a Send
	closed bool

	base  context.Context // parent of every delivery; cancelled to abort
	abort context.CancelFunc
	wg    sync.WaitGroup
	once  sync.Once
	done  chan struct{} // closed when every worker has returned

	sent, failed, dropped atomic.Uint64
}

// Stats counts what a queue has done since it started.
type Stats struct {
	Sent    uint64 // delivered
	Failed  uint64 // the sender returned an error, timed out or panicked
	Dropped uint64 // refused by Send (full or closed) or abandoned at Close
	Queued  int    // waiting now
}

// NewQueue starts workers goroutines (DefaultWorkers if workers <= 0) that
// deliver through s from a buffer of size messages (DefaultQueueSize if
// size <= 0), logging to log (nowhere if nil). Close stops them.
func NewQueue(s Sender, size, workers int, log *slog.Logger) *Queue {
	return newQueue(s, size, workers, SendTimeout, log)
}

func newQueue(s Sender, size, workers int, timeout time.Duration, log *slog.Logger) *Queue {
	if size <= 0 {
		size = DefaultQueueSize
	}
	if workers <= 0 {
		workers = DefaultWorkers
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, abort := context.WithCancel(context.Background())
	q := &Queue{
		next: s, log: log, timeout: timeout, ch: make(chan Message, size),
		base: base, abort: abort, done: make(chan struct{}),
	}
	q.wg.Add(workers)
	for range workers {
		go q.work()
	}
	return q
}

// Send queues m for delivery and returns at once; it never waits for the
// sender. ctx is not used for the delivery, which outlives the request
// (each attempt gets its own timeout). When the buffer is full the message
// is dropped, logged and ErrQueueFull returned; after Close, ErrClosed.
func (q *Queue) Send(ctx context.Context, m Message) error {
	err := q.enqueue(m)
	if err != nil {
		q.dropped.Add(1)
		// Channel and recipient only: never the body or the code.
		q.log.WarnContext(ctx, "notify: message dropped", "channel", string(m.Channel), "to", m.To, "err", err)
	}
	return err
}

func (q *Queue) enqueue(m Message) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrClosed
	}
	select {
	case q.ch <- m:
		return nil
	default:
		return ErrQueueFull
	}
}

// Close stops accepting messages, delivers those already queued and waits
// for the workers to finish. If ctx ends first, Close aborts the deliveries
// in flight (their contexts are cancelled), abandons what is still queued,
// and returns ctx's error without waiting further for a sender that ignores
// its context. Calling Close again waits again.
func (q *Queue) Close(ctx context.Context) error {
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		close(q.ch)
		q.mu.Unlock()
		go func() {
			q.wg.Wait()
			close(q.done)
		}()
	})
	select {
	case <-q.done:
		q.abort() // releases the context's resources
		return nil
	case <-ctx.Done():
		q.abort()
		return ctx.Err()
	}
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	return Stats{
		Sent:    q.sent.Load(),
		Failed:  q.failed.Load(),
		Dropped: q.dropped.Load(),
		Queued:  len(q.ch),
	}
}

func (q *Queue) work() {
	defer q.wg.Done()
	for m := range q.ch {
		q.deliver(m)
	}
}

// deliver makes one attempt at m and records the outcome.
//
// This is the seam for retries: a failed attempt will be re-queued with
// back-off here (later work), which is why the attempt itself is a separate
// function and the outcome is decided in one place.
func (q *Queue) deliver(m Message) {
	if q.base.Err() != nil { // Close gave up: abandon the rest
		q.dropped.Add(1)
		q.log.Warn("notify: message abandoned at shutdown", "channel", string(m.Channel), "to", m.To)
		return
	}
	start := time.Now()
	err := q.attempt(m)
	if err != nil {
		q.failed.Add(1)
		// The sender's error and where it was going; never the body or code.
		q.log.Error("notify: delivery failed", "channel", string(m.Channel), "to", m.To,
			"took", time.Since(start), "err", err)
		return
	}
	q.sent.Add(1)
}

// attempt calls the sender once, bounded by the timeout. A panicking sender
// is a failed delivery, not a crashed server.
func (q *Queue) attempt(m Message) (err error) {
	ctx, cancel := context.WithTimeout(q.base, q.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sender panicked: %v", r)
		}
	}()
	return q.next.Send(ctx, m)
}
