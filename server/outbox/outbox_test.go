package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/outbox"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func msg(i int) notify.Message {
	return notify.Message{
		Channel: notify.Email,
		To:      fmt.Sprintf("user%d@example.net", i),
		Subject: fmt.Sprintf("Your code %d", i),
		Body:    fmt.Sprintf("Your code is 9%07d.", i),
		Code:    fmt.Sprintf("9%07d", i),
	}
}

func mustSend(tb testing.TB, o *outbox.Outbox, m notify.Message) {
	tb.Helper()
	if err := o.Send(context.Background(), m); err != nil {
		tb.Fatalf("Send: %v", err)
	}
}

func TestSend(t *testing.T) {
	t.Run("keeps every field", func(t *testing.T) {
		o := outbox.New(10, func() time.Time { return t0 }, nil)
		m := notify.Message{Channel: notify.SMS, To: "+447700900123", Subject: "s", Body: "b", Code: "12345678"}
		mustSend(t, o, m)
		got := o.Messages()
		want := outbox.Sent{Message: m, SentAt: t0}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("got %+v, want [%+v]", got, want)
		}
	})
	tests := []struct {
		name      string
		max, sent int
		first     int // index of the oldest kept
	}{
		{"empty", 3, 0, 0},
		{"under the bound", 3, 2, 0},
		{"at the bound", 3, 3, 0},
		{"over the bound drops the oldest", 3, 7, 4},
		{"a bound of one", 1, 5, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outbox.New(tt.max, func() time.Time { return t0 }, nil)
			for i := range tt.sent {
				mustSend(t, o, msg(i))
			}
			got := o.Messages()
			if got == nil {
				t.Fatal("Messages is nil")
			}
			if want := min(tt.sent, tt.max); len(got) != want {
				t.Fatalf("%d messages, want %d", len(got), want)
			}
			for i, m := range got {
				if want := msg(tt.first + i).To; m.To != want {
					t.Errorf("message %d to %s, want %s", i, m.To, want)
				}
			}
		})
	}
	t.Run("what the template was given is not kept", func(t *testing.T) {
		o := outbox.New(3, nil, nil)
		m := msg(1)
		m.Data = &notify.Data{Code: m.Code}
		mustSend(t, o, m)
		if got := o.Messages()[0]; got.Data != nil || got.Code != m.Code {
			t.Fatalf("kept %+v", got)
		}
	})
	t.Run("Messages is a copy", func(t *testing.T) {
		o := outbox.New(3, nil, nil)
		mustSend(t, o, msg(1))
		o.Messages()[0].Code = "changed"
		if o.Messages()[0].Code != msg(1).Code {
			t.Fatal("caller changed a kept message")
		}
	})
	t.Run("a done context is an error", func(t *testing.T) {
		o := outbox.New(3, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := o.Send(ctx, msg(1)); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestLogNeverHasTheCode: codes never reach a log (rule: secrets are never
// logged), even though the outbox page shows them.
func TestLogNeverHasTheCode(t *testing.T) {
	for name, newHandler := range map[string]func(io.Writer) slog.Handler{
		"text": func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"json": func(w io.Writer) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		t.Run(name, func(t *testing.T) {
			var buf testkit.LogBuffer
			o := outbox.New(3, nil, slog.New(newHandler(&buf)))
			m := notify.Message{Channel: notify.Email, To: "alice@example.net", Subject: "Your reset code",
				Body: "Enter 48151623 to continue.", Code: "48151623"}
			mustSend(t, o, m)
			log := buf.String()
			for _, want := range []string{"email", "alice@example.net", "Your reset code"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q: %s", want, log)
				}
			}
			for _, secret := range []string{m.Code, "Enter", "continue"} {
				if strings.Contains(log, secret) {
					t.Errorf("log contains %q: %s", secret, log)
				}
			}
			if n := strings.Count(log, "\n"); n != 1 {
				t.Errorf("%d log lines, want 1", n)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	o := outbox.New(50, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 100 {
				mustSend(t, o, msg(g*1000+i))
				if i%10 == 0 {
					_ = o.Messages()
				}
			}
		})
	}
	wg.Wait()
	if n := len(o.Messages()); n != 50 {
		t.Fatalf("%d messages, want 50", n)
	}
}
