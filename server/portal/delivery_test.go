package portal_test

// End to end over real delivery: a reset whose codes and notifications go
// through a real SMTP listener (STARTTLS on a test certificate, AUTH), and
// one whose SMS goes through an httptest server standing in for the
// gateway; SMTP down and back; a recipient that always fails; and no
// secret in any log line.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/smtptest"
)

const (
	smtpUser    = "portal@example.edu"
	smtpPass    = "Smtp-Secret-Pass-9"
	gwToken     = "Gateway-Secret-Token-5"
	newPassword = "Correct-Horse-Battery-42"
)

// fastRetries: retries within a test's patience.
func fastRetries(c *config.Config) {
	c.Delivery.Backoff = config.Duration{Duration: 100 * time.Millisecond}
	c.Delivery.MaxBackoff = config.Duration{Duration: 300 * time.Millisecond}
}

// viaSMTP sends email through s, with the password in a file.
func viaSMTP(t *testing.T, s *smtptest.Server) func(*config.Config) {
	pw := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pw, []byte(smtpPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) {
		c.Email = config.Email{Kind: "smtp", Host: s.Host, Port: s.Port, Security: "starttls", CAFile: s.CAFile,
			Auth: "auto", Username: smtpUser, PasswordFile: pw, From: "password-reset@example.edu",
			Timeout: config.Duration{Duration: 2 * time.Second}}
		fastRetries(c)
	}
}

var eightDigits = regexp.MustCompile(`\b\d{8}\b`)

// mailCode waits for the next message to rcpt and returns its code.
func mailCode(t *testing.T, s *smtptest.Server, rcpt string, after int) (string, smtptest.Parsed, int) {
	t.Helper()
	m, n := s.WaitTo(t, rcpt, after, 10*time.Second)
	p := smtptest.Parse(t, m.Data)
	code := eightDigits.FindString(p.Text)
	if code == "" || !strings.Contains(p.HTML, code) {
		t.Fatalf("no code in both parts:\n%s\n%s", p.Text, p.HTML)
	}
	return code, p, n
}

func (c *client) readyz() (int, api.Health) {
	c.t.Helper()
	r := c.call("GET", "/readyz", nil)
	var h api.Health
	_ = json.Unmarshal(r.body, &h)
	return r.status, h
}

// assertNoSecrets: no code, answer or password in any log line.
func assertNoSecrets(t *testing.T, log string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(strings.ToLower(log), strings.ToLower(s)) {
			t.Errorf("the log holds the secret %q", s)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}

func TestResetOverSMTP(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Username: smtpUser, Password: smtpPass})
	e := newEnv(t, viaSMTP(t, s))
	c := e.client(t)
	c.startWith("alice", api.IntentReset)

	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	code, p, n := mailCode(t, s, "alice.alt@example.net", 0)
	got := s.Messages()[n-1]
	if !got.TLS || got.User != smtpUser {
		t.Fatalf("tls %v user %q", got.TLS, got.User)
	}
	h := p.Header
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Name != e.cfg.Organisation.Name || from.Address != "password-reset@example.edu" {
		t.Errorf("From %q", h.Get("From"))
	}
	if h.Get("Subject") != "Example University verification code" || !strings.HasSuffix(h.Get("Message-Id"), "@example.edu>") {
		t.Errorf("Subject %q Message-ID %q", h.Get("Subject"), h.Get("Message-Id"))
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	for name, part := range map[string]string{"text": p.Text, "html": p.HTML} {
		// The help-desk block from [help_desk], and nothing to follow.
		for _, want := range []string{"Example University", "IT Service Desk", "01234 567890"} {
			if !strings.Contains(part, want) {
				t.Errorf("%s part lacks %q", name, want)
			}
		}
		for _, bad := range []string{"http", "<a ", "<img"} {
			if strings.Contains(part, bad) {
				t.Errorf("%s part of a code message has %q", name, bad)
			}
		}
	}
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}))
	f := c.passQuestions("blue fox")
	if f.State != api.StateNewPassword {
		t.Fatalf("state %s", f.State)
	}
	f = c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: newPassword})).flow(t)
	if f.State != api.StateDone {
		t.Fatalf("state %s", f.State)
	}
	// The notification, at the primary and the alternate address.
	for _, rcpt := range []string{"alice@example.edu", "alice.alt@example.net"} {
		m, _ := s.WaitTo(t, rcpt, n, 10*time.Second)
		p := smtptest.Parse(t, m.Data)
		if p.Header.Get("Subject") != "Example University: Your password has been reset" {
			t.Errorf("to %s: subject %q", rcpt, p.Header.Get("Subject"))
		}
		for _, part := range []string{p.Text, p.HTML} {
			if !strings.Contains(part, "127.0.0.1") || !strings.Contains(part, "UTC") || !strings.Contains(part, "IT Service Desk") ||
				strings.Contains(part, newPassword) {
				t.Errorf("to %s: %s", rcpt, part)
			}
		}
	}
	if st, hz := c.readyz(); st != 200 || hz.Checks["email"] != "ok" || hz.Checks["sms"] != "ok" {
		t.Errorf("readyz %d %+v", st, hz)
	}
	assertNoSecrets(t, e.log.String(), code, newPassword, "blue fox", smtpPass)
}

// SMTP down, then back: the API answers exactly as when it works, the
// codes are retried and arrive, each once, after an outage longer than
// the in-memory queue of old gave up after (max_tries 8 at these back-offs:
// under 2 s); /readyz says "degraded" meanwhile.
func TestSMTPDownThenBack(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Username: smtpUser, Password: smtpPass})
	e := newEnv(t, viaSMTP(t, s))

	// The answer while SMTP works, to compare with.
	up := e.client(t)
	up.startWith("alice", api.IntentReset)
	healthy := up.ok(http.StatusOK, up.call("POST", api.PathFlowEmailSend, nil)).flow(t)
	mailCode(t, s, "alice.alt@example.net", 0)

	s.Stop()
	c := e.client(t)
	c.startWith("erin", api.IntentReset)
	start := time.Now()
	down := c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil)).flow(t)
	if took := time.Since(start); took > time.Second {
		t.Errorf("send code took %v with SMTP down", took)
	}
	if down.State != healthy.State || len(down.Methods) != len(healthy.Methods) || down.Methods[0].Kind != healthy.Methods[0].Kind {
		t.Fatalf("answers differ:\n up   %+v\n down %+v", healthy, down)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, h := c.readyz()
		if st == 200 && h.Status == "degraded" && h.Checks["email"] == "degraded" && h.Checks["sms"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz never degraded: %d %+v", st, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Two more while it is down, then longer than the old give-up.
	for _, u := range []string{"bob", "dave"} {
		o := e.client(t)
		o.startWith(u, api.IntentReset)
		o.ok(http.StatusOK, o.call("POST", api.PathFlowEmailSend, nil))
	}
	time.Sleep(3 * time.Second)
	before := len(s.Messages())
	s.Restart(t)
	code, _, _ := mailCode(t, s, "erin.alt@example.net", before)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}))
	// The server has the message a moment before the client has its
	// answer and the queue records the success.
	deadline = time.Now().Add(10 * time.Second)
	for {
		st, h := c.readyz()
		log := e.log.String()
		if st == 200 && h.Checks["email"] == "ok" && strings.Contains(log, "will retry") && strings.Contains(log, "delivered after retries") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz after recovery %d %+v; log:\n%s", st, h, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would come now
	got := map[string]int{}
	for _, m := range s.Messages()[before:] {
		got[m.To[0]]++
	}
	for _, to := range []string{"erin.alt@example.net", "bob.alt@example.net", "dave.alt@example.net"} {
		if got[to] != 1 {
			t.Errorf("%s got %d messages after the outage, want 1 (all: %v)", to, got[to], got)
		}
	}
	log := e.log.String()
	assertNoSecrets(t, log, code, smtpPass)
}

// An address that keeps failing is retried, and blocks nothing else
// meanwhile; a 5xx refusal gives up at once, and a refused recipient is
// not a broken server. (Giving up when the code expires: server/dispatch.)
func TestFailingAddressGivesUp(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Username: smtpUser, Password: smtpPass})
	e := newEnv(t, viaSMTP(t, s))
	s.Reject("alice.alt@example.net", 452) // temporary, every time
	s.Reject("erin.alt@example.net", 550)  // permanent

	a := e.client(t)
	a.startWith("alice", api.IntentReset)
	a.ok(http.StatusOK, a.call("POST", api.PathFlowEmailSend, nil))
	r := e.client(t)
	r.startWith("erin", api.IntentReset)
	r.ok(http.StatusOK, r.call("POST", api.PathFlowEmailSend, nil))

	// Meanwhile another user's code comes through at once.
	b := e.client(t)
	b.startWith("bob", api.IntentUnlock)
	start := time.Now()
	b.ok(http.StatusOK, b.call("POST", api.PathFlowEmailSend, nil))
	mailCode(t, s, "bob.alt@example.net", 0)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("bob's code took %v behind a failing address", took)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.log.String(), "will retry") || !strings.Contains(e.log.String(), "attempt=3") {
		if time.Now().After(deadline) {
			t.Fatalf("alice's message was not retried:\n%s", e.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	log := e.log.String()
	if !strings.Contains(log, "giving up") || !strings.Contains(log, "attempt=1 reason=refused") {
		t.Errorf("erin's refusal not given up at once:\n%s", log)
	}
	if _, h := b.readyz(); h.Checks["email"] == "unavailable" {
		t.Errorf("readyz %+v", h)
	}
	// Erin's flow says her code will never arrive, instead of leaving her
	// waiting, and a code typed is told so.
	for {
		f := r.ok(http.StatusOK, r.call("GET", api.PathFlow, nil)).flow(t)
		if len(f.Methods) > 0 && f.Methods[0].DeliveryFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("erin's flow never said the code failed: %+v", f.Methods)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if page := r.page(api.PageVerifyEmail); !strings.Contains(page, "We couldn&#39;t send you that code") && !strings.Contains(page, "We couldn't send you that code") {
		t.Errorf("the email page doesn't say the code couldn't be sent:\n%s", page)
	}
	ae := r.wantError(r.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: "12345678"}), http.StatusBadRequest, api.CodeCodeExpired)
	if !strings.Contains(ae.Message, "couldn't send") {
		t.Errorf("a code typed for an undelivered one: %q", ae.Message)
	}
	assertNoSecrets(t, log, smtpPass)
}

// gateway is an httptest server standing in for a Twilio-style gateway.
type gateway struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
	auth  []string
	plan  []func(w http.ResponseWriter, r *http.Request) // one per request, then 201
}

func newGateway(t *testing.T, plan ...func(w http.ResponseWriter, r *http.Request)) *gateway {
	g := &gateway{plan: plan}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		g.mu.Lock()
		i := len(g.forms)
		g.forms = append(g.forms, form)
		g.auth = append(g.auth, r.Header.Get("Authorization"))
		var step func(http.ResponseWriter, *http.Request)
		if i < len(g.plan) {
			step = g.plan[i]
		}
		g.mu.Unlock()
		if step != nil {
			step(w, r)
			return
		}
		w.WriteHeader(http.StatusCreated)
		w.Write(b) // an echo of the text: must never reach a log
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) requests() ([]url.Values, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]url.Values(nil), g.forms...), append([]string(nil), g.auth...)
}

func viaGateway(t *testing.T, g *gateway) func(*config.Config) {
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte(gwToken), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) {
		c.SMS.Kind, c.SMS.Preset, c.SMS.URL = "gateway", "twilio", g.URL+"/2010-04-01/Accounts/AC1/Messages.json"
		c.SMS.Username, c.SMS.TokenFile, c.SMS.From = "AC1", tok, "+15005550006"
		c.SMS.Timeout = config.Duration{Duration: time.Second}
		fastRetries(c)
	}
}

// A reset whose SMS code goes through the gateway, which first answers
// 500, then times out, then takes it.
func TestResetOverSMSGateway(t *testing.T) {
	g := newGateway(t,
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
		func(w http.ResponseWriter, r *http.Request) {
			select { // longer than sms.timeout
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		},
	)
	e := newEnv(t, viaGateway(t, g))
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	start := time.Now()
	c.ok(http.StatusOK, c.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "07700 900123"}))
	if took := time.Since(start); took > time.Second {
		t.Errorf("send code took %v", took)
	}
	var code string
	deadline := time.Now().Add(15 * time.Second)
	for code == "" {
		forms, _ := g.requests()
		if len(forms) >= 3 {
			code = eightDigits.FindString(forms[2].Get("Body"))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no third request: %v", forms)
		}
		time.Sleep(20 * time.Millisecond)
	}
	forms, auth := g.requests()
	for i, f := range forms {
		if f.Get("To") != "+447700900123" || f.Get("From") != "+15005550006" || !strings.HasPrefix(auth[i], "Basic ") ||
			!strings.Contains(f.Get("Body"), "Example University: your verification code is") {
			t.Errorf("request %d: %v %s", i, f, auth[i])
		}
	}
	if units := len(forms[2].Get("Body")); units > 160 {
		t.Errorf("the text is %d characters", units)
	}
	c.ok(http.StatusOK, c.call("POST", api.PathFlowSMSVerify, api.CodeRequest{Code: code}))
	f := c.passEmail("alice.alt@example.net") // the dev outbox
	if f.State != api.StateNewPassword {
		t.Fatalf("state %s", f.State)
	}
	c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: newPassword}))
	log := e.log.String()
	if strings.Count(log, "will retry") < 2 {
		t.Errorf("the 500 and the timeout were not retried:\n%s", log)
	}
	var codes []string
	for _, m := range c.outbox() {
		codes = append(codes, m.Code)
	}
	assertNoSecrets(t, log, append(codes, code, newPassword, gwToken, "blue fox")...)
}
