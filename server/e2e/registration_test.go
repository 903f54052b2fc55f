package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/config"
)

// The registration pages' element IDs (the contract with app/ui):
//
//	/register           input#user, input#password, img#captcha-image,
//	                    button#captcha-new, a#captcha-listen,
//	                    input#captcha-answer, button#sign-in; div#notice
//	                    when a session had ended
//	/register/summary   p#registration-status, p#reconfirm (when due),
//	                    div#method-email|sms|questions with
//	                    a#add-<kind> or a#change-<kind>, button#remove-<kind>;
//	                    a#change-password, button#sign-out; div#notice
//	/register/email     input#email, button#send-code, then input#code,
//	                    button#confirm, button#again
//	/register/sms       input#phone, button#send-code, then as email
//	/register/questions select#question-<n>, input#answer-<n> (n from 1),
//	                    button#save
//	/register/password  input#current, input#new, input#confirm,
//	                    input#show-password, ul#checklist, button#change;
//	                    then h1 "Your password has been changed"
//	any of them, when a change needs the password typed again:
//	                    form#reauth with input#reauth-password and
//	                    button#reauth-continue; then div#notice

// carol is registered for nothing until she registers here.
var carol = user{id: "carol@example.edu", password: "Carol-Old-Password-1", alt: "carol.alt@example.net",
	phoneTyped: "07700 900321", phoneE164: "+447700900321"}

// signIn, on /register, signs in as id with password. It returns the
// CAPTCHA's image, which the sign-in spends.
func (b *browser) signIn(id, password string) string {
	b.t.Helper()
	b.waitPage("/register")
	b.waitVisible("form#sign-in-form")
	b.waitCaptcha()
	b.typeInto("input#user", id)
	b.typeInto("input#password", password)
	b.typeInto("input#captcha-answer", devAnswer)
	img := b.attr("img#captcha-image", "src")
	b.click("button#sign-in")
	return img
}

// newCaptchaAfter waits for a CAPTCHA other than the one whose image was
// old: a refused sign-in spends it.
func (b *browser) newCaptchaAfter(old string) {
	b.t.Helper()
	b.waitJS("a new CAPTCHA", `(() => { const i = document.querySelector("img#captcha-image");
		return i && i.src.startsWith("data:") && i.src !== `+js(old)+`; })()`)
}

// selectOption picks value in the select sel, as choosing it does.
func (b *browser) selectOption(sel, value string) {
	b.t.Helper()
	b.waitJS(sel+" to show, enabled", visibleJS(sel)+` && !document.querySelector(`+js(sel)+`).disabled`)
	var got string
	b.eval(`(() => { const e = document.querySelector(`+js(sel)+`); e.value = `+js(value)+`;
		e.dispatchEvent(new Event("change", {bubbles: true})); return e.value; })()`, &got)
	if got != value {
		b.fatalf("chose %q in %s, and it holds %q", value, sel, got)
	}
}

// registerCode, on the summary, adds the method kind ("email" or "sms")
// with the value typed into field, and the code that reaches to.
func (b *browser) registerCode(kind, field, value, to string) {
	b.t.Helper()
	b.click("a#add-" + kind)
	b.waitPage("/register/" + kind)
	b.typeInto("input#"+field, value)
	b.shot("register-" + kind)
	n := len(b.env.outbox())
	b.click("button#send-code")
	b.waitVisible("input#code")
	b.waitVisible("button#again")
	b.typeInto("input#code", b.env.waitCode(to, n))
	b.shot("register-" + kind + "-code")
	b.click("button#confirm")
	b.waitPage("/register/summary")
	b.waitVisible("a#change-" + kind)
	b.waitVisible("button#remove-" + kind)
}

// TestRegisterThenReset: carol, registered for nothing, signs in from the
// start page's link, registers an alternate address, a mobile number and
// five questions, removes one method and is refused a second, signs out,
// then resets her password with an emailed code and a text.
func TestRegisterThenReset(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.everyStep = true
	b.open("/")
	b.click("a#register-link")
	b.waitPage("/register")
	b.waitVisible("input#password")
	if ac := b.attr("input#password", "autocomplete"); ac != "current-password" {
		t.Errorf("input#password autocomplete = %q, want current-password", ac)
	}
	for _, sel := range []string{"button#captcha-new", "#captcha-listen", "input#captcha-answer"} {
		b.waitVisible(sel)
	}
	b.waitCaptcha()
	b.shot("sign-in")
	b.signIn(carol.id, carol.password)
	b.waitPage("/register/summary")
	b.waitText("p#registration-status", "isn't complete")
	for _, k := range []string{"email", "sms", "questions"} {
		b.waitVisible("div#method-" + k + " a#add-" + k)
	}
	b.shot("summary-empty")

	b.registerCode("email", "email", carol.alt, carol.alt)
	b.waitText("div#notice", "registered")
	b.waitText("div#method-email", "@example.net")
	b.registerCode("sms", "phone", carol.phoneTyped, carol.phoneE164)
	b.waitText("div#method-sms", "21")

	b.click("a#add-questions")
	b.waitPage("/register/questions")
	b.waitJS("five questions", `document.querySelectorAll('select[id^="question-"]').length === 5 &&
		document.querySelectorAll('input[id^="answer-"]').length === 5`)
	b.waitVisible("#questions-hint")
	var ids []string
	// The first option is "Choose a question".
	b.eval(`Array.from(document.querySelectorAll("select#question-1 option"), o => o.value).slice(1)`, &ids)
	if len(ids) < 5 {
		b.fatalf("the catalogue offers %d questions: %q", len(ids), ids)
	}
	for i, answer := range []string{"Pickles", "Morecambe", "Jo Smith", "Tuesday", "Lima"} {
		b.selectOption(fmt.Sprintf("select#question-%d", i+1), ids[i])
		b.typeInto(fmt.Sprintf("input#answer-%d", i+1), answer)
	}
	// A question chosen in one row is taken in the others.
	b.expectJS("question 1's choice disabled in row 2",
		`document.querySelector('select#question-2 option[value=`+js(ids[0])+`]').disabled`)
	b.shot("register-questions")
	b.click("button#save")
	b.waitPage("/register/summary")
	b.waitText("p#registration-status", "is complete")
	b.waitText("div#method-questions", "5 questions answered")
	b.waitVisible("a#change-questions")
	b.shot("summary-complete")

	// One method can go; a second would leave fewer than a reset needs.
	b.click("button#remove-questions")
	b.waitVisible("div#method-questions a#add-questions")
	b.waitText("div#notice", "removed")
	b.click("button#remove-sms")
	b.waitText(errorSumm, "You can't remove this method")
	b.expectJS("the focus on the error summary", focusedSummaryJS)
	b.waitVisible("a#change-sms")
	b.shot("summary-refused")

	b.click("button#sign-out")
	b.waitPage("/")
	b.waitVisible("form#start-form")

	b.start(carol.id)
	b.chooseIntent("reset")
	b.chooseMethod("email", 1)
	b.passEmail(carol)
	b.waitPassed("email")
	b.chooseMethod("sms", 2)
	b.passSMS(carol)
	b.waitPage("/new-password")
	const pw = "Brand-New-Passphrase-For-C"
	b.setPassword(pw)
	b.waitDone("Your password has been reset")

	e.wantPasswordChanged(carol.id, carol.password, pw)
}

// TestChangePassword: a wrong password and a locked account are refused
// at sign-in; alice signs in and changes her password, a wrong current
// password refused first; the session ends with the change.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.open("/register")

	spent := b.signIn(alice.id, "Not-Her-Password-9")
	b.waitVisible(errorSumm + ` a[href="#password"]`)
	b.expectJS("the focus on the error summary", focusedSummaryJS)
	b.waitVisible("p#password-error")
	if v := b.value("input#password"); v != "" {
		t.Errorf("the refused password stays in its box: %q", v)
	}
	b.shot("sign-in-wrong")
	if p := b.path(); p != "/register" {
		t.Errorf("a wrong password went to %s", p)
	}

	// bob is locked: he is sent to unlock his account first.
	b.newCaptchaAfter(spent)
	spent = b.signIn(bob.id, bob.password)
	b.waitText(errorSumm, "locked")
	b.waitVisible(errorSumm + ` a[href="/"]`)
	b.shot("sign-in-locked")

	b.newCaptchaAfter(spent)
	b.signIn(alice.id, alice.password)
	b.waitPage("/register/summary")
	b.waitText("p#registration-status", "is complete")
	b.click("a#change-password")
	b.waitPage("/register/password")
	b.waitVisible("input#current")
	if ac := b.attr("input#current", "autocomplete"); ac != "current-password" {
		t.Errorf("input#current autocomplete = %q, want current-password", ac)
	}
	if ac := b.attr("input#new", "autocomplete"); ac != "new-password" {
		t.Errorf("input#new autocomplete = %q, want new-password", ac)
	}

	const pw = "Quiet-Harbour-Lantern-73"
	b.typeInto("input#current", "Not-Her-Password-9")
	b.typeInto("input#new", pw)
	b.typeInto("input#confirm", pw)
	b.waitJS("a checklist of the rules", `document.querySelectorAll("ul#checklist li[data-rule]").length > 0`)
	b.waitJS("the length rule met", `document.querySelector('ul#checklist li[data-rule="min_length"].met')`)
	b.click("input#show-password")
	b.waitJS("the password shown", `document.querySelector("input#new").type === "text"`)
	b.shot("change-password")
	b.click("button#change")
	b.waitVisible(errorSumm + ` a[href="#current"]`)
	b.waitVisible("p#current-error")
	b.shot("change-password-wrong")

	b.typeInto("input#current", alice.password)
	b.click("button#change")
	b.waitText(h1, "Your password has been changed")
	b.waitText("main#main", "eduroam")
	b.waitText("main#main", "signed out")
	b.shot("changed")

	e.wantPasswordChanged(alice.id, alice.password, pw)

	// The change ended the session: a signed-in page sends her to sign in
	// again, and says why.
	b.open("/register/summary")
	b.waitPage("/register")
	b.waitText("div#notice", "Your session has ended")
	b.shot("session-ended")
}

// TestChangesAskForThePasswordAgain: once the password was typed longer ago
// than registration.reauth_after, a change to the methods asks for it
// again, on the page itself; what was typed there stays, and the change
// then goes through.
func TestChangesAskForThePasswordAgain(t *testing.T) {
	t.Parallel()
	e := newPortalWith(t, func(c *config.Config) { c.Registration.ReauthAfter = config.Duration{Duration: 3 * time.Second} })
	b := e.newBrowser(t)
	b.open("/register")
	b.signIn(carol.id, carol.password)
	b.waitPage("/register/summary")
	time.Sleep(3 * time.Second) // the password was typed too long ago
	b.click("a#add-email")
	b.waitPage("/register/email")
	b.typeInto("input#email", carol.alt)
	b.click("button#send-code")
	b.waitVisible("form#reauth input#reauth-password")
	b.expectJS("the focus in the password box", `document.activeElement && document.activeElement.id === "reauth-password"`)
	if v := b.value("input#email"); v != carol.alt {
		t.Errorf("the address typed is gone: %q", v)
	}
	b.shot("reauth")
	b.typeInto("input#reauth-password", "Not-Her-Password-9")
	b.click("button#reauth-continue")
	b.waitVisible("p#reauth-password-error")
	b.typeInto("input#reauth-password", carol.password)
	b.click("button#reauth-continue")
	b.waitText("div#notice", "make your change again")
	n := len(e.outbox())
	b.click("button#send-code")
	b.waitVisible("input#code")
	b.typeInto("input#code", e.waitCode(carol.alt, n))
	b.click("button#confirm")
	b.waitPage("/register/summary")
	b.waitText("div#method-email", "@example.net")
}

// TestSignInReturnsToThePage: the link in a reminder that a password
// expires (/register/password) asks a person who is not signed in to sign
// in, and then takes them to the page it named.
func TestSignInReturnsToThePage(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.open("/register/password")
	b.signIn(alice.id, alice.password)
	b.waitPage("/register/password")
	b.waitVisible("input#current")
}
