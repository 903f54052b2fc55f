package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of Queue.Send. Either way the message was dropped and logged.
var (
	ErrQueueFull = errors.New("notify: queue full, message dropped")
	ErrClosed    = errors.New("notify: queue closed, message dropped")
)

// Defaults of QueueOptions.
const (
	DefaultQueueSize = 1024
	DefaultWorkers   = 4
	// DefaultMaxTries is how many attempts a message gets in all.
	DefaultMaxTries = 5
	// DefaultBackoff is the wait before the first retry; each further
	// retry waits twice as long, up to DefaultMaxBackoff.
	DefaultBackoff    = 5 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// SendTimeout bounds one delivery attempt.
	SendTimeout = 30 * time.Second
	// DefaultUnhealthyAfter is how many attempts in a row must fail for
	// the sender to be reported degraded.
	DefaultUnhealthyAfter = 3
)

// QueueOptions configure NewQueueWith. Zero values take the defaults.
type QueueOptions struct {
	// Name labels the queue in logs and health reports ("email", "sms").
	Name string
	// Size bounds the messages held at once: queued, being delivered, or
	// waiting for a retry. A Send beyond it is dropped, never blocked.
	Size    int
	Workers int
	// MaxTries is the number of attempts a message gets in all (1: no
	// retries).
	MaxTries int
	// Backoff is the wait before the first retry, doubled for each next
	// one up to MaxBackoff, each with random jitter (between half and
	// the whole of it) so that retries don't arrive in waves.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
	// UnhealthyAfter is how many attempts in a row must fail before Check
	// reports the sender degraded.
	UnhealthyAfter int
	Log            *slog.Logger
	// Now is the clock for health reports; nil means time.Now.
	Now func() time.Time
}

func (o QueueOptions) withDefaults() QueueOptions {
	if o.Size <= 0 {
		o.Size = DefaultQueueSize
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxTries <= 0 {
		o.MaxTries = DefaultMaxTries
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = o.Backoff
	}
	if o.Timeout <= 0 {
		o.Timeout = SendTimeout
	}
	if o.UnhealthyAfter <= 0 {
		o.UnhealthyAfter = DefaultUnhealthyAfter
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

var _ Sender = (*Queue)(nil)

// Queue delivers messages off the request path: Send only puts the message
// in a buffer and returns at once, whatever the sender underneath is doing,
// so the time a request takes says nothing about whether a message was sent
// (docs/SECURITY.md#same-answer: no enumeration by timing). Workers deliver
// from the buffer in the background, in no particular order.
//
// A failed attempt is retried with exponential back-off and jitter, up to
// MaxTries attempts, unless the sender marked the error Permanent or
// Refused. A message waiting for its retry holds no worker: a timer puts it
// back in the buffer when its time comes, so one dead recipient never
// delays the others.
//
// Start it with NewQueue or NewQueueWith and stop it with Close, which
// delivers what is still queued.
type Queue struct {
	next Sender
	o    QueueOptions
	log  *slog.Logger
	ch   chan *item

	mu      sync.Mutex
	closed  bool
	pending int // accepted, not finished: in ch, in a worker or waiting
	waiting map[*item]*time.Timer
	drained chan struct{} // closed when closed && pending == 0
	isDrain bool

	base  context.Context // parent of every delivery; cancelled to abort
	abort context.CancelFunc
	wg    sync.WaitGroup
	once  sync.Once
	done  chan struct{} // closed when every worker has returned

	sent, failed, dropped, retried atomic.Uint64
	health                         health
}

// item is a message and how many attempts it has had.
type item struct {
	m     Message
	tries int
}

// Stats counts what a queue has done since it started.
type Stats struct {
	Sent    uint64 // delivered
	Failed  uint64 // given up: a permanent failure, or the last try failed
	Retried uint64 // attempts that failed and were scheduled again
	Dropped uint64 // refused by Send (full or closed) or abandoned at Close
	Queued  int    // waiting for a worker now
	Waiting int    // waiting for their retry now
}

// NewQueue starts workers goroutines (DefaultWorkers if workers <= 0) that
// deliver through s from a buffer of size messages (DefaultQueueSize if
// size <= 0), logging to log (nowhere if nil), with the default retries.
// Close stops them.
func NewQueue(s Sender, size, workers int, log *slog.Logger) *Queue {
	return NewQueueWith(s, QueueOptions{Size: size, Workers: workers, Log: log})
}

// NewQueueWith starts a queue in front of s. Close stops it.
func NewQueueWith(s Sender, o QueueOptions) *Queue {
	o = o.withDefaults()
	base, abort := context.WithCancel(context.Background())
	q := &Queue{
		next: s, o: o, log: o.Log, ch: make(chan *item, o.Size),
		waiting: map[*item]*time.Timer{}, drained: make(chan struct{}),
		base: base, abort: abort, done: make(chan struct{}),
	}
	q.health.threshold = o.UnhealthyAfter
	q.wg.Add(o.Workers)
	for range o.Workers {
		go q.work()
	}
	return q
}

// Send queues m for delivery and returns at once; it never waits for the
// sender. ctx is not used for the delivery, which outlives the request
// (each attempt gets its own timeout). When the queue is full the message
// is dropped, logged and ErrQueueFull returned; after Close, ErrClosed.
func (q *Queue) Send(ctx context.Context, m Message) error {
	err := q.enqueue(m)
	if err != nil {
		q.dropped.Add(1)
		if errors.Is(err, ErrQueueFull) {
			q.health.drop(q.o.Now())
		}
		// Channel and recipient only: never the body or the code.
		q.log.WarnContext(ctx, "notify: message dropped", "channel", string(m.Channel), "to", m.To, "err", err)
	}
	return err
}

func (q *Queue) enqueue(m Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if q.pending >= q.o.Size {
		return ErrQueueFull
	}
	q.pending++
	// Never blocks: the buffer holds at most pending-1 < Size others.
	q.ch <- &item{m: m}
	return nil
}

// Close stops accepting messages, gives every message waiting for a retry
// its last attempt now, delivers those already queued and waits for the
// workers to finish; an attempt that fails while closing is not retried.
// If ctx ends first, Close aborts the deliveries in flight (their contexts
// are cancelled), abandons what is still queued (logged, without bodies),
// and returns ctx's error without waiting further for a sender that ignores
// its context. Calling Close again waits again.
func (q *Queue) Close(ctx context.Context) error {
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		for it, t := range q.waiting {
			t.Stop()
			delete(q.waiting, it)
			q.ch <- it // room: it is counted in pending
		}
		q.checkDrained()
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

// checkDrained lets the workers go once closed and nothing is left. q.mu
// is held.
func (q *Queue) checkDrained() {
	if q.closed && q.pending == 0 && !q.isDrain {
		q.isDrain = true
		close(q.drained)
	}
}

// finish ends a message's life in the queue, whatever its outcome.
func (q *Queue) finish() {
	q.mu.Lock()
	q.pending--
	q.checkDrained()
	q.mu.Unlock()
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	waiting := len(q.waiting)
	q.mu.Unlock()
	return Stats{
		Sent:    q.sent.Load(),
		Failed:  q.failed.Load(),
		Retried: q.retried.Load(),
		Dropped: q.dropped.Load(),
		Queued:  len(q.ch),
		Waiting: waiting,
	}
}

// Check reports the sender's health for /readyz: an error (degraded) when
// the last UnhealthyAfter attempts all failed for the sender's sake, or
// when messages were dropped for a full queue in the last minute. A
// recipient refused (Refused) is not the sender's failure.
func (q *Queue) Check(context.Context) error {
	return q.health.check(q.o.Now(), q.o.Name)
}

func (q *Queue) work() {
	defer q.wg.Done()
	for {
		select {
		case it := <-q.ch:
			q.deliver(it)
		case <-q.drained:
			return
		}
	}
}

// deliver makes one attempt at a message, then decides in one place:
// delivered, retried later, or given up.
func (q *Queue) deliver(it *item) {
	m := it.m
	if q.base.Err() != nil { // Close gave up: abandon the rest
		q.dropped.Add(1)
		q.log.Warn("notify: message abandoned at shutdown", "channel", string(m.Channel), "to", m.To, "tries", it.tries)
		q.finish()
		return
	}
	it.tries++
	// it may be back in another worker's hands once scheduled: from here
	// on, only this copy.
	tries := it.tries
	start := time.Now()
	err := q.attempt(m)
	took := time.Since(start)
	if err == nil {
		q.sent.Add(1)
		q.health.ok(q.o.Now())
		if tries > 1 {
			q.log.Info("notify: delivered after a retry", "channel", string(m.Channel), "to", m.To, "tries", tries)
		}
		q.finish()
		return
	}
	class := classify(err)
	q.health.fail(q.o.Now(), class, err)
	if class == temporary && tries < q.o.MaxTries {
		delay := q.backoff(tries)
		if q.schedule(it, delay) {
			q.retried.Add(1)
			// The sender's error and where it was going; never the body
			// or the code.
			q.log.Warn("notify: delivery attempt failed, will retry", "channel", string(m.Channel), "to", m.To,
				"try", tries, "max_tries", q.o.MaxTries, "retry_in", delay.Round(time.Millisecond), "took", took, "err", err)
			return
		}
	}
	q.failed.Add(1)
	why := class.String()
	if class == temporary {
		why = "out of tries"
		if tries < q.o.MaxTries {
			why = "shutting down"
		}
	}
	q.log.Error("notify: delivery failed, giving up", "channel", string(m.Channel), "to", m.To,
		"tries", tries, "why", why, "took", took, "err", err)
	q.finish()
}

// backoff is the wait after the tries-th failed attempt: Backoff doubled
// for each earlier retry, at most MaxBackoff, then a random point between
// half of it and all of it.
func (q *Queue) backoff(tries int) time.Duration {
	d := q.o.Backoff
	for i := 1; i < tries && d < q.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, q.o.MaxBackoff)
	half := d / 2
	return half + rand.N(d-half+1)
}

// schedule puts it back in the buffer after d, without holding a worker.
// It returns false once the queue is closing: then there is no later.
func (q *Queue) schedule(it *item, d time.Duration) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.waiting[it] = time.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if _, ok := q.waiting[it]; !ok {
			return // Close took it already
		}
		delete(q.waiting, it)
		q.ch <- it // room: it is counted in pending
	})
	return true
}

// attempt calls the sender once, bounded by the timeout. A panicking sender
// is a permanent failure, not a crashed server.
func (q *Queue) attempt(m Message) (err error) {
	ctx, cancel := context.WithTimeout(q.base, q.o.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("sender panicked: %v", r))
		}
	}()
	return q.next.Send(ctx, m)
}

// health follows one sender's recent outcomes for /readyz.
type health struct {
	threshold int

	mu       sync.Mutex
	streak   int // attempts in a row that failed for the sender's sake
	lastOK   time.Time
	lastFail time.Time
	lastErr  string
	lastDrop time.Time
}

// dropWindow is how long a drop for a full queue keeps the sender degraded.
const dropWindow = time.Minute

func (h *health) ok(now time.Time) {
	h.mu.Lock()
	h.streak, h.lastOK = 0, now
	h.mu.Unlock()
}

func (h *health) fail(now time.Time, c errClass, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c == refused {
		// The sender answered: it works, the recipient doesn't.
		h.streak, h.lastOK = 0, now
		return
	}
	h.streak++
	h.lastFail, h.lastErr = now, Clip(err.Error(), 300)
}

func (h *health) drop(now time.Time) {
	h.mu.Lock()
	h.lastDrop = now
	h.mu.Unlock()
}

func (h *health) check(now time.Time, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streak >= h.threshold {
		since := "never since start"
		if !h.lastOK.IsZero() {
			since = now.Sub(h.lastOK).Round(time.Second).String() + " ago"
		}
		return fmt.Errorf("%s: the last %d delivery attempts failed (the last %s ago; last success: %s): %s",
			name, h.streak, now.Sub(h.lastFail).Round(time.Second), since, h.lastErr)
	}
	if !h.lastDrop.IsZero() && now.Sub(h.lastDrop) < dropWindow {
		return fmt.Errorf("%s: queue full: messages dropped %s ago", name, now.Sub(h.lastDrop).Round(time.Second))
	}
	return nil
}

// Clip cuts s to at most n bytes, on a rune boundary, marking the cut: for
// a server's answer quoted in an error or a log line.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
