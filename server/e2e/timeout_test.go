package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/config"
)

// The time-limit warning (app/ui/timeout.go):
//
//	div#timeout (role=alert, always there): the warning, with
//	button#timeout-continue while the limit can still be extended; then
//	p#timeout-until, focused, saying until when

// TestTimeLimits: a flow, a CAPTCHA and a signed-in session each warn two
// minutes before they run out, in a region screen readers announce, with
// the time by the clock; Continue extends them on the server, and a flow
// at its absolute end says it can't be extended. The lifetimes are made
// short, so that each warning comes within seconds.
func TestTimeLimits(t *testing.T) {
	t.Parallel()
	e := newPortalWith(t, func(c *config.Config) {
		c.Flow.Lifetime = config.Duration{Duration: 2*time.Minute + 15*time.Second}
		c.Flow.MaxLifetime = config.Duration{Duration: 2*time.Minute + 25*time.Second}
		c.Captcha.Lifetime = config.Duration{Duration: 2*time.Minute + 8*time.Second}
		c.Captcha.MaxLifetime = config.Duration{Duration: 10 * time.Minute}
		c.Registration.SessionIdle = config.Duration{Duration: 2*time.Minute + 8*time.Second}
	})
	// serverTime is a time the API answers at path, read by the page.
	serverTime := func(b *browser, path, field string) time.Time {
		b.t.Helper()
		var s string
		b.await(`fetch(`+js(path)+`, {credentials: "same-origin"}).then(r => r.json()).then(j => `+field+`)`, &s)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			b.fatalf("%s: %q: %v", path, s, err)
		}
		return at
	}
	// warned waits for the warning, and checks it is announced and says
	// its words.
	warned := func(b *browser, words string) {
		b.t.Helper()
		b.waitText("div#timeout", words)
		if role := b.attr("div#timeout", "role"); role != "alert" {
			b.t.Errorf("the warning's region has role %q, want alert", role)
		}
	}
	// continued presses Continue and waits for what it says instead.
	continued := func(b *browser) {
		b.t.Helper()
		b.click("button#timeout-continue")
		b.waitText("p#timeout-until", "You now have until")
		b.expectJS("the focus on what Continue bought", `document.activeElement && document.activeElement.id === "timeout-until"`)
		if b.visible("button#timeout-continue") {
			b.t.Error("Continue still shows once pressed")
		}
	}

	// quiet checks that no warning comes back for d: a limit Continue
	// didn't extend would warn again at once.
	quiet := func(b *browser, d time.Duration) {
		b.t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			if b.visible("button#timeout-continue") {
				b.t.Fatal("the warning is back at once: Continue didn't extend the limit")
			}
		}
	}

	t.Run("flow", func(t *testing.T) {
		t.Parallel()
		b := e.newBrowser(t)
		b.start(alice.id)
		b.chooseIntent("reset")
		before := serverTime(b, "/api/v1/flows/current", "j.flow.expires_at")
		warned(b, "For your security, this session will end at "+before.Local().Format("15:04"))
		b.shot("flow-warning")
		continued(b)
		after := serverTime(b, "/api/v1/flows/current", "j.flow.expires_at")
		if !after.After(before) {
			t.Errorf("Continue left the flow expiring at %v (was %v)", after, before)
		}
		// Extended to its absolute end: the next warning offers nothing
		// more.
		warned(b, "can't be made longer")
		if b.visible("button#timeout-continue") {
			t.Error("Continue offered at the flow's absolute end")
		}
		b.shot("flow-final")
		// The flow goes on meanwhile.
		b.chooseMethod("email", 1)
		b.passEmail(alice)
		b.waitPassed("email")
	})

	t.Run("captcha", func(t *testing.T) {
		t.Parallel()
		b := e.newBrowser(t)
		b.fillStart(alice.id)
		warned(b, "This picture stops working at")
		img := b.attr("img#captcha-image", "src")
		continued(b)
		quiet(b, 3*time.Second)
		if b.attr("img#captcha-image", "src") != img {
			t.Error("Continue changed the picture")
		}
		// The same picture, answered before Continue, still counts.
		b.click("button#next")
		b.waitPage("/choose")
	})

	t.Run("session", func(t *testing.T) {
		t.Parallel()
		b := e.newBrowser(t)
		b.open("/register")
		b.signIn(alice.id, alice.password)
		b.waitPage("/register/summary")
		warned(b, "you'll be signed out at")
		continued(b)
		// Reading the session would use it, and so extend it: what shows
		// that Continue did is the page, whose next warning is the new
		// idle timeout less two minutes away, not at once.
		quiet(b, 3*time.Second)
		if !strings.Contains(b.text("main#main h1"), "verification methods") {
			t.Errorf("the summary is gone: %q", b.text("main#main h1"))
		}
	})
}
