package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestDemoStaff: the dev server's demo staff are staff, in their roles,
// through the configuration's defaults, the embedded directory's groups
// and their seeded methods; a demo student is not.
func TestDemoStaff(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ctx := context.Background()
	eng := e.portal.Engine
	client := sspr.Client{Addr: "127.0.0.1"}
	for _, tt := range []struct {
		user, password, alt string
		role                deskapi.Role
	}{
		{"helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net", deskapi.RoleServiceDesk},
		{"auditor", "Auditor-Old-Password-1", "auditor.alt@example.net", deskapi.RoleAuditor},
	} {
		id, s, err := eng.StaffSignIn(ctx, tt.user, tt.password, client)
		if err != nil || s.Role != tt.role {
			t.Fatalf("%s: %+v %v", tt.user, s, err)
		}
		n := len(c.outbox())
		if _, err := eng.StaffSendCode(ctx, id, api.KindEmail, client); err != nil {
			t.Fatal(err)
		}
		code, _ := c.waitCode(tt.alt, n)
		id, s, err = eng.StaffVerify(ctx, id, api.KindEmail, code, client)
		if err != nil || !s.Verified {
			t.Fatalf("%s verify: %+v %v", tt.user, s, err)
		}
		if got, err := eng.Staff(ctx, id); err != nil || got.Role != tt.role {
			t.Fatalf("%s: %+v %v", tt.user, got, err)
		}
	}
	if _, _, err := eng.StaffSignIn(ctx, "alice", "Alice-Old-Password-1", client); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("alice, not staff: %v", err)
	}
}

// TestDeskSignInThroughTheAPI: the helpdesk signs in to the console's API
// with the password and a code to their own address; someone who isn't
// staff, with the right password, gets what a wrong password gets; a
// student's signed-in session opens nothing in the console; sign-out ends
// it.
func TestDeskSignInThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.wantError(c.call("GET", deskapi.PathSession, nil), http.StatusUnauthorized, api.CodeUnauthenticated)

	wrong := c.wantError(c.call("POST", deskapi.PathSession, deskapi.SignInRequest{User: "helpdesk", Password: "Not-The-Password-1"}),
		http.StatusUnauthorized, api.CodeUnauthenticated)
	s := e.client(t) // a student, signed in to the registration pages
	s.ok(201, s.signIn("alice", "Alice-Old-Password-1"))
	notStaff := s.wantError(s.call("POST", deskapi.PathSession, deskapi.SignInRequest{User: "alice", Password: "Alice-Old-Password-1"}),
		http.StatusUnauthorized, api.CodeUnauthenticated)
	if wrong.Message != notStaff.Message {
		t.Errorf("not staff %q, wrong password %q: they tell who is staff", notStaff.Message, wrong.Message)
	}
	s.wantError(s.call("GET", deskapi.PathSession, nil), http.StatusUnauthorized, api.CodeUnauthenticated)

	var r deskapi.StaffSessionResponse
	json.Unmarshal(c.ok(http.StatusCreated, c.call("POST", deskapi.PathSession,
		deskapi.SignInRequest{User: "helpdesk", Password: "Helpdesk-Old-Password-1"})).body, &r)
	if r.Session.Verified || r.Session.Role != deskapi.RoleServiceDesk || len(r.Session.Methods) != 2 {
		t.Fatalf("after the password: %+v", r.Session)
	}
	c.wantError(c.call("GET", deskapi.PathSession, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	n := len(c.outbox())
	c.ok(http.StatusOK, c.call("POST", deskapi.PathSessionEmailSend, nil))
	code, _ := c.waitCode("helpdesk.alt@example.net", n)
	json.Unmarshal(c.ok(http.StatusOK, c.call("POST", deskapi.PathSessionEmailVerify, api.CodeRequest{Code: code})).body, &r)
	if !r.Session.Verified {
		t.Fatalf("after the code: %+v", r.Session)
	}
	json.Unmarshal(c.ok(http.StatusOK, c.call("GET", deskapi.PathSession, nil)).body, &r)
	if r.Session.User != "helpdesk@example.edu" || r.Session.Role != deskapi.RoleServiceDesk {
		t.Fatalf("session %+v", r.Session)
	}
	c.ok(http.StatusNoContent, c.call("DELETE", deskapi.PathSession, nil))
	c.wantError(c.call("GET", deskapi.PathSession, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
}

// deskSignIn signs a member of staff in to the console through the API,
// the code going to their alternate address.
func (c *client) deskSignIn(user, password, alt string) {
	c.t.Helper()
	c.ok(http.StatusCreated, c.call("POST", deskapi.PathSession, deskapi.SignInRequest{User: user, Password: password}))
	n := len(c.outbox())
	c.ok(http.StatusOK, c.call("POST", deskapi.PathSessionEmailSend, nil))
	code, _ := c.waitCode(alt, n)
	c.ok(http.StatusOK, c.call("POST", deskapi.PathSessionEmailVerify, api.CodeRequest{Code: code}))
}

// person looks user up in the console.
func (c *client) person(user string) deskapi.Person {
	c.t.Helper()
	var r deskapi.PersonResponse
	if err := json.Unmarshal(c.ok(http.StatusOK, c.call("GET", deskapi.PathPeople+"?user="+url.QueryEscape(user), nil)).body, &r); err != nil {
		c.t.Fatal(err)
	}
	return r.Person
}

// TestDeskLooksUpAPerson: staff see a person's account, registration
// (masked), blocks and recent events: bob locked; alice blocked after
// wrong phone numbers, until when, and the mismatches in her events;
// someone unknown. Auditors may look too; a student may not. Each
// look-up is audited with the staff member's id.
func TestDeskLooksUpAPerson(t *testing.T) {
	e := newEnv(t)
	// alice types wrong numbers until her self-service pauses.
	a := e.client(t)
	a.startWith("alice", api.IntentReset)
	for range 10 {
		r := a.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "07700 900999"})
		if r.status == http.StatusTooManyRequests {
			break
		}
	}

	d := e.client(t)
	d.deskSignIn("helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net")
	bob := d.person("bob")
	if !bob.Exists || !bob.Locked || bob.DisplayName != "Bob Baker" || !bob.Registration.Email.Registered ||
		!bob.Registration.SMS.Registered || strings.Contains(bob.Registration.Email.Hint, "bob.alt@example.net") {
		t.Fatalf("bob: %+v", bob)
	}
	alice := d.person("alice@example.edu")
	if len(alice.Blocks) != 1 || alice.Blocks[0].Kind != "self_service" || !alice.Blocks[0].Until.After(time.Now().Add(time.Hour)) {
		t.Fatalf("alice's blocks: %+v", alice.Blocks)
	}
	mismatches := 0
	for _, ev := range alice.Events {
		if ev.Event == sspr.EventPhoneMismatch {
			mismatches++
		}
	}
	if mismatches == 0 || alice.Locked {
		t.Fatalf("alice: %d mismatches in %+v", mismatches, alice.Events)
	}
	if nobody := d.person("nobody"); nobody.Exists || len(nobody.Blocks) != 0 {
		t.Fatalf("nobody: %+v", nobody)
	}

	au := e.client(t)
	au.deskSignIn("auditor", "Auditor-Old-Password-1", "auditor.alt@example.net")
	if p := au.person("bob"); !p.Locked {
		t.Fatalf("the auditor sees bob as %+v", p)
	}
	s := e.client(t)
	s.ok(201, s.signIn("alice", "Alice-Old-Password-1"))
	s.wantError(s.call("GET", deskapi.PathPeople+"?user=bob", nil), http.StatusUnauthorized, api.CodeUnauthenticated)

	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	looked, err := sqlite.NewStore(db).Events(context.Background(), sspr.EventQuery{User: "bob@example.edu", Kinds: []string{sspr.EventPersonLookedUp}})
	if err != nil || len(looked) != 2 || !strings.Contains(looked[1].Detail, "by=helpdesk@example.edu") || !strings.Contains(looked[0].Detail, "by=auditor@example.edu") {
		t.Fatalf("look-ups audited: %+v %v", looked, err)
	}
}

// TestDeskActions: the service desk unlocks bob under a ticket, and bob
// signs in; lifts alice's pause after wrong phone numbers, and she starts
// again at once; clears dave's registration. Each is audited with the
// staff id, the ticket and the reason, and told to the person. An auditor
// may not act; a bad ticket or no reason is refused.
func TestDeskActions(t *testing.T) {
	e := newEnv(t)
	a := e.client(t)
	a.startWith("alice", api.IntentReset)
	for range 10 {
		if r := a.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "07700 900999"}); r.status == http.StatusTooManyRequests {
			break
		}
	}
	d := e.client(t)
	d.deskSignIn("helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net")
	act := func(path, user string) deskapi.Person {
		t.Helper()
		var r deskapi.PersonResponse
		json.Unmarshal(d.ok(http.StatusOK, d.call("POST", path, deskapi.ActionRequest{User: user, Ticket: "INC0012345",
			Reason: "Called from their desk phone; identity checked with their staff card."})).body, &r)
		return r.Person
	}

	n := len(d.outbox())
	if p := act(deskapi.PathUnlock, "bob"); p.Locked {
		t.Fatalf("bob after the unlock: %+v", p)
	}
	b := e.client(t)
	b.ok(201, b.signIn("bob", "Bob-Old-Password-1"))
	told := map[string]bool{}
	for deadline := time.Now().Add(5 * time.Second); !told["bob@example.edu"] || !told["bob.alt@example.net"]; time.Sleep(20 * time.Millisecond) {
		for _, m := range d.outbox()[n:] {
			if strings.Contains(m.Body, "the service desk unlocked your account (ticket INC0012345)") {
				told[m.To] = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob told at %v; the outbox: %+v", told, d.outbox()[n:])
		}
	}

	if p := act(deskapi.PathLiftBlock, "alice"); len(p.Blocks) != 0 {
		t.Fatalf("alice after the lift: %+v", p.Blocks)
	}
	a2 := e.client(t)
	a2.startWith("alice", api.IntentReset)
	a2.ok(http.StatusBadRequest, a2.call("POST", api.PathFlowSMSSend, api.PhoneRequest{Phone: "07700 900999"})) // one more mismatch: not paused again

	if p := act(deskapi.PathClearRegistration, "dave"); p.Registration.Email.Registered {
		t.Fatalf("dave after the clear: %+v", p.Registration)
	}

	for _, bad := range []deskapi.ActionRequest{
		{User: "bob", Ticket: "", Reason: "why"},
		{User: "bob", Ticket: "INC1", Reason: " "},
		{User: "bob", Ticket: "INC1\nX", Reason: "why"},
		{User: "nobody", Ticket: "INC1", Reason: "why"},
	} {
		d.wantError(d.call("POST", deskapi.PathUnlock, bad), http.StatusBadRequest, api.CodeBadRequest)
	}
	au := e.client(t)
	au.deskSignIn("auditor", "Auditor-Old-Password-1", "auditor.alt@example.net")
	au.wantError(au.call("POST", deskapi.PathUnlock, deskapi.ActionRequest{User: "bob", Ticket: "INC1", Reason: "why"}),
		http.StatusForbidden, api.CodeForbidden)
	s := e.client(t)
	s.wantError(s.call("POST", deskapi.PathUnlock, deskapi.ActionRequest{User: "bob", Ticket: "INC1", Reason: "why"}),
		http.StatusUnauthorized, api.CodeUnauthenticated)

	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := sqlite.NewStore(db).Events(context.Background(), sspr.EventQuery{
		Kinds: []string{sspr.EventDeskUnlock, sspr.EventDeskLiftBlock, sspr.EventDeskClearRegistration}})
	if err != nil || len(events) != 6 {
		t.Fatalf("desk events: %+v %v", events, err)
	}
	for _, ev := range events {
		if !strings.Contains(ev.Detail, "by=helpdesk@example.edu") || !strings.Contains(ev.Detail, `ticket="INC0012345"`) ||
			!strings.Contains(ev.Detail, "staff card") {
			t.Errorf("event %+v", ev)
		}
	}
}

// TestRecoveryPass: carol registered nothing; the service desk issues her
// a pass, shown once; she starts an ordinary reset, types it instead of
// methods, sets a new password, is told to register, and signs in with
// it. A wrong pass counts as a wrong code; the pass is single-use; she
// hears of the pass at her address; an auditor can't issue one.
func TestRecoveryPass(t *testing.T) {
	e := newEnv(t)
	d := e.client(t)
	d.deskSignIn("helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net")
	var rp deskapi.RecoveryPassResponse
	json.Unmarshal(d.ok(http.StatusOK, d.call("POST", deskapi.PathRecoveryPass, deskapi.ActionRequest{User: "carol",
		Ticket: "INC0099", Reason: "Lost her phone and her personal mailbox; seen in person with her card."})).body, &rp)
	if len(rp.Pass) != 14 || !rp.ExpiresAt.After(time.Now().Add(50*time.Minute)) {
		t.Fatalf("pass %+v", rp)
	}

	c := e.client(t)
	f := c.startWith("carol", api.IntentReset)
	if f.State != api.StateVerify {
		t.Fatalf("carol's flow: %+v", f)
	}
	c.wantError(c.call("POST", api.PathFlowPass, api.PassRequest{Pass: "AAAA-BBBB-CCCC"}), http.StatusBadRequest, api.CodeCodeInvalid)
	f = c.ok(http.StatusOK, c.call("POST", api.PathFlowPass, api.PassRequest{Pass: strings.ToLower(rp.Pass)})).flow(t)
	if f.State != api.StateNewPassword {
		t.Fatalf("after the pass: %+v", f)
	}
	f = c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: newPassword})).flow(t)
	if f.State != api.StateDone || f.Outcome != api.OutcomeRegisterAgain {
		t.Fatalf("done: %+v", f)
	}
	s := e.client(t)
	s.ok(201, s.signIn("carol", newPassword))

	again := e.client(t)
	again.startWith("carol", api.IntentReset)
	again.wantError(again.call("POST", api.PathFlowPass, api.PassRequest{Pass: rp.Pass}), http.StatusBadRequest, api.CodeCodeInvalid)

	found := false
	for deadline := time.Now().Add(5 * time.Second); !found; time.Sleep(20 * time.Millisecond) {
		for _, m := range d.outbox() {
			if m.To == "carol@example.edu" && strings.Contains(m.Body, "one-time recovery pass") && !strings.Contains(m.Body, rp.Pass) {
				found = true
			}
		}
		if !found && time.Now().After(deadline) {
			t.Fatal("carol was not told of the pass")
		}
	}

	au := e.client(t)
	au.deskSignIn("auditor", "Auditor-Old-Password-1", "auditor.alt@example.net")
	au.wantError(au.call("POST", deskapi.PathRecoveryPass, deskapi.ActionRequest{User: "carol", Ticket: "INC1", Reason: "why"}),
		http.StatusForbidden, api.CodeForbidden)
	if strings.Contains(e.log.String(), rp.Pass) {
		t.Fatal("the pass is in the log")
	}
}

// TestDeskSearch: staff find people by a part of their name; a term too
// short is refused; a student gets nothing.
func TestDeskSearch(t *testing.T) {
	e := newEnv(t)
	d := e.client(t)
	d.deskSignIn("auditor", "Auditor-Old-Password-1", "auditor.alt@example.net")
	var r deskapi.SearchResponse
	json.Unmarshal(d.ok(http.StatusOK, d.call("GET", deskapi.PathSearch+"?q=archer", nil)).body, &r)
	if len(r.People) != 1 || r.People[0].User != "alice@example.edu" || r.People[0].DisplayName != "Alice Archer" {
		t.Fatalf("search: %+v", r)
	}
	d.wantError(d.call("GET", deskapi.PathSearch+"?q=a", nil), http.StatusBadRequest, api.CodeBadRequest)
	s := e.client(t)
	s.wantError(s.call("GET", deskapi.PathSearch+"?q=archer", nil), http.StatusUnauthorized, api.CodeUnauthenticated)
}
