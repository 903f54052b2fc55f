package selfservice_test

import (
	"context"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// clearingDirectory ends an account's must-change when its password is
// set, as the embedded directory does (sqlite.Directory.SetPassword).
type clearingDirectory struct{ *directory }

func (d clearingDirectory) SetPassword(ctx context.Context, id, pw string) error {
	if err := d.directory.SetPassword(ctx, id, pw); err != nil {
		return err
	}
	d.set(id, func(a *sspr.Account) { a.MustChange = false })
	return nil
}

// newMustChangeHarness is the session harness with carol given the
// initial password an import gives, to be changed at her next sign-in.
func newMustChangeHarness(t *testing.T) *sessionHarness {
	t.Helper()
	h := newSessionHarness(t)
	h.dir.password[carol] = "Initial-Password-1"
	h.dir.accounts[carol].MustChange = true
	clearing(t, h.harness)
	return h
}

// clearing has h's engine work through clearingDirectory.
func clearing(t *testing.T, h *harness) {
	t.Helper()
	h.deps.Directory = clearingDirectory{h.dir}
	e, err := selfservice.New(h.cfg, h.deps)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
}

// TestMustChange: an account with an initial password signs in, and is
// told it must change it (must_change, at the sign-in and in the
// session); every registration call is refused with
// password_change_required until it has; the change itself is taken, and
// after it, signed in again with the new password, the account registers
// as anyone does.
func TestMustChange(t *testing.T) {
	h := newMustChangeHarness(t)
	sid, s, err := h.e.SignIn(ctx, "carol", "Initial-Password-1", client)
	if err != nil || !s.MustChange {
		t.Fatalf("sign in: %+v, %v", s, err)
	}
	if ev := h.audit.last(sspr.EventSignIn); ev.UserID != carol || ev.Detail != "must_change=true" {
		t.Fatalf("sign-in event %+v", ev)
	}
	if s, err := h.e.Session(ctx, sid); err != nil || !s.MustChange || s.User != carol {
		t.Fatalf("session %+v, %v", s, err)
	}
	// Every registration call, reading one included.
	calls := []struct {
		name string
		call func() error
	}{
		{"registration", func() error { _, err := h.e.Registration(ctx, sid); return err }},
		{"register email", func() error {
			_, err := h.e.Register(ctx, sid, api.KindEmail, "carol.alt@example.net", client)
			return err
		}},
		{"register sms", func() error { _, err := h.e.Register(ctx, sid, api.KindSMS, "07700 900123", client); return err }},
		{"confirm", func() error { _, err := h.e.Confirm(ctx, sid, api.KindEmail, "12345678", client); return err }},
		{"answers", func() error {
			var in []api.AnswerInput
			for i, q := range questionIDs[:5] {
				in = append(in, api.AnswerInput{ID: q, Answer: []string{"Pickles", "Morecambe", "Jo Smith", "Tuesday", "Lima"}[i]})
			}
			_, err := h.e.SetAnswers(ctx, sid, in, client)
			return err
		}},
		{"remove", func() error { _, err := h.e.Remove(ctx, sid, api.KindEmail, client); return err }},
	}
	for _, c := range calls {
		err := c.call()
		if code(err) != sspr.CodePasswordChangeRequired {
			t.Errorf("%s: %v, want password_change_required", c.name, err)
		}
		if ae, ok := err.(*sspr.Error); ok && ae.Message == "" {
			t.Errorf("%s: no message", c.name)
		}
	}
	if msgs := h.out.all(); len(msgs) != 0 {
		t.Fatalf("a refused registration sent %d messages", len(msgs))
	}
	// Reauth is no registration: taken.
	if _, err := h.e.Reauth(ctx, sid, "Initial-Password-1", client); err != nil {
		t.Fatalf("reauth: %v", err)
	}

	// The change: the policy still applies, and the initial password is
	// the current one.
	wantCode(t, h.e.ChangePassword(ctx, sid, "Initial-Password-1", "short", client), sspr.CodePasswordPolicy)
	wantCode(t, h.e.ChangePassword(ctx, sid, "wrong-password", "Carols-Own-Password-1", client), sspr.CodeUnauthenticated)
	if err := h.e.ChangePassword(ctx, sid, "Initial-Password-1", "Carols-Own-Password-1", client); err != nil {
		t.Fatalf("change: %v", err)
	}
	// The change ends the session; signed in again, carol is as anyone.
	_, err = h.e.Session(ctx, sid)
	wantCode(t, err, sspr.CodeUnauthenticated)
	if a, _ := h.dir.get(carol); a.MustChange {
		t.Fatal("the change left must_change")
	}
	sid, s, err = h.e.SignIn(ctx, "carol", "Carols-Own-Password-1", client)
	if err != nil || s.MustChange {
		t.Fatalf("sign in again: %+v, %v", s, err)
	}
	if _, err := h.e.Registration(ctx, sid); err != nil {
		t.Fatalf("registration after the change: %v", err)
	}
	h.registerEmail(t, sid, "carol.alt@example.net")
}

// TestMustChangeSessionAlreadyOpen: a session signed in before the
// account was given an initial password (an import run while it was
// open) is held to the rule from its next call.
func TestMustChangeSessionAlreadyOpen(t *testing.T) {
	h := newSessionHarness(t)
	sid := h.signIn(t, "alice", "Alice-Old-Password-1")
	if _, err := h.e.Registration(ctx, sid); err != nil {
		t.Fatal(err)
	}
	h.dir.set(alice, func(a *sspr.Account) { a.MustChange = true })
	_, err := h.e.Registration(ctx, sid)
	wantCode(t, err, sspr.CodePasswordChangeRequired)
	if s, err := h.e.Session(ctx, sid); err != nil || !s.MustChange {
		t.Fatalf("session %+v, %v", s, err)
	}
}

// TestMustChangeReset: a reset through the wizard sets a new password too,
// and so ends the must-change (the directory's SetPassword does); the
// flow itself is not held to the rule: it proves the person by their
// methods, not by the initial password.
func TestMustChangeReset(t *testing.T) {
	h := newHarness(t) // alice registered, with an initial password
	h.dir.password[alice] = "Initial-Password-1"
	h.dir.accounts[alice].MustChange = true
	clearing(t, h)
	f := h.start(t, "alice", api.IntentReset)
	f = h.passEmail(t, f, "alice.alt@example.net")
	f = h.passSMS(t, f, "07700 900123", "+447700900123")
	f, err := h.e.SetPassword(ctx, f.ID, "Alices-New-Password-1", client)
	if err != nil || f.State != api.StateDone {
		t.Fatalf("reset: %+v, %v", f, err)
	}
	if a, pw := h.dir.get(alice); a.MustChange || pw != "Alices-New-Password-1" {
		t.Fatalf("after the reset: %+v", a)
	}
	sid, s, err := h.e.SignIn(ctx, "alice", "Alices-New-Password-1", client)
	if err != nil || s.MustChange {
		t.Fatalf("sign in: %+v, %v", s, err)
	}
	if _, err := h.e.Registration(ctx, sid); err != nil {
		t.Fatal(err)
	}
}
