package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/logctx"
	"github.com/sspr-portal/sspr/server/sspr"
)

func TestDurationsAreStrings(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var h slog.Handler
			o := &slog.HandlerOptions{ReplaceAttr: logctx.ReplaceAttr} // as sspr serve's
			if format == "json" {
				h = slog.NewJSONHandler(&buf, o)
			} else {
				h = slog.NewTextHandler(&buf, o)
			}
			log := logctx.New(slog.New(h)).With("grace", 30*time.Second)
			log.Info("done", "duration", 4995*time.Millisecond, slog.Group("g", "wait", 1500*time.Microsecond), "n", 3)
			out := buf.String()
			for _, want := range []string{"4.995s", "30s", "1.5ms"} {
				if !strings.Contains(out, want) {
					t.Errorf("%q is not in %s", want, out)
				}
			}
			if strings.Contains(out, "4995000000") || strings.Contains(out, "30000000000") {
				t.Errorf("a duration in nanoseconds: %s", out)
			}
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				if m["duration"] != "4.995s" || m["n"] != float64(3) {
					t.Errorf("duration %v, n %v", m["duration"], m["n"])
				}
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := logctx.New(slog.New(slog.NewTextHandler(&buf, nil)))
	if logctx.New(log) != log {
		t.Error("wrapping twice")
	}
	ctx := sspr.WithRequest(context.Background(), "req123")
	log.InfoContext(ctx, "with")
	log.Info("without")
	log.InfoContext(ctx, "own", logctx.Key, "other")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines: %q", lines)
	}
	if !strings.Contains(lines[0], "request_id=req123") {
		t.Errorf("no request id: %s", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("a request id without a request: %s", lines[1])
	}
	if strings.Count(lines[2], "request_id") != 1 || !strings.Contains(lines[2], "request_id=other") {
		t.Errorf("the line's own id must stay, alone: %s", lines[2])
	}
}
