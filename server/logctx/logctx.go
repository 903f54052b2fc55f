// Package logctx makes the portal's log lines usable by an operator: every
// line logged with a request's context carries that request's id (the
// X-Request-Id the portal answers with, and the request_id of the audit
// events it made), so that one answer leads to every line it caused; and,
// with ReplaceAttr, durations read as durations ("4.995s"), not as slog's
// nanoseconds.
package logctx

import (
	"context"
	"log/slog"

	"github.com/sspr-portal/sspr/server/sspr"
)

// Key is the attribute that carries the request id.
const Key = "request_id"

// New returns l with its handler wrapped by Wrap; nil stays nil.
func New(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	if _, ok := l.Handler().(handler); ok {
		return l // wrapped already: one request_id per line
	}
	return slog.New(Wrap(l.Handler()))
}

// Wrap returns a handler that adds the request id of the record's context
// (sspr.RequestOf) as request_id, unless the record has one. Durations are
// the handler's own business: build it with ReplaceAttr.
func Wrap(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	id := sspr.RequestOf(ctx)
	if id != "" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == Key {
				id = "" // the line names its request itself
			}
			return id != ""
		})
	}
	if id == "" {
		return h.next.Handle(ctx, r)
	}
	// The id first on the line, where a reader's eye and grep find it.
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.String(Key, id))
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler { return handler{h.next.WithAttrs(as)} }

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that writes a
// time.Duration as its string: slog's JSON handler writes nanoseconds,
// which nobody reads right at a glance, and a log collector takes for a
// plain number. `sspr serve` builds its handler with it.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}
