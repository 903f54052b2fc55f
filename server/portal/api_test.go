package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// checkPassword asks the embedded directory itself.
func (e *env) checkPassword(t *testing.T, user, pw string) bool {
	t.Helper()
	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ok, err := sqlite.NewDirectory(db, secret.NewArgon2(secret.DefaultParams, 0), 0).CheckPassword(context.Background(), user, pw)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestResetThroughTheAPI(t *testing.T) {
	tests := []struct {
		name string
		pass func(c *client) api.Flow
	}{
		{"EmailAndSMS", func(c *client) api.Flow {
			c.passEmail("alice.alt@example.net")
			return c.passSMS("+44 7700 900123", "+447700900123")
		}},
		{"EmailAndQuestions", func(c *client) api.Flow {
			c.passEmail("alice.alt@example.net")
			return c.passQuestions("Blue Fox")
		}},
		{"SMSAndQuestions", func(c *client) api.Flow {
			c.passSMS("07700 900123", "+447700900123")
			return c.passQuestions("blue fox")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(t)
			f := c.startWith("Alice", api.IntentReset)
			if f.State != api.StateVerify || len(f.Methods) != 3 || f.Required != 2 {
				t.Fatalf("flow = %+v", f)
			}
			before := c.cookie().Value
			f = tt.pass(c)
			if f.State != api.StateNewPassword {
				t.Fatalf("state %s", f.State)
			}
			if c.cookie().Value == before {
				t.Fatal("the session id was not renewed when identity was proven")
			}
			const pw = "Correct-Horse-Battery-42"
			f = c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t)
			if f.State != api.StateDone {
				t.Fatalf("state %s", f.State)
			}
			if e.checkPassword(t, "alice@example.edu", "Alice-Old-Password-1") || !e.checkPassword(t, "alice@example.edu", pw) {
				t.Fatal("the directory does not have the new password")
			}
			// Back after success, or a double submit: already done.
			c.wantError(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: "Another-Horse-Battery-42"}), http.StatusConflict, api.CodeWrongState)
			if !e.checkPassword(t, "alice@example.edu", pw) {
				t.Fatal("a double submit changed the password")
			}
			// Notified at both addresses; audited; no secret in the log.
			var notified []string
			for _, m := range c.waitNotifications(2) {
				notified = append(notified, m.To)
			}
			slices.Sort(notified)
			if !slices.Equal(notified, []string{"alice.alt@example.net", "alice@example.edu"}) {
				t.Fatalf("notified %v", notified)
			}
			e.noSecretsLogged(t, pw, "blue fox", "Blue Fox")
			if !strings.Contains(e.log.String(), "event=password_reset") {
				t.Fatalf("no audit line in the log:\n%s", e.log.String())
			}
		})
	}
}

// waitNotifications waits for n messages that carry no code.
func (c *client) waitNotifications(n int) []api.OutboxMessage {
	c.t.Helper()
	for range 500 {
		var notes []api.OutboxMessage
		for _, m := range c.outbox() {
			if m.Code == "" {
				notes = append(notes, m)
			}
		}
		if len(notes) >= n {
			return notes
		}
		sleep()
	}
	c.t.Fatalf("fewer than %d notifications arrived", n)
	return nil
}

// noSecretsLogged checks that no code, answer or password reached the log.
func (e *env) noSecretsLogged(t *testing.T, secrets ...string) {
	t.Helper()
	log := e.log.String()
	for _, m := range e.portal.Outbox.Messages() {
		if m.Code != "" {
			secrets = append(secrets, m.Code)
		}
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Fatalf("a secret (%q) reached the log", s)
		}
	}
}

func TestUnlockThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	f := c.startWith("bob@example.edu", api.IntentUnlock)
	c.passEmail("bob.alt@example.net")
	f = c.passSMS("+44 7700 900456", "+447700900456")
	if f.State != api.StateDone || f.Intent != api.IntentUnlock {
		t.Fatalf("flow = %+v", f)
	}
	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acct, err := sqlite.NewDirectory(db, secret.NewArgon2(secret.DefaultParams, 0), 0).Lookup(context.Background(), "bob@example.edu")
	if err != nil || acct.Locked {
		t.Fatalf("bob after unlock: %+v %v", acct, err)
	}
	events, err := sqlite.NewStore(db).Events(context.Background(), sspr.EventQuery{User: "bob@example.edu", Kinds: []string{sspr.EventAccountUnlocked}})
	if err != nil || len(events) != 2 || events[0].Outcome != sspr.OutcomeOK || events[1].Outcome != sspr.OutcomeStarted || events[0].ClientAddr != "127.0.0.1" {
		t.Fatalf("audit events %+v %v", events, err)
	}
}

// TestAuditTimelineThroughTheAPI: the audit of a whole reset lists every
// step, in order, under one flow reference, each with the id of the
// request that made it (the X-Request-Id it was answered with); the
// outbox adds each message's delivery.
func TestAuditTimelineThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	c.passEmail("alice.alt@example.net")
	c.passSMS("07700 900123", "+447700900123")
	done := c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: newPassword}))
	if done.flow(t).State != api.StateDone {
		t.Fatalf("flow %+v", done.flow(t))
	}
	reqID := done.header.Get("X-Request-Id")
	if reqID == "" {
		t.Fatal("no X-Request-Id")
	}
	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := sqlite.NewStore(db)
	var steps []string
	var delivered int
	deadline := time.Now().Add(10 * time.Second)
	for {
		events, err := st.Events(context.Background(), sspr.EventQuery{User: "alice@example.edu"})
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(events)
		steps, delivered = nil, 0
		ref := events[0].Flow
		for _, ev := range events {
			if ev.Flow != ref {
				t.Errorf("an event of another flow: %+v", ev)
			}
			if ev.Kind == sspr.EventMessageDelivered {
				delivered++ // by the outbox's workers, in their own time
				continue
			}
			steps = append(steps, ev.Kind+"/"+ev.Outcome)
			if ev.Kind == sspr.EventPasswordReset && ev.Outcome == sspr.OutcomeOK && ev.Request != reqID {
				t.Errorf("the reset's request id %q, answered %q", ev.Request, reqID)
			}
		}
		// Two codes, and the notices to both addresses.
		if delivered == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := []string{"flow_started/ok", "intent_chosen/ok", "code_sent/ok", "method_passed/ok", "code_sent/ok",
		"method_passed/ok", "password_reset/started", "password_reset/ok"}
	if !slices.Equal(steps, want) || delivered != 4 {
		t.Fatalf("timeline %v, %d delivered\nwant %v, 4 delivered", steps, delivered, want)
	}
}

// TestUnknownUnregisteredAndLockedLookAlike: docs/SECURITY.md#same-answer
// and #unlock-not-locked. The first answers of a flow are the same, field
// for field but the ids and hints, whoever the user is.
func TestUnknownUnregisteredAndLockedLookAlike(t *testing.T) {
	e := newEnv(t)
	shape := func(user string, in api.Intent) string {
		c := e.client(t)
		c.start(user)
		r := c.call("POST", api.PathFlowIntent, api.IntentRequest{Intent: in})
		f := c.ok(http.StatusOK, r).flow(t)
		var kinds []string
		for _, m := range f.Methods {
			kinds = append(kinds, string(m.Kind))
		}
		send := c.call("POST", api.PathFlowEmailSend, nil)
		return strings.Join([]string{string(f.State), strings.Join(kinds, ","), http.StatusText(r.status), http.StatusText(send.status)}, " ")
	}
	want := shape("alice", api.IntentUnlock) // active, all three methods
	for _, u := range []string{"nobody@example.edu", "carol", "erin"} {
		if got := shape(u, api.IntentUnlock); got != want {
			t.Errorf("%s: %q, want %q", u, got, want)
		}
	}
}

func TestEveryErrorCode(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.wantError(c.call("GET", api.PathFlow, nil), http.StatusNotFound, api.CodeFlowMissing)
	c.wantError(c.raw("POST", api.PathFlows, []byte("{"), nil), http.StatusBadRequest, api.CodeBadRequest)
	c.wantError(c.raw("POST", api.PathFlows, []byte(`{}`), map[string]string{"Content-Type": "text/plain"}), http.StatusUnsupportedMediaType, api.CodeUnsupportedMediaType)
	c.wantError(c.raw("POST", api.PathFlows, []byte(`{"user":"`+strings.Repeat("a", 20000)+`"}`), nil), http.StatusRequestEntityTooLarge, api.CodeTooLarge)
	c.wantError(c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: c.captcha(), Answer: "000000"}}), http.StatusBadRequest, api.CodeCaptchaInvalid)
	c.start("alice")
	c.wantError(c.call("POST", api.PathFlowEmailSend, nil), http.StatusConflict, api.CodeWrongState)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}))
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	e1 := c.wantError(c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: "00000000"}), http.StatusBadRequest, api.CodeCodeInvalid)
	if e1.TriesLeft == nil || *e1.TriesLeft != 4 {
		t.Fatalf("tries left %v", e1.TriesLeft)
	}
	c.wantError(c.call("POST", api.PathFlowSMSVerify, api.CodeRequest{Code: "00000000"}), http.StatusBadRequest, api.CodeCodeExpired)
	c.wantError(c.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "+447700900999"}), http.StatusBadRequest, api.CodePhoneMismatch)
	c.wantError(c.call("POST", api.PathFlowQuestionsOK, api.AnswersRequest{Answers: c.answers("wrong")}), http.StatusBadRequest, api.CodeAnswersInvalid)
	c.wantError(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: "x"}), http.StatusConflict, api.CodeWrongState)
	c.wantError(c.raw("POST", api.PathFlowIntent, []byte(`{"intent":"reset"}`), map[string]string{"Origin": "https://evil.example"}), http.StatusForbidden, api.CodeForbidden)
	c.wantError(c.call("GET", "/api/v1/nothing", nil), http.StatusNotFound, api.CodeNotFound)
	if r := c.raw("PUT", api.PathFlows, []byte(`{}`), nil); r.header.Get("Allow") != "POST" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	} else {
		c.wantError(r, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed)
	}
	c.wantError(c.call("POST", api.PathFlowEmailSend, nil), http.StatusTooManyRequests, api.CodeThrottled)

	d := e.client(t)
	d.startWith("dave", api.IntentReset)
	d.wantError(d.call("GET", api.PathFlowQuestions, nil), http.StatusConflict, api.CodeMethodUnavailable)

	f := e.client(t)
	f.startWith("erin", api.IntentReset)
	f.passEmail("erin.alt@example.net")
	f.passQuestions("green owl")
	pe := f.wantError(f.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: "password"}), http.StatusUnprocessableEntity, api.CodePasswordPolicy)
	var rules []string
	for _, r := range pe.Rules {
		rules = append(rules, r.Code)
	}
	if !slices.Contains(rules, api.RuleMinLength) || !slices.Contains(rules, api.RuleCommon) {
		t.Fatalf("rules %v", rules)
	}

	r := newEnv(t, func(c *config.Config) { c.Flow.RevealUnregistered = true }).client(t)
	r.wantError(r.call("POST", api.PathFlows, api.StartRequest{User: "carol", Captcha: api.CaptchaRef{ID: r.captcha(), Answer: devAnswer}}), http.StatusConflict, api.CodeNotRegistered)

	// An initial password (an import's) to change before anything else.
	e.importInitial(t, "frank", "Franks-Initial-Password-1")
	m := e.client(t)
	m.ok(http.StatusCreated, m.signIn("frank", "Franks-Initial-Password-1"))
	m.wantError(m.call("GET", api.PathRegistration, nil), http.StatusForbidden, api.CodePasswordChangeRequired)
}

func (c *client) answers(a string) map[string]string {
	c.t.Helper()
	var qr api.QuestionsResponse
	if err := json.Unmarshal(c.ok(http.StatusOK, c.call("GET", api.PathFlowQuestions, nil)).body, &qr); err != nil {
		c.t.Fatal(err)
	}
	m := map[string]string{}
	for _, q := range qr.Questions {
		m[q.ID] = a
	}
	return m
}

func TestThrottledCarriesRetryAfter(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "+447700900123"}))
	r := c.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "+447700900123"})
	ae := c.wantError(r, http.StatusTooManyRequests, api.CodeThrottled)
	// The cool-down is 120 s from the first send, and the clock is real: a
	// busy machine may take a second between the two.
	if ra := ae.RetryAfterSeconds; r.header.Get("Retry-After") != strconv.Itoa(ra) || ra < 118 || ra > 120 {
		t.Fatalf("Retry-After %q, body %d; want the same, 118 to 120", r.header.Get("Retry-After"), ra)
	}
}

// TestParallelCodeOverHTTP: one code, many parallel submissions, exactly
// one success (docs/SECURITY.md#parallel-code). Run with -race.
func TestParallelCodeOverHTTP(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	code, _ := c.waitCode("alice.alt@example.net", 0)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if r := c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}); r.status == http.StatusOK {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d successes", wins.Load())
	}
}
