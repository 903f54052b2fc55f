package httpapi

import (
	"log/slog"
	"net/http"
)

// APIRoutes returns the methods routes() serves on each API path, sign-in
// and registration included: the table a 405's Allow header is built from.
func APIRoutes() map[string][]string {
	// Nothing is called: routes() only registers the handlers.
	s := &server{}
	s.routes()
	return s.allowed
}

// OutboxHandler is what GET /dev/outbox runs, on its own.
func OutboxHandler(o DevOutbox) http.Handler {
	s := &server{Options: Options{Outbox: o}, log: slog.New(slog.DiscardHandler)}
	return http.HandlerFunc(s.devOutbox)
}
