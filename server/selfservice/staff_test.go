package selfservice_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

const (
	desk    = "cn=service-desk"
	auditGr = "cn=auditors"
)

// staffHarness: alice is on the service desk, dave an auditor (email
// only), bob nobody's staff; all three have passwords.
func staffHarness(t *testing.T) *sessionHarness {
	t.Helper()
	h := newSessionHarness(t, func(c *selfservice.Config) {
		c.StaffServiceDeskGroup, c.StaffAuditorGroup = desk, auditGr
	})
	h.dir.password[dave] = "Dave-Old-Password-1"
	h.dir.groups = map[string][]string{desk: {alice}, auditGr: {dave}}
	confirmed := h.clock.Now().Add(-time.Hour)
	h.regs[alice] = &sspr.Registration{UserID: alice, Email: "alice.alt@example.net", EmailConfirmed: confirmed,
		Phone: "+447700900123", PhoneConfirmed: confirmed}
	h.regs[dave] = &sspr.Registration{UserID: dave, Email: "dave.alt@example.net", EmailConfirmed: confirmed}
	h.regs[bob] = &sspr.Registration{UserID: bob, Email: "bob.alt@example.net", EmailConfirmed: confirmed}
	return h
}

// TestStaffSignIn: the password, then a code to one of the staff member's
// own methods; the session's id changes once the code passed; the role
// comes from the groups.
func TestStaffSignIn(t *testing.T) {
	h := staffHarness(t)
	id, s, err := h.e.StaffSignIn(ctx, "alice", "Alice-Old-Password-1", client)
	if err != nil {
		t.Fatal(err)
	}
	if s.Verified || s.Role != deskapi.RoleServiceDesk || len(s.Methods) != 2 || s.Methods[0].Hint == "alice.alt@example.net" {
		t.Fatalf("after the password: %+v", s)
	}
	if _, err := h.e.Staff(ctx, id); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("the console opened on the password alone: %v", err)
	}
	if _, err := h.e.StaffSendCode(ctx, id, api.KindEmail, client); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.e.StaffVerify(ctx, id, api.KindEmail, "00000000", client); sspr.CodeOf(err) != sspr.CodeCodeInvalid {
		t.Fatalf("a wrong code: %v", err)
	}
	newID, s, err := h.e.StaffVerify(ctx, id, api.KindEmail, h.out.lastCode(t, "alice.alt@example.net"), client)
	if err != nil || !s.Verified || newID == id {
		t.Fatalf("verify: %q %+v %v", newID, s, err)
	}
	if _, err := h.e.Staff(ctx, id); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("the id before the code still works: %v", err)
	}
	got, err := h.e.Staff(ctx, newID)
	if err != nil || got.Role != deskapi.RoleServiceDesk || got.User != alice || got.DisplayName != "Alice Archer" || got.Methods != nil {
		t.Fatalf("Staff = %+v, %v", got, err)
	}
	ref := h.audit.last(sspr.EventStaffSignIn).Flow
	want := []string{"staff_sign_in/started", "code_sent/ok", "staff_sign_in_failed/refused", "staff_sign_in/ok"}
	if tl := h.audit.timeline(ref); len(tl) != 4 || tl[0] != want[0] || tl[1] != want[1] || tl[2] != want[2] || tl[3] != want[3] {
		t.Fatalf("audit %v", tl)
	}

	// The auditor's role.
	id, s, err = h.e.StaffSignIn(ctx, "dave", "Dave-Old-Password-1", client)
	if err != nil || s.Role != deskapi.RoleAuditor || len(s.Methods) != 1 {
		t.Fatalf("dave: %+v %v", s, err)
	}
	if err := h.e.StaffSignOut(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.StaffSendCode(ctx, id, api.KindEmail, client); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("after sign-out: %v", err)
	}
}

// TestStaffSignInRefusals: someone not staff, with the right password,
// gets the wrong password's answer; so do a wrong password and a locked
// staff account. Staff without a method of their own can't sign in.
func TestStaffSignInRefusals(t *testing.T) {
	h := staffHarness(t)
	_, _, wrong := h.e.StaffSignIn(ctx, "alice", "Not-Her-Password-1", client)
	_, _, notStaff := h.e.StaffSignIn(ctx, "bob", "Bob-Old-Password-1", client)
	h.dir.set(dave, func(a *sspr.Account) { a.Locked = true })
	_, _, locked := h.e.StaffSignIn(ctx, "dave", "Dave-Old-Password-1", client)
	for name, err := range map[string]error{"wrong password": wrong, "not staff": notStaff, "locked": locked} {
		var ae *sspr.Error
		if !errors.As(err, &ae) || ae.Code != sspr.CodeUnauthenticated || ae.Message != "The user ID or password is wrong." {
			t.Errorf("%s: %v", name, err)
		}
	}
	h.dir.set(dave, func(a *sspr.Account) { a.Locked = false })
	delete(h.regs, dave)
	if _, _, err := h.e.StaffSignIn(ctx, "dave", "Dave-Old-Password-1", client); sspr.CodeOf(err) != sspr.CodeMethodUnavailable {
		t.Errorf("staff without a method: %v", err)
	}
}

// TestStaffSessionEnds: removed from the group, locked, idle too long or
// at its absolute limit, a staff session ends at its next call.
func TestStaffSessionEnds(t *testing.T) {
	h := staffHarness(t)
	signIn := func() string {
		t.Helper()
		id, _, err := h.e.StaffSignIn(ctx, "alice", "Alice-Old-Password-1", client)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.e.StaffSendCode(ctx, id, api.KindSMS, client); err != nil {
			t.Fatal(err)
		}
		id, _, err = h.e.StaffVerify(ctx, id, api.KindSMS, h.out.lastCode(t, "+447700900123"), client)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := signIn()
	h.dir.groups[desk] = nil
	if _, err := h.e.Staff(ctx, id); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("out of the group: %v", err)
	}
	h.dir.groups[desk] = []string{alice}
	h.clock.Advance(2 * time.Minute) // past the code send's cool-down
	id = signIn()
	h.clock.Advance(11 * time.Minute)
	if _, err := h.e.Staff(ctx, id); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("idle for 11 minutes: %v", err)
	}
	h.clock.Advance(2 * time.Minute)
	id = signIn()
	for range 53 { // busy all day (7 h 57 min): 8 hours at most
		h.clock.Advance(9 * time.Minute)
		if _, err := h.e.Staff(ctx, id); err != nil {
			t.Fatalf("busy, at %s: %v", h.clock.Now(), err)
		}
	}
	h.clock.Advance(9 * time.Minute)
	if _, err := h.e.Staff(ctx, id); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("past 8 hours: %v", err)
	}
}

// TestStaffCodeNotDelivered: when the outbox gives a staff member's code
// up, the sign-in says so instead of waiting for it.
func TestStaffCodeNotDelivered(t *testing.T) {
	h := staffHarness(t)
	id, _, err := h.e.StaffSignIn(ctx, "alice", "Alice-Old-Password-1", client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.StaffSendCode(ctx, id, api.KindEmail, client); err != nil {
		t.Fatal(err)
	}
	msgs := h.out.all()
	m := msgs[len(msgs)-1]
	h.e.DeliveryFailed(ctx, m)
	_, _, err = h.e.StaffVerify(ctx, id, api.KindEmail, m.Code, client)
	if sspr.CodeOf(err) != sspr.CodeCodeExpired || !strings.Contains(err.Error(), "couldn't send") {
		t.Fatalf("a code given up, typed: %v", err)
	}
}
