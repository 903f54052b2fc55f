package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
)

// The console's element IDs (the contract with app/desk):
//
//	/desk          input#desk-user, input#desk-password,
//	               button#desk-continue; then input#desk-method-<kind>,
//	               button#desk-send, input#desk-code, button#desk-sign-in
//	every page     strong#staff-user, a#nav-person, a#nav-coverage,
//	               button#sign-out once signed in
//	/desk/person   input#desk-q, button#desk-find, #desk-results;
//	               ?user=: section#person, dd in div#fact-account,
//	               #fact-self-service, #fact-registration;
//	               input#desk-ticket, input#desk-reason,
//	               button#desk-unlock (locked), #desk-lift-block
//	               (blocked), #desk-clear-registration (registered),
//	               #desk-recovery-pass, then strong#recovery-pass;
//	               table#timeline
//	/desk/coverage p#coverage-summary, table#coverage (a row per unit)

// helpdesk is the demo service-desk member (README.md).
var helpdesk = user{id: "helpdesk@example.edu", password: "Helpdesk-Old-Password-1", alt: "helpdesk.alt@example.net"}

// deskSignIn signs u in to the console: the password, then a code sent
// to their alternate address.
func (b *browser) deskSignIn(u user) {
	b.t.Helper()
	b.open("/desk")
	b.typeInto("input#desk-user", u.id)
	b.typeInto("input#desk-password", u.password)
	b.click("button#desk-continue")
	b.waitJS("the email method chosen", `(() => { const r = document.querySelector("input#desk-method-email");
		return r && r.checked; })()`)
	n := len(b.env.outbox())
	b.click("button#desk-send")
	b.typeInto("input#desk-code", b.env.waitCode(u.alt, n))
	b.click("button#desk-sign-in")
	b.waitPage("/desk/person")
	b.waitText("strong#staff-user", u.id)
}

// find looks a person up from the search box, by user id, and waits for
// their page.
func (b *browser) find(term, id string) {
	b.t.Helper()
	b.typeInto("input#desk-q", term)
	b.click("button#desk-find")
	b.waitJS("the page of "+id, `location.search.includes(`+js("user="+strings.ReplaceAll(id, "@", "%40"))+`) &&
		!!document.querySelector("section#person h2")`)
}

// deskAct fills in the ticket and the reason and presses the button sel.
func (b *browser) deskAct(sel, ticket, reason string) {
	b.t.Helper()
	b.typeInto("input#desk-ticket", ticket)
	b.typeInto("input#desk-reason", reason)
	b.click(sel)
}

// waitEvent waits for the timeline to show a row of the event (its words)
// that says each of what.
func (b *browser) waitEvent(event string, what ...string) {
	b.t.Helper()
	want, _ := json.Marshal(append([]string{event}, what...))
	b.waitJS("a timeline row: "+string(want), `Array.from(document.querySelectorAll("table#timeline tbody tr")).some(
		(tr) => `+string(want)+`.every((w) => tr.textContent.includes(w)))`)
}

// blockByWrongNumbers starts flows for u through the API and types wrong
// mobile numbers until self-service is paused for the account.
func (e *env) blockByWrongNumbers(u user) {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: e.hc.Timeout}
	call := func(method, path string, in any) (int, []byte) {
		var body io.Reader
		if in != nil {
			b, _ := json.Marshal(in)
			body = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, e.url+path, body)
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	for range 10 {
		status, b := call("POST", api.PathCaptcha, struct{}{})
		var cp api.Captcha
		if err := json.Unmarshal(b, &cp); err != nil || status != http.StatusCreated && status != http.StatusOK {
			e.t.Fatalf("CAPTCHA: %d %s", status, b)
		}
		status, b = call("POST", api.PathFlows, api.StartRequest{User: u.id, Captcha: api.CaptchaRef{ID: cp.ID, Answer: devAnswer}})
		if status == http.StatusTooManyRequests {
			return // paused
		}
		if status != http.StatusCreated {
			e.t.Fatalf("starting a flow for %s: %d %s", u.id, status, b)
		}
		if status, b = call("POST", api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}); status != http.StatusOK {
			e.t.Fatalf("intent: %d %s", status, b)
		}
		status, b = call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "07700 900999"})
		if status == http.StatusTooManyRequests {
			return
		}
		if !strings.Contains(string(b), string(api.CodePhoneMismatch)) {
			e.t.Fatalf("a wrong number: %d %s", status, b)
		}
	}
	e.t.Fatalf("%s was never paused", u.id)
}

// TestServiceDesk: the service desk signs in to the console with a
// password and a code, finds bob locked and unlocks him (and bob signs in
// with his password), finds alice paused after wrong mobile numbers and
// lifts the pause, issues a recovery pass to carol, who has nothing
// registered, and carol resets her password with it in the wizard and is
// sent to register. Each action is in the person's timeline with the
// staff member's id.
func TestServiceDesk(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	e.blockByWrongNumbers(alice)
	if !e.locked(bob.id) {
		t.Fatal("bob is not locked before the test")
	}

	d := e.newBrowser(t)
	d.label = "desk"
	d.deskSignIn(helpdesk)
	d.shot("console")

	// bob: locked, unlocked under a ticket.
	d.find("bob", bob.id)
	d.waitText("div#fact-account", "Locked")
	d.waitJS("when bob's password was set", `/\d{4} \d\d:\d\d$/.test(document.querySelector("div#fact-password-set dd").textContent)`)
	d.shot("bob-locked")
	d.deskAct("button#desk-unlock", "INC0012345", "Called from his office phone; identity checked with his staff card.")
	d.waitText("div#notice", "Account unlocked")
	d.waitText("div#fact-account", "Active")
	d.waitEvent("desk unlock", "ok", helpdesk.id, "INC0012345")
	d.shot("bob-unlocked")
	if e.locked(bob.id) {
		t.Fatal("the directory still shows bob locked")
	}
	if !e.passwordWorks(bob.id, bob.password) {
		t.Fatal("bob's password no longer works")
	}
	bb := e.newBrowser(t)
	bb.label = "bob"
	bb.open("/register")
	bb.signIn(bob.id, bob.password)
	bb.waitPage("/register/summary")

	// bob's registration cleared, once the desk said yes to "are you sure".
	d.typeInto("input#desk-ticket", "INC0012399")
	d.typeInto("input#desk-reason", "Asked for it: his phone was stolen.")
	d.click("button#desk-clear-registration")
	d.waitText("div#confirm-clear", "removes every method")
	d.click("button#desk-clear-confirm")
	d.waitText("div#notice", "Registration cleared")
	d.waitText("div#fact-registration", "Not complete")
	d.waitEvent("desk clear registration", "ok", helpdesk.id, "INC0012399")
	if d.value("input#desk-ticket") != "" {
		t.Error("the ticket stays in its field after the action")
	}

	// alice: paused after wrong numbers; the pause lifted.
	d.find("alice@example.edu", alice.id)
	d.waitText("div#fact-self-service", "paused")
	d.shot("alice-blocked")
	d.deskAct("button#desk-lift-block", "INC0012346", "Mistyped her number; she has her phone with her.")
	d.waitText("div#notice", "Block lifted")
	d.waitText("div#fact-self-service", "Not paused")
	d.waitEvent("desk lift block", "ok", helpdesk.id, "INC0012346")

	// carol: nothing registered; a recovery pass, shown once.
	d.find("Carol", carol.id)
	d.waitText("div#fact-registration", "Not complete")
	d.deskAct("button#desk-recovery-pass", "INC0012347", "Lost every method; seen in person with her card.")
	d.waitVisible("strong#recovery-pass")
	pass := d.text("strong#recovery-pass")
	if len(pass) != 14 {
		t.Fatalf("recovery pass %q", pass)
	}
	d.waitEvent("desk recovery pass", "ok", helpdesk.id, "INC0012347")
	d.shot("carol-pass")

	c := e.newBrowser(t)
	c.label = "carol"
	c.start(carol.id)
	c.chooseIntent("reset")
	c.click("a#no-methods")
	c.waitJS("the recovery pass page", `location.pathname === "/verify/pass" && !!document.querySelector("input#pass")`)
	c.typeInto("input#pass", strings.ToLower(pass))
	c.click("button#next")
	c.waitPage("/new-password")
	const next = "Lantern-Meadow-Quiet-42"
	c.typeInto("input#password", next)
	c.typeInto("input#confirm", next)
	c.click("button#finish")
	c.waitPage("/done")
	c.waitText(h1, "Your password has been reset")
	c.waitVisible("a#register-again")
	e.wantPasswordChanged(carol.id, carol.password, next)
	c.click("a#register-again")
	c.waitPage("/register")

	// The pass died on use: the desk's page of carol says so.
	d.find("carol@example.edu", carol.id)
	d.waitEvent("recovery pass used")
	if strings.Contains(d.text("main#main"), pass) {
		t.Error("the pass is shown again")
	}

	// Who could reset today, over all and by the demo's units.
	d.click("a#nav-coverage")
	d.waitPage("/desk/coverage")
	d.waitText("p#coverage-summary", "could reset their password today")
	d.waitText("table#coverage", "All accounts")
	d.waitText("table#coverage", "students/physics")
	d.shot("coverage")

	d.click("button#sign-out")
	d.waitPage("/desk")
	d.waitVisible("input#desk-user")
}

// TestConsoleRefusesOthers: a signed-out browser, and a student signed in
// to their own registration, get nothing from the console's API, and the
// console's pages show them the sign-in only; a student's right password
// gets what a wrong one gets.
func TestConsoleRefusesOthers(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	fetchStatus := func(path string) int {
		var status int
		b.await(`fetch(`+js(path)+`, {credentials: "same-origin"}).then((r) => r.status)`, &status)
		return status
	}
	paths := []string{deskapi.PathSession, deskapi.PathPeople + "?user=bob", deskapi.PathSearch + "?q=bob"}

	b.open("/desk/person?user=bob@example.edu")
	b.waitPage("/desk")
	b.waitVisible("input#desk-user")
	for _, p := range paths {
		if s := fetchStatus(p); s != http.StatusUnauthorized {
			t.Errorf("signed out: GET %s = %d, want 401", p, s)
		}
	}

	// alice signs in to register: her session opens nothing here.
	b.open("/register")
	b.signIn(alice.id, alice.password)
	b.waitPage("/register/summary")
	for _, p := range paths {
		if s := fetchStatus(p); s != http.StatusUnauthorized {
			t.Errorf("a student: GET %s = %d, want 401", p, s)
		}
	}
	b.open("/desk")
	b.typeInto("input#desk-user", alice.id)
	b.typeInto("input#desk-password", alice.password)
	b.click("button#desk-continue")
	b.waitVisible(errorSumm)
	right := b.text(errorSumm)
	asked := e.servedCount(deskapi.PathSession)
	b.typeInto("input#desk-password", "not-her-password")
	b.click("button#desk-continue")
	for deadline := time.Now().Add(waitTimeout); e.servedCount(deskapi.PathSession) == asked; time.Sleep(pollEvery) {
		if time.Now().After(deadline) {
			b.fatalf("the wrong password was never sent")
		}
	}
	b.waitJS("the answer to a wrong password", `!document.querySelector("button#desk-continue").disabled &&
		!!document.querySelector(`+js(errorSumm)+`)`)
	if wrong := b.text(errorSumm); wrong != right {
		t.Errorf("a student's right password: %q; a wrong one: %q", right, wrong)
	}
	if b.exists("input#desk-method-email") || b.exists("strong#staff-user") {
		t.Error("a student got past the console's sign-in")
	}
}
