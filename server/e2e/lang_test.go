package e2e_test

import (
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/i18n"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/notify"
)

// TestResetInEachLanguage: alice chooses her language with the switch on
// the start page, and resets her password in it, by email and text, as
// the guides show: every page in her language (its lang and dir), the
// choice remembered across pages and a reload, the API's refusals and the
// emailed code in it too, and in Arabic the page mirrored.
func TestResetInEachLanguage(t *testing.T) {
	for _, lang := range locale.Known[1:] { // English: every other test
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			e := newPortal(t)
			b := e.newBrowser(t)
			b.label = lang
			w := locale.All().Pages(lang)
			b.open("/")
			b.waitVisible("form#start-form")
			// The link's first box is its text for screen readers, hidden:
			// a mouse at its centre would miss; activate the link itself.
			var ignored bool
			b.eval(`document.querySelector('.language-select a[hreflang="`+lang+`"]').click() || true`, &ignored)
			b.lang = lang
			b.waitJS("the page in "+lang, `document.documentElement.lang === `+js(lang))
			b.waitReady()
			b.waitText(h1, w.T("start.heading"))
			if dir := b.attr("html", "dir"); dir != i18n.Dir(lang) {
				t.Errorf("dir %q, want %q", dir, i18n.Dir(lang))
			}
			var u string
			b.eval(`location.href`, &u)
			if strings.Contains(u, "lang=") {
				t.Errorf("the address keeps the choice: %s", u)
			}
			// The language shown is marked, and not a link.
			b.waitText(`.language-select [aria-current="true"]`, w.T("lang."+lang))
			b.shot("start-" + lang)

			// Remembered: a reload, and every page after.
			b.reload()
			b.waitText(h1, w.T("start.heading"))
			b.start(alice.id)
			b.waitText(h1, w.T("choose.heading"))
			b.chooseIntent("reset")
			b.waitText(h1, w.T("verify.heading"))
			if lang == "ar" {
				b.wantMirrored("a.back-link")
			}
			b.chooseMethod("email", 1)

			// A wrong code: the API's refusal in her language.
			n := len(e.outbox())
			b.click("button#send-email")
			b.waitVisible("input#code")
			code := e.waitCode(alice.alt, n)
			if m := e.outbox()[n]; m.Subject != codeSubject(t, lang, e.cfg.Organisation.Name) {
				t.Errorf("the code's email is %q, not in %s", m.Subject, lang)
			}
			b.typeInto("input#code", wrongCode(code))
			b.click("button#next")
			b.waitText("#error-summary", locale.All().Message(lang, "That code didn't match. Check it and try again."))
			b.checkA11y("wrong-code")
			b.typeInto("input#code", code)
			b.click("button#next")
			b.waitPassed("email")
			b.chooseMethod("sms", 2)
			b.passSMS(alice)
			b.waitPage("/new-password")
			b.waitJS("a checklist of the rules", `document.querySelectorAll("ul#checklist li[data-rule]").length > 0`)
			if lang == "ar" {
				b.wantMirrored("ul#checklist li")
			}
			const pw = "Correct-Horse-Battery-42"
			b.setPassword(pw)
			b.waitDone(w.T("done.reset_heading"))
			b.shot("done-" + lang)
			e.wantPasswordChanged(alice.id, alice.password, pw)
		})
	}
}

// wantMirrored checks that sel sits on the right of a right-to-left page:
// its right edge near the content's, and its left edge well away from the
// page's left side.
func (b *browser) wantMirrored(sel string) {
	b.t.Helper()
	var r struct{ Left, Right, Main float64 }
	b.eval(`(() => { const e = document.querySelector(`+js(sel)+`).getBoundingClientRect();
		const m = document.querySelector("main").getBoundingClientRect();
		return {left: e.left - m.left, right: m.right - e.right, main: m.width}; })()`, &r)
	if r.Right > 40 || r.Left < r.Right {
		b.t.Errorf("%s is not on the right of the mirrored page: %.0f px from the left of main, %.0f from its right (main %.0f wide)",
			sel, r.Left, r.Right, r.Main)
	}
}

// codeSubject is the subject of the code's email in lang.
func codeSubject(t *testing.T, lang, org string) string {
	t.Helper()
	tpl, err := notify.LoadTemplates("", lang)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render(notify.Message{Channel: notify.Email, Kind: notify.KindCode, Code: "1",
		Data: &notify.Data{Org: org, Code: "1", Minutes: 10}})
	if err != nil {
		t.Fatal(err)
	}
	return m.Subject
}

// wrongCode is a code of the same length that is not code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
