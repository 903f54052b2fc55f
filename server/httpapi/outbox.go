package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/outbox"
	"github.com/sspr-portal/sspr/server/sspr"
)

// DevOutbox is the dev outbox (server/outbox), as GET /dev/outbox shows it.
type DevOutbox interface {
	// Messages returns the messages kept, oldest first.
	Messages() []outbox.Sent
}

// devOutbox answers GET (and HEAD) with the dev outbox's messages as
// api.Outbox JSON, newest last, never cached: codes included, which is why
// only dev mode serves it. Whether the page exists at all is for routes to
// decide.
func (s *server) devOutbox(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		s.writeError(w, r, &sspr.Error{Code: sspr.CodeMethodNotAllowed, Message: "Only GET is allowed here."})
		return
	}
	kept := s.Outbox.Messages()
	msgs := make([]api.OutboxMessage, len(kept)) // [] and not null when empty
	for i, m := range kept {
		msgs[i] = api.OutboxMessage{Channel: string(m.Channel), To: m.To, Subject: m.Subject, Body: m.Body,
			Code: m.Code, SentAt: m.SentAt}
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	// For HEAD the server discards the body itself.
	_ = json.NewEncoder(w).Encode(api.Outbox{Messages: msgs})
}
