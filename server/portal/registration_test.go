package portal_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/internal/testkit"
)

func (c *client) signIn(user, password string) response {
	c.t.Helper()
	return c.call("POST", api.PathSession, api.SignInRequest{User: user, Password: password, Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}})
}

func (c *client) registration() api.Registration {
	c.t.Helper()
	var rr api.RegistrationResponse
	if err := json.Unmarshal(c.ok(200, c.call("GET", api.PathRegistration, nil)).body, &rr); err != nil {
		c.t.Fatal(err)
	}
	return rr.Registration
}

func (c *client) accountCookie() string {
	for _, ck := range c.hc.Jar.Cookies(mustURL(c.env.srv.URL)) {
		if ck.Name == c.env.cfg.Session.CookieName+"_account" {
			return ck.Value
		}
	}
	return ""
}

// registerAll registers email, mobile and five questions for a signed-in
// client.
func (c *client) registerAll(alt, typedPhone, e164 string) {
	c.t.Helper()
	n := len(c.outbox())
	c.ok(200, c.call("POST", api.PathRegEmail, api.EmailRequest{Email: alt}))
	code, n := c.waitCode(alt, n)
	c.ok(200, c.call("POST", api.PathRegEmailConfirm, api.CodeRequest{Code: code}))
	c.ok(200, c.call("POST", api.PathRegSMS, api.PhoneRequest{Phone: typedPhone}))
	code, _ = c.waitCode(e164, n)
	c.ok(200, c.call("POST", api.PathRegSMSConfirm, api.CodeRequest{Code: code}))
	var cat api.CatalogResponse
	json.Unmarshal(c.ok(200, c.call("GET", api.PathRegQuestionsCatalog, nil)).body, &cat)
	if cat.Count != 5 || len(cat.Questions) < 15 {
		c.t.Fatalf("catalog %+v", cat)
	}
	var answers []api.AnswerInput
	for i, q := range cat.Questions[:cat.Count] {
		answers = append(answers, api.AnswerInput{ID: q.ID, Answer: []string{"Pickles", "Morecambe", "Jo Smith", "Tuesday", "Lima"}[i]})
	}
	c.ok(200, c.call("PUT", api.PathRegQuestions, api.QuestionsRequest{Answers: answers}))
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	wrong := c.signIn("alice", "not-her-password")
	unknown := c.signIn("nobody", "not-her-password")
	c.wantError(wrong, 401, api.CodeUnauthenticated)
	c.wantError(unknown, 401, api.CodeUnauthenticated)
	if string(wrong.body) != string(unknown.body) {
		t.Fatalf("wrong password and unknown user differ:\n%s\n%s", wrong.body, unknown.body)
	}
	c.wantError(c.signIn("bob", "Bob-Old-Password-1"), 409, api.CodeAccountLocked)

	var sr api.SessionResponse
	json.Unmarshal(c.ok(201, c.signIn(" Alice ", "Alice-Old-Password-1")).body, &sr)
	if sr.Session.User != "alice@example.edu" || sr.Session.DisplayName != "Alice Archer" {
		t.Fatalf("session %+v", sr)
	}
	first := c.accountCookie()
	c.ok(201, c.signIn("alice", "Alice-Old-Password-1"))
	if c.accountCookie() == first {
		t.Fatal("the session id was not renewed at sign-in")
	}
	c.ok(200, c.call("GET", api.PathSession, nil))
	c.ok(204, c.call("DELETE", api.PathSession, nil))
	c.wantError(c.call("GET", api.PathRegistration, nil), 401, api.CodeUnauthenticated)
	e.noSecretsLogged(t, "Alice-Old-Password-1", "not-her-password")

	// Five wrong passwords in a day pause sign-in for the account.
	d := e.client(t)
	for range 4 {
		d.wantError(d.signIn("erin", "guess"), 401, api.CodeUnauthenticated)
	}
	d.wantError(d.signIn("erin", "guess"), 429, api.CodeThrottled)
	d.wantError(d.signIn("erin", "Erin-Old-Password-1"), 429, api.CodeThrottled)
}

func TestIdleSessionEnds(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock)
	c := e.client(t)
	c.ok(201, c.signIn("alice", "Alice-Old-Password-1"))
	clock.Advance(14 * time.Minute)
	c.registration() // use restarts the idle clock
	clock.Advance(14 * time.Minute)
	c.registration()
	clock.Advance(15 * time.Minute)
	c.wantError(c.call("GET", api.PathRegistration, nil), 401, api.CodeUnauthenticated)
}

// Carol, not registered, registers all three methods and then resets her
// password with two of them.
func TestCarolRegistersThenResets(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	if reg := c.registration(); reg.Complete || reg.Email.Registered || reg.Required != 2 {
		t.Fatalf("before: %+v", reg)
	}
	c.registerAll("carol.alt@example.net", "07700 900321", "+447700900321")
	reg := c.registration()
	if !reg.Complete || !reg.Email.Registered || reg.Email.Hint != "c•••@example.net" || !reg.SMS.Registered ||
		reg.SMS.Hint != "••••••21" || reg.Questions.Count != 5 || reg.ReconfirmDue || reg.Email.ConfirmedAt == nil {
		t.Fatalf("after: %+v", reg)
	}
	c.ok(204, c.call("DELETE", api.PathSession, nil))

	c.resetCarol(e, "Brand-New-Passphrase-For-C")
	// Every registration change was told to her primary address.
	var told int
	for _, m := range c.waitNotifications(3) {
		if m.To == "carol@example.edu" && strings.Contains(m.Subject, "details changed") {
			told++
		}
	}
	if told != 3 {
		t.Fatalf("%d registration notices to the primary address, want 3", told)
	}
	e.noSecretsLogged(t, "Pickles", "Morecambe", "Carol-Old-Password-1", "Brand-New-Passphrase-For-C")
}

func TestRegistrationRefusals(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock)
	c := e.client(t)
	c.wantError(c.call("GET", api.PathRegistration, nil), 401, api.CodeUnauthenticated)

	// A reset flow's cookie is not a session, and a session is not a flow.
	c.start("alice")
	c.wantError(c.call("GET", api.PathRegistration, nil), 401, api.CodeUnauthenticated)
	c.ok(204, c.call("DELETE", api.PathFlow, nil))
	c.ok(201, c.signIn("alice", "Alice-Old-Password-1"))
	c.wantError(c.call("GET", api.PathFlow, nil), 404, api.CodeFlowMissing)
	name := e.cfg.Session.CookieName
	bare := e.client(t) // a jar of its own: only the cookie set by hand is sent
	r := bare.raw("GET", api.PathRegistration, nil, map[string]string{"Cookie": name + "=" + c.accountCookie()})
	bare.wantError(r, 401, api.CodeUnauthenticated)
	r = bare.raw("GET", api.PathRegistration, nil, map[string]string{"Cookie": name + "_account=" + c.accountCookie()[:20]})
	bare.wantError(r, 401, api.CodeUnauthenticated)
	bare.ok(200, bare.raw("GET", api.PathRegistration, nil, map[string]string{"Cookie": name + "_account=" + c.accountCookie()}))

	c.wantError(c.call("POST", api.PathRegEmail, api.EmailRequest{Email: "alice@example.edu"}), 400, api.CodeBadRequest)
	for _, bad := range []string{"", "not an address", "Alice <a@b.com>", "a@b", "a@b.com, c@d.com"} {
		c.wantError(c.call("POST", api.PathRegEmail, api.EmailRequest{Email: bad}), 400, api.CodeBadRequest)
	}
	c.wantError(c.call("POST", api.PathRegEmailConfirm, api.CodeRequest{Code: "12345678"}), 400, api.CodeCodeExpired)

	// A new alternate address: the code is checked, one use only, and the
	// old alternate address hears about the change.
	n := len(c.outbox())
	c.ok(200, c.call("POST", api.PathRegEmail, api.EmailRequest{Email: "alice.new@example.org"}))
	code, _ := c.waitCode("alice.new@example.org", n)
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	ae := c.wantError(c.call("POST", api.PathRegEmailConfirm, api.CodeRequest{Code: wrong}), 400, api.CodeCodeInvalid)
	if ae.TriesLeft == nil || *ae.TriesLeft != 4 {
		t.Fatalf("tries left %v", ae.TriesLeft)
	}
	reg := c.ok(200, c.call("POST", api.PathRegEmailConfirm, api.CodeRequest{Code: code}))
	var rr api.RegistrationResponse
	json.Unmarshal(reg.body, &rr)
	if rr.Registration.Email.Hint != "a•••@example.org" {
		t.Fatalf("email hint %q", rr.Registration.Email.Hint)
	}
	c.wantError(c.call("POST", api.PathRegEmailConfirm, api.CodeRequest{Code: code}), 400, api.CodeCodeExpired)
	var toOld bool
	for _, m := range c.waitNotifications(2) {
		toOld = toOld || m.To == "alice.alt@example.net"
	}
	if !toOld {
		t.Fatal("the old alternate address was not told of the change")
	}

	// Questions: the rules of a good answer.
	ids := []string{"first_pet", "childhood_friend", "first_school", "birth_town", "first_job"}
	answers := func(ans ...string) api.QuestionsRequest {
		var q api.QuestionsRequest
		for i, a := range ans {
			q.Answers = append(q.Answers, api.AnswerInput{ID: ids[i], Answer: a})
		}
		return q
	}
	for name, req := range map[string]api.QuestionsRequest{
		"TooFew":          answers("Pickles", "Jo", "Lima"),
		"Short":           answers("Pickles", "Jo", "Lima", "Tuesday", "Morecambe"),
		"Alike":           answers("Pickles", "pickles ", "Lima", "Tuesday", "Morecambe"),
		"QuestionWords":   answers("my first pet", "Jo Smith", "Lima", "Tuesday", "Morecambe"),
		"UserID":          answers("alice", "Jo Smith", "Lima", "Tuesday", "Morecambe"),
		"DuplicateQ":      {Answers: []api.AnswerInput{{ID: "first_pet", Answer: "Pickles"}, {ID: "first_pet", Answer: "Jo Smith"}, {ID: "first_school", Answer: "Lima"}, {ID: "birth_town", Answer: "Tuesday"}, {ID: "first_job", Answer: "Morecambe"}}},
		"UnknownQuestion": {Answers: []api.AnswerInput{{ID: "nope", Answer: "Pickles"}, {ID: "childhood_friend", Answer: "Jo Smith"}, {ID: "first_school", Answer: "Lima"}, {ID: "birth_town", Answer: "Tuesday"}, {ID: "first_job", Answer: "Morecambe"}}},
		"TooLong":         answers(strings.Repeat("x", 65), "Jo Smith", "Lima", "Tuesday", "Morecambe"),
	} {
		t.Run(name, func(t *testing.T) {
			c.t = t
			c.wantError(c.call("PUT", api.PathRegQuestions, req), 400, api.CodeBadRequest)
		})
	}
	c.t = t

	// Removing: alice has three methods, so one can go, not two.
	c.ok(200, c.call("DELETE", api.PathRegistration+"/questions", nil))
	ae = c.wantError(c.call("DELETE", api.PathRegistration+"/sms", nil), 409, api.CodeWrongState)
	if !strings.Contains(ae.Message, "needs 2") {
		t.Fatalf("no clear reason: %q", ae.Message)
	}
	c.wantError(c.call("DELETE", api.PathRegistration+"/questions", nil), 409, api.CodeWrongState)
	c.wantError(c.call("DELETE", api.PathRegistration+"/nothing", nil), 409, api.CodeMethodUnavailable)
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.ok(201, c.signIn("alice", "Alice-Old-Password-1"))
	c.wantError(c.call("POST", api.PathSessionPassword, api.ChangePasswordRequest{Current: "wrong", New: "A-Good-New-Passphrase-7"}), 401, api.CodeUnauthenticated)
	pe := c.wantError(c.call("POST", api.PathSessionPassword, api.ChangePasswordRequest{Current: "Alice-Old-Password-1", New: "password"}), 422, api.CodePasswordPolicy)
	if len(pe.Rules) == 0 {
		t.Fatal("no rules")
	}
	c.ok(204, c.call("POST", api.PathSessionPassword, api.ChangePasswordRequest{Current: "Alice-Old-Password-1", New: "A-Good-New-Passphrase-7"}))
	c.wantError(c.call("GET", api.PathSession, nil), 401, api.CodeUnauthenticated)
	if e.checkPassword(t, "alice@example.edu", "Alice-Old-Password-1") || !e.checkPassword(t, "alice@example.edu", "A-Good-New-Passphrase-7") {
		t.Fatal("the directory does not have the new password")
	}
	var to []string
	for _, m := range c.waitNotifications(2) {
		to = append(to, m.To)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"alice.alt@example.net", "alice@example.edu"}) {
		t.Fatalf("told %v", to)
	}
	e.noSecretsLogged(t, "Alice-Old-Password-1", "A-Good-New-Passphrase-7")
}

// After reconfirm_after (180 days) a method is shown as due for
// confirmation again, and confirming it clears that.
func TestReconfirmationDue(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock)
	c := e.client(t)
	c.ok(201, c.signIn("dave", "Dave-Old-Password-1"))
	if reg := c.registration(); reg.ReconfirmDue || reg.Email.Due || reg.Complete {
		t.Fatalf("fresh: %+v", reg)
	}
	clock.Advance(181 * 24 * time.Hour)
	c.ok(201, c.signIn("dave", "Dave-Old-Password-1"))
	reg := c.registration()
	if !reg.ReconfirmDue || !reg.Email.Due {
		t.Fatalf("after 181 days: %+v", reg)
	}
	n := len(c.outbox())
	c.ok(200, c.call("POST", api.PathRegEmail, api.EmailRequest{Email: "dave.alt@example.net"}))
	code, _ := c.waitCode("dave.alt@example.net", n)
	c.ok(200, c.call("POST", api.PathRegEmailConfirm, api.CodeRequest{Code: code}))
	if reg := c.registration(); reg.ReconfirmDue || reg.Email.Due {
		t.Fatalf("after confirming again: %+v", reg)
	}
}
