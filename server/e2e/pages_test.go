package e2e_test

import (
	"fmt"
	"strconv"

	"github.com/chromedp/chromedp/kb"
	"github.com/sspr-portal/sspr/app/i18n"
	"github.com/sspr-portal/sspr/server/locale"
)

// The wizard's element IDs (the contract with app/ui):
//
//	every page   main#main; errors: div#error-summary (role=alert, focused
//	             when shown) linking a[href="#<field>"], p#<field>-error
//	             beside the field; an expired flow: a#start-again
//	/            form#start-form, input#user, img#captcha-image,
//	             button#captcha-new, a#captcha-listen,
//	             audio#captcha-audio, input#captcha-answer, button#next,
//	             a#register-link, a#help-before, a#help-faq, a#help-contact
//	/choose      input#intent-reset, input#intent-unlock, button#next
//	/verify      span#step, input#method-email|sms|questions (passed:
//	             class "done", disabled), each with what it asks for in
//	             div#method-<kind>-reveal, shown once selected:
//	             button#send-email; input#phone, button#send-sms;
//	             input#answer-<question id> x3, button#questions-next; a
//	             code still working: button#enter-code-<kind>
//	/verify/email   input#code, button#next, button#resend,
//	                span#resend-wait, a#other-method (button#send-email
//	                if no code was sent)
//	/verify/sms     input#code, button#next, button#resend (input#phone
//	                and button#send-sms to send again after a reload)
//	/verify/questions  input#answer-<question id> x3, button#next
//	/new-password  input#password, input#confirm, input#show-password,
//	               ul#checklist > li[data-rule] (class met|unmet),
//	               button#finish
//	/done        h1 "Your password has been reset" or "Your account has
//	             been unlocked"
//	help         /help/before-you-begin, /help/faq, /help/contact

// user is a demo account (README.md), with what a user would type.
type user struct {
	id         string
	password   string
	alt        string // alternate email address
	phoneTyped string // the mobile number as a user types it
	phoneE164  string // where the dev outbox says the text went
	answer     string // every security question's answer
}

var (
	alice = user{id: "alice@example.edu", password: "Alice-Old-Password-1", alt: "alice.alt@example.net",
		phoneTyped: "07700 900123", phoneE164: "+447700900123", answer: "blue fox"}
	bob = user{id: "bob@example.edu", password: "Bob-Old-Password-1", alt: "bob.alt@example.net",
		phoneTyped: "07700 900456", phoneE164: "+447700900456"}
)

const (
	h1        = "main#main h1"
	errorSumm = "div#error-summary"
	// focusedSummaryJS is true when the error summary has the focus.
	focusedSummaryJS = `document.activeElement && document.activeElement.id === "error-summary"`
)

// The wizard's steps, with the mouse. Each starts on its page and ends once
// it has submitted; the caller waits for the page that should follow.

// fillStart opens the start page, waits for the wasm and its CAPTCHA, and
// fills in the user id and the CAPTCHA's answer.
func (b *browser) fillStart(userID string) {
	b.t.Helper()
	b.open("/")
	b.waitVisible("form#start-form")
	b.waitCaptcha()
	b.typeInto("input#user", userID)
	b.typeInto("input#captcha-answer", devAnswer)
	b.stepShot("start")
}

// waitCaptcha waits for the CAPTCHA image, which only the client fetches.
func (b *browser) waitCaptcha() {
	b.t.Helper()
	b.waitJS("the CAPTCHA image", `!!document.querySelector('img#captcha-image[src^="data:"]')`)
}

// start goes through the start page to /choose.
func (b *browser) start(userID string) {
	b.t.Helper()
	b.fillStart(userID)
	b.click("button#next")
	b.waitPage("/choose")
}

// chooseIntent picks "reset" or "unlock" and goes on to /verify.
func (b *browser) chooseIntent(intent string) {
	b.t.Helper()
	b.click("input#intent-" + intent)
	b.waitJS("intent-"+intent+" checked", `document.querySelector("input#intent-`+intent+`").checked`)
	b.stepShot("choose-" + intent)
	b.click("button#next")
	b.waitPage("/verify")
}

// words is the catalogue of the language the pages are expected in.
func (b *browser) words() *i18n.Catalog {
	lang := b.lang
	if lang == "" {
		lang = "en"
	}
	return locale.All().Pages(lang)
}

// stepText is "Step n of 2" in the pages' language.
func (b *browser) stepText(n int) string {
	return b.words().T("wizard.step", "step", strconv.Itoa(n), "total", "2")
}

// chooseMethod, on /verify at step n, selects a method: what it asks for
// shows under it.
func (b *browser) chooseMethod(kind string, n int) {
	b.t.Helper()
	b.waitText("span#step", b.stepText(n))
	b.click("input#method-" + kind)
	b.waitVisible("div#method-" + kind + "-reveal")
	b.stepShot(fmt.Sprintf("verify-step%d-%s", n, kind))
}

// passEmail, with "Email my alternate email" selected on /verify, follows
// the guides: click Email, enter the code sent to u's alternate address,
// click Next.
func (b *browser) passEmail(u user) {
	b.t.Helper()
	b.waitVisible("button#send-email")
	n := len(b.env.outbox())
	b.click("button#send-email")
	b.waitPage("/verify/email")
	b.waitVisible("input#code")
	b.waitVisible("button#resend")
	b.waitVisible("a#other-method")
	b.typeInto("input#code", b.env.waitCode(u.alt, n))
	b.stepShot("email-code")
	b.click("button#next")
}

// passSMS, with "Send a text to my mobile phone number" selected on
// /verify, follows the guides: enter your phone number, click Text, enter
// the code, click Next.
func (b *browser) passSMS(u user) {
	b.t.Helper()
	b.typeInto("input#phone", u.phoneTyped)
	b.stepShot("sms")
	n := len(b.env.outbox())
	b.click("button#send-sms")
	b.waitPage("/verify/sms")
	b.waitVisible("input#code")
	b.waitVisible("button#resend")
	b.typeInto("input#code", b.env.waitCode(u.phoneE164, n))
	b.stepShot("sms-code")
	b.click("button#next")
}

// passQuestions, with "Answer my security questions" selected on /verify,
// follows the guides: answer the three questions shown under it, click
// Next.
func (b *browser) passQuestions(answer string) {
	b.t.Helper()
	const fields = `div#method-questions-reveal input[id^="answer-"]`
	b.waitJS("three questions", `document.querySelectorAll('`+fields+`').length === 3`)
	var ids []string
	b.eval(`Array.from(document.querySelectorAll('`+fields+`'), e => e.id)`, &ids)
	for _, id := range ids {
		b.typeInto(`input[id=`+js(id)+`]`, answer)
	}
	b.stepShot("questions")
	b.click("button#questions-next")
}

// waitPassed waits for /verify at step 2 of 2, with kind shown as passed.
func (b *browser) waitPassed(kind string) {
	b.t.Helper()
	b.waitPage("/verify")
	b.waitText("span#step", b.stepText(2))
	sel := "input#method-" + kind
	b.expectJS(sel+" shown as passed (class done, disabled)",
		`(() => { const e = document.querySelector(`+js(sel)+`);
			return !!e && e.classList.contains("done") && e.disabled; })()`)
}

// setPassword, on /new-password, types password twice and finishes.
func (b *browser) setPassword(password string) {
	b.t.Helper()
	b.typeInto("input#password", password)
	b.typeInto("input#confirm", password)
	b.waitVisible("ul#checklist")
	b.stepShot("new-password")
	b.click("button#finish")
}

// waitDone waits for /done and its heading.
func (b *browser) waitDone(heading string) {
	b.t.Helper()
	b.waitPage("/done")
	b.waitText(h1, heading)
	b.stepShot("done")
}

// The same, with the keyboard alone.

// activeInfo describes the focused element.
type activeInfo struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

func (b *browser) active() activeInfo {
	b.t.Helper()
	var a activeInfo
	b.eval(`(() => { const e = document.activeElement || {};
		return {id: e.id || "", type: (e.type || "").toLowerCase(), name: e.name || ""}; })()`, &a)
	return a
}

// tabTo moves the focus to the element with this id with Tab, and inside a
// group of radio buttons with the arrow keys (which also check the radio
// they land on), as a keyboard user does. It never clicks.
func (b *browser) tabTo(id string) {
	b.t.Helper()
	b.waitVisible("#" + id)
	var target activeInfo
	b.eval(`(() => { const e = document.getElementById(`+js(id)+`);
		return {id: e.id, type: (e.type || "").toLowerCase(), name: e.name || ""}; })()`, &target)
	for range 80 {
		a := b.active()
		switch {
		case a.ID == id:
			return
		case target.Type == "radio" && a.Type == "radio" && a.Name != "" && a.Name == target.Name:
			b.key(kb.ArrowDown)
		default:
			b.key(kb.Tab)
		}
	}
	b.fatalf("the keyboard can't reach #%s with Tab (and the arrow keys in its radio group)", id)
}

// typeKeys types text into the focused element.
func (b *browser) typeKeys(id, text string) {
	b.t.Helper()
	b.tabTo(id)
	b.key(text)
	if got := b.value("#" + id); squash(got) != squash(text) {
		b.fatalf("typed %q into #%s, and it holds %q", text, id, got)
	}
}

// press moves the focus to id and presses a key there.
func (b *browser) press(id, key string) {
	b.t.Helper()
	b.tabTo(id)
	b.key(key)
}
