package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/portal"
)

const devAnswer = "424242"

type env struct {
	srv    *httptest.Server
	portal *portal.Portal
	log    *testkit.LogBuffer
	cfg    *config.Config
}

// newEnv starts the whole portal in dev mode, on the real embedded
// backends, behind a loopback test server.
func newEnv(t *testing.T, tweak ...func(*config.Config)) *env {
	t.Helper()
	return newEnvWith(t, nil, tweak...)
}

func newEnvWith(t *testing.T, now func() time.Time, tweak ...func(*config.Config)) *env {
	t.Helper()
	return newEnvKeys(t, nil, now, tweak...)
}

// newEnvKeys is newEnvWith with given keys (nil: new ones), so that several
// portals can serve one browser, as servers behind a load balancer do.
func newEnvKeys(t *testing.T, k *keys.Keys, now func() time.Time, tweak ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.WebDir = t.TempDir()
	// Cheap hashing: these tests are about behaviour; the cost is measured
	// by the benchmarks.
	cfg.Hashing.Argon2MemoryKiB, cfg.Hashing.Argon2Time = 64, 1
	for _, f := range tweak {
		f(cfg)
	}
	if k == nil {
		var err error
		if k, err = keys.Generate(); err != nil {
			t.Fatal(err)
		}
	}
	log, lb := testkit.NewLog()
	p, err := portal.New(context.Background(), portal.Options{Config: cfg, Keys: k, Dev: true, DevCaptchaAnswer: devAnswer, Log: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return &env{srv: srv, portal: p, log: lb, cfg: cfg}
}

// client is one browser: its own cookie jar.
type client struct {
	t   *testing.T
	env *env
	hc  *http.Client
}

func (e *env) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, env: e, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) flow(t *testing.T) api.Flow {
	t.Helper()
	var fr api.FlowResponse
	if err := json.Unmarshal(r.body, &fr); err != nil || fr.Flow.State == "" {
		t.Fatalf("not a flow (status %d): %s", r.status, r.body)
	}
	return fr.Flow
}

func (r response) err(t *testing.T) *api.Error {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error == nil {
		t.Fatalf("not an error (status %d): %s", r.status, r.body)
	}
	return eb.Error
}

// raw sends a request with exactly this body and these headers.
func (c *client) raw(method, path string, body []byte, header map[string]string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.env.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// call sends v as JSON (nil: an empty JSON body).
func (c *client) call(method, path string, v any) response {
	c.t.Helper()
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	} else if method != http.MethodGet && method != http.MethodDelete {
		body = []byte{}
	}
	if method == http.MethodGet || method == http.MethodDelete {
		return c.raw(method, path, nil, nil)
	}
	return c.raw(method, path, body, map[string]string{"Content-Type": "application/json"})
}

// ok expects a status and returns the response.
func (c *client) ok(status int, r response) response {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// wantError expects an error answer with this status and code.
func (c *client) wantError(r response, status int, code api.Code) *api.Error {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	e := r.err(c.t)
	if e.Code != code {
		c.t.Fatalf("code %q, want %q (%s)", e.Code, code, e.Message)
	}
	return e
}

func (c *client) captcha() string {
	c.t.Helper()
	var cp api.Captcha
	r := c.ok(http.StatusCreated, c.call("POST", api.PathCaptcha, nil))
	if err := json.Unmarshal(r.body, &cp); err != nil || cp.ID == "" {
		c.t.Fatalf("captcha: %s", r.body)
	}
	return cp.ID
}

func (c *client) start(user string) api.Flow {
	c.t.Helper()
	r := c.call("POST", api.PathFlows, api.StartRequest{User: user, Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}})
	return c.ok(http.StatusCreated, r).flow(c.t)
}

func (c *client) startWith(user string, in api.Intent) api.Flow {
	c.t.Helper()
	c.start(user)
	return c.ok(http.StatusOK, c.call("POST", api.PathFlowIntent, api.IntentRequest{Intent: in})).flow(c.t)
}

// outbox reads the dev outbox over HTTP.
func (c *client) outbox() []api.OutboxMessage {
	c.t.Helper()
	var ob api.Outbox
	r := c.ok(http.StatusOK, c.call("GET", api.PathDevOutbox, nil))
	if err := json.Unmarshal(r.body, &ob); err != nil {
		c.t.Fatal(err)
	}
	return ob.Messages
}

// waitCode waits for a code to reach an address (delivery is queued, off
// the request path) and returns the newest one.
func (c *client) waitCode(to string, after int) (string, int) {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		msgs := c.outbox()
		for i := len(msgs) - 1; i >= after; i-- {
			if msgs[i].To == to && msgs[i].Code != "" {
				return msgs[i].Code, len(msgs)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("no code reached %s", to)
	return "", 0
}

func (c *client) passEmail(alt string) api.Flow {
	c.t.Helper()
	n := len(c.outbox())
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	code, _ := c.waitCode(alt, n)
	return c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code})).flow(c.t)
}

func (c *client) passSMS(typed, e164 string) api.Flow {
	c.t.Helper()
	n := len(c.outbox())
	c.ok(http.StatusOK, c.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: typed}))
	code, _ := c.waitCode(e164, n)
	return c.ok(http.StatusOK, c.call("POST", api.PathFlowSMSVerify, api.CodeRequest{Code: code})).flow(c.t)
}

// resetCarol resets carol's password to pw with the alternate address and
// mobile she registered (carol, of the demo accounts, registers them in the
// registration tests), and fails unless the flow is done and pw works.
func (c *client) resetCarol(e *env, pw string) {
	c.t.Helper()
	f := c.startWith("carol", api.IntentReset)
	if len(f.Methods) != 3 {
		c.t.Fatalf("flow %+v", f)
	}
	c.passEmail("carol.alt@example.net")
	c.passSMS("+44 7700 900321", "+447700900321")
	f = c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(c.t)
	if f.State != api.StateDone || !e.checkPassword(c.t, "carol@example.edu", pw) {
		c.t.Fatalf("reset: %+v", f)
	}
}

func (c *client) passQuestions(answer string) api.Flow {
	c.t.Helper()
	var qr api.QuestionsResponse
	r := c.ok(http.StatusOK, c.call("GET", api.PathFlowQuestions, nil))
	if err := json.Unmarshal(r.body, &qr); err != nil || len(qr.Questions) != 3 {
		c.t.Fatalf("questions: %s", r.body)
	}
	answers := map[string]string{}
	for _, q := range qr.Questions {
		answers[q.ID] = answer
	}
	return c.ok(http.StatusOK, c.call("POST", api.PathFlowQuestionsOK, api.AnswersRequest{Answers: answers})).flow(c.t)
}

func (c *client) cookie() *http.Cookie {
	for _, ck := range c.hc.Jar.Cookies(mustURL(c.env.srv.URL)) {
		if ck.Name == c.env.cfg.Session.CookieName {
			return ck
		}
	}
	return nil
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
