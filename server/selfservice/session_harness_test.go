package selfservice_test

import (
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/selfservice"
)

// sessionHarness is the engine as a signed-in user meets it: alice and bob
// with passwords, bob not locked, and nothing registered yet.
type sessionHarness struct {
	*harness
	sessions *revoke.Index
}

func newSessionHarness(t *testing.T, tweak ...func(*selfservice.Config)) *sessionHarness {
	t.Helper()
	h := newHarness(t, tweak...)
	h.dir.password[alice] = "Alice-Old-Password-1"
	h.dir.password[bob] = "Bob-Old-Password-1"
	h.dir.accounts[bob].Locked = false
	for id := range h.regs {
		delete(h.regs, id)
	}
	h.clock.Set(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	return &sessionHarness{harness: h, sessions: h.deps.Sessions}
}

// signIn signs user in and returns the session id.
func (h *sessionHarness) signIn(t *testing.T, user, pw string) string {
	t.Helper()
	id, _, err := h.e.SignIn(ctx, user, pw, client)
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	return id
}

// registerEmail registers and confirms an alternate address.
func (h *sessionHarness) registerEmail(t *testing.T, sid, addr string) {
	t.Helper()
	if _, err := h.e.Register(ctx, sid, api.KindEmail, addr, client); err != nil {
		t.Fatalf("register email: %v", err)
	}
	if _, err := h.e.Confirm(ctx, sid, api.KindEmail, h.out.lastCode(t, addr), client); err != nil {
		t.Fatalf("confirm email: %v", err)
	}
}
