// The pages as the server prerenders them (the help pages are the
// server's alone: not in the wasm).

//go:build !wasm && !sspr_reset

package ui_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/ui"
)

// withConfig sets the configuration the server would pass to the pages.
func withConfig(t *testing.T, c api.Config) {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(ui.EnvConfig, string(b))
}

// testConfig is a configuration like the guides' organisations'.
func testConfig() api.Config {
	c := api.Config{
		Organisation: api.Organisation{Name: "Example University", ShortName: "Example",
			ThemeColour: "#1d3f72", AccentColour: "#ffd200"},
		UserIDHint: "username@example.edu",
		HelpDesk: api.HelpDesk{Name: "IT Service Desk",
			InPerson:     "At the UON Helpdesk on the ground floor of the Learning Hub",
			TicketPortal: "https://help.example.edu/",
			Phone:        "01604 893333",
			Email:        "Int_ITSupport@example.edu",
			Hours:        []string{"Monday to Thursday: 8am to 5pm", "Friday: 8am to 9am and then 10am to 5pm"}},
		Methods: api.MethodsInfo{Enabled: []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions}, Required: 2},
	}
	c.Captcha.Audio = true
	return c
}

// render loads c in a test engine, as the server prerenders it, and
// returns its HTML.
func render(t *testing.T, c app.Composer) string {
	t.Helper()
	e := app.NewTestEngine()
	if err := e.Load(c); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	return app.HTMLString(c)
}

// element reports whether html has a <tag> with all of attrs (each as
// name="value"), whatever their order; text, if not empty, must follow
// the tag.
func element(html, tag, text string, attrs ...string) bool {
	for rest := html; ; {
		i := strings.Index(rest, "<"+tag+" ")
		if i < 0 {
			return false
		}
		rest = rest[i:]
		end := strings.IndexByte(rest, '>')
		open := rest[:end+1]
		rest = rest[end+1:]
		ok := true
		for _, a := range attrs {
			if !strings.Contains(open, " "+a) {
				ok = false
			}
		}
		if ok && (text == "" || strings.HasPrefix(strings.TrimSpace(rest), text)) {
			return true
		}
	}
}

// has fails the test if html has no such element.
func has(t *testing.T, name, html, tag, text string, attrs ...string) {
	t.Helper()
	if !element(html, tag, text, attrs...) {
		t.Errorf("%s has no <%s %s>%s", name, tag, strings.Join(attrs, " "), text)
	}
}

// contains fails the test for each of wants that html lacks.
func contains(t *testing.T, name, html string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(html, want) {
			t.Errorf("%s lacks %q", name, want)
		}
	}
}

func TestStartPage(t *testing.T) {
	withConfig(t, testConfig())
	html := render(t, &ui.StartPage{})
	contains(t, "start page", html,
		"<h1>Get back into your account</h1>",
		"For example, username@example.edu",
		"Example University",
		`--theme:#1d3f72`,
	)
	for _, e := range []struct {
		tag, text string
		attrs     []string
	}{
		{"main", "", []string{`id="main"`}},
		{"a", "", []string{`id="help-before"`, `href="/help/before-you-begin"`}},
		{"form", "", []string{`id="start-form"`}},
		{"label", "User ID", []string{`for="user"`}},
		{"input", "", []string{`id="user"`, `autocomplete="username"`, `aria-describedby="user-hint"`}},
		{"div", "For example", []string{`id="user-hint"`}},
		{"label", "Enter the numbers in the picture", []string{`for="captcha-answer"`}},
		{"input", "", []string{`id="captcha-answer"`, `inputmode="numeric"`, `autocomplete="off"`}},
		// A submit button: without the wasm it posts the form, and the
		// server answers with a new picture.
		{"button", "New picture", []string{`id="captcha-new"`, `type="submit"`, `name="do"`, `value="captcha"`}},
		{"button", "Next", []string{`id="next"`, `type="submit"`}},
		{"a", "Register for self-service password reset", []string{`id="register-link"`, `href="/register"`}},
		{"a", "", []string{`id="help-faq"`, `href="/help/faq"`}},
		{"a", "", []string{`id="help-contact"`, `href="/help/contact"`}},
	} {
		has(t, "start page", html, e.tag, e.text, e.attrs...)
	}
	// Before the wasm runs, nothing can be submitted (a form submitted
	// by the browser itself would put the user id in the address).
	for _, e := range [][2]string{{"input", "user"}, {"input", "captcha-answer"}, {"button", "next"}} {
		if !element(html, e[0], "", `id="`+e[1]+`"`, "disabled") {
			t.Errorf("#%s is not disabled before the wasm runs", e[1])
		}
	}
	if strings.Contains(html, `disabled="false"`) {
		t.Error(`disabled="false" in the page`)
	}
}

func TestStartPageWithoutAudio(t *testing.T) {
	c := testConfig()
	c.Captcha.Audio = false
	withConfig(t, c)
	if html := render(t, &ui.StartPage{}); strings.Contains(html, "captcha-listen") {
		t.Error("Listen offered without audio")
	}
}

// The choices are worded exactly as the guides' step 3.
func TestChoosePage(t *testing.T) {
	withConfig(t, testConfig())
	html := render(t, &ui.ChoosePage{})
	contains(t, "choose page", html, "<h1>What do you need?</h1>")
	has(t, "choose page", html, "input", "", `id="intent-reset"`, `type="radio"`, `value="reset"`)
	has(t, "choose page", html, "label", "I&#39;ve forgotten my password", `for="intent-reset"`)
	has(t, "choose page", html, "input", "", `id="intent-unlock"`, `type="radio"`, `value="unlock"`)
	has(t, "choose page", html, "label", "I know my password, but still can&#39;t sign in", `for="intent-unlock"`)
	has(t, "choose page", html, "button", "Next", `id="next"`)
}

func TestPagesPrerender(t *testing.T) {
	withConfig(t, testConfig())
	for _, tt := range []struct {
		name string
		c    app.Composer
		want []string
	}{
		{"verify", &ui.VerifyPage{}, []string{"<h1>Choose a verification method</h1>", `id="verify-form"`}},
		{"email", &ui.EmailPage{}, []string{"<h1>Verify with your alternate email</h1>", `id="other-method"`}},
		{"sms", &ui.SMSPage{}, []string{"<h1>Verify with a text to your mobile phone</h1>", `id="other-method"`}},
		{"questions", &ui.QuestionsPage{}, []string{"<h1>Answer your security questions</h1>"}},
		{"new password", &ui.NewPasswordPage{}, []string{"<h1>Create a new password</h1>", `id="password"`,
			`autocomplete="new-password"`, `id="confirm"`, `id="show-password"`, `id="checklist"`,
			`data-rule="match"`, `id="finish"`, "Finish"}},
		{"done", &ui.DonePage{}, []string{`id="main"`}},
		{"sign in", &ui.RegisterPage{}, []string{"<h1>Sign in to register</h1>", `id="user"`,
			`id="password"`, `autocomplete="current-password"`, `id="captcha-answer"`, `id="captcha-new"`,
			`id="sign-in"`, `method="post"`}},
		{"summary", &ui.SummaryPage{}, []string{"<h1>Your verification methods</h1>", `id="change-password"`,
			`href="/register/password"`, `id="sign-out"`}},
		{"register email", &ui.RegEmailPage{}, []string{"<h1>Register an alternate email address</h1>", `href="/register/summary"`}},
		{"register sms", &ui.RegSMSPage{}, []string{"<h1>Register a mobile phone number</h1>"}},
		{"register questions", &ui.RegQuestionsPage{}, []string{"<h1>Choose your security questions</h1>"}},
		{"change password", &ui.ChangePasswordPage{}, []string{"<h1>Change your password</h1>", `id="current"`,
			`autocomplete="current-password"`, `id="new"`, `autocomplete="new-password"`, `id="confirm"`,
			`id="show-password"`, `id="checklist"`, `id="change"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			html := render(t, tt.c)
			contains(t, tt.name, html, tt.want...)
			if strings.Contains(html, `disabled="false"`) {
				t.Error(`disabled="false" in the page`)
			}
		})
	}
}

// The five questions of the guides' FAQ, answered for this portal.
func TestFAQPage(t *testing.T) {
	withConfig(t, testConfig())
	html := render(t, &ui.FAQPage{})
	contains(t, "FAQ", html,
		"<h1>Questions and answers</h1>",
		"What if I haven&#39;t registered for self-service password reset?",
		"Why am I locked out even with the correct password?",
		"Does self-service password reset work when I&#39;m off campus?",
		"What if my verification code doesn&#39;t arrive?",
		"Do I need to close my browser after resetting or unlocking?",
		`href="/help/contact"`, `href="/register"`, "eduroam", "internet connection",
		"spam or junk", "mobile signal", "up to date", "another of your verification methods",
		"cached sign-in data",
	)
}

func TestBeforeYouBeginPage(t *testing.T) {
	withConfig(t, testConfig())
	contains(t, "before you begin", render(t, &ui.BeforeYouBeginPage{}),
		"<h1>Before you begin</h1>", "several devices", "old password", "eduroam",
		"Remove the saved password from every device")
}

// The second guide's contact block, from the configuration.
func TestContactPage(t *testing.T) {
	withConfig(t, testConfig())
	contains(t, "contact", render(t, &ui.ContactPage{}),
		"<h1>Contact the service desk</h1>",
		"At the UON Helpdesk on the ground floor of the Learning Hub",
		`href="https://help.example.edu/"`, "self-service portal",
		`href="tel:01604893333"`, "01604 893333",
		`href="mailto:Int_ITSupport@example.edu"`,
		"Opening times", "Monday to Thursday: 8am to 5pm", "Friday: 8am to 9am and then 10am to 5pm",
	)
}

func TestDevBanner(t *testing.T) {
	t.Setenv(ui.EnvDev, "")
	if html := app.HTMLString(&ui.DevBanner{}); strings.Contains(html, "Development mode") {
		t.Errorf("banner shown outside dev mode: %s", html)
	}
	t.Setenv(ui.EnvDev, "1")
	html := app.HTMLString(&ui.DevBanner{})
	if !strings.Contains(html, "Development mode") || !strings.Contains(html, `href="/dev/outbox"`) {
		t.Errorf("dev banner: %s", html)
	}
}

// Colours that aren't "#rrggbb" never reach a style attribute.
func TestThemeColourChecked(t *testing.T) {
	c := testConfig()
	c.Organisation.ThemeColour = "red;background:url(x)"
	withConfig(t, c)
	html := render(t, &ui.StartPage{})
	if strings.Contains(html, "url(x)") || !strings.Contains(html, "--theme:#1d3f72") {
		t.Errorf("theme colour not checked: %s", html[:strings.Index(html, "<h1>")])
	}
}
