// Package dispatch is the durable outbox. Every message the portal sends
// (a code, a "your password was reset" notice) is stored in the Store's
// database before the request that sent it is answered, and delivered by
// workers on any of the portal's servers that share the database:
// SQLite for one server, PostgreSQL for several.
//
// The queue is River (github.com/riverqueue/river): a message is a job in
// its river_job table, on the queue of its channel ("email", "sms"), so
// that a dead SMS gateway never delays an email. A worker claims a job
// for one attempt; a server that dies mid-send leaves the job "running",
// and River's rescuer hands it to another worker once the attempt's
// timeout and a margin have passed. Delivery is therefore at least once;
// every attempt carries the message's one ID (an email's Message-ID), so
// that a message delivered twice is recognisable as one.
//
// A failed attempt is tried again with exponential back-off and jitter for
// as long as the message is worth sending: until the code in it expires
// (sspr.Message.Expires), or for Options.NoticeLifetime (a day by default)
// for a notification. A failure the sender marks permanent or refused
// ends it at once. What can't be delivered is logged and handed to
// Options.GaveUp.
//
// Messages are sealed in the table (seal.go). Health is read from the
// table (health.go), so every server reports the same.
package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Defaults of Options.
const (
	DefaultWorkers        = 4
	DefaultBackoff        = 5 * time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultTimeout        = 30 * time.Second
	DefaultNoticeLifetime = 24 * time.Hour
	DefaultUnhealthyAfter = 3
	DefaultStaleAfter     = time.Minute
	DefaultPoll           = time.Second
)

// jobKind is the River kind of a stored message.
const jobKind = "sspr_message"

// decoyQueue holds the decoys' stand-ins, apart from the real queues so
// that they count in no queue's health.
const decoyQueue = "decoy"

// Options configure a Queue. Zero values take the defaults.
type Options struct {
	// Senders deliver, by channel: SMTP, the SMS gateway, the dev outbox.
	Senders map[sspr.Channel]sspr.Sender
	// Key seals the stored messages: the portal's own (at least 32
	// bytes), from which a key of the outbox's own is derived.
	Key []byte
	// AcceptedKeys open what other servers sealed during a key rotation
	// (server/keys: rotate.go); they never seal.
	AcceptedKeys [][]byte
	// Workers deliver in parallel, per channel and per server.
	Workers int
	// Backoff is the wait before the first retry, doubled for each next
	// one up to MaxBackoff, with jitter.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one attempt. A server that dies mid-send leaves the
	// message to another once Timeout and a margin have passed.
	Timeout time.Duration
	// NoticeLifetime is how long a message without an Expires, such as a
	// "your password was reset" notice, is worth trying to deliver.
	NoticeLifetime time.Duration
	// UnhealthyAfter is how many messages waiting for a retry, or failed
	// attempts of one, with no delivery since, make Check call the
	// channel degraded. StaleAfter: a message waiting longer than that
	// does too.
	UnhealthyAfter int
	StaleAfter     time.Duration
	// Poll is how often an idle worker looks for work in a database that
	// can't notify it (River polls SQLite; PostgreSQL notifies).
	Poll time.Duration
	// GaveUp is told of each message that will not be delivered, with the
	// reason; nil: only logged. It runs in the worker.
	GaveUp func(ctx context.Context, m sspr.Message, reason error)
	// Delivered is told of each message delivered; nil: nobody. It runs
	// in the worker.
	Delivered func(ctx context.Context, m sspr.Message)
	// Attempted is told of each attempt's end, for metrics: the channel,
	// the result ("delivered", "retry", or why it was given up:
	// "expired", "permanent", "refused", "unopenable") and how long the
	// sender took (0 when no sender was asked). Never the message: no
	// address reaches it. nil: nobody. It runs in the worker.
	Attempted func(ch sspr.Channel, result string, took time.Duration)
	Log       *slog.Logger
	Now       func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = max(o.Backoff, DefaultMaxBackoff)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.NoticeLifetime <= 0 {
		o.NoticeLifetime = DefaultNoticeLifetime
	}
	if o.UnhealthyAfter <= 0 {
		o.UnhealthyAfter = DefaultUnhealthyAfter
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// job is a stored message as River keeps it: what the worker needs to
// route and time it, and the message sealed.
type job struct {
	ID      string       `json:"id"`
	Channel sspr.Channel `json:"channel"`
	// Template names the message's kind ("code", "reset"), for logs.
	Template sspr.Kind `json:"template,omitempty"`
	Until    time.Time `json:"until"`
	Sealed   []byte    `json:"sealed"`
}

func (job) Kind() string { return jobKind }

// backend is what a Queue needs of its database, whichever it is.
type backend interface {
	// insert stores the jobs in one transaction.
	insert(ctx context.Context, jobs ...river.InsertManyParams) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stats(ctx context.Context, queue string, recent time.Time) (stats, error)
	recent(ctx context.Context, n int) ([]job, error)
}

// Recent opens the last n messages stored, newest first, decoys left
// out: for `sspr probe`, which reads the canary's codes where the portal
// keeps them, with the key file the servers share. What it returns holds
// codes: it is for that tool alone, never for a log or an answer.
func (q *Queue) Recent(ctx context.Context, n int) ([]sspr.Message, error) {
	jobs, err := q.db.recent(ctx, n)
	if err != nil {
		return nil, err
	}
	var out []sspr.Message
	for _, j := range jobs {
		v, err := q.seal.open(j.ID, j.Channel, j.Sealed)
		if err != nil {
			continue // sealed under a key this file doesn't hold
		}
		if !v.Decoy {
			out = append(out, v.Message)
		}
	}
	return out, nil
}

// Queue is the durable outbox: an sspr.Sender for each channel (Channel),
// and the workers that deliver. Close stops the workers; what they had not
// finished stays stored for the next server to deliver.
type Queue struct {
	o    Options
	seal *sealer
	db   backend

	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	done    chan struct{}
	running atomic.Bool // the workers did start
}

func newQueue(o Options) (*Queue, error) {
	o = o.withDefaults()
	s, err := newSealer(o.Key, o.AcceptedKeys...)
	if err != nil {
		return nil, err
	}
	return &Queue{o: o, seal: s}, nil
}

// Start starts the workers. A database that can't be reached now is
// tried again every few seconds until it can, or until Close; messages
// stored meanwhile wait.
func (q *Queue) Start(ctx context.Context) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.stopped {
		return
	}
	q.started = true
	ctx, q.cancel = context.WithCancel(context.WithoutCancel(ctx))
	q.done = make(chan struct{})
	go func() {
		defer close(q.done)
		wait := 0 * time.Second
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			err := q.db.start(ctx)
			if err == nil {
				q.running.Store(true)
				return
			}
			q.o.Log.Error("dispatch: the outbox's workers can't start; trying again", "err", err)
			wait = 5 * time.Second
		}
	}()
}

// Close stops the workers: it waits until ctx is done for the attempts
// under way, then cancels them. Messages not delivered stay stored, and
// another server, or this one once it restarts, delivers them.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return nil
	}
	q.stopped = true
	started := q.started
	q.mu.Unlock()
	if !started {
		return nil
	}
	q.cancel()
	<-q.done
	if !q.running.Load() {
		return nil // the database never answered: no worker ran
	}
	return q.db.stop(ctx)
}

// Channel is the sender of one channel: Send stores the message for the
// workers of that channel, and Check reports the channel's health.
func (q *Queue) Channel(ch sspr.Channel) ChannelSender { return ChannelSender{q, ch} }

// ChannelSender is one channel of a Queue.
type ChannelSender struct {
	q  *Queue
	ch sspr.Channel
}

// Check reports whether the channel's messages are getting through (see
// Queue.check).
func (c ChannelSender) Check(ctx context.Context) error { return c.q.check(ctx, string(c.ch)) }

// Send stores m for delivery. It returns once the message is stored (an
// error means it wasn't, and nothing will be sent); the delivery itself
// happens off the request's path.
func (c ChannelSender) Send(ctx context.Context, m sspr.Message) error {
	return c.q.store(ctx, c.ch, m, false)
}

var _ sspr.BatchSender = ChannelSender{}

// SendAll stores ms for delivery in one write, all or none: the notices
// of a reset to each of the account's addresses cost one transaction.
func (c ChannelSender) SendAll(ctx context.Context, ms []sspr.Message) error {
	return c.q.storeAll(ctx, c.ch, ms)
}

// SendDecoy stores a stand-in the size of a code message that is never
// sent: a decoy flow does on the request's path what a real one does, so
// that its timing tells nothing (docs/SECURITY.md#same-answer).
func (c ChannelSender) SendDecoy(ctx context.Context) error {
	m := sspr.Message{Channel: c.ch, To: "decoy@decoy.invalid", Subject: "Your verification code",
		Body: "Your verification code is 000000. It expires in 10 minutes.", Code: "000000", Kind: sspr.KindCode}
	return c.q.store(ctx, c.ch, m, true)
}

func (q *Queue) store(ctx context.Context, ch sspr.Channel, m sspr.Message, decoy bool) error {
	p, err := q.job(ch, m, decoy)
	if err != nil {
		return err
	}
	if err := q.db.insert(ctx, p); err != nil {
		return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("dispatch: store a %s message: %w", ch, err))
	}
	return nil
}

// storeAll stores ms in one write: all of them, or none.
func (q *Queue) storeAll(ctx context.Context, ch sspr.Channel, ms []sspr.Message) error {
	ps := make([]river.InsertManyParams, len(ms))
	for i, m := range ms {
		var err error
		if ps[i], err = q.job(ch, m, false); err != nil {
			return err
		}
	}
	if err := q.db.insert(ctx, ps...); err != nil {
		return sspr.Unavailable(sspr.BackendStore, fmt.Errorf("dispatch: store %d %s messages: %w", len(ms), ch, err))
	}
	return nil
}

// job is m sealed as the job that stores it, on its queue.
func (q *Queue) job(ch sspr.Channel, m sspr.Message, decoy bool) (river.InsertManyParams, error) {
	if m.Channel == "" {
		m.Channel = ch
	}
	if m.Channel != ch {
		return river.InsertManyParams{}, fmt.Errorf("dispatch: a %s message given to the %s channel", m.Channel, ch)
	}
	if m.ID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return river.InsertManyParams{}, fmt.Errorf("dispatch: message id: %w", err)
		}
		m.ID = hex.EncodeToString(b[:])
	}
	until := m.Expires
	if until.IsZero() {
		until = q.o.Now().Add(q.o.NoticeLifetime)
	}
	sealed, err := q.seal.seal(m.ID, ch, sealed{Message: m, Decoy: decoy})
	if err != nil {
		return river.InsertManyParams{}, err
	}
	queue := string(ch)
	if decoy {
		queue = decoyQueue
	}
	j := job{ID: m.ID, Channel: ch, Template: m.Kind, Until: until.UTC(), Sealed: sealed}
	// The deadline, not a count, ends the retries (worker.go): the
	// client's MaxAttempts (backend.go) is set out of the way.
	return river.InsertManyParams{Args: j, InsertOpts: &river.InsertOpts{Queue: queue}}, nil
}

// backoff is the wait after the attempt-th failed attempt: Backoff,
// doubled each time up to MaxBackoff, with jitter between half and the
// whole, so that retries after an outage don't arrive in one wave.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.o.Backoff
	for i := 1; i < attempt && d < q.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, q.o.MaxBackoff)
	return d/2 + mrand.N(d/2+1)
}

// ErrExpired is GaveUp's reason for a message whose time ran out before
// it could be delivered.
var ErrExpired = errors.New("dispatch: not delivered before it expired")

// class is the class of a sender's error, for the log line.
func class(err error) string {
	switch {
	case notify.IsRefused(err):
		return "refused"
	case notify.IsPermanent(err):
		return "permanent"
	}
	return "temporary"
}
