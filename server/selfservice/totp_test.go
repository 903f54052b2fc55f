package selfservice_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/internal/storetest"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

func withTOTP(c *selfservice.Config) {
	c.Methods = []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions, api.KindTOTP}
}

// appCode is what an authenticator app holding key shows at t.
func appCode(t *testing.T, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// registerTOTP registers an authenticator app for the signed-in session
// and returns its key as the page showed it.
func (h *sessionHarness) registerTOTP(t *testing.T, sid string) string {
	t.Helper()
	setup := must[api.TOTPSetup](t)(h.e.StartTOTP(ctx, sid, client))
	reg := must[api.Registration](t)(h.e.ConfirmTOTP(ctx, sid, appCode(t, setup.Key, h.clock.Now()), client))
	if !reg.TOTP.Registered {
		t.Fatalf("after confirming, the app isn't registered: %+v", reg.TOTP)
	}
	return setup.Key
}

func TestTOTPRegistration(t *testing.T) {
	h := newSessionHarness(t, withTOTP)
	sid := h.signIn(t, alice, "Alice-Old-Password-1")

	// Confirming before any key was given is refused.
	_, err := h.e.ConfirmTOTP(ctx, sid, "123456", client)
	wantCode(t, err, sspr.CodeWrongState)

	setup := must[api.TOTPSetup](t)(h.e.StartTOTP(ctx, sid, client))
	if len(setup.Key) != 32 || strings.Trim(setup.Key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Errorf("key %q: want 32 base32 characters (160 bits)", setup.Key)
	}
	if !strings.HasPrefix(setup.URI, "otpauth://totp/") || !strings.Contains(setup.URI, "secret="+setup.Key) ||
		!strings.Contains(setup.URI, "issuer=Example") || setup.Issuer != "Example University" || setup.Account != alice ||
		setup.Digits != 6 || setup.Period != 30 {
		t.Errorf("setup = %+v", setup)
	}
	pic, ok64 := strings.CutPrefix(setup.QR, "data:image/png;base64,")
	raw, err := base64.StdEncoding.DecodeString(pic)
	if !ok64 || err != nil {
		t.Fatalf("QR %.40q is not a PNG data URL: %v", setup.QR, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("QR picture: %v", err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 300 {
		t.Errorf("QR picture is %v", b)
	}
	if r, _, _, _ := img.At(2, 2).RGBA(); r != 0xffff {
		t.Error("the QR picture has no white quiet zone")
	}
	if reg := must[api.Registration](t)(h.e.Registration(ctx, sid)); reg.Pending != api.KindTOTP || reg.TOTP.Registered {
		t.Fatalf("while waiting for the first code: pending %q, registered %v", reg.Pending, reg.TOTP.Registered)
	}

	// A wrong code, and a code from a step too far off, register nothing.
	now := h.clock.Now()
	for _, code := range []string{"000000", appCode(t, setup.Key, now.Add(90*time.Second))} {
		if code == appCode(t, setup.Key, now) {
			continue // one chance in a million
		}
		_, err = h.e.ConfirmTOTP(ctx, sid, code, client)
		wantCode(t, err, sspr.CodeCodeInvalid)
	}
	_, err = h.e.ConfirmTOTP(ctx, sid, "12345", client)
	wantCode(t, err, sspr.CodeBadRequest)

	// A code one step behind (the phone's clock a little slow) confirms.
	reg := must[api.Registration](t)(h.e.ConfirmTOTP(ctx, sid, appCode(t, setup.Key, now.Add(-30*time.Second)), client))
	if !reg.TOTP.Registered || reg.TOTP.ConfirmedAt == nil || reg.Pending != "" {
		t.Fatalf("after confirming: %+v, pending %q", reg.TOTP, reg.Pending)
	}
	stored := h.audit.regs[alice]
	if stored == nil || !stored.HasTOTP() {
		t.Fatalf("stored registration: %+v", stored)
	}
	if bytes.Contains(stored.TOTPKey, []byte(setup.Key)) {
		t.Error("the key is stored as the app was given it")
	}
	if ev := h.audit.last(sspr.EventRegistrationChanged); ev.Detail != "totp" || ev.Outcome != sspr.OutcomeOK {
		t.Errorf("audit: %+v", ev)
	}
	if n := h.out.all(); len(n) == 0 || !strings.Contains(n[len(n)-1].Body+n[len(n)-1].Subject, "authenticator app") {
		t.Errorf("no notice of the new app: %+v", n)
	}
	// An app is never due for confirmation again, however old (an
	// address is, after registration.reconfirm_after).
	h.clock.Advance(400 * 24 * time.Hour)
	sid = h.signIn(t, alice, "Alice-Old-Password-1")
	if reg := must[api.Registration](t)(h.e.Registration(ctx, sid)); !reg.TOTP.Registered || reg.TOTP.Due || reg.ReconfirmDue {
		t.Errorf("a year on, the app is due again: %+v", reg.TOTP)
	}
	now = h.clock.Now()
	// The key is shown once: confirming again finds nothing waiting.
	_, err = h.e.ConfirmTOTP(ctx, sid, appCode(t, setup.Key, now), client)
	wantCode(t, err, sspr.CodeWrongState)

	// Removing it leaves nothing of it.
	h.registerEmail(t, sid, "alice.alt@example.net")
	must[api.Registration](t)(h.e.Register(ctx, sid, api.KindSMS, "07700 900123", client))
	must[api.Registration](t)(h.e.Confirm(ctx, sid, api.KindSMS, h.out.lastCode(t, "+447700900123"), client))
	reg = must[api.Registration](t)(h.e.Remove(ctx, sid, api.KindTOTP, client))
	if reg.TOTP.Registered || h.audit.regs[alice].TOTPKey != nil {
		t.Fatalf("after removing: %+v, stored %x", reg.TOTP, h.audit.regs[alice].TOTPKey)
	}
}

func TestTOTPTooManyWrongCodesAtRegistration(t *testing.T) {
	h := newSessionHarness(t, withTOTP)
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	setup := must[api.TOTPSetup](t)(h.e.StartTOTP(ctx, sid, client))
	for range 3 {
		_, err := h.e.ConfirmTOTP(ctx, sid, "000000", client)
		wantCode(t, err, sspr.CodeCodeInvalid)
	}
	// The key is dropped: even the right code must start again.
	_, err := h.e.ConfirmTOTP(ctx, sid, appCode(t, setup.Key, h.clock.Now()), client)
	wantCode(t, err, sspr.CodeWrongState)
}

func TestTOTPReset(t *testing.T) {
	h := newSessionHarness(t, withTOTP)
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	key := h.registerTOTP(t, sid)
	h.registerEmail(t, sid, "alice.alt@example.net")
	confirmedAt := h.clock.Now()

	f := h.start(t, alice, api.IntentReset)
	if got := methodKinds(f); got != "email,totp" {
		t.Fatalf("methods offered: %s", got)
	}
	// The code that confirmed the app is spent, in a flow too.
	_, err := h.e.VerifyTOTP(ctx, f.ID, appCode(t, key, confirmedAt), client)
	wantCode(t, err, sspr.CodeCodeInvalid)
	if !strings.Contains(err.Error(), "already been used") {
		t.Errorf("a spent code got %q", err)
	}
	h.clock.Advance(30 * time.Second)
	code := appCode(t, key, h.clock.Now())
	f = ok(t)(h.e.VerifyTOTP(ctx, f.ID, code, client))
	if m := findMethod(f, api.KindTOTP); m == nil || !m.Verified {
		t.Fatalf("after the app's code: %+v", f.Methods)
	}
	if ev := h.audit.last(sspr.EventMethodPassed); ev.Detail != "method=totp" {
		t.Errorf("audit: %+v", ev)
	}
	// Passed once: not again in the same flow.
	_, err = h.e.VerifyTOTP(ctx, f.ID, code, client)
	wantCode(t, err, sspr.CodeWrongState)
	f = h.passEmail(t, f, "alice.alt@example.net")
	if f.State != api.StateNewPassword {
		t.Fatalf("state after the app and email: %s", f.State)
	}

	// Replayed in another flow, within the same thirty seconds: refused.
	g := h.start(t, alice, api.IntentReset)
	_, err = h.e.VerifyTOTP(ctx, g.ID, code, client)
	wantCode(t, err, sspr.CodeCodeInvalid)
	// An earlier step's code, still inside the window, is refused too:
	// steps only move forward.
	_, err = h.e.VerifyTOTP(ctx, g.ID, appCode(t, key, h.clock.Now().Add(-30*time.Second)), client)
	wantCode(t, err, sspr.CodeCodeInvalid)
	// The next step's code works.
	h.clock.Advance(30 * time.Second)
	g = ok(t)(h.e.VerifyTOTP(ctx, g.ID, appCode(t, key, h.clock.Now()), client))
	if m := findMethod(g, api.KindTOTP); m == nil || !m.Verified {
		t.Fatalf("the next step's code didn't pass: %+v", g.Methods)
	}
}

func TestTOTPWrongCodesBlock(t *testing.T) {
	h := newSessionHarness(t, withTOTP)
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	key := h.registerTOTP(t, sid)
	h.registerEmail(t, sid, "alice.alt@example.net")
	h.clock.Advance(time.Minute)
	f := h.start(t, alice, api.IntentReset)
	right := appCode(t, key, h.clock.Now())
	wrong := "000000"
	if wrong == right {
		wrong = "000001"
	}
	for i := range h.cfg.AccountFailures.Max {
		_, err := h.e.VerifyTOTP(ctx, f.ID, wrong, client)
		if i < h.cfg.AccountFailures.Max-1 {
			wantCode(t, err, sspr.CodeCodeInvalid)
		}
	}
	// Blocked: the right code no longer helps.
	_, err := h.e.VerifyTOTP(ctx, f.ID, right, client)
	wantCode(t, err, sspr.CodeThrottled)
	if strings.Contains(err.Error(), right) {
		t.Error("the error quotes the code")
	}
}

func TestTOTPDecoy(t *testing.T) {
	h := newSessionHarness(t, withTOTP)
	// Everyone registered has only the app and email, so that is what
	// decoys copy.
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	key := h.registerTOTP(t, sid)
	h.registerEmail(t, sid, "alice.alt@example.net")
	for i := range 20 { // enough for decoys to copy (decoy.go: minPopulation)
		id := fmt.Sprintf("user%d@example.edu", i)
		h.audit.regs[id] = &sspr.Registration{UserID: id, Email: id, EmailConfirmed: h.clock.Now(),
			TOTPKey: storetest.SealedKey(byte(i)), TOTPConfirmed: h.clock.Now()}
	}
	if err := h.e.RefreshDecoys(ctx); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	f := h.start(t, "nobody@example.edu", api.IntentReset)
	if got := methodKinds(f); got != "email,totp" {
		t.Fatalf("a decoy offers %s; a real account of the only shape offers email,totp", got)
	}
	// Even alice's right code (anyone's) passes nothing in a decoy.
	_, err := h.e.VerifyTOTP(ctx, f.ID, appCode(t, key, h.clock.Now()), client)
	wantCode(t, err, sspr.CodeCodeInvalid)
}

func TestTOTPNotOffered(t *testing.T) {
	h := newSessionHarness(t) // the default: no authenticator apps
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	_, err := h.e.StartTOTP(ctx, sid, client)
	wantCode(t, err, sspr.CodeMethodUnavailable)
	_, err = h.e.ConfirmTOTP(ctx, sid, "123456", client)
	wantCode(t, err, sspr.CodeMethodUnavailable)
}

// must is ok for calls that return something other than a flow.
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func findMethod(f api.Flow, k api.Kind) *api.Method {
	for i := range f.Methods {
		if f.Methods[i].Kind == k {
			return &f.Methods[i]
		}
	}
	return nil
}
