package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// back is the browser's Back button.
func (b *browser) back() {
	b.t.Helper()
	b.run("going back", chromedp.Evaluate(`history.back()`, nil))
}

// TestBackButton: the browser's Back moves between the wizard's steps
// without breaking the flow. Back from the methods shows the choice, still
// made; back from a method's page shows the methods; once the methods have
// passed, Back can't reopen them (the flow has moved on to the new
// password), and after the reset it can't reopen the finished flow either.
func TestBackButton(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.start(alice.id)
	b.chooseIntent("reset")

	b.back()
	b.waitPage("/choose")
	b.expectJS("the choice made before still chosen", `document.querySelector("input#intent-reset").checked`)
	b.shot("back-to-choose")
	b.click("button#next")
	b.waitPage("/verify")

	b.chooseMethod("email", 1)
	n := len(b.env.outbox())
	b.click("button#send-email")
	b.waitPage("/verify/email")
	b.waitVisible("input#code")
	b.back()
	b.waitPage("/verify")
	b.waitText("span#step", "Step 1 of 2")
	// The code sent still works: the choice offers to type it, and sends
	// no other.
	b.chooseMethod("email", 1)
	b.click("button#enter-code-email")
	b.waitPage("/verify/email")
	b.typeInto("input#code", b.env.waitCode(alice.alt, n))
	b.click("button#next")
	b.waitPassed("email")
	if got := len(b.env.outbox()); got != n+1 {
		t.Errorf("%d messages sent, want 1", got-n)
	}
	b.chooseMethod("questions", 2)
	b.passQuestions(alice.answer)
	b.waitPage("/new-password")

	b.back()
	b.waitPage("/new-password")
	b.shot("back-from-new-password")
	const pw = "Kettle-Meadow-Signal-47"
	b.setPassword(pw)
	b.waitDone("Your password has been reset")

	b.back()
	b.waitPage("/done")
	b.waitText(h1, "Your password has been reset")
	b.shot("back-from-done")
	e.wantPasswordChanged(alice.id, alice.password, pw)
}
