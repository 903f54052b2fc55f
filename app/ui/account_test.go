//go:build !sspr_reset

package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// registration is carol's registration with the methods given.
func registration(email, sms, questions bool) api.Registration {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.Local)
	m := func(on bool, hint string, count int) api.RegisteredMethod {
		if !on {
			return api.RegisteredMethod{Enabled: true}
		}
		return api.RegisteredMethod{Registered: true, Enabled: true, Hint: hint, Count: count, ConfirmedAt: &at}
	}
	r := api.Registration{Email: m(email, "c••••••••@example.net", 0), SMS: m(sms, "••••••••••21", 0),
		Questions: m(questions, "", 5), Required: 2}
	r.Complete = registeredCount(r) >= r.Required
	return r
}

func TestRegistrationStatus(t *testing.T) {
	tests := []struct {
		name string
		reg  api.Registration
		want string
	}{
		{"none", registration(false, false, false),
			"Your registration isn't complete. A reset needs two methods, and you haven't registered any yet."},
		{"one", registration(true, false, false),
			"Your registration isn't complete. A reset needs two methods, and you've registered one. Add one more."},
		{"two", registration(true, false, true),
			"Your registration is complete. You've registered two methods, and a reset needs two."},
		{"all", registration(true, true, true),
			"Your registration is complete. You've registered three methods, and a reset needs two."},
		{"one needed", api.Registration{Required: 1, Complete: true, SMS: api.RegisteredMethod{Registered: true}},
			"Your registration is complete. You've registered one method, and a reset needs one."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registrationStatus(tt.reg); got != tt.want {
				t.Errorf("registrationStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMethodValue(t *testing.T) {
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.Local)
	tests := []struct {
		name      string
		kind      api.Kind
		m         api.RegisteredMethod
		value, on string
	}{
		{"email", api.KindEmail, api.RegisteredMethod{Registered: true, Hint: "c••••@example.net", ConfirmedAt: &at},
			"c••••@example.net", "Confirmed 4 March 2026"},
		{"sms without a date", api.KindSMS, api.RegisteredMethod{Registered: true, Hint: "••••21"}, "••••21", ""},
		{"questions", api.KindQuestions, api.RegisteredMethod{Registered: true, Count: 5, ConfirmedAt: &at},
			"5 questions answered", "Confirmed 4 March 2026"},
		{"one question", api.KindQuestions, api.RegisteredMethod{Registered: true, Count: 1}, "1 question answered", ""},
		{"not registered", api.KindEmail, api.RegisteredMethod{ConfirmedAt: &at}, "Not registered", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := methodValue(tt.kind, tt.m); got != tt.value {
				t.Errorf("methodValue = %q, want %q", got, tt.value)
			}
			if got := confirmedText(tt.m); got != tt.on {
				t.Errorf("confirmedText = %q, want %q", got, tt.on)
			}
		})
	}
}

func TestCheckAnswers(t *testing.T) {
	five := []string{"first_pet", "childhood_friend", "first_school", "birth_town", "first_job"}
	good := []string{"Pickles", "Morecambe", "Jo Smith", "Tuesday", "Lima"}
	with := func(s []string, i int, v string) []string {
		c := append([]string(nil), s...)
		c[i] = v
		return c
	}
	tests := []struct {
		name            string
		chosen, answers []string
		want            map[string]string // field: start of message
	}{
		{"good", five, good, nil},
		{"no question", with(five, 2, ""), good, map[string]string{"question-3": "Choose a question (question 3)"}},
		{"a question twice", with(five, 4, "first_pet"), good,
			map[string]string{"question-5": "Choose a question you haven't chosen already"}},
		{"no answer", five, with(good, 0, "  "), map[string]string{"answer-1": "Enter an answer of 3 to 64 characters"}},
		{"too short", five, with(good, 1, "Jo"), map[string]string{"answer-2": "Enter an answer of 3 to 64 characters"}},
		{"too long", five, with(good, 1, strings.Repeat("x", 65)), map[string]string{"answer-2": "Enter an answer"}},
		{"64 characters", five, with(good, 1, strings.Repeat("é", 64)), nil},
		{"alike but for case and spaces", five, with(good, 3, " jo  SMITH "),
			map[string]string{"answer-4": "Give a different answer to each question (question 4)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkAnswers(tt.chosen, tt.answers)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %+v, want %v", got, tt.want)
			}
			for _, p := range got {
				if !strings.HasPrefix(p.msg, tt.want[p.field]) || tt.want[p.field] == "" {
					t.Errorf("%s: %q, want %q", p.field, p.msg, tt.want[p.field])
				}
			}
		})
	}
}

func TestSummaryPage(t *testing.T) {
	p := &SummaryPage{}
	p.ready, p.reg = true, registration(true, false, true)
	p.reg.Questions.Due, p.reg.ReconfirmDue = true, true
	html := app.HTMLString(p)
	for _, want := range []string{
		`id="registration-status"`, "Your registration is complete", `id="reconfirm"`, "Confirm again",
		`id="method-email"`, "c••••••••@example.net", "Confirmed 23 November 2026", `id="change-email"`,
		`href="/register/email"`, `id="remove-email"`,
		`id="method-sms"`, `id="add-sms"`, `href="/register/sms"`,
		`id="method-questions"`, "5 questions answered", `id="change-questions"`, `id="remove-questions"`,
		`id="change-password"`, `id="sign-out"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	for _, not := range []string{`id="remove-sms"`, `id="change-sms"`, `id="add-email"`} {
		if strings.Contains(html, not) {
			t.Errorf("summary has %q", not)
		}
	}
	// A method the portal doesn't offer has no row.
	p.reg.SMS.Enabled = false
	if html := app.HTMLString(p); strings.Contains(html, `id="method-sms"`) {
		t.Error("a disabled method has a row")
	}
}

func TestRegCodePages(t *testing.T) {
	e := &RegEmailPage{}
	e.ready = true
	html := app.HTMLString(e)
	for _, want := range []string{`id="email"`, `type="email"`, `autocomplete="email"`, `id="send-code"`} {
		if !strings.Contains(html, want) {
			t.Errorf("email page lacks %q", want)
		}
	}
	s := &RegSMSPage{}
	s.ready, s.sent, s.value = true, true, "07700 900321"
	html = app.HTMLString(s)
	for _, want := range []string{"We&#39;ve sent a code to 07700 900321", `id="code"`, `autocomplete="one-time-code"`,
		`id="confirm"`, `id="again"`, "text message"} {
		if !strings.Contains(html, want) {
			t.Errorf("sms page lacks %q", want)
		}
	}
	s.sent = false
	if html := app.HTMLString(s); !strings.Contains(html, `type="tel"`) || !strings.Contains(html, `id="phone"`) {
		t.Error("sms page has no tel field")
	}
}

func TestRegQuestionsPage(t *testing.T) {
	p := &RegQuestionsPage{}
	p.ready = true
	p.catalog = []api.Question{{ID: "first_pet", Text: "What was the name of your first pet?"},
		{ID: "first_job", Text: "What was your first job?"}}
	p.chosen, p.answers = []string{"first_pet", ""}, []string{"Pickles", ""}
	html := app.HTMLString(p)
	for _, want := range []string{`id="question-1"`, `id="question-2"`, `id="answer-1"`, `id="answer-2"`,
		`id="questions-hint"`, "3 to 64 characters", "your user ID", `id="save"`, "What was your first job?"} {
		if !strings.Contains(html, want) {
			t.Errorf("questions page lacks %q", want)
		}
	}
	if n := strings.Count(html, "disabled"); n != 1 {
		t.Errorf("%d options disabled, want 1 (first_pet, chosen in row 1, in row 2)", n)
	}
}

func TestChangedView(t *testing.T) {
	html := app.HTMLString(changedView(withDefaults(api.Config{})))
	for _, want := range []string{"Your password has been changed", "signed out", "eduroam", "email apps",
		`id="sign-in-again"`, `href="/register"`} {
		if !strings.Contains(html, want) {
			t.Errorf("changed view lacks %q", want)
		}
	}
}

func TestSignInPageSessionEnded(t *testing.T) {
	p := &RegisterPage{}
	p.ended = true
	p.errs = problems{{msg: "Your account is locked.", link: PathStart, linkText: "Unlock your account"}}
	html := app.HTMLString(p)
	for _, want := range []string{"Your session has ended", `id="notice"`, "Your account is locked.",
		`href="/"`, "Unlock your account"} {
		if !strings.Contains(html, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
}

// TestNoticeSlotIsLive: the notice's live region is there before its
// words, so that a screen reader announces them when they come.
func TestNoticeSlotIsLive(t *testing.T) {
	if n := app.HTMLString(noticeView("")); !strings.Contains(n, `role="status"`) {
		t.Errorf("an empty notice slot is no live region: %s", n)
	}
}
