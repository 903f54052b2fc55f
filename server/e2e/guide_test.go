package e2e_test

import (
	"testing"
)

// The guides' own words: these helpers find what a person reading the
// help-desk guide looks for by its visible words, not by the ids the other
// tests use, so that a button renamed or moved fails here as it would fail
// them.

// byWordsJS finds, among the visible elements of kind "label" or
// "button", the one whose text is words, and returns the id of the
// control (a label's field, or the button itself); "" when there is not
// exactly one.
const byWordsJS = `((kind, words) => {
	const norm = s => s.replace(/\s+/g, " ").trim();
	const shown = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
	const hits = Array.from(document.querySelectorAll(kind)).filter(e => shown(e) &&
		(norm(e.innerText) === words || (kind === "label" && norm(e.innerText).startsWith(words + " "))));
	if (hits.length !== 1) return "";
	return kind === "label" ? hits[0].htmlFor : hits[0].id;
})`

// byWords waits for the one visible label or button saying words, and
// returns the selector of its control.
func (b *browser) byWords(kind, words string) string {
	b.t.Helper()
	call := byWordsJS + `(` + js(kind) + `, ` + js(words) + `)`
	b.waitJS("one "+kind+" saying "+words, call+` !== ""`)
	var id string
	b.eval(call, &id)
	return `[id=` + js(id) + `]`
}

// selectWords is the guides' "Select <words>": the radio labelled so.
func (b *browser) selectWords(words string) {
	b.t.Helper()
	b.click(b.byWords("label", words))
}

// clickButton is the guides' "Click <words>" (or "Press", or "Select"
// for a button).
func (b *browser) clickButton(words string) {
	b.t.Helper()
	b.click(b.byWords("button", words))
}

// enterInto is the guides' "Enter <what> into the box": the field
// labelled words.
func (b *browser) enterInto(words, text string) {
	b.t.Helper()
	b.typeInto(b.byWords("label", words), text)
}

// guideToVerify, as alice, follows the guide's steps 2 and 3 to the
// choice of method: the user id and the CAPTCHA, Next; select "I've
// forgotten my password", Next.
func (b *browser) guideToVerify() {
	b.t.Helper()
	b.start(alice.id)
	b.selectWords("I've forgotten my password")
	b.clickButton("Next")
	b.waitPage("/verify")
}

// TestTheGuidesWords follows "Verification Methods" of the help-desk guide
// step by step, by its words: Option 1 (Select Email my alternate email,
// Click Email, Enter the verification code, Click Next), then Option 2
// (Select Send a text to my mobile phone number, Enter your phone number,
// Click Text, Enter the verification code, Select Next), and then the new
// password and Finish.
func TestTheGuidesWords(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.guideToVerify()

	// Option 1. Email my alternate email
	b.selectWords("Email my alternate email")
	n := len(e.outbox())
	b.clickButton("Email")
	b.enterInto("Verification code", e.waitCode(alice.alt, n))
	b.shot("option1")
	b.clickButton("Next")
	b.waitPassed("email")

	// Option 2. Text my mobile phone
	b.selectWords("Send a text to my mobile phone number")
	b.enterInto("Enter your phone number", alice.phoneTyped)
	b.shot("option2")
	n = len(e.outbox())
	b.clickButton("Text")
	b.enterInto("Verification code", e.waitCode(alice.phoneE164, n))
	b.clickButton("Next")

	b.waitPage("/new-password")
	const pw = "Lantern-Guide-Orchard-58"
	b.enterInto("New password", pw)
	b.enterInto("Confirm new password", pw)
	b.clickButton("Finish")
	b.waitDone("Your password has been reset")
	e.wantPasswordChanged(alice.id, alice.password, pw)
}

// TestTheGuidesWordsQuestions follows Option 3 (Select Answer my security
// questions, answer the three randomly presented questions, click Next):
// the questions come under the choice, on the same page.
func TestTheGuidesWordsQuestions(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.guideToVerify()

	b.selectWords("Answer my security questions")
	b.waitJS("three questions shown", `document.querySelectorAll('div#method-questions-reveal label[for^="answer-"]').length === 3`)
	var questions []string
	b.eval(`Array.from(document.querySelectorAll('div#method-questions-reveal label[for^="answer-"]'), l => l.innerText.trim())`, &questions)
	for _, q := range questions {
		b.enterInto(q, alice.answer)
	}
	b.shot("option3")
	b.clickButton("Next")
	b.waitPassed("questions")
}
