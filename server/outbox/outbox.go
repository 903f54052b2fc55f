// Package outbox is the dev outbox: a Sender that delivers nothing and keeps
// the last messages "sent", codes included, for GET /dev/outbox (which
// server/httpapi serves from Messages). It is the embedded default, so that
// a fresh checkout shows every path without a mail server; it is wired only
// in dev mode, because it shows codes to anyone who can reach the page.
package outbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// DefaultMax is how many messages New keeps when given max <= 0.
const DefaultMax = 100

var _ sspr.Sender = (*Outbox)(nil)

// Sent is one message the outbox kept: the message as it was written, and
// when it was sent.
type Sent struct {
	sspr.Message
	SentAt time.Time
}

// Outbox keeps the last messages sent. It is safe for concurrent use.
type Outbox struct {
	now func() time.Time
	log *slog.Logger

	mu    sync.Mutex
	ring  []Sent // len is the bound; the oldest is at start
	start int
	n     int
}

// New returns an outbox that keeps the last max messages (DefaultMax if
// max <= 0), stamps them with now (time.Now if nil) and logs each to log
// (nowhere if nil).
func New(max int, now func() time.Time, log *slog.Logger) *Outbox {
	if max <= 0 {
		max = DefaultMax
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{now: now, log: log, ring: make([]Sent, max)}
}

// Send keeps m, dropping the oldest message when the outbox is full, and
// logs its channel, recipient and subject. It never fails, except for a
// context that is already done.
func (o *Outbox) Send(ctx context.Context, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// What the template was given is not kept: the outbox shows what was
	// written, and a kept Data would be shared with the sender's caller.
	m.Data = nil
	msg := Sent{Message: m, SentAt: o.now().UTC()}
	o.mu.Lock()
	if o.n < len(o.ring) {
		o.ring[(o.start+o.n)%len(o.ring)] = msg
		o.n++
	} else {
		o.ring[o.start] = msg
		o.start = (o.start + 1) % len(o.ring)
	}
	o.mu.Unlock()
	// Never the body or the code: codes never reach a log, not even in dev
	// mode, because dev logs get pasted into issues. The page shows them.
	o.log.InfoContext(ctx, "outbox: message kept",
		"channel", string(m.Channel), "to", m.To, "subject", m.Subject)
	return nil
}

// Messages returns a copy of the messages kept, oldest first; never nil.
func (o *Outbox) Messages() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Sent, o.n)
	for i := range out {
		out[i] = o.ring[(o.start+i)%len(o.ring)]
	}
	return out
}
