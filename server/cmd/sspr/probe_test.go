package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/httpapi"
)

// TestProbe: `sspr probe` resets the canary's password through a running
// portal, its token instead of a CAPTCHA and the codes read from the
// durable outbox, and reports each step; the token starts no flow for
// another account, a wrong token starts none, and both refusals and the
// probe are in the audit, never the token. (A second probe at once would
// meet the codes' cool-down: like a person, it waits a minute.)
func TestProbe(t *testing.T) {
	bin := buildProgram(t)
	token := strings.Repeat("0123456789abcdef", 4)
	tokenFile := writeFile(t, "probe-token", token+"\n")
	cfg := writeFile(t, "sspr.toml", fmt.Sprintf("[server]\ndrain_period = \"0s\"\n[probe]\naccount = \"alice\"\ntoken_file = %q\n", tokenFile))
	data := t.TempDir()
	p := startProcess(t, bin, cfg, data)

	code, stdout, stderr := runOnce(t, "probe", "--config", cfg, "--data", data, "--url", p.base,
		"--phone", "07700 900123", "--json")
	var res probeResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != exitOK || !res.OK || len(res.Steps) != 7 {
		t.Fatalf("probe: exit %d\nstdout: %s\nstderr: %s\nserver: %s", code, stdout, stderr, p.log)
	}
	// The canary's password is no longer the one it had.
	if s := signIn(t, p.base, "alice", "Alice-Old-Password-1"); s != http.StatusUnauthorized {
		t.Errorf("alice's old password after the probe: %d, want 401", s)
	}

	// A text report, for people.
	if code, stdout, _ := runOnce(t, "probe", "--config", cfg, "--data", data, "--url", p.base, "--phone", "07700 900123"); code != exitError ||
		!strings.Contains(stdout, "email-send") || !strings.Contains(stdout, "FAILED") {
		t.Errorf("a probe during the cool-down: exit %d\n%s", code, stdout)
	}

	start := func(user, tok string) int {
		b, _ := json.Marshal(api.StartRequest{User: user})
		req, _ := http.NewRequest("POST", p.base+api.PathFlows, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(httpapi.ProbeHeader, tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := start("bob", token); s != http.StatusForbidden {
		t.Errorf("the token for another account: %d, want 403", s)
	}
	if s := start("alice", strings.Repeat("f", 64)); s != http.StatusForbidden {
		t.Errorf("a wrong token: %d, want 403", s)
	}

	_, out, _ := runOnce(t, "audit", "--config", cfg, "--data", data, "--kind", "probe_started,probe_refused,password_reset")
	for _, want := range []string{"probe_started", "probe_refused", "password_reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) || strings.Contains(p.log.String(), token) {
		t.Error("the probe's token is in the audit or the log")
	}
}

// signIn tries a password on the registration's sign-in, with the dev
// server's CAPTCHA answer, and returns the status.
func signIn(t *testing.T, base, user, password string) int {
	t.Helper()
	res, err := http.Post(base+api.PathCaptcha, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	var c api.Captcha
	json.NewDecoder(res.Body).Decode(&c)
	res.Body.Close()
	b, _ := json.Marshal(api.SignInRequest{User: user, Password: password, Captcha: api.CaptchaRef{ID: c.ID, Answer: "424242"}})
	res, err = http.Post(base+api.PathSession, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
