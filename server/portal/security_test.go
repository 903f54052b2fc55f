package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

func sleep() { time.Sleep(10 * time.Millisecond) }

// Malformed requests are refused before anything runs
// (docs/SECURITY.md#too-large, #bad-json, #media-type and #several-values).
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	json := map[string]string{"Content-Type": "application/json"}
	tests := []struct {
		name   string
		body   string
		header map[string]string
		status int
		code   api.Code
	}{
		{"OverTheLimit", `{"user":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`, json, 413, api.CodeTooLarge},
		{"Malformed", `{"user":`, json, 400, api.CodeBadRequest},
		{"WrongType", `{"user":42}`, json, 400, api.CodeBadRequest},
		{"Trailing", `{"user":"alice"} {}`, json, 400, api.CodeBadRequest},
		{"TrailingGarbage", `{"user":"alice"}x`, json, 400, api.CodeBadRequest},
		{"UnknownField", `{"user":"alice","admin":true}`, json, 400, api.CodeBadRequest},
		{"ArrayForString", `{"user":["alice","bob"]}`, json, 400, api.CodeBadRequest},
		{"Empty", ``, json, 400, api.CodeBadRequest},
		{"NoContentType", `{"user":"alice"}`, map[string]string{"Content-Type": ""}, 415, api.CodeUnsupportedMediaType},
		{"FormContentType", `user=alice`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, api.CodeUnsupportedMediaType},
		{"TextPlain", `{"user":"alice"}`, map[string]string{"Content-Type": "text/plain"}, 415, api.CodeUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.wantError(c.raw("POST", api.PathFlows, []byte(tt.body), tt.header), tt.status, tt.code)
		})
	}
	t.Run("ChunkedOverTheLimit", func(t *testing.T) {
		// No Content-Length: the limit is enforced while reading.
		body := io.MultiReader(strings.NewReader(`{"user":"`), strings.NewReader(strings.Repeat("a", 64<<10)), strings.NewReader(`"}`))
		req, _ := http.NewRequest("POST", e.srv.URL+api.PathFlows, body)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

// User ids (docs/SECURITY.md#control-chars-in-id, #ldap-metachars,
// #homoglyph-id, #long-id and #id-variants).
func TestUserIDs(t *testing.T) {
	e := newEnv(t)
	start := func(c *client, user string) response {
		return c.call("POST", api.PathFlows, api.StartRequest{User: user, Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}})
	}
	c := e.client(t)
	for _, u := range []string{"ali\x00ce", "alice\r\nX-Injected: 1", "al\u202eice", "al\u200bice", "alice\x07", strings.Repeat("a", 257)} {
		r := start(c, u)
		c.wantError(r, 400, api.CodeBadRequest)
		if bytes.Contains(r.body, []byte(u)) {
			t.Fatalf("the error echoes the user id %q", u)
		}
	}
	// Filter and DN metacharacters are just characters: an unknown user.
	for _, u := range []string{"*)(uid=*", "alice)(|(uid=*", `cn=admin,dc=example\,dc=org`, "alice*"} {
		f := c.ok(201, start(c, u)).flow(t)
		if f.State != api.StateChooseIntent {
			t.Fatalf("%q: %+v", u, f)
		}
	}
	// Look-alikes: full-width letters normalise to alice (NFKC); a Cyrillic
	// "а" does not, and is nobody.
	c.ok(201, start(c, "ａｌｉｃｅ"))
	c.ok(201, start(c, "\u0430lice"))
	// Case and space variants are one account with one throttle.
	d := e.client(t)
	variants := []string{"alice", "ALICE", " Alice@Example.edu ", "alice@EXAMPLE.EDU", "\talice"}
	for i := 0; i < 20-1; i++ { // the full-width alice above was the first
		d.ok(201, start(d, variants[i%len(variants)]))
	}
	d.wantError(start(d, "Alice"), 429, api.CodeThrottled)
}

// Passwords (docs/SECURITY.md#unicode-password, #huge-password and
// #blocklisted-password).
func TestPasswords(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock)
	c := e.client(t)
	reach := func() {
		clock.Advance(2 * time.Minute) // past the e-mail cool-down
		c.startWith("erin", api.IntentReset)
		c.passEmail("erin.alt@example.net")
		c.passQuestions("green owl")
	}
	reach()
	rules := func(r response) []string {
		var codes []string
		for _, x := range c.wantError(r, 422, api.CodePasswordPolicy).Rules {
			codes = append(codes, x.Code)
		}
		return codes
	}
	for pw, want := range map[string]string{
		"password1234":             api.RuleCommon,
		"erin-is-my-name-2026":     api.RuleUserID,
		"Example University rocks": api.RuleOrgName,
		"short":                    api.RuleMinLength,
	} {
		if got := rules(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})); !strings.Contains(strings.Join(got, ","), want) {
			t.Errorf("%q: rules %v, want %s", pw, got, want)
		}
	}
	// 100 KB: refused by size before any hashing.
	c.wantError(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: strings.Repeat("x", 100<<10)}), 413, api.CodeTooLarge)
	// Emoji, CJK and a long passphrase are fine, and reach the directory
	// byte for byte.
	pw := "🦊 狐狸 is a very long and quite memorable passphrase indeed, seventy characters"
	f := c.ok(200, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t)
	if f.State != api.StateDone || !e.checkPassword(t, "erin@example.edu", pw) {
		t.Fatal("the unicode password did not reach the directory intact")
	}
	// The directory's own refusal (history) is a policy error, and the flow
	// stays where it was (docs/SECURITY.md#directory-refusals).
	reach()
	got := rules(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw}))
	if strings.Join(got, ",") != api.RuleHistory {
		t.Fatalf("rules %v", got)
	}
	f = c.ok(200, c.call("GET", api.PathFlow, nil)).flow(t)
	if f.State != api.StateNewPassword {
		t.Fatalf("state after the directory refused: %s", f.State)
	}
}

// Codes and their throttles (docs/SECURITY.md#replayed-code,
// #spread-guesses, #cross-user-code and #bombing).
func TestCodeAbuse(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock)
	t.Run("ReplayInANewFlow", func(t *testing.T) {
		c := e.client(t)
		c.startWith("erin", api.IntentReset)
		c.ok(200, c.call("POST", api.PathFlowEmailSend, nil))
		code, _ := c.waitCode("erin.alt@example.net", 0)
		c.ok(200, c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}))
		c.startWith("erin", api.IntentReset)
		c.wantError(c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}), 400, api.CodeCodeExpired)
		clock.Advance(time.Minute)
		c.ok(200, c.call("POST", api.PathFlowEmailSend, nil))
		c.wantError(c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}), 400, api.CodeCodeInvalid)
	})
	t.Run("Expired", func(t *testing.T) {
		c := e.client(t)
		c.startWith("alice", api.IntentReset)
		n := len(c.outbox())
		c.ok(200, c.call("POST", api.PathFlowEmailSend, nil))
		code, _ := c.waitCode("alice.alt@example.net", n)
		clock.Advance(10 * time.Minute)
		c.wantError(c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}), 400, api.CodeCodeExpired)
	})
	t.Run("AnotherUsersCode", func(t *testing.T) {
		a, b := e.client(t), e.client(t)
		clock.Advance(time.Hour)
		a.startWith("alice", api.IntentReset)
		b.startWith("bob", api.IntentReset)
		n := len(a.outbox())
		a.ok(200, a.call("POST", api.PathFlowEmailSend, nil))
		code, _ := a.waitCode("alice.alt@example.net", n)
		b.ok(200, b.call("POST", api.PathFlowEmailSend, nil))
		b.wantError(b.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}), 400, api.CodeCodeInvalid)
	})
	t.Run("MailBombing", func(t *testing.T) {
		// To the start of an hour: sends are counted in fixed hours.
		clock.Advance(2*time.Hour + time.Hour - clock.Now().Sub(clock.Now().Truncate(time.Hour)))
		c := e.client(t)
		c.startWith("dave", api.IntentReset)
		before := len(c.outbox())
		for range 5 {
			c.ok(200, c.call("POST", api.PathFlowEmailSend, nil))
			clock.Advance(time.Minute)
		}
		c.wantError(c.call("POST", api.PathFlowEmailSend, nil), 429, api.CodeThrottled)
		// A new flow doesn't reset the cap.
		c.startWith("dave", api.IntentReset)
		c.wantError(c.call("POST", api.PathFlowEmailSend, nil), 429, api.CodeThrottled)
		toDave := func() int {
			n := 0
			for _, m := range c.outbox()[before:] {
				if m.To == "dave.alt@example.net" {
					n++
				}
			}
			return n
		}
		for range 500 {
			if toDave() >= 5 {
				break
			}
			sleep()
		}
		sleep()
		if n := toDave(); n != 5 {
			t.Fatalf("%d codes sent to one account in an hour", n)
		}
	})
	t.Run("GuessesSpreadOverFlows", func(t *testing.T) {
		// To the start of an hour: the failure count is a fixed one-hour
		// window, and these guesses must fall in one.
		clock.Advance(2*time.Hour + time.Hour - clock.Now().Sub(clock.Now().Truncate(time.Hour)))
		c := e.client(t)
		var last response
		for i := range 5 {
			c.startWith("alice", api.IntentReset)
			c.ok(200, c.call("POST", api.PathFlowEmailSend, nil))
			clock.Advance(time.Minute)
			last = c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: fmt.Sprintf("%08d", i)})
		}
		c.wantError(last, 429, api.CodeThrottled)
		c.wantError(c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}}), 429, api.CodeThrottled)
		clock.Advance(24 * time.Hour)
		c.startWith("alice", api.IntentReset)
	})
}

func newEnvClock(t *testing.T, clock *testkit.Clock, tweak ...func(*config.Config)) *env {
	return newEnvWith(t, clock.Now, tweak...)
}

// Steps out of order, or with no flow (docs/SECURITY.md#out-of-order).
func TestOutOfOrder(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for _, p := range []string{api.PathFlowIntent, api.PathFlowEmailSend, api.PathFlowEmailVerify, api.PathFlowSMSSend, api.PathFlowSMSVerify, api.PathFlowQuestionsOK, api.PathFlowPassword} {
		c.wantError(c.call("POST", p, bodyFor(p)), 404, api.CodeFlowMissing)
	}
	c.wantError(c.call("GET", api.PathFlowQuestions, nil), 404, api.CodeFlowMissing)
	c.wantError(c.call("DELETE", api.PathFlow, nil), 404, api.CodeFlowMissing)
	c.start("alice")
	for _, p := range []string{api.PathFlowEmailSend, api.PathFlowEmailVerify, api.PathFlowSMSSend, api.PathFlowSMSVerify, api.PathFlowQuestionsOK, api.PathFlowPassword} {
		c.wantError(c.call("POST", p, bodyFor(p)), 409, api.CodeWrongState)
	}
	c.ok(204, c.call("DELETE", api.PathFlow, nil))
	c.wantError(c.call("GET", api.PathFlow, nil), 404, api.CodeFlowMissing)
}

func bodyFor(path string) any {
	switch path {
	case api.PathFlowIntent:
		return api.IntentRequest{Intent: api.IntentReset}
	case api.PathFlowEmailVerify, api.PathFlowSMSVerify:
		return api.CodeRequest{Code: "12345678"}
	case api.PathFlowSMSSend:
		return api.PhoneRequest{Phone: "+447700900123"}
	case api.PathFlowQuestionsOK:
		return api.AnswersRequest{Answers: map[string]string{"first_pet": "x"}}
	case api.PathFlowPassword:
		return api.PasswordRequest{Password: "A-Long-Enough-Password-1"}
	}
	return nil
}

// CAPTCHAs (docs/SECURITY.md#captcha-reuse and #captcha-flood).
func TestCaptchas(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	start := func(id, answer string) response {
		return c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: id, Answer: answer}})
	}
	id := c.captcha()
	c.ok(201, start(id, devAnswer))
	c.wantError(start(id, devAnswer), 400, api.CodeCaptchaInvalid) // reused
	id = c.captcha()
	c.wantError(start(id, "999999"), 400, api.CodeCaptchaInvalid)
	c.wantError(start(id, devAnswer), 400, api.CodeCaptchaInvalid) // wrong once, then right: burnt
	c.wantError(start("", ""), 400, api.CodeCaptchaInvalid)
	c.wantError(start("unknown-id", ""), 400, api.CodeCaptchaInvalid) // CVE-2023-45292
	c.wantError(start("unknown-id", devAnswer), 400, api.CodeCaptchaInvalid)
	c.wantError(start(c.captcha(), ""), 400, api.CodeCaptchaInvalid)

	var cp api.Captcha
	json.Unmarshal(c.ok(201, c.call("POST", api.PathCaptcha, nil)).body, &cp)
	if !strings.HasPrefix(cp.Image, "data:image/png;base64,") || cp.Audio != "" {
		t.Fatalf("captcha image %.30q audio %.30q (the sound is drawn when asked for)", cp.Image, cp.Audio)
	}
	if r := c.raw("GET", api.CaptchaAudioPath+"?id="+cp.ID, nil, nil); r.status != 200 || r.header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("its sound: %d %q", r.status, r.header.Get("Content-Type"))
	}
	t.Run("Expired", func(t *testing.T) {
		clock := testkit.NewClock(time.Now())
		e := newEnvClock(t, clock)
		c := e.client(t)
		id := c.captcha()
		clock.Advance(5 * time.Minute)
		c.wantError(c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: id, Answer: devAnswer}}), 400, api.CodeCaptchaInvalid)
	})
	t.Run("Flood", func(t *testing.T) {
		e := newEnv(t, func(c *config.Config) { c.Throttle.AddressCaptchas = 20; c.Captcha.Audio = false })
		c := e.client(t)
		for range 20 {
			c.captcha()
		}
		r := c.call("POST", api.PathCaptcha, nil)
		c.wantError(r, 429, api.CodeThrottled)
		if r.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	})
}

// Cookies that are not ours (docs/SECURITY.md#bad-cookie).
func TestCookies(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	r := c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}})
	set, err := http.ParseSetCookie(r.header.Get("Set-Cookie"))
	if err != nil || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.MaxAge != 900 || set.Path != "/" {
		t.Fatalf("cookie flags: %+v %v", set, err)
	}
	c.ok(200, c.call("POST", api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}))
	good := c.cookie()
	name := e.cfg.Session.CookieName
	other := newEnv(t).client(t)
	other.startWith("alice", api.IntentReset)
	for label, value := range map[string]string{
		"Tampered":  good.Value[:len(good.Value)-4] + "AAAA",
		"Truncated": good.Value[:len(good.Value)/2],
		"Garbage":   "not-a-cookie",
		"WrongKey":  other.cookie().Value,
	} {
		r := e.client(t).raw("GET", api.PathFlow, nil, map[string]string{"Cookie": name + "=" + value})
		if r.status != 404 || r.err(t).Code != api.CodeFlowMissing {
			t.Errorf("%s cookie: %d %s", label, r.status, r.body)
		}
	}
	// A cookie copied before identity was proven is worth nothing after.
	c.passEmail("alice.alt@example.net")
	c.passQuestions("blue fox")
	r = e.client(t).raw("GET", api.PathFlow, nil, map[string]string{"Cookie": name + "=" + good.Value})
	if r.status != 404 {
		t.Fatalf("replayed cookie: %d %s", r.status, r.body)
	}
}

// Cross-site requests, forged hosts, spoofed addresses, security headers
// (docs/SECURITY.md#cross-site-post, #forged-host, #public-url and
// #security-headers).
func TestCrossSiteAndHeaders(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.start("alice")
	body := []byte(`{"intent":"reset"}`)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
	} {
		c.wantError(c.raw("POST", api.PathFlowIntent, body, h), 403, api.CodeForbidden)
	}
	c.ok(200, c.raw("POST", api.PathFlowIntent, body, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL}))

	for _, host := range []string{"evil.example", "evil.example:8080", "portal.example.edu"} {
		c.wantError(c.raw("GET", "/robots.txt", nil, map[string]string{"Host": host}), 403, api.CodeForbidden)
		c.wantError(c.raw("GET", api.PathConfig, nil, map[string]string{"Host": host}), 403, api.CodeForbidden)
	}
	// X-Forwarded-For from a peer that is not a configured proxy is ignored.
	d := e.client(t)
	d.hc.Transport = headerTransport{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "evil.example"}
	d.startWith("bob", api.IntentUnlock)
	d.passEmail("bob.alt@example.net")
	d.passSMS("+447700900456", "+447700900456")
	if strings.Contains(e.log.String(), "203.0.113.9") || !strings.Contains(e.log.String(), "client=127.0.0.1") {
		t.Fatalf("the spoofed address was believed:\n%s", e.log.String())
	}

	for _, path := range []string{api.PathConfig, api.PathFlow, "/healthz", "/nothing"} {
		r := c.call("GET", path, nil)
		for k, want := range map[string]string{
			"Referrer-Policy":        "no-referrer",
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s: %s = %q", path, k, got)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "'wasm-unsafe-eval'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
}

type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestPublicCalls(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	var cfg api.Config
	json.Unmarshal(c.ok(200, c.call("GET", api.PathConfig, nil)).body, &cfg)
	if cfg.Organisation.Name == "" || cfg.UserIDHint == "" || cfg.HelpDesk.Phone == "" || cfg.Methods.Required != 2 || len(cfg.Methods.Enabled) != 3 || !cfg.Dev {
		t.Fatalf("config %+v", cfg)
	}
	var pol api.PolicyResponse
	json.Unmarshal(c.ok(200, c.call("GET", api.PathPolicy, nil)).body, &pol)
	if pol.Policy.MinLength != 12 || pol.Policy.MaxLength != 256 || len(pol.Policy.Rules) < 4 {
		t.Fatalf("policy %+v", pol)
	}
	var h api.Health
	json.Unmarshal(c.ok(200, c.call("GET", "/readyz", nil)).body, &h)
	if h.Status != "ok" || h.Checks["directory"] != "ok" || h.Checks["state"] != "ok" || h.Checks["store"] != "ok" {
		t.Fatalf("readyz %+v", h)
	}
	c.ok(200, c.call("GET", "/healthz", nil))
}

// Outside dev mode there is no outbox, and only the public host is served.
func TestProductionMode(t *testing.T) {
	cfg := config.Default()
	cfg.Server.DataDir, cfg.Server.WebDir = t.TempDir(), t.TempDir()
	cfg.Server.PublicURL = "https://reset.example.edu"
	cfg.Hashing.Argon2MemoryKiB, cfg.Hashing.Argon2Time = 64, 1
	k, _ := keys.Generate()
	p, err := portal.New(context.Background(), portal.Options{Config: cfg, Keys: k})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	e := &env{srv: srv, portal: p, log: &testkit.LogBuffer{}, cfg: cfg}
	c := e.client(t)
	public := map[string]string{"Host": "reset.example.edu"}
	if r := c.raw("GET", api.PathDevOutbox, nil, public); r.status != 404 {
		t.Fatalf("/dev/outbox outside dev mode: %d", r.status)
	}
	var pc api.Config
	json.Unmarshal(c.ok(200, c.raw("GET", api.PathConfig, nil, public)).body, &pc)
	if pc.Dev {
		t.Fatal("config says dev")
	}
	c.wantError(c.raw("GET", api.PathConfig, nil, nil), 403, api.CodeForbidden) // loopback is not our host here
	if _, err := portal.New(context.Background(), portal.Options{Config: cfg, Keys: k, DevCaptchaAnswer: "1"}); err == nil {
		t.Fatal("a fixed CAPTCHA answer was accepted outside dev mode")
	}
	r := c.raw("GET", api.PathConfig, nil, public)
	if hsts := r.header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Fatalf("no HSTS for an https portal: %q", hsts)
	}
}

// A backend that can't be reached is 503 directory_unavailable, never 500.
func TestBackendDown(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	id := c.captcha()
	if err := e.portal.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.wantError(c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: id, Answer: devAnswer}}), 503, api.CodeDirectoryUnavailable)
	var h api.Health
	r := c.call("GET", "/readyz", nil)
	json.Unmarshal(r.body, &h)
	if r.status != 503 || h.Checks["directory"] != "unavailable" {
		t.Fatalf("readyz %d %+v", r.status, h)
	}
}
