package portal_test

import (
	"net/http"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/redisstate/redistest"
)

// TestKeyRotationMidFlow: in the middle of a key rotation's rolling
// restart, server A runs the staged key file (old keys in use, new ones
// accepted) and server B the promoted one (new keys in use, old ones
// accepted). One reset goes back and forth between them: each reads the
// other's cookie, a code A sent (hashed and sealed under the old keys)
// passes on B, a code B sent passes on A, and the password is set.
func TestKeyRotationMidFlow(t *testing.T) {
	srv := redistest.Start(t)
	old, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	staged := *old
	if err := staged.Stage(); err != nil {
		t.Fatal(err)
	}
	promoted := staged
	promoted.Accepted = append([]keys.Set(nil), staged.Accepted...)
	if err := promoted.Promote(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := newEnvKeys(t, &staged, nil, withRedis(srv), sameData(dir))
	b := newEnvKeys(t, &promoted, nil, withRedis(srv), sameData(dir))

	ca := a.client(t)
	cb := ca.on(b)
	ca.startWith("alice", api.IntentReset)
	ca.ok(http.StatusOK, ca.call("POST", api.PathFlowEmailSend, nil))
	code := waitCodeOnAny("alice.alt@example.net", ca, cb)
	f := cb.ok(http.StatusOK, cb.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code})).flow(t)
	if !f.Methods[0].Verified {
		t.Fatalf("A's code on B: %+v", f.Methods)
	}
	cb.ok(http.StatusOK, cb.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "07700 900123"}))
	code = waitCodeOnAny("+447700900123", ca, cb)
	if f := ca.ok(http.StatusOK, ca.call("POST", api.PathFlowSMSVerify, api.CodeRequest{Code: code})).flow(t); f.State != api.StateNewPassword {
		t.Fatalf("B's code on A: state %s", f.State)
	}
	const pw = "Correct-Horse-Battery-42"
	if f := cb.ok(http.StatusOK, cb.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t); f.State != api.StateDone {
		t.Fatalf("state %s", f.State)
	}
	if !a.checkPassword(t, "alice@example.edu", pw) {
		t.Fatal("the new password was not set")
	}
}
