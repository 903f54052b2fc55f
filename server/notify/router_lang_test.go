package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/locale"
)

// capture keeps what it is sent.
type capture struct{ got []Message }

func (c *capture) Send(_ context.Context, m Message) error {
	c.got = append(c.got, m)
	return nil
}

// TestRouterLanguage: a message is written in its reader's language: the
// request's, or Message.Lang for one sent outside the reader's request,
// never the request's then; its What too.
func TestRouterLanguage(t *testing.T) {
	set, err := LoadTemplateSet("", locale.Known...)
	if err != nil {
		t.Fatal(err)
	}
	subject := func(lang string, k Kind, what string, args ...any) string {
		m := Change("a@example.net", k, time.Now(), "192.0.2.1", Org{Name: "Example"}, what, args...)
		r, err := set.For(lang).Render(m)
		if err != nil {
			t.Fatal(err)
		}
		return r.Subject
	}
	const what = "your security questions were set"
	tests := []struct {
		name, ctxLang, msgLang string
		kind                   Kind
		want                   string // the language it is written in
	}{
		{"the request's", "cy", "", KindRegistrationChanged, "cy"},
		{"no language known", "", "", KindRegistrationChanged, "en"},
		{"the registration's", "ar", "zh-Hans", KindRegistrationChanged, "zh-Hans"},
		{"the desk's request is not the reader's", "cy", "", KindDeskAction, "en"},
		{"the desk's, in the registration's", "cy", "ar", KindDeskAction, "ar"},
		{"a language with no templates", "fr", "", KindRegistrationChanged, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{}
			r := &Router{Templates: set, Email: c}
			w, args := what, []any(nil)
			if tt.kind == KindDeskAction {
				w, args = "unlocked your account (ticket %s)", []any{"INC42"}
			}
			m := Change("a@example.net", tt.kind, time.Now(), "192.0.2.1", Org{Name: "Example"}, w, args...)
			m.Lang = tt.msgLang
			if err := r.Send(locale.WithLang(context.Background(), tt.ctxLang), m); err != nil {
				t.Fatal(err)
			}
			got := c.got[0]
			if want := subject(tt.want, tt.kind, w, args...); got.Subject != want {
				t.Errorf("subject %q, want %q (%s)", got.Subject, want, tt.want)
			}
			wantWhat := locale.All().Message(tt.want, w, args...)
			if !strings.Contains(got.Body, wantWhat) {
				t.Errorf("the body lacks %q:\n%s", wantWhat, got.Body)
			}
		})
	}
}
