package portal_test

import (
	"bytes"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/keys"
)

// offerTOTP turns authenticator apps on, beside the guides' three.
func offerTOTP(c *config.Config) {
	c.Flow.Methods = []string{config.MethodEmail, config.MethodSMS, config.MethodQuestions, config.MethodTOTP}
}

// appCode is what an authenticator app holding key shows at at.
func appCode(t *testing.T, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// registerTOTP sets up an authenticator app for a signed-in client, with
// the key the answer shows, and returns the key.
func (c *client) registerTOTP(now time.Time) string {
	c.t.Helper()
	var setup api.TOTPSetupResponse
	if err := json.Unmarshal(c.ok(http.StatusOK, c.call("POST", api.PathRegTOTP, nil)).body, &setup); err != nil {
		c.t.Fatal(err)
	}
	s := setup.Setup
	if s.Key == "" || !strings.HasPrefix(s.QR, "data:image/png;base64,") || !strings.Contains(s.URI, "secret="+s.Key) {
		c.t.Fatalf("setup %+v", s)
	}
	c.wantError(c.call("POST", api.PathRegTOTPConfirm, api.CodeRequest{Code: "12 34"}), 400, api.CodeBadRequest)
	var reg api.RegistrationResponse
	if err := json.Unmarshal(c.ok(http.StatusOK, c.call("POST", api.PathRegTOTPConfirm, api.CodeRequest{Code: appCode(c.t, s.Key, now)})).body, &reg); err != nil {
		c.t.Fatal(err)
	}
	if !reg.Registration.TOTP.Registered {
		c.t.Fatalf("after confirming: %+v", reg.Registration)
	}
	return s.Key
}

// Carol registers an authenticator app and resets with it and her
// alternate email, through the API; the code she confirmed with can't be
// used again, and the key is nowhere in the database or the logs.
func TestTOTPThroughTheAPI(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock, offerTOTP)
	c := e.client(t)
	c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	confirmedAt := clock.Now()
	key := c.registerTOTP(confirmedAt)
	c.registerAll("carol.alt@example.net", "07700 900321", "+447700900321")
	if reg := c.registration(); !reg.TOTP.Registered || !reg.Complete {
		t.Fatalf("registration %+v", reg)
	}
	c.ok(204, c.call("DELETE", api.PathSession, nil))

	f := c.startWith("carol", api.IntentReset)
	if len(f.Methods) != 4 || f.Methods[3].Kind != api.KindTOTP {
		t.Fatalf("methods offered: %+v", f.Methods)
	}
	// Replayed: the code that confirmed the app.
	apiErr := c.wantError(c.call("POST", api.PathFlowTOTPVerify, api.CodeRequest{Code: appCode(t, key, confirmedAt)}), 400, api.CodeCodeInvalid)
	if !strings.Contains(apiErr.Message, "already been used") {
		t.Errorf("replay: %+v", apiErr)
	}
	clock.Advance(30 * time.Second)
	f = c.ok(http.StatusOK, c.call("POST", api.PathFlowTOTPVerify, api.CodeRequest{Code: appCode(t, key, clock.Now())})).flow(t)
	if !f.Methods[3].Verified {
		t.Fatalf("after the app's code: %+v", f.Methods)
	}
	c.passEmail("carol.alt@example.net")
	const pw = "Brand-New-Passphrase-For-C"
	f = c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t)
	if f.State != api.StateDone || !e.checkPassword(t, "carol@example.edu", pw) {
		t.Fatalf("reset: %+v", f)
	}

	// The database holds the key sealed: not as base32, not as bytes.
	db, err := sql.Open("sqlite", filepath.Join(e.cfg.Server.DataDir, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sealed []byte
	if err := db.QueryRow(`SELECT totp_key FROM registrations WHERE user_id = 'carol@example.edu'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) < 48 || strings.Contains(string(sealed), key) || strings.Contains(string(sealed), string(raw)) {
		t.Errorf("stored key %x", sealed)
	}
	e.noSecretsLogged(t, key, "Carol-Old-Password-1", pw)
}

// TestTOTPOnTheVerifyPage: without the wasm, the code from the app is
// typed under "Use my authenticator app" on /verify and posted with it; a
// wrong one is refused on its field, with the choice kept.
func TestTOTPOnTheVerifyPage(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock, offerTOTP)
	c := e.client(t)
	c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	key := c.registerTOTP(clock.Now())
	c.registerAll("carol.alt@example.net", "07700 900321", "+447700900321")
	c.ok(204, c.call("DELETE", api.PathSession, nil))
	clock.Advance(30 * time.Second)

	cid := state(t, c.page("/")).Captcha.ID
	c.follow(c.post("/", url.Values{"user": {"carol"}, "captcha-id": {cid}, "captcha-answer": {devAnswer}}), api.PageChoose)
	html := c.follow(c.post(api.PageChoose, url.Values{"intent": {"reset"}}), api.PageVerify)
	for _, id := range []string{"method-totp", "totp", "totp-next"} {
		if tagWith(html, id) == "" {
			t.Errorf("the verify page has no #%s", id)
		}
	}
	r := c.post(api.PageVerify, url.Values{"method": {"totp"}, "totp": {"000000"}})
	if p := state(t, string(r.body)); p.Error == nil || p.Error.Code != api.CodeCodeInvalid || p.Field != "totp" || p.Values["method"] != "totp" {
		t.Fatalf("a wrong code: %d %+v", r.status, p)
	}
	html = c.follow(c.post(api.PageVerify, url.Values{"method": {"totp"}, "totp": {appCode(t, key, clock.Now())}}), api.PageVerify)
	f := state(t, html).Flow
	if f == nil || !slices.ContainsFunc(f.Methods, func(m api.Method) bool { return m.Kind == api.KindTOTP && m.Verified }) {
		t.Fatalf("the app's code didn't pass: %+v", f)
	}
}

// storedTOTPKey reads user's sealed key from the SQLite file in dir.
func storedTOTPKey(t *testing.T, dir, user string) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sealed []byte
	if err := db.QueryRow(`SELECT totp_key FROM registrations WHERE user_id = ?`, user).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	return sealed
}

// TestTOTPKeyRotation: an app registered under the old keys still works
// after a whole rotation. The servers started on the promoted key file
// seal every key again under the new keys, so the old ones can be retired
// without anyone's app being lost.
func TestTOTPKeyRotation(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	old, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := newEnvKeys(t, old, clock.Now, offerTOTP, sameData(dir))
	c := a.client(t)
	c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	key := c.registerTOTP(clock.Now())
	c.registerAll("carol.alt@example.net", "07700 900321", "+447700900321")
	before := storedTOTPKey(t, dir, "carol@example.edu")

	next := *old
	if err := next.Stage(); err != nil {
		t.Fatal(err)
	}
	if err := next.Promote(); err != nil {
		t.Fatal(err)
	}
	newEnvKeys(t, &next, clock.Now, offerTOTP, sameData(dir))
	deadline := time.Now().Add(10 * time.Second)
	for bytes.Equal(storedTOTPKey(t, dir, "carol@example.edu"), before) {
		if time.Now().After(deadline) {
			t.Fatal("the promoted server didn't seal the key again")
		}
		time.Sleep(20 * time.Millisecond)
	}

	retired := next
	retired.Accepted = append([]keys.Set(nil), next.Accepted...)
	if err := retired.Retire(); err != nil {
		t.Fatal(err)
	}
	b := newEnvKeys(t, &retired, clock.Now, offerTOTP, sameData(dir))
	clock.Advance(30 * time.Second)
	cb := b.client(t)
	cb.startWith("carol", api.IntentReset)
	f := cb.ok(http.StatusOK, cb.call("POST", api.PathFlowTOTPVerify, api.CodeRequest{Code: appCode(t, key, clock.Now())})).flow(t)
	if !f.Methods[3].Verified {
		t.Fatalf("after the rotation, the app's code: %+v", f.Methods)
	}
}
