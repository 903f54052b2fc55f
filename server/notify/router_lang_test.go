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

// TestRouterLocalWords: the organisation's own words in a language replace
// the configured ones in the messages written in it, and only there; the
// SMS check counts each language's own name.
func TestRouterLocalWords(t *testing.T) {
	set, err := LoadTemplateSet("", locale.Known...)
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]Local{"cy": {Org: "Prifysgol Enghreifftiol", HelpDeskName: "Desg Gwasanaeth TG",
		HelpDeskHours: []string{"Dydd Llun: 8yb i 5yh"}}}
	c := &capture{}
	r := &Router{Templates: set, Email: c, Local: local,
		HelpDesk: HelpDesk{Name: "IT Service Desk", Phone: "01234 567890", Hours: []string{"Monday: 8am to 5pm"}}}
	for _, lang := range []string{"cy", "en"} {
		m := Change("a@example.net", KindPasswordChanged, time.Now(), "192.0.2.1", Org{Name: "Example University"}, "")
		m.Lang = lang
		if err := r.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	cy, en := c.got[0], c.got[1]
	for _, want := range []string{"Prifysgol Enghreifftiol", "Desg Gwasanaeth TG", "Dydd Llun: 8yb i 5yh", "01234 567890"} {
		if !strings.Contains(cy.Subject+cy.Body, want) {
			t.Errorf("the Welsh message lacks %q:\n%s\n%s", want, cy.Subject, cy.Body)
		}
	}
	if strings.Contains(en.Subject+en.Body, "Prifysgol") || !strings.Contains(en.Body, "IT Service Desk") {
		t.Errorf("the English message took the Welsh words:\n%s", en.Body)
	}
	long := map[string]Local{"cy": {Org: strings.Repeat("Prifysgol Hir ", 12)}}
	if err := set.CheckSMS("Example University", long, 8, 10*time.Minute); err == nil || !strings.HasPrefix(err.Error(), "cy:") {
		t.Errorf("a Welsh name too long for an SMS: %v", err)
	}
}
