package selfservice_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestCodeKeyRotation: during a key rotation, a code sent by a server on
// the old key passes on a server that uses the new key and still accepts
// the old one; a server that doesn't accept the old key refuses it.
func TestCodeKeyRotation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	newKey := make([]byte, 32)
	rand.Read(newKey)
	engine := func(accepted ...[]byte) *selfservice.Engine {
		d := h.deps
		d.CodeKey, d.AcceptedCodeKeys = newKey, accepted
		e, err := selfservice.New(h.cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	rotated, forgot := engine(h.deps.CodeKey), engine()

	send := func(user, alt string) (api.Flow, string) {
		f := h.start(t, user, api.IntentReset)
		f = ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client)) // the old key
		return f, h.out.lastCode(t, alt)
	}
	f, code := send(alice, "alice.alt@example.net")
	_, err := forgot.VerifyCode(ctx, f.ID, api.KindEmail, code, client)
	wantCode(t, err, sspr.CodeCodeInvalid) // a server that no longer accepts the old key refuses its code
	f, code = send(dave, "dave.alt@example.net")
	f = ok(t)(rotated.VerifyCode(ctx, f.ID, api.KindEmail, code, client))
	for _, m := range f.Methods {
		if m.Kind == api.KindEmail && !m.Verified {
			t.Fatalf("the code made under the old key, on the rotated server: %+v", f)
		}
	}
}
