package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/locale"
)

// batch keeps what it is sent, each SendAll as one batch.
type batch struct {
	capture
	batches [][]Message
	fail    error
}

func (b *batch) SendAll(_ context.Context, ms []Message) error {
	if b.fail != nil {
		return b.fail
	}
	b.batches = append(b.batches, ms)
	return nil
}

// TestRouterSendAll: SendAll gives the messages of a channel together to
// a sender that stores several at once, rendered as Send renders them;
// one by one to a sender that can't; and reports a channel with no
// sender, or a sender's failure, without losing the other channel's.
func TestRouterSendAll(t *testing.T) {
	set, err := LoadTemplateSet("", locale.Known...)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	notice := func(to string) Message {
		return Notification(to, Event{What: "reset", At: at, ClientAddr: "192.0.2.1"}, Org{Name: "Example"})
	}
	code := CodeMessage(SMS, "+447700900123", "123456", 10*time.Minute, Org{Name: "Example"})
	ctx := locale.WithLang(context.Background(), "cy")

	t.Run("together where it can", func(t *testing.T) {
		email, sms := &batch{}, &capture{}
		r := &Router{Templates: set, Email: email, SMS: sms}
		ms := []Message{notice("a@example.net"), code, notice("b@example.org")}
		if err := r.SendAll(ctx, ms); err != nil {
			t.Fatal(err)
		}
		if len(email.batches) != 1 || len(email.batches[0]) != 2 || len(email.got) != 0 {
			t.Fatalf("email: %d batches, %d one by one; want one batch of 2", len(email.batches), len(email.got))
		}
		one := &capture{}
		if err := (&Router{Templates: set, Email: one}).Send(ctx, notice("a@example.net")); err != nil {
			t.Fatal(err)
		}
		for i, to := range []string{"a@example.net", "b@example.org"} {
			got := email.batches[0][i]
			if got.To != to {
				t.Errorf("batch[%d] to %q, want %q (in the order given)", i, got.To, to)
			}
			if got.Subject != one.got[0].Subject || !strings.Contains(got.Body, "Example") {
				t.Errorf("batch[%d] not rendered as Send renders it: %q, want %q", i, got.Subject, one.got[0].Subject)
			}
		}
		if len(sms.got) != 1 || sms.got[0].To != code.To {
			t.Errorf("sms got %d messages, want the code", len(sms.got))
		}
	})

	t.Run("one by one where it can't", func(t *testing.T) {
		email := &capture{}
		r := &Router{Templates: set, Email: email, SMS: &capture{}}
		if err := r.SendAll(ctx, []Message{notice("a@example.net"), notice("b@example.org")}); err != nil {
			t.Fatal(err)
		}
		if len(email.got) != 2 {
			t.Errorf("email got %d, want 2", len(email.got))
		}
	})

	t.Run("failures", func(t *testing.T) {
		down := errors.New("store down")
		email, sms := &batch{fail: down}, &capture{}
		r := &Router{Templates: set, Email: email, SMS: sms}
		err := r.SendAll(ctx, []Message{notice("a@example.net"), notice("b@example.org"), code})
		if !errors.Is(err, down) {
			t.Errorf("error %v, want the batch's", err)
		}
		if len(sms.got) != 1 {
			t.Errorf("the text was lost with the emails' failure")
		}
		err = (&Router{Email: &capture{}}).SendAll(ctx, []Message{notice("a@example.net"), code})
		if err == nil || !strings.Contains(err.Error(), `no sender for channel "sms"`) {
			t.Errorf("no SMS sender: %v", err)
		}
	})
}
