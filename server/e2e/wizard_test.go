package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sspr-portal/sspr/app/api"
)

// Every test runs its own portal (fresh demo accounts, throttles and
// outbox) and its own browser context, in parallel with the others.

// TestPageLoads: the prerendered start page is taken over by the wasm with
// no console error, no uncaught exception and no request to another host.
func TestPageLoads(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.open("/")
	if b.text(h1) == "" {
		b.fatalf("the start page has no heading")
	}
}

// TestStartPage: the start page's parts, its CAPTCHA buttons, its errors,
// and its links to registration and help.
func TestStartPage(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.open("/")
	b.waitVisible("form#start-form")
	b.waitCaptcha()
	for _, sel := range []string{"input#user", "button#captcha-new", "#captcha-listen",
		"input#captcha-answer", "button#next", "a#register-link", "a#help-before", "a#help-faq", "a#help-contact"} {
		b.waitVisible(sel)
	}
	if !b.exists("audio#captcha-audio") {
		b.fatalf("no audio#captcha-audio")
	}
	for sel, href := range map[string]string{
		"a#register-link": "/register",
		"a#help-before":   "/help/before-you-begin",
		"a#help-faq":      "/help/faq",
		"a#help-contact":  "/help/contact",
	} {
		if got := b.attr(sel, "href"); got != href {
			t.Errorf("%s goes to %q, want %q", sel, got, href)
		}
	}
	b.shot("start")

	// A new CAPTCHA replaces the image.
	old := b.attr("img#captcha-image", "src")
	b.click("button#captcha-new")
	b.waitJS("a new CAPTCHA image", `(() => { const i = document.querySelector("img#captcha-image");
		return i && i.src.startsWith("data:") && i.src !== `+js(old)+`; })()`)
	// Listening loads the audio version.
	b.click("#captcha-listen")
	b.waitJS("the CAPTCHA's audio", `(() => { const a = document.querySelector("audio#captcha-audio");
		return a && (a.currentSrc || a.src || "").length > 0; })()`)

	// Nothing typed: the error summary takes the focus and links to the
	// field, whose own error shows beside it.
	b.click("button#next")
	b.waitVisible(errorSumm)
	b.expectJS("the focus on the error summary", focusedSummaryJS)
	if role := b.attr(errorSumm, "role"); role != "alert" {
		t.Errorf("error summary's role = %q, want alert", role)
	}
	b.waitVisible(errorSumm + ` a[href="#user"]`)
	b.waitVisible("p#user-error")
	b.shot("start-empty")
	if p := b.path(); p != "/" {
		t.Errorf("an empty start form went to %s", p)
	}

	// The help pages, from their links and opened directly.
	b.click("a#help-before")
	b.waitPage("/help/before-you-begin")
	b.waitJS("a heading", `document.querySelector("main#main h1") && document.querySelector("main#main h1").textContent.trim() !== ""`)
	b.shot("help-before")
	for _, p := range []string{"/help/faq", "/help/contact"} {
		b.open(p)
		b.waitJS("a heading", `document.querySelector("main#main h1") && document.querySelector("main#main h1").textContent.trim() !== ""`)
		b.shot("help-" + strings.TrimPrefix(p, "/help/"))
	}
	// The contact page gives the help desk's ways in.
	var cfg api.Config
	e.getJSON(api.PathConfig, &cfg)
	contact := b.text("main#main")
	for _, want := range []string{cfg.HelpDesk.Phone, cfg.HelpDesk.Email} {
		if want != "" && !strings.Contains(contact, want) {
			t.Errorf("/help/contact doesn't show %q:\n%s", want, contact)
		}
	}
}

// TestNoFlowStartAgain: a wizard page opened with no flow (expired, or
// never started) offers to start again.
func TestNoFlowStartAgain(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.open("/verify")
	b.waitVisible("a#start-again")
	b.shot("no-flow")
	b.click("a#start-again")
	b.waitPage("/")
	b.waitVisible("form#start-form")
}

// TestResetEmailAndText: alice resets her password with an emailed code
// and a text, as the two guides show.
func TestResetEmailAndText(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.everyStep = true
	b.start(alice.id)
	b.chooseIntent("reset")
	b.chooseMethod("email", 1)
	b.passEmail(alice)
	b.waitPassed("email")
	b.chooseMethod("sms", 2)
	b.passSMS(alice)
	b.waitPage("/new-password")

	const pw = "Correct-Horse-Battery-42"
	b.typeInto("input#password", pw)
	b.typeInto("input#confirm", pw)
	b.waitVisible("ul#checklist")
	b.waitJS("a checklist of the rules", `document.querySelectorAll("ul#checklist li[data-rule]").length > 0`)
	// Every rule the browser can check is met, none unmet (a blocklist
	// rule may wait for the server).
	b.waitJS("the length rule met", `document.querySelector('ul#checklist li[data-rule="min_length"].met')`)
	b.waitJS("no rule unmet", `document.querySelectorAll("ul#checklist li[data-rule].unmet").length === 0`)
	// "Show password" shows it.
	b.click("input#show-password")
	b.waitJS("the password shown", `document.querySelector("input#password").type === "text"`)
	b.shot("new-password")
	b.click("button#finish")
	b.waitDone("Your password has been reset")

	e.wantPasswordChanged(alice.id, alice.password, pw)
}

// TestResetQuestionsAndEmail: alice resets with her security questions and
// an emailed code.
func TestResetQuestionsAndEmail(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.everyStep = true
	b.start(alice.id)
	b.chooseIntent("reset")
	b.chooseMethod("questions", 1)
	b.passQuestions(alice.answer)
	b.waitPassed("questions")
	b.chooseMethod("email", 2)
	b.passEmail(alice)
	b.waitPage("/new-password")
	const pw = "Lantern-Orchard-Puzzle-58"
	b.setPassword(pw)
	b.waitDone("Your password has been reset")

	e.wantPasswordChanged(alice.id, alice.password, pw)
}

// TestUnlockEmailAndText: bob, locked out, unlocks his account with an
// emailed code and a text; his password stays.
func TestUnlockEmailAndText(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	if !e.locked(bob.id) {
		t.Fatal("bob is not locked before the test")
	}
	b := e.newBrowser(t)
	b.everyStep = true
	b.start(bob.id)
	b.chooseIntent("unlock")
	b.chooseMethod("email", 1)
	b.passEmail(bob)
	b.waitPassed("email")
	b.chooseMethod("sms", 2)
	b.passSMS(bob)
	b.waitDone("Your account has been unlocked")

	if e.locked(bob.id) {
		t.Error("the directory still shows bob locked")
	}
	if !e.passwordWorks(bob.id, bob.password) {
		t.Error("unlocking changed bob's password")
	}
}

// TestWrongCode: a wrong code shows the error summary, which takes the
// focus and links to the code box; the right code then passes.
func TestWrongCode(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.start(alice.id)
	b.chooseIntent("reset")
	b.chooseMethod("email", 1)
	b.waitVisible("button#send-email")
	n := len(e.outbox())
	b.click("button#send-email")
	b.waitVisible("input#code")
	for _, sel := range []string{"button#next", "button#resend", "a#other-method"} {
		b.waitVisible(sel)
	}
	if !b.exists("span#resend-wait") {
		t.Error("no span#resend-wait while the resend cool-down runs")
	}
	code := e.waitCode(alice.alt, n)
	wrong := "12345678"
	if wrong == code {
		wrong = "87654321"
	}
	b.typeInto("input#code", wrong)
	b.click("button#next")

	b.waitVisible(errorSumm)
	b.expectJS("the focus on the error summary", focusedSummaryJS)
	if role := b.attr(errorSumm, "role"); role != "alert" {
		t.Errorf("error summary's role = %q, want alert", role)
	}
	b.waitVisible(errorSumm + ` a[href="#code"]`)
	b.waitVisible("p#code-error")
	b.shot("wrong-code")
	if p := b.path(); p != "/verify/email" {
		t.Errorf("after a wrong code the page is %s, want /verify/email", p)
	}

	b.typeInto("input#code", code)
	b.click("button#next")
	b.waitPassed("email")
	if b.exists(errorSumm) {
		t.Error("the error summary stays after the right code")
	}
	b.shot("right-code")
}

// TestWeakPassword: the checklist follows what is typed, and a password
// the server refuses (a common one) shows the refusal in the error summary;
// nothing changes in the directory.
func TestWeakPassword(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.start(alice.id)
	b.chooseIntent("reset")
	b.chooseMethod("questions", 1)
	b.passQuestions(alice.answer)
	b.waitPassed("questions")
	b.chooseMethod("email", 2)
	b.passEmail(alice)
	b.waitPage("/new-password")

	// Too short: the checklist says so as it is typed.
	b.typeInto("input#password", "short1")
	b.waitVisible("ul#checklist")
	b.waitVisible(`ul#checklist li[data-rule="min_length"].unmet`)
	b.shot("too-short")

	const weak = "password1234"
	b.typeInto("input#password", weak)
	b.typeInto("input#confirm", weak)
	b.waitVisible(`ul#checklist li[data-rule="min_length"].met`)
	b.shot("weak")
	b.click("button#finish")

	var pol api.PolicyResponse
	e.getJSON(api.PathPolicy, &pol)
	var common string
	for _, r := range pol.Policy.Rules {
		if r.Code == api.RuleCommon {
			common = r.Message
		}
	}
	if common == "" {
		t.Fatalf("the policy has no %s rule: %+v", api.RuleCommon, pol.Policy.Rules)
	}
	b.waitText(errorSumm, common)
	b.expectJS("the focus on the error summary", focusedSummaryJS)
	b.waitVisible(errorSumm + ` a[href="#password"]`)
	b.waitVisible("ul#checklist")
	b.shot("refused")
	if p := b.path(); p != "/new-password" {
		t.Errorf("after a refused password the page is %s, want /new-password", p)
	}
	if !e.passwordWorks(alice.id, alice.password) {
		t.Error("a refused password changed alice's password")
	}
}

// TestUnknownUser: someone who types an id nobody has sees the same pages,
// in the same order, as a registered user, down to the code box.
func TestUnknownUser(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	trace := func(b *browser, id string) []string {
		b.label, _, _ = strings.Cut(id, "@")
		var seen []string
		see := func(what string) {
			seen = append(seen, fmt.Sprintf("%s %s | %s", b.path(), what, b.text(h1)))
		}
		b.fillStart(id)
		see("start")
		b.click("button#next")
		b.waitPage("/choose")
		see("choose")
		b.chooseIntent("reset")
		// The step shows once the flow has loaded: wait for it, or a busy
		// machine reads it before it is there.
		b.waitVisible("span#step")
		see("verify " + b.text("span#step"))
		b.chooseMethod("email", 1)
		see("email")
		b.click("button#send-email")
		b.waitVisible("input#code")
		b.waitVisible("button#next")
		b.shot("sent")
		see("sent")
		return seen
	}
	want := trace(e.newBrowser(t), alice.id)
	got := trace(e.newBrowser(t), "nobody@example.edu")
	if !slices.Equal(got, want) {
		t.Errorf("an unknown user's pages differ from a registered user's:\nunknown:    %q\nregistered: %q", got, want)
	}
}

// TestKeyboardOnly: alice resets with the keyboard alone: Tab, the arrow
// keys, Space, Enter and typing into whatever has the focus. No clicks.
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.width, b.height = 390, 844
	b.run("phone viewport", chromedp.EmulateViewport(b.width, b.height))

	b.open("/")
	b.waitVisible("form#start-form")
	b.waitCaptcha()
	b.typeKeys("user", alice.id)
	b.typeKeys("captcha-answer", devAnswer)
	b.shot("start")
	b.press("next", kb.Enter)
	b.waitPage("/choose")

	b.tabTo("intent-reset")
	b.key(" ")
	b.waitJS("intent-reset checked", `document.querySelector("input#intent-reset").checked`)
	b.shot("choose")
	b.press("next", kb.Enter)
	b.waitPage("/verify")

	b.waitText("span#step", "Step 1 of 2")
	b.tabTo("method-email")
	b.key(" ")
	b.waitJS("method-email checked", `document.querySelector("input#method-email").checked`)
	// The guides' Email button, revealed under the choice, is the next
	// stop of Tab.
	n := len(e.outbox())
	b.press("send-email", kb.Enter)
	b.waitPage("/verify/email")
	b.waitVisible("input#code")
	b.typeKeys("code", e.waitCode(alice.alt, n))
	b.press("next", kb.Enter)
	b.waitPassed("email")

	b.tabTo("method-sms")
	b.key(" ")
	b.waitJS("method-sms checked", `document.querySelector("input#method-sms").checked`)
	b.typeKeys("phone", alice.phoneTyped)
	b.shot("verify-step2")
	n = len(e.outbox())
	b.press("send-sms", kb.Enter)
	b.waitPage("/verify/sms")
	b.waitVisible("input#code")
	b.typeKeys("code", e.waitCode(alice.phoneE164, n))
	b.press("next", kb.Enter)
	b.waitPage("/new-password")

	const pw = "Keyboard-Walrus-Meadow-31"
	b.typeKeys("password", pw)
	b.typeKeys("confirm", pw)
	b.tabTo("show-password")
	b.key(" ")
	b.waitJS("the password shown", `document.querySelector("input#password").type === "text"`)
	b.shot("new-password")
	b.press("finish", kb.Enter)
	b.waitDone("Your password has been reset")

	e.wantPasswordChanged(alice.id, alice.password, pw)
}

// TestReloadResumes: reloading /verify after one method has passed shows
// step 2 of 2 with that method done, and the flow goes on.
func TestReloadResumes(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.start(alice.id)
	b.chooseIntent("reset")
	b.chooseMethod("email", 1)
	b.passEmail(alice)
	b.waitPassed("email")

	b.reload()
	b.waitPassed("email")
	b.shot("reloaded")

	b.chooseMethod("questions", 2)
	b.passQuestions(alice.answer)
	b.waitPage("/new-password")
	b.reload()
	b.waitPage("/new-password")
	b.waitVisible("input#password")
	b.shot("reloaded-new-password")
}

// TestHarnessCatchesProblems proves the guards the other tests rely on: a
// console error, an uncaught exception and a request to another host are
// all caught.
func TestHarnessCatchesProblems(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	// A plain file: no wasm, nothing of the portal's own running.
	b.run("opening /robots.txt", chromedp.Navigate(e.url+"/robots.txt"))
	b.eval(`(() => {
		console.error("e2e: a console error");
		setTimeout(() => { throw new Error("e2e: an uncaught exception"); }, 0);
		new Image().src = "http://third-party.invalid/pixel.png";
		return true;
	})()`, nil)
	want := []string{"console.error: e2e: a console error", "e2e: an uncaught exception",
		"request to another host: GET http://third-party.invalid/pixel.png"}
	deadline := time.Now().Add(waitTimeout)
	for {
		b.mu.Lock()
		all := strings.Join(b.problems, "\n")
		b.mu.Unlock()
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(all, w) })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the harness missed %q; it saw:\n%s", missing, all)
		}
		time.Sleep(pollEvery)
	}
	// Caught, as they should be: not this test's failure.
	b.mu.Lock()
	b.problems = nil
	b.mu.Unlock()
}
