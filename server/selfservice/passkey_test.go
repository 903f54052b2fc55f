package selfservice_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/internal/testkit/webauthntest"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

const portalOrigin = "https://portal.example.edu"

func withPasskeys(c *selfservice.Config) {
	c.Methods = []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions, api.KindTOTP, api.KindPasskey}
	c.WebAuthn = selfservice.WebAuthn{RPID: "portal.example.edu", Origins: []string{portalOrigin}}
}

// options is the JSON the page gives the browser.
func options(t *testing.T, o api.PasskeyOptions) []byte {
	t.Helper()
	if !json.Valid(o.Options) {
		t.Fatalf("options %s", o.Options)
	}
	return o.Options
}

// addPasskey registers a new software passkey named name for the session.
func (h *sessionHarness) addPasskey(t *testing.T, sid, name string) *webauthntest.Authenticator {
	t.Helper()
	a := webauthntest.New(portalOrigin)
	o := must[api.PasskeyOptions](t)(h.e.PasskeyCreation(ctx, sid, client))
	cred, err := a.Create(options(t, o))
	if err != nil {
		t.Fatal(err)
	}
	must[api.Registration](t)(h.e.AddPasskey(ctx, sid, name, cred, client))
	return a
}

// passkeyAnswer is a's answer to the flow's passkey options.
func (h *harness) passkeyAnswer(t *testing.T, flowID string, a *webauthntest.Authenticator) json.RawMessage {
	t.Helper()
	o := must[api.PasskeyOptions](t)(h.e.PasskeyOptions(ctx, flowID, client))
	b, err := a.Get(options(t, o))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPasskeyRegistrationAndReset(t *testing.T) {
	h := newSessionHarness(t, withPasskeys)
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	phone := h.addPasskey(t, sid, "  My phone ")
	h.addPasskey(t, sid, "Security key")
	reg := must[api.Registration](t)(h.e.Registration(ctx, sid))
	if !reg.Passkey.Registered || reg.Passkey.Count != 2 || len(reg.Passkeys) != 2 || reg.Passkeys[0].Name != "My phone" ||
		reg.Passkeys[0].ID != base64.RawURLEncoding.EncodeToString(phone.ID) || reg.Passkeys[0].LastUsed != nil {
		t.Fatalf("registration %+v", reg)
	}
	if ev := h.audit.last(sspr.EventRegistrationChanged); ev.Detail != "passkey" {
		t.Errorf("audit %+v", ev)
	}
	// A name is needed (the answer can then be sent again with one); an
	// answer is taken once.
	o := must[api.PasskeyOptions](t)(h.e.PasskeyCreation(ctx, sid, client))
	cred, _ := webauthntest.New(portalOrigin).Create(options(t, o))
	_, err := h.e.AddPasskey(ctx, sid, " ", cred, client)
	wantCode(t, err, sspr.CodeBadRequest)
	must[api.Registration](t)(h.e.AddPasskey(ctx, sid, "Spare", cred, client))
	_, err = h.e.AddPasskey(ctx, sid, "Again", cred, client)
	wantCode(t, err, sspr.CodeWrongState)
	h.registerEmail(t, sid, "alice.alt@example.net")

	f := h.start(t, alice, api.IntentReset)
	if m := findMethod(f, api.KindPasskey); m == nil || !m.Strong || m.Count != 3 {
		t.Fatalf("methods %+v", f.Methods)
	}
	answer := h.passkeyAnswer(t, f.ID, phone)
	f = ok(t)(h.e.VerifyPasskey(ctx, f.ID, answer, client))
	if m := findMethod(f, api.KindPasskey); !m.Verified {
		t.Fatalf("after the passkey: %+v", f.Methods)
	}
	if ev := h.audit.last(sspr.EventMethodPassed); ev.Detail != "method=passkey" {
		t.Errorf("audit %+v", ev)
	}
	stored := h.audit.regs[alice].Passkeys[0]
	if stored.LastUsed.IsZero() {
		t.Error("the passkey's use wasn't stored")
	}
	f = h.passEmail(t, f, "alice.alt@example.net")
	if f.State != api.StateNewPassword {
		t.Fatalf("state %s", f.State)
	}

	// The same answer again, in another flow: its challenge is not this
	// flow's, so it fails.
	g := h.start(t, alice, api.IntentReset)
	must[api.PasskeyOptions](t)(h.e.PasskeyOptions(ctx, g.ID, client))
	_, err = h.e.VerifyPasskey(ctx, g.ID, answer, client)
	wantCode(t, err, sspr.CodeCodeInvalid)
	// Answering twice to one challenge: the challenge is spent by the first.
	answer = h.passkeyAnswer(t, g.ID, phone)
	_, err = h.e.VerifyPasskey(ctx, g.ID, json.RawMessage(`{"id":"x"}`), client)
	wantCode(t, err, sspr.CodeBadRequest)
	ok(t)(h.e.VerifyPasskey(ctx, g.ID, answer, client))
}

func TestPasskeyRefusals(t *testing.T) {
	h := newSessionHarness(t, withPasskeys)
	sa := h.signIn(t, alice, "Alice-Old-Password-1")
	alices := h.addPasskey(t, sa, "Alice's phone")
	h.registerEmail(t, sa, "alice.alt@example.net")
	sb := h.signIn(t, bob, "Bob-Old-Password-1")
	h.addPasskey(t, sb, "Bob's phone")
	h.registerEmail(t, sb, "bob.alt@example.net")

	for _, tc := range []struct {
		name   string
		answer func(flowID string) json.RawMessage
	}{
		{"another account's passkey", func(id string) json.RawMessage {
			return h.passkeyAnswer(t, id, alices) // bob's challenge, alice's key
		}},
		{"without user verification", func(id string) json.RawMessage {
			a := *alices
			a.NoUV = true
			return h.passkeyAnswer(t, id, &a)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := h.start(t, bob, api.IntentReset)
			_, err := h.e.VerifyPasskey(ctx, f.ID, tc.answer(f.ID), client)
			wantCode(t, err, sspr.CodeCodeInvalid)
		})
	}

	// A cloned authenticator: the sign counter goes backwards.
	f := h.start(t, alice, api.IntentReset)
	ok(t)(h.e.VerifyPasskey(ctx, f.ID, h.passkeyAnswer(t, f.ID, alices), client))
	clone := *alices
	clone.Counter = 0
	g := h.start(t, alice, api.IntentReset)
	_, err := h.e.VerifyPasskey(ctx, g.ID, h.passkeyAnswer(t, g.ID, &clone), client)
	wantCode(t, err, sspr.CodeCodeInvalid)
}

func TestPasskeyRemoval(t *testing.T) {
	h := newSessionHarness(t, withPasskeys)
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	a := h.addPasskey(t, sid, "Phone")
	h.addPasskey(t, sid, "Laptop")
	h.registerEmail(t, sid, "alice.alt@example.net")
	reg := must[api.Registration](t)(h.e.RemovePasskey(ctx, sid, base64.RawURLEncoding.EncodeToString(a.ID), client))
	if len(reg.Passkeys) != 1 || reg.Passkeys[0].Name != "Laptop" {
		t.Fatalf("after removing one: %+v", reg.Passkeys)
	}
	_, err := h.e.RemovePasskey(ctx, sid, base64.RawURLEncoding.EncodeToString(a.ID), client)
	wantCode(t, err, sspr.CodeNotFound)
	// The last passkey would leave one method of the two a reset needs.
	_, err = h.e.RemovePasskey(ctx, sid, reg.Passkeys[0].ID, client)
	wantCode(t, err, sspr.CodeWrongState)
}

func TestPasskeyDecoy(t *testing.T) {
	h := newHarness(t, withPasskeys)
	f := h.start(t, "nobody@example.edu", api.IntentReset)
	// The fallback decoy offers every method, a passkey too.
	if findMethod(f, api.KindPasskey) == nil {
		t.Fatalf("decoy methods %+v", f.Methods)
	}
	a := webauthntest.New(portalOrigin)
	o := must[api.PasskeyOptions](t)(h.e.PasskeyOptions(ctx, f.ID, client))
	var opts struct {
		Allow []struct{ ID string } `json:"allowCredentials"`
		UV    string                `json:"userVerification"`
	}
	if err := json.Unmarshal(o.Options, &opts); err != nil || len(opts.Allow) != 1 || opts.UV != "required" {
		t.Fatalf("decoy options %s", o.Options)
	}
	if _, err := a.Get(o.Options); err == nil {
		t.Fatal("an authenticator with no credential answered")
	}
}
