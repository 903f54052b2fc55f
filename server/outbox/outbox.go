// Package outbox is the dev outbox: a Sender that delivers nothing and keeps
// the last messages "sent", codes included, for GET /dev/outbox. It is the
// embedded default, so that a fresh checkout shows every path without a mail
// server; it is wired only in dev mode, because it shows codes to anyone who
// can reach the page.
package outbox

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/flow"
	"github.com/sspr-portal/sspr/server/notify"
)

// DefaultMax is how many messages New keeps when given max <= 0.
const DefaultMax = 100

var (
	_ flow.Sender  = (*Outbox)(nil)
	_ http.Handler = (*Outbox)(nil)
)

// Outbox keeps the last messages sent. It is safe for concurrent use.
type Outbox struct {
	now func() time.Time
	log *slog.Logger

	mu    sync.Mutex
	ring  []api.OutboxMessage // len is the bound; the oldest is at start
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
	return &Outbox{now: now, log: log, ring: make([]api.OutboxMessage, max)}
}

// Send keeps m, dropping the oldest message when the outbox is full, and
// logs its channel, recipient and subject. It never fails, except for a
// context that is already done.
func (o *Outbox) Send(ctx context.Context, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg := api.OutboxMessage{
		Channel: string(m.Channel),
		To:      m.To,
		Subject: m.Subject,
		Body:    m.Body,
		Code:    m.Code,
		SentAt:  o.now().UTC(),
	}
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
func (o *Outbox) Messages() []api.OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]api.OutboxMessage, o.n)
	for i := range out {
		out[i] = o.ring[(o.start+i)%len(o.ring)]
	}
	return out
}

// ServeHTTP answers GET (and HEAD) with the messages as api.Outbox JSON,
// newest last, never cached. Whether the page exists at all (dev mode only)
// is for the router to decide.
func (o *Outbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_ = json.NewEncoder(w).Encode(api.ErrorBody{Error: &api.Error{
			Code: api.CodeMethodNotAllowed, Message: "Only GET is allowed here.",
		}})
		return
	}
	// For HEAD the server discards the body itself.
	_ = json.NewEncoder(w).Encode(api.Outbox{Messages: o.Messages()})
}
