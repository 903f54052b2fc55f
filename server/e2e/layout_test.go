package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// overflowJS measures whether the page scrolls sideways, and names the
// first elements that reach past the right edge, for the failure message.
const overflowJS = `(() => {
	const w = document.documentElement.clientWidth;
	const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(typeof e.className === "string" && e.className ? "." + e.className.split(" ")[0] : "");
	const wide = [];
	// Elements, and text that runs out of its element (a long word).
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n && wide.length < 5; n = walk.nextNode()) {
		let right;
		if (n.nodeType === Node.TEXT_NODE) {
			const r = document.createRange();
			r.selectNodeContents(n);
			right = r.getBoundingClientRect().right;
		} else {
			right = n.getBoundingClientRect().right;
		}
		if (right > w + 0.5) wide.push((n.nodeType === Node.TEXT_NODE ? "text in " + name(n.parentElement) : name(n)) + " to " + Math.round(right));
	}
	return {scrollWidth: document.documentElement.scrollWidth, width: w, wide};
})()`

// fitsWidth fails the test when the page scrolls sideways.
func (b *browser) fitsWidth() {
	b.t.Helper()
	var o struct {
		ScrollWidth int      `json:"scrollWidth"`
		Width       int      `json:"width"`
		Wide        []string `json:"wide"`
	}
	b.eval(overflowJS, &o)
	if o.ScrollWidth > o.Width {
		b.t.Errorf("%s at %d px wide scrolls sideways: %d px of content; reaching past the edge: %v",
			b.path(), o.Width, o.ScrollWidth, o.Wide)
	}
}

// TestNarrowScreen: on the narrowest phone the layout supports (320 px),
// no page scrolls sideways: every help page, a whole reset, and the
// registration pages.
func TestNarrowScreen(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.width, b.height = 320, 568
	b.label = "320"
	b.run("a 320 px viewport", chromedp.EmulateViewport(b.width, b.height))

	for _, p := range []string{"/help/before-you-begin", "/help/faq", "/help/contact", "/register"} {
		b.open(p)
		b.fitsWidth()
	}
	b.open("/")
	b.fitsWidth()
	b.start(alice.id)
	b.fitsWidth()
	b.chooseIntent("reset")
	b.fitsWidth()
	b.chooseMethod("sms", 1)
	b.fitsWidth()
	b.passSMS(alice)
	b.waitPassed("sms")
	b.fitsWidth()
	b.chooseMethod("questions", 2)
	b.fitsWidth()
	b.passQuestions(alice.answer)
	b.waitPage("/new-password")
	b.fitsWidth()
	const pw = "Harbour-Violet-Compass-63"
	b.setPassword(pw)
	b.waitDone("Your password has been reset")
	b.fitsWidth()
	b.shot("done-320")
	e.wantPasswordChanged(alice.id, alice.password, pw)

	// Registration, signed in with the new password: the summary, the
	// questions (five selects of long questions) and the password change.
	b.open("/register")
	b.signIn(alice.id, pw)
	b.waitPage("/register/summary")
	b.waitVisible("a#change-questions")
	b.fitsWidth()
	b.click("a#change-questions")
	b.waitPage("/register/questions")
	b.waitJS("five questions", `document.querySelectorAll('select[id^="question-"]').length === 5`)
	b.fitsWidth()
	b.shot("register-questions-320")
	b.open("/register/password")
	b.waitVisible("input#current")
	b.fitsWidth()
}
