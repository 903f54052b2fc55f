// Package logctx makes the portal's log lines usable by an operator: every
// line logged with a request's context carries that request's id (the
// X-Request-Id the portal answers with, and the request_id of the audit
// events it made), so that one answer leads to every line it caused; and
// durations read as durations ("4.995s"), not as slog's nanoseconds.
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
// (sspr.RequestOf) as request_id, unless the record has one, and writes
// every time.Duration attribute as its string, whatever h is.
func Wrap(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	id := sspr.RequestOf(ctx)
	rewrite := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == Key {
			id = "" // the line names its request itself
		}
		if hasDuration(a) {
			rewrite = true
		}
		return true
	})
	if !rewrite && id == "" {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if id != "" {
		out.AddAttrs(slog.String(Key, id))
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(durations(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	cp := make([]slog.Attr, len(as))
	for i, a := range as {
		cp[i] = durations(a)
	}
	return handler{h.next.WithAttrs(cp)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that writes a
// time.Duration as its string: slog's JSON handler writes nanoseconds,
// which nobody reads right at a glance, and a log collector takes for a
// plain number.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// durations is a with every duration in it, groups included, as a
// string.
func durations(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindDuration:
		return slog.String(a.Key, a.Value.Duration().String())
	case slog.KindGroup:
		if !hasDuration(a) {
			return a
		}
		g := a.Value.Group()
		out := make([]slog.Attr, len(g))
		for i, m := range g {
			out[i] = durations(m)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindLogValuer:
		return durations(slog.Attr{Key: a.Key, Value: a.Value.Resolve()})
	}
	return a
}

func hasDuration(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindDuration:
		return true
	case slog.KindGroup:
		for _, m := range a.Value.Group() {
			if hasDuration(m) {
				return true
			}
		}
	case slog.KindLogValuer:
		return true // resolved, then judged, by durations
	}
	return false
}
