package portal_test

// The Redis State backend through the whole API: a flow started on one
// server continues on another and survives a server's restart
// (docs/SECURITY.md#restart-mid-flow); Redis down or hung fails closed with
// 503, /readyz says so, no throttle is skipped, and everything works again
// when Redis is back, without restarting the portal (backend-down).

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/redisstate/redistest"
)

// withRedis keeps the portal's state in srv, with timeouts short enough
// for a test to wait out.
func withRedis(srv *redistest.Server) func(*config.Config) {
	return func(c *config.Config) {
		s := &c.State
		s.Kind, s.Address = config.StateRedis, srv.Addr
		ms := config.Duration{Duration: 300 * time.Millisecond}
		s.DialTimeout, s.ReadTimeout, s.WriteTimeout = ms, ms, ms
	}
}

// sameData gives every portal one data folder: one SQLite database, as
// servers behind a load balancer share one store.
func sameData(dir string) func(*config.Config) {
	return func(c *config.Config) { c.Server.DataDir = dir }
}

// on is the same browser (cookie jar) talking to another server.
func (c *client) on(e *env) *client { return &client{t: c.t, env: e, hc: c.hc} }

// waitReady waits until /readyz answers 200, without restarting anything.
func (c *client) waitReady() time.Duration {
	c.t.Helper()
	begin := time.Now()
	for time.Since(begin) < 10*time.Second {
		if st, _ := c.readyz(); st == http.StatusOK {
			return time.Since(begin)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, h := c.readyz()
	c.t.Fatalf("never ready again: %d %+v", st, h)
	return 0
}

// wantUnavailable expects the fail-closed answer: 503 service_unavailable
// with a message that names nothing internal.
func (c *client) wantUnavailable(what string, r response) {
	c.t.Helper()
	ae := c.wantError(r, http.StatusServiceUnavailable, api.CodeServiceUnavailable)
	if contains(strings.ToLower(ae.Message), "redis", "127.0.0.1", "tcp", "timeout") {
		c.t.Errorf("%s: the message names internals: %q", what, ae.Message)
	}
}

// TestFlowContinuesOnAnyServer is docs/SECURITY.md#restart-mid-flow: two
// portals share one Redis and one database. One browser starts a reset on A
// (the CAPTCHA made on A is answered on B), gets a code sent by A and types
// it on B, B is restarted mid-flow, and the flow ends on A. Then Redis
// itself restarts: its data is gone (no persistence), so the flow is
// flow_missing on both and the user starts again.
func TestFlowContinuesOnAnyServer(t *testing.T) {
	srv := redistest.Start(t)
	t.Logf("redis-server ready in %s", srv.StartTime)
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := newEnvKeys(t, k, nil, withRedis(srv), sameData(dir))
	b := newEnvKeys(t, k, nil, withRedis(srv), sameData(dir))

	ca := a.client(t)
	cb := ca.on(b)
	captchaOnA := ca.captcha()
	f := cb.ok(http.StatusCreated, cb.call("POST", api.PathFlows, api.StartRequest{User: "alice",
		Captcha: api.CaptchaRef{ID: captchaOnA, Answer: devAnswer}})).flow(t)
	if f.State != api.StateChooseIntent {
		t.Fatalf("state %s", f.State)
	}
	// The CAPTCHA was taken on B: A can't take it again.
	ca.wantError(ca.call("POST", api.PathFlows, api.StartRequest{User: "alice",
		Captcha: api.CaptchaRef{ID: captchaOnA, Answer: devAnswer}}), http.StatusBadRequest, api.CodeCaptchaInvalid)
	// That refused start left the flow B started (the cookie) alone.
	ca.ok(http.StatusOK, ca.call("GET", api.PathFlow, nil))

	ca.ok(http.StatusOK, ca.call("POST", api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}))
	// Stored by A in the shared database, and delivered by whichever
	// server's worker claims it first: into A's dev outbox or B's.
	ca.ok(http.StatusOK, ca.call("POST", api.PathFlowEmailSend, nil))
	code := waitCodeOnAny("alice.alt@example.net", ca, cb)
	f = cb.ok(http.StatusOK, cb.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code})).flow(t)
	if f.Methods[0].Kind != api.KindEmail || !f.Methods[0].Verified {
		t.Fatalf("email not verified on B: %+v", f.Methods)
	}

	// B restarts mid-flow: a new process knows nothing but what Redis and
	// the database hold.
	b.srv.Close()
	if err := b.portal.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	b2 := newEnvKeys(t, k, nil, withRedis(srv), sameData(dir))
	cb = ca.on(b2)
	if f := cb.passQuestions("blue fox"); f.State != api.StateNewPassword {
		t.Fatalf("state %s after the questions on the restarted B", f.State)
	}
	const pw = "Correct-Horse-Battery-42"
	if f := ca.ok(http.StatusOK, ca.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t); f.State != api.StateDone {
		t.Fatalf("state %s", f.State)
	}
	if !a.checkPassword(t, "alice@example.edu", pw) {
		t.Fatal("the new password was not set")
	}
	if f := cb.ok(http.StatusOK, cb.call("GET", api.PathFlow, nil)).flow(t); f.State != api.StateDone {
		t.Fatalf("B sees state %s, want done", f.State)
	}

	// A flow in progress when Redis restarts is lost with Redis's data:
	// both servers say flow_missing (404), and the user starts again.
	c := a.client(t)
	c.startWith("erin", api.IntentReset)
	srv.Stop()
	srv.Start()
	c.waitReady()
	c.on(b2).waitReady()
	c.wantError(c.call("GET", api.PathFlow, nil), http.StatusNotFound, api.CodeFlowMissing)
	c.on(b2).wantError(c.on(b2).call("POST", api.PathFlowEmailSend, nil), http.StatusNotFound, api.CodeFlowMissing)
	c.on(b2).startWith("erin", api.IntentReset)
	c.ok(http.StatusOK, c.call("GET", api.PathFlow, nil))
}

// TestRedisDownFailsClosed is docs/SECURITY.md#backend-down for a Redis
// that is stopped: every call that needs state answers 503
// service_unavailable (never 500, never a pass, never "wrong code" nor
// "no flow"), /readyz says the state is unavailable, and once Redis is back
// the same portal works again.
func TestRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	e := newEnv(t, withRedis(srv))
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	code, _ := c.waitCode("alice.alt@example.net", 0)
	captchaID := c.captcha()
	if st, h := c.readyz(); st != http.StatusOK || h.Checks["state"] != "ok" {
		t.Fatalf("readyz %d %+v", st, h)
	}

	srv.Stop()
	calls := []struct {
		what string
		do   func() response
	}{
		{"GET flow", func() response { return c.call("GET", api.PathFlow, nil) }},
		{"verify the right code", func() response {
			return c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code})
		}},
		{"verify a wrong code", func() response {
			return c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: "00000000"})
		}},
		{"questions", func() response { return c.call("GET", api.PathFlowQuestions, nil) }},
		{"intent", func() response {
			return c.call("POST", api.PathFlowIntent, api.IntentRequest{Intent: api.IntentUnlock})
		}},
		{"cancel", func() response { return c.call("DELETE", api.PathFlow, nil) }},
		{"new CAPTCHA", func() response { return c.call("POST", api.PathCaptcha, nil) }},
		{"start with a CAPTCHA made before", func() response {
			return c.call("POST", api.PathFlows, api.StartRequest{User: "bob", Captcha: api.CaptchaRef{ID: captchaID, Answer: devAnswer}})
		}},
		{"sign in to register", func() response {
			return c.call("POST", api.PathSession, api.SignInRequest{User: "alice", Password: "x", Captcha: api.CaptchaRef{ID: captchaID, Answer: devAnswer}})
		}},
	}
	for round := range 2 { // past go-redis's count of failed dials too
		for _, call := range calls {
			begin := time.Now()
			c.wantUnavailable(call.what, call.do())
			if took := time.Since(begin); took > 2*time.Second {
				t.Errorf("round %d, %s: took %s with Redis down", round, call.what, took)
			}
		}
	}
	st, h := c.readyz()
	if st != http.StatusServiceUnavailable || h.Status != "unavailable" || h.Checks["state"] != "unavailable" || h.Checks["store"] != "ok" {
		t.Fatalf("readyz with Redis down: %d %+v", st, h)
	}
	if log := e.log.String(); !strings.Contains(log, "backend unavailable") || !strings.Contains(log, "redis: ") || strings.Contains(log, "internal error") {
		t.Errorf("the log should say which backend failed, as unavailable, not internal:\n%s", log)
	}

	srv.Start() // empty: the flow is gone with Redis's data
	t.Logf("ready again %s after Redis restarted", c.waitReady())
	c.wantError(c.call("GET", api.PathFlow, nil), http.StatusNotFound, api.CodeFlowMissing)
	c.startWith("alice", api.IntentReset)
	if f := c.passEmail("alice.alt@example.net"); !f.Methods[0].Verified {
		t.Fatalf("%+v", f.Methods)
	}
	assertNoSecrets(t, e.log.String(), code)
}

// TestRedisFlakyNeverSkipsAThrottle: failed verifications counted before a
// hang still count after it, and nothing typed while Redis hangs passes or
// goes uncounted. With account_failures = 3: two wrong codes, then Redis
// hangs (the right code and a wrong one both get 503), then Redis answers
// again and the third wrong code blocks the account: even the right code
// is refused from then on.
func TestRedisFlakyNeverSkipsAThrottle(t *testing.T) {
	srv := redistest.Start(t)
	e := newEnv(t, withRedis(srv), func(c *config.Config) { c.Throttle.AccountFailures = 3 })
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	code, _ := c.waitCode("alice.alt@example.net", 0)
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	verify := func(code string) response {
		return c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code})
	}
	for range 2 {
		c.wantError(verify(wrong), http.StatusBadRequest, api.CodeCodeInvalid)
	}

	srv.Freeze()
	begin := time.Now()
	c.wantUnavailable("the right code while Redis hangs", verify(code))
	t.Logf("503 after %s with Redis hung", time.Since(begin))
	c.wantUnavailable("a wrong code while Redis hangs", verify(wrong))
	if st, h := c.readyz(); st != http.StatusServiceUnavailable || h.Checks["state"] != "unavailable" {
		t.Errorf("readyz with Redis hung: %d %+v", st, h)
	}
	srv.Thaw()
	c.waitReady()

	c.wantError(verify(wrong), http.StatusTooManyRequests, api.CodeThrottled)
	r := verify(code)
	c.wantError(r, http.StatusTooManyRequests, api.CodeThrottled)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// waitCodeOnAny is the newest code sent to to in any of the clients'
// portals' dev outboxes.
func waitCodeOnAny(to string, cs ...*client) string {
	cs[0].t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range cs {
			msgs := c.outbox()
			for i := len(msgs) - 1; i >= 0; i-- {
				if msgs[i].To == to && msgs[i].Code != "" {
					return msgs[i].Code
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	cs[0].t.Fatalf("no code reached %s", to)
	return ""
}
