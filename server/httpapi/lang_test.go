package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/locale"
)

// TestLanguage: the API speaks the request's language: the refusals, the
// password rules and the questions (by the same ids), chosen by the
// cookie over Accept-Language; the codes never change.
func TestLanguage(t *testing.T) {
	loc := locale.All()
	for _, tt := range []struct{ accept, cookie, lang string }{
		{"", "", "en"},
		{"cy", "", "cy"},
		{"en", "ar", "ar"},
		{"zh-CN", "", "zh-Hans"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			r := newRig(t, rigConfig{})
			c := r.from("192.0.2.10:1234")
			if tt.accept != "" {
				c.header.Set("Accept-Language", tt.accept)
			}
			if tt.cookie != "" {
				c.header.Set("Cookie", locale.CookieName+"="+tt.cookie)
			}
			c.startWith("alice", api.IntentReset)
			c.want(http.StatusOK, c.do("POST", api.PathFlowEmailSend, nil))
			code := r.sent.code(t, "alice.alt@example.net")
			resp := c.do("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: wrongCode(code)})
			var body api.ErrorBody
			if err := json.Unmarshal(resp.body, &body); err != nil || body.Error == nil {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			if want := loc.Message(tt.lang, "That code didn't match. Check it and try again."); body.Error.Code != api.CodeCodeInvalid || body.Error.Message != want {
				t.Errorf("refusal %s %q, want code_invalid %q", body.Error.Code, body.Error.Message, want)
			}

			var qr api.QuestionsResponse
			if err := json.Unmarshal(c.want(http.StatusOK, c.do("GET", api.PathFlowQuestions, nil)).body, &qr); err != nil || len(qr.Questions) == 0 {
				t.Fatalf("questions: %v", err)
			}
			for _, q := range qr.Questions {
				if want, _ := loc.Question(tt.lang, q.ID); q.Text != want {
					t.Errorf("question %s is %q, want %q", q.ID, q.Text, want)
				}
			}

			var pol api.PolicyResponse
			if err := json.Unmarshal(c.want(http.StatusOK, c.do("GET", api.PathPolicy, nil)).body, &pol); err != nil {
				t.Fatal(err)
			}
			if want := loc.Message(tt.lang, "Use at least %d characters.", pol.Policy.MinLength); pol.Policy.Rules[0].Code != api.RuleMinLength || pol.Policy.Rules[0].Message != want {
				t.Errorf("first rule %+v, want min_length %q", pol.Policy.Rules[0], want)
			}
		})
	}
}
