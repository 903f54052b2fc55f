package e2e_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The pages before the wasm runs, and without it.

// waitPath waits for a page at path that has loaded, whether or not a
// wasm runs in it.
func (b *browser) waitPath(path string) {
	b.t.Helper()
	b.waitJS("page "+path, `location.pathname === `+js(path)+` && document.readyState === "complete" &&
		!!document.querySelector("main#main h1")`)
}

// TestResetWithoutJavaScript: with JavaScript turned off, alice resets her
// password with the prerendered pages' forms alone: the CAPTCHA is in the
// start page, a wrong code is refused by the server, which says so on the
// page, and the password is reset.
func TestResetWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.run("turning JavaScript off", emulation.SetScriptExecutionDisabled(true))
	b.scriptsOff = true
	b.run("opening /", chromedp.Navigate(e.url+"/"))
	b.waitPath("/")
	b.waitCaptcha()
	b.waitVisible("a#captcha-listen")
	var shown bool
	b.eval(`(() => { const l = document.getElementById("app-wasm-loader"); return !!l && getComputedStyle(l).display !== "none"; })()`, &shown)
	if shown {
		t.Error("the loader says something is loading, with scripts off")
	}
	b.typeInto("input#user", alice.id)
	b.typeInto("input#captcha-answer", devAnswer)
	b.shot("nojs-start")
	b.click("button#next")

	b.waitPath("/choose")
	b.click("input#intent-reset")
	b.click("button#next")
	b.waitPath("/verify")
	// The guides' sequence without scripts: the stylesheet reveals the
	// chosen method's Email button under it.
	if b.visible("button#send-email") {
		t.Error("Email shown before its method is selected")
	}
	b.click("input#method-email")
	n := len(e.outbox())
	b.click("button#send-email")
	b.waitPath("/verify/email")
	b.waitVisible("input#code")
	code := e.waitCode(alice.alt, n)
	b.typeInto("input#code", "00000000")
	b.click("button#next")
	b.waitText(errorSumm, "didn't match")
	b.waitVisible("p#code-error")
	b.shot("nojs-wrong-code")
	b.typeInto("input#code", code)
	b.click("button#next")

	b.waitPath("/verify")
	b.click("input#method-sms")
	b.typeInto("input#phone", "07700 900999")
	b.click("button#send-sms")
	// A wrong number is refused under the field, the choice kept.
	b.waitVisible("p#phone-error")
	b.expectJS("sms still chosen", `document.querySelector("input#method-sms").checked`)
	b.shot("nojs-wrong-phone")
	b.typeInto("input#phone", alice.phoneTyped)
	n = len(e.outbox())
	b.click("button#send-sms")
	b.waitPath("/verify/sms")
	b.waitVisible("input#code")
	b.typeInto("input#code", e.waitCode(alice.phoneE164, n))
	b.click("button#next")

	b.waitPath("/new-password")
	b.waitVisible("ul#checklist")
	const pw = "Quiet-Harbour-Lantern-73"
	b.typeInto("input#password", pw)
	b.typeInto("input#confirm", pw)
	b.click("button#finish")
	b.waitPath("/done")
	b.waitText(h1, "Your password has been reset")
	b.shot("nojs-done")
	e.wantPasswordChanged(alice.id, alice.password, pw)
}

// TestTypingBeforeTheWasmIsKept: on a slow connection and a slow phone, a
// person types into the prerendered start page before the wasm has
// arrived; when it takes over, what they typed, the focus and the caret
// are all still there, and the CAPTCHA is the one they answered.
func TestTypingBeforeTheWasmIsKept(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	// A slow link (app.wasm takes seconds), no cache, and a CPU four times
	// slower: the wasm arrives well after the person starts typing.
	b.run("throttling", network.Enable(), network.SetCacheDisabled(true),
		network.EmulateNetworkConditions(false, 20, 150*1024, 150*1024),
		emulation.SetCPUThrottlingRate(4))
	b.run("opening /", chromedp.Navigate(e.url+"/"))
	b.waitPath("/")
	b.waitCaptcha()
	img := b.attr("img#captcha-image", "src")
	b.typeInto("input#user", "alice")
	b.typeInto("input#captcha-answer", devAnswer)
	// The caret in the middle of the user id, as if they went back to fix
	// it.
	b.run("moving the caret", chromedp.Focus("input#user", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("input#user").setSelectionRange(2, 2)`, nil))
	if b.exists("main#main[data-ready]") {
		t.Fatal("the wasm was ready before anything was typed: the test proves nothing")
	}
	b.waitJS("the wasm to take over the page", readyJS)
	if got := b.value("input#user"); got != "alice" {
		t.Errorf("after the wasm took over, the user id is %q", got)
	}
	if got := b.value("input#captcha-answer"); got != devAnswer {
		t.Errorf("after the wasm took over, the CAPTCHA answer is %q", got)
	}
	if got := b.attr("img#captcha-image", "src"); got != img {
		t.Error("the wasm replaced the CAPTCHA that was answered")
	}
	var caret struct {
		ID    string `json:"id"`
		Start int    `json:"start"`
		End   int    `json:"end"`
	}
	b.eval(`(() => { const a = document.activeElement; return {id: a.id, start: a.selectionStart, end: a.selectionEnd}; })()`, &caret)
	if caret.ID != "user" || caret.Start != 2 || caret.End != 2 {
		t.Errorf("focus and caret after the takeover: %+v, want user 2-2", caret)
	}
	// The wasm sends the form itself now.
	b.click("button#next")
	b.waitPage("/choose")
}

// TestAFormSentBeforeTheWasm: on the same slow phone, the start form is
// sent before the wasm has arrived, and the server takes it; on the next
// page the choice is made before the wasm arrives there too, and it is
// still made once the wasm has taken over.
func TestAFormSentBeforeTheWasm(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.run("throttling", network.Enable(), network.SetCacheDisabled(true),
		network.EmulateNetworkConditions(false, 20, 150*1024, 150*1024),
		emulation.SetCPUThrottlingRate(4))
	b.run("opening /", chromedp.Navigate(e.url+"/"))
	b.waitPath("/")
	b.waitCaptcha()
	b.typeInto("input#user", "bob")
	b.typeInto("input#captcha-answer", devAnswer)
	if b.exists("main#main[data-ready]") {
		t.Fatal("the wasm was ready before the form was sent: the test proves nothing")
	}
	b.click("button#next")
	b.waitPath("/choose")
	b.click("input#intent-unlock")
	if b.exists("main#main[data-ready]") {
		t.Fatal("the wasm was ready before the choice: the test proves nothing")
	}
	b.waitJS("the wasm to take over the page", readyJS)
	b.expectJS("the unlock choice kept", `document.querySelector("input#intent-unlock").checked`)
	b.run("full speed", network.EmulateNetworkConditions(false, 0, -1, -1), emulation.SetCPUThrottlingRate(1))
	b.click("button#next")
	b.waitPage("/verify")
	b.waitText("#method-hint", "unlocked")
}

// TestTheWasmWaitsForThePerson: on a cold visit to a page whose forms work
// without the wasm, app.js downloads and compiles app.wasm at once but
// runs it, seconds of the main thread on a slow phone, only when the
// person first does something with the page (server/web's untilNeeded);
// no loading bar shows until then. A warm visit, which the service worker
// serves, and a page that needs the wasm run it at once.
func TestTheWasmWaitsForThePerson(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.run("opening /", chromedp.Navigate(e.url+"/"))
	b.waitJS("app.wasm compiled", `performance.getEntriesByName("sspr:wasm-compiled").length > 0`)
	time.Sleep(500 * time.Millisecond) // time enough to have run, were it going to
	if b.exists("main#main[data-ready]") {
		t.Fatal("the wasm took over a cold start page nobody touched")
	}
	var loading bool
	b.eval(`document.documentElement.classList.contains("sspr-loading")`, &loading)
	if loading {
		t.Error("the loading bar shows while nothing is loading")
	}
	b.run("focusing the user id", chromedp.Focus("input#user", chromedp.ByQuery))
	b.key("a")
	b.waitJS("the wasm to take over once touched", readyJS)
	// What was typed goes back into the page the wasm drew in a deferred
	// step of its own, which may come a moment after data-ready.
	b.expectJS(`the key that started the wasm in the user id ("a")`, `document.querySelector("input#user").value === "a"`)

	// Warm: the service worker controls the page, and a reload runs the
	// wasm untouched.
	b.waitJS("the service worker to control the page", `navigator.serviceWorker.controller`)
	b.run("reloading", chromedp.Reload())
	b.waitJS("the wasm to take over a warm visit untouched", readyJS)

	// The registration's sign-in has no form that works without the wasm.
	r := e.newBrowser(t)
	r.run("opening /register", chromedp.Navigate(e.url+"/register"))
	r.waitJS("the wasm to take over the sign-in untouched", readyJS)
}
