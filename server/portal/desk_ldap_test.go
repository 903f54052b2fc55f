package portal_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
)

// TestDeskAgainstSlapd: with a real slapd, staff are the members of the
// configured group, nested membership counting (as in Active Directory:
// the desk's group is itself a member of the staff group). The desk
// member signs in with a password and a code, finds bob locked in the
// directory and unlocks him there; an account outside the group, with its
// right password, gets what a wrong password gets; an auditor looks but
// can't act.
func TestDeskAgainstSlapd(t *testing.T) {
	s := slapdtest.Start(t)
	tweak, check := withSlapd(t, s)
	groups := s.NewTree(t)
	itStaff, audit := "cn=it-staff,"+groups, "cn=auditors,"+groups
	var users string
	e := newEnv(t, tweak, func(c *config.Config) {
		users = c.Directory.BaseDN
		c.Directory.GroupBaseDN = groups
		c.Staff.ServiceDeskGroup, c.Staff.AuditorGroup = itStaff, audit
	})
	helpdesk := s.AddUser(t, users, slapdtest.User{UID: "helpdesk", Password: "Helpdesk-Old-Password-1",
		DisplayName: "Hal Desk", Mail: "helpdesk@example.edu"})
	auditor := s.AddUser(t, users, slapdtest.User{UID: "auditor", Password: "Auditor-Old-Password-1",
		DisplayName: "Ann Auditor", Mail: "auditor@example.edu"})
	s.AddGroup(t, groups, "it-staff", s.AddGroup(t, groups, "service-desk", helpdesk)) // the desk, nested in IT staff
	s.AddGroup(t, groups, "auditors", auditor)
	d := check(e)
	if !d.locked("bob@example.edu") {
		t.Fatal("bob is not locked in slapd before the test")
	}

	c := e.client(t)
	c.deskSignIn("helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net")
	p := c.person("bob")
	if !p.Exists || !p.Locked || p.DisplayName != "Bob Baker" {
		t.Fatalf("bob as the desk sees him: %+v", p)
	}
	// When the password was last set: ppolicy's pwdChangedTime, which a
	// reset writes.
	if a := c.person("alice"); a.PasswordSetAt != nil {
		t.Fatalf("alice's password last set before any change: %v", a.PasswordSetAt)
	}
	r := e.client(t)
	r.startWith("alice", api.IntentReset)
	r.passEmail("alice.alt@example.net")
	r.passSMS("07700 900123", "+447700900123")
	r.ok(http.StatusOK, r.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: "Correct-Horse-Battery-42"}))
	if a := c.person("alice"); a.PasswordSetAt == nil || time.Since(*a.PasswordSetAt) > time.Minute {
		t.Errorf("alice's password last set, after a reset: %v", a.PasswordSetAt)
	}
	c.ok(http.StatusOK, c.call("POST", deskapi.PathUnlock, deskapi.ActionRequest{User: "bob", Ticket: "INC0042", Reason: "Seen in person."}))
	if d.locked("bob@example.edu") {
		t.Fatal("slapd still shows bob locked after the desk unlocked him")
	}
	if p := c.person("bob"); p.Locked {
		t.Fatalf("the console still shows bob locked: %+v", p)
	}

	// alice is in the directory, with the right password, but in no group.
	a := e.client(t)
	aeWrong := a.wantError(a.call("POST", deskapi.PathSession, deskapi.SignInRequest{User: "alice", Password: "not it"}),
		http.StatusUnauthorized, api.CodeUnauthenticated)
	aeRight := a.wantError(a.call("POST", deskapi.PathSession, deskapi.SignInRequest{User: "alice", Password: "Alice-Old-Password-1"}),
		http.StatusUnauthorized, api.CodeUnauthenticated)
	if aeWrong.Message != aeRight.Message {
		t.Errorf("not staff: %q; a wrong password: %q", aeRight.Message, aeWrong.Message)
	}
	a.wantError(a.call("GET", deskapi.PathPeople+"?user=bob", nil), http.StatusUnauthorized, api.CodeUnauthenticated)

	au := e.client(t)
	au.deskSignIn("auditor", "Auditor-Old-Password-1", "auditor.alt@example.net")
	if p := au.person("alice"); !p.Exists {
		t.Fatalf("the auditor can't see alice: %+v", p)
	}
	au.wantError(au.call("POST", deskapi.PathUnlock, deskapi.ActionRequest{User: "bob", Ticket: "INC0043", Reason: "why"}),
		http.StatusForbidden, api.CodeForbidden)
}
