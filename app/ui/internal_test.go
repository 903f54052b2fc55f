package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// defaultPolicy is the portal's default policy, as GET /api/v1/policy
// describes it.
var defaultPolicy = api.Policy{MinLength: 12, MaxLength: 256, Rules: []api.Rule{
	{Code: api.RuleMinLength, Message: "Use at least 12 characters."},
	{Code: api.RuleMaxLength, Message: "Use at most 256 characters."},
	{Code: api.RuleCharacters, Message: "Don't use control characters or other invisible characters (spaces are fine)."},
	{Code: api.RuleCommon, Message: "Don't use a common password, even with numbers or symbols added."},
	{Code: api.RuleUserID, Message: "Don't use your user ID or your name."},
	{Code: api.RuleOrgName, Message: "Don't use the name of the organisation."},
}}

// strictPolicy adds every composition rule.
var strictPolicy = api.Policy{MinLength: 8, MaxLength: 64, Rules: []api.Rule{
	{Code: api.RuleMinLength, Message: "Use at least 8 characters."},
	{Code: api.RuleMaxLength, Message: "Use at most 64 characters."},
	{Code: api.RuleLower, Message: "Include a lower-case letter."},
	{Code: api.RuleUpper, Message: "Include a capital letter."},
	{Code: api.RuleDigit, Message: "Include a digit."},
	{Code: api.RuleSymbol, Message: "Include a symbol or punctuation mark, such as ! or #."},
	{Code: api.RuleClasses, Message: "Use at least 3 of these kinds of character: lower-case letters, capital letters, digits, symbols, and letters that have no case (such as 中)."},
}}

var org = api.Organisation{Name: "Example University", ShortName: "Example"}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name              string
		policy            api.Policy
		user, pw, confirm string
		want              map[string]bool // rules not listed must be absent
	}{
		{"empty", defaultPolicy, "alice@example.edu", "", "",
			map[string]bool{"min_length": false, "max_length": true, "characters": true, "not_user": true, "not_org": true, "match": false}},
		{"good", defaultPolicy, "alice@example.edu", "correct horse battery", "correct horse battery",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_user": true, "not_org": true, "match": true}},
		{"length in code points, not bytes", defaultPolicy, "", "ééééééééééé", "",
			map[string]bool{"min_length": false, "max_length": true, "characters": true, "not_org": true, "match": false}},
		{"twelve code points", defaultPolicy, "", "éééééééééééé", "éééééééééééé",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_org": true, "match": true}},
		{"too long", defaultPolicy, "", strings.Repeat("a", 257), "",
			map[string]bool{"min_length": true, "max_length": false, "characters": true, "not_org": true, "match": false}},
		{"control character", defaultPolicy, "", "correct horse\tbattery", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": false, "not_org": true, "match": false}},
		{"bidi override", defaultPolicy, "", "correct horse\u202ebattery", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": false, "not_org": true, "match": false}},
		{"emoji with joiner", defaultPolicy, "", "correct horse 👩\u200d💻", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_org": true, "match": false}},
		{"user id", defaultPolicy, "alice@example.edu", "my name is ALICE ok", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_user": false, "not_org": true, "match": false}},
		{"user id in l33t", defaultPolicy, "alice@example.edu", "hello 4l1ce friend", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_user": false, "not_org": true, "match": false}},
		{"part of user id", defaultPolicy, "j.smithers@example.edu", "agent smithers here", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_user": false, "not_org": true, "match": false}},
		{"user unknown: not_user waits for the server", defaultPolicy, "", "my name is alice ok", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_org": true, "match": false}},
		{"organisation", defaultPolicy, "", "i love Example a lot", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_org": false, "match": false}},
		{"organisation compacted", defaultPolicy, "", "exampleuniversity1", "",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_org": false, "match": false}},
		{"mismatch", defaultPolicy, "", "correct horse battery", "correct horse batter",
			map[string]bool{"min_length": true, "max_length": true, "characters": true, "not_org": true, "match": false}},
		{"composition: all kinds", strictPolicy, "", "Abcdef1!", "Abcdef1!",
			map[string]bool{"min_length": true, "max_length": true, "lower": true, "upper": true, "digit": true, "symbol": true, "classes": true, "match": true}},
		{"composition: two kinds", strictPolicy, "", "abcdefg1", "",
			map[string]bool{"min_length": true, "max_length": true, "lower": true, "upper": false, "digit": true, "symbol": false, "classes": false, "match": false}},
		{"composition: letters without case count", strictPolicy, "", "中文abc123", "",
			map[string]bool{"min_length": true, "max_length": true, "lower": true, "upper": false, "digit": true, "symbol": false, "classes": true, "match": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkPassword(tt.policy, org, tt.user, tt.pw, tt.confirm)
			for code, want := range tt.want {
				if v, ok := got[code]; !ok || v != want {
					t.Errorf("%s = %v (known %v), want %v", code, v, ok, want)
				}
			}
			for code := range got {
				if _, ok := tt.want[code]; !ok {
					t.Errorf("%s = %v, want it left to the server", code, got[code])
				}
			}
		})
	}
}

func TestChecklistView(t *testing.T) {
	res := checkPassword(defaultPolicy, org, "", "short", "short")
	html := app.HTMLString(checklistView(defaultPolicy.Rules, res, false))
	for _, want := range []string{
		`id="checklist"`,
		`data-rule="min_length"`, "✗", "Not yet: ",
		`data-rule="max_length"`, "✓", "Done: ",
		`data-rule="not_common"`, "Checked when you finish: ",
		`data-rule="match"`, "Passwords match",
		// Announced politely when the count changes, not at every key.
		`id="checklist-status"`, `aria-live="polite"`, ">Rules met: 4 of 7<",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("checklist lacks %q: %s", want, html)
		}
	}
	if empty := app.HTMLString(checklistView(defaultPolicy.Rules, nil, true)); strings.Contains(empty, "Rules met") ||
		!strings.Contains(empty, `aria-live="polite"`) {
		t.Errorf("before anything is typed, the live region should be there and say nothing: %s", empty)
	}

	for code, class := range map[string]string{"min_length": "unmet", "max_length": "met", "not_common": "unknown", "match": "met"} {
		i := strings.Index(html, `data-rule="`+code+`"`)
		start := strings.LastIndex(html[:i], "<li")
		end := i + strings.IndexByte(html[i:], '>')
		if !strings.Contains(html[start:end], `class="`+class+`"`) {
			t.Errorf("%s: %s, want class %q", code, html[start:end], class)
		}
	}
}

func TestRetryText(t *testing.T) {
	loc := time.FixedZone("BST", 3600)
	now := time.Date(2026, 11, 23, 14, 3, 20, 0, loc)
	tests := []struct {
		secs int
		want string
	}{
		{0, ""},
		{-5, ""},
		{30, "Try again at 14:04."},
		{40, "Try again at 14:04."}, // 14:04:00 exactly: no rounding up
		{41, "Try again at 14:05."},
		{60, "Try again at 14:05."},
		{3600, "Try again at 15:04."},
		{10 * 3600, "Try again at 00:04 tomorrow."},
		{24 * 3600, "Try again at 14:04 tomorrow."},
		{3 * 24 * 3600, "Try again at 14:04 on Thursday 26 November."},
	}
	for _, tt := range tests {
		if got := retryText(now, tt.secs); got != tt.want {
			t.Errorf("retryText(%d) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}

func TestThrottledMessage(t *testing.T) {
	now := time.Date(2026, 11, 23, 14, 3, 0, 0, time.UTC)
	tests := []struct {
		msg  string
		secs int
		want string
	}{
		{"You've tried too many times.", 1200, "You've tried too many times. Try again at 14:23."},
		{"Another check is in progress.", 1, "Another check is in progress. Try again at 14:04."},
		{"You've tried too many times.", 86400, "You've tried too many times. Try again at 14:03 tomorrow."},
		{"You've tried too many times.", 3 * 86400, "You've tried too many times. Try again at 14:03 on Thursday 26 November."},
		{"Slow down.", 0, "Slow down."},
		{"", 60, "Try again at 14:04."},
	}
	for _, tt := range tests {
		if got := throttledMessage(tt.msg, tt.secs, now); got != tt.want {
			t.Errorf("throttledMessage(%q, %d) = %q, want %q", tt.msg, tt.secs, got, tt.want)
		}
	}
}

func TestWaitText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-time.Second, ""},
		{time.Second, "You can ask for a new code in 1 second."},
		{1500 * time.Millisecond, "You can ask for a new code in 2 seconds."},
		{59 * time.Second, "You can ask for a new code in 59 seconds."},
		{time.Minute, "You can ask for a new code in 1 minute."},
		{90 * time.Second, "You can ask for a new code in 1 minute 30 seconds."},
		{2 * time.Minute, "You can ask for a new code in 2 minutes."},
	}
	for _, tt := range tests {
		if got := waitText(tt.d); got != tt.want {
			t.Errorf("waitText(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDoneContent(t *testing.T) {
	c := withDefaults(api.Config{HelpDesk: api.HelpDesk{Name: "IT Service Desk"}})
	reset := app.HTMLString(doneContent(api.Flow{Intent: api.IntentReset}, c))
	unlock := app.HTMLString(doneContent(api.Flow{Intent: api.IntentUnlock}, c))
	notLocked := app.HTMLString(doneContent(api.Flow{Intent: api.IntentUnlock, Outcome: api.OutcomeNotLocked}, c))
	for _, want := range []string{"Your account wasn&#39;t locked", "nothing has been changed", "Caps Lock",
		"reset it", "old saved password", "IT Service Desk"} {
		if !strings.Contains(notLocked, want) {
			t.Errorf("not-locked page lacks %q", want)
		}
	}
	if strings.Contains(notLocked, "has been unlocked") {
		t.Error("the not-locked page says the account was unlocked")
	}
	for _, want := range []string{"Your password has been reset", "sign in with your new password",
		"Close your browser", "Update the password saved on your other devices", "eduroam", "email apps"} {
		if !strings.Contains(reset, want) {
			t.Errorf("reset lacks %q", want)
		}
	}
	for _, want := range []string{"Your account has been unlocked", "sign in with your existing password",
		"Close your browser", "old saved password", "eduroam", "Remove the saved password from all your devices"} {
		if !strings.Contains(unlock, want) {
			t.Errorf("unlock lacks %q", want)
		}
	}
	if strings.Contains(unlock, "has been reset") || strings.Contains(reset, "has been unlocked") {
		t.Error("done page mixes up reset and unlock")
	}
}

// flow is a flow in verify with alice's three methods, the email passed.
func flow() api.Flow {
	resend := time.Now().Add(time.Minute)
	expires := time.Date(2026, 11, 23, 14, 25, 0, 0, time.Local)
	return api.Flow{State: api.StateVerify, Intent: api.IntentReset, Required: 2, Methods: []api.Method{
		{Kind: api.KindEmail, Hint: "a••••@example.net", Verified: true},
		{Kind: api.KindSMS, Hint: "••••••••••23", CodeSent: true, ResendAt: &resend, CodeExpiresAt: &expires},
		{Kind: api.KindQuestions, Count: 3},
	}}
}

func TestVerifyPage(t *testing.T) {
	p := &VerifyPage{}
	p.flow, p.ready = flow(), true
	html := app.HTMLString(p)
	for _, want := range []string{
		`id="step"`, "Step 2 of 2",
		"Choose a verification method",
		`id="method-email"`, "Email my alternate email", "a••••@example.net", "Done",
		`id="method-sms"`, "Send a text to my mobile phone number", "••••••••••23",
		`id="method-questions"`, "Answer my security questions",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("verify page lacks %q", want)
		}
	}
	// The email, passed, is marked done and can't be chosen.
	i := strings.Index(html, `id="method-email"`)
	open := html[strings.LastIndex(html[:i], "<"):]
	open = open[:strings.IndexByte(open, '>')]
	if !strings.Contains(open, "disabled") {
		t.Errorf("passed method not disabled: %s", open)
	}
	if !strings.Contains(html[:i], `radios__item done`) {
		t.Error("passed method not marked done")
	}
	// Under each open choice, what it asks for (the guides: "Select Send
	// a text to my mobile phone number, enter your phone number, click
	// Text"), and no Next of the page's own. The sms code has expired.
	for _, want := range []string{
		`aria-controls="method-sms-reveal"`, `id="method-sms-reveal"`, `id="phone"`, `id="send-sms"`, ">Text<",
		`id="method-questions-reveal"`, `id="questions-next"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("verify page lacks %q", want)
		}
	}
	for _, bad := range []string{`id="method-email-reveal"`, `id="next"`, `id="enter-code-sms"`} {
		if strings.Contains(html, bad) {
			t.Errorf("verify page has %q", bad)
		}
	}
	// The questions, once here, are asked under their choice.
	p.took([]api.Question{{ID: "q1", Text: "What was your first pet's name?"}})
	if html := app.HTMLString(p); !strings.Contains(html, `id="answer-q1"`) || !strings.Contains(html, "first pet") {
		t.Error("the questions are not asked under their choice")
	}
	// A code that still works is typed, not sent again.
	later := time.Now().Add(5 * time.Minute)
	p.flow.Methods[1].CodeExpiresAt = &later
	html = app.HTMLString(p)
	if !strings.Contains(html, `id="enter-code-sms"`) || strings.Contains(html, `id="send-sms"`) {
		t.Errorf("a waiting code is not offered to type: %s", html)
	}
}

func TestVerifyPageStepOne(t *testing.T) {
	f := flow()
	f.Methods[0].Verified = false
	if got := stepText(f); got != "Step 1 of 2" {
		t.Errorf("stepText = %q", got)
	}
	f.Methods[1].Verified, f.Methods[0].Verified = true, true
	if got := stepText(f); got != "Step 2 of 2" {
		t.Errorf("stepText with everything passed = %q, want no step 3", got)
	}
}

// A user with fewer methods registered than needed is told plainly, and
// who can help.
func TestVerifyPageCantFinish(t *testing.T) {
	t.Setenv(EnvConfig, `{"help_desk":{"name":"IT Service Desk","phone":"01234 567890","email":"sd@example.edu"}}`)
	p := &VerifyPage{}
	p.flow = api.Flow{State: api.StateVerify, Intent: api.IntentReset, Required: 2,
		Methods: []api.Method{{Kind: api.KindEmail, Hint: "d••••@example.net"}}}
	p.ready = true
	html := app.HTMLString(p)
	for _, want := range []string{"You can&#39;t reset your password here", "only one is", "IT Service Desk",
		`href="tel:01234567890"`, `href="mailto:sd@example.edu"`, `href="/register"`} {
		if !strings.Contains(html, want) {
			t.Errorf("can't-finish page lacks %q: %s", want, html)
		}
	}
	if strings.Contains(html, `id="method-email"`) {
		t.Error("can't-finish page offers a method")
	}
}

func TestCodePageAfterSend(t *testing.T) {
	p := &SMSPage{}
	p.kind, p.flow, p.ready = api.KindSMS, flow(), true
	p.m = p.flow.Methods[1]
	p.now = time.Now()
	html := app.HTMLString(p)
	for _, want := range []string{
		`id="code"`, `autocomplete="one-time-code"`, `inputmode="numeric"`, "Verification code",
		// A code can't be given more time: the page says until when.
		"It works until 14:25.",
		`id="resend"`, "Resend code", `id="resend-wait"`, "You can ask for a new code in",
		"spam or junk", "mobile signal", "up to date",
		`id="other-method"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("sms page lacks %q", want)
		}
	}
	i := strings.Index(html, `id="resend"`)
	open := html[strings.LastIndex(html[:i], "<"):]
	if open = open[:strings.IndexByte(open, '>')]; !strings.Contains(open, "disabled") {
		t.Errorf("resend not disabled during the cool-down: %s", open)
	}
}

func TestCodePageBeforeSend(t *testing.T) {
	f := flow()
	f.Methods[1].CodeSent, f.Methods[1].ResendAt = false, nil
	p := &SMSPage{}
	p.kind, p.flow, p.ready, p.m = api.KindSMS, f, true, f.Methods[1]
	html := app.HTMLString(p)
	for _, want := range []string{"Enter your phone number", `id="phone"`, `type="tel"`, `autocomplete="tel"`,
		`id="send-sms"`, ">Text<"} {
		if !strings.Contains(html, want) {
			t.Errorf("sms page lacks %q", want)
		}
	}
	e := &EmailPage{}
	e.kind, e.flow, e.ready, e.m = api.KindEmail, f, true, api.Method{Kind: api.KindEmail, Hint: "a••••@example.net"}
	html = app.HTMLString(e)
	for _, want := range []string{"We&#39;ll send a code to", "a••••@example.net", `id="send-email"`, ">Email<"} {
		if !strings.Contains(html, want) {
			t.Errorf("email page lacks %q", want)
		}
	}
}

// The error summary links each field in error, and the message shows next
// to the field.
func TestErrorSummary(t *testing.T) {
	p := &StartPage{}
	p.errs = problems{
		{field: "user", msg: "Enter your user ID"},
		{msg: "You've tried too many times. Try again at 14:05.", contact: true},
	}
	html := app.HTMLString(p)
	for _, want := range []string{
		`id="error-summary"`, `role="alert"`, `tabindex="-1"`, "There is a problem",
		`href="#user"`, "Enter your user ID",
		`id="user-error"`, `aria-invalid`, // (go-app writes "true" as a bare attribute)
		"Try again at 14:05.", `href="/help/contact"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page with errors lacks %q", want)
		}
	}
	if !strings.Contains(html, `aria-describedby="user-hint user-error"`) && !strings.Contains(html, `aria-describedby="user-error"`) {
		t.Error("the field is not described by its error")
	}
}

func TestExpired(t *testing.T) {
	p := &ChoosePage{}
	p.ended = true
	html := app.HTMLString(p)
	for _, want := range []string{"Your session has ended or expired", `id="start-again"`, `href="/"`} {
		if !strings.Contains(html, want) {
			t.Errorf("expired page lacks %q", want)
		}
	}
}

func TestPathFor(t *testing.T) {
	for state, path := range map[api.State]string{
		api.StateChooseIntent: PathChoose, api.StateVerify: PathVerify,
		api.StateNewPassword: PathNewPassword, api.StateDone: PathDone, "": PathStart,
	} {
		if got := pathFor(api.Flow{State: state}); got != path {
			t.Errorf("pathFor(%q) = %q, want %q", state, got, path)
		}
	}
	// The Back button: the choice of intent is still shown in verify.
	if !fits(PathChoose, api.Flow{State: api.StateVerify}) || fits(PathNewPassword, api.Flow{State: api.StateVerify}) ||
		!fits(PathVerifySMS, api.Flow{State: api.StateVerify}) || fits(PathVerify, api.Flow{State: api.StateDone}) {
		t.Error("fits")
	}
}

func TestTextOn(t *testing.T) {
	for bg, want := range map[string]string{"#1d3f72": "#ffffff", "#ffd200": "#0b0c0c", "#FFFFFF": "#0b0c0c",
		"#000000": "#ffffff", "nonsense": "#ffffff"} {
		if got := textOn(bg); got != want {
			t.Errorf("textOn(%q) = %q, want %q", bg, got, want)
		}
	}
}

func TestTelNumber(t *testing.T) {
	for in, want := range map[string]string{"01604 893333": "01604893333", "+44 (0)1604 893333": "+4401604893333"} {
		if got := telNumber(in); got != want {
			t.Errorf("telNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// The time-limit warning: Continue while the limit can be extended, none
// at its absolute end, and what Continue bought once pressed; its region
// is there, empty, before it speaks.
func TestLimitView(t *testing.T) {
	exp := time.Date(2026, 12, 2, 14, 25, 0, 0, time.Local)
	for _, tt := range []struct {
		name        string
		shown       bool
		ends, until time.Time
		want, not   []string
	}{
		{"quiet", false, exp.Add(time.Hour), time.Time{},
			[]string{`id="timeout"`, `role="alert"`}, []string{"timeout-continue", "14:25"}},
		{"warning", true, exp.Add(time.Hour), time.Time{},
			[]string{"this session will end at 14:25", `id="timeout-continue"`, ">Continue<"}, []string{"made longer"}},
		{"final", true, exp, time.Time{},
			[]string{"will end at 14:25 and can&#39;t be made longer"}, []string{"timeout-continue"}},
		{"continued", false, exp.Add(time.Hour), exp,
			[]string{`id="timeout-until"`, "You now have until 14:25."}, []string{"timeout-continue"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := limit{words: "timeout.flow", shown: tt.shown, until: tt.until,
				when: func() (time.Time, time.Time) { return exp, tt.ends }}
			html := app.HTMLString(l.view())
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("lacks %q: %s", w, html)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(html, n) {
					t.Errorf("has %q: %s", n, html)
				}
			}
		})
	}
}
