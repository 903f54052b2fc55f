package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestDeskCoverage: a verified staff session of either role reads the
// coverage report of the demo accounts, overall and by OU; a signed-out
// client, a session that only typed the password and a student's session
// get 401 unauthenticated, as every other desk call.
func TestDeskCoverage(t *testing.T) {
	e := newEnv(t)
	for _, staff := range []struct{ user, password, alt string }{
		{"helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net"},
		{"auditor", "Auditor-Old-Password-1", "auditor.alt@example.net"},
	} {
		d := e.client(t)
		d.deskSignIn(staff.user, staff.password, staff.alt)
		var r deskapi.CoverageResponse
		if err := json.Unmarshal(d.ok(http.StatusOK, d.call("GET", deskapi.PathCoverage, nil)).body, &r); err != nil {
			t.Fatal(err)
		}
		c := r.Coverage
		// alice, bob, erin and helpdesk have two methods or more; dave
		// and auditor one; carol none.
		want := deskapi.CoverageCounts{Accounts: 7, CanReset: 4, Partial: 2, None: 1, CanResetPercent: 57.1}
		if c.CoverageCounts != want || c.Required != 2 || len(c.Methods) != 3 || len(c.OUs) != 5 {
			t.Fatalf("%s: %+v", staff.user, c)
		}
		if g := c.OUs[3]; g.OU != "students/history" || g.Accounts != 2 || g.Partial != 1 || g.None != 1 {
			t.Errorf("%s: students/history: %+v", staff.user, g)
		}
	}
	evs, err := e.store(t).Events(context.Background(), sspr.EventQuery{Kinds: []string{sspr.EventCoverageReported}})
	if err != nil || len(evs) != 2 || evs[0].UserID != "auditor@example.edu" || evs[1].UserID != "helpdesk@example.edu" {
		t.Fatalf("audit: %+v %v", evs, err)
	}

	anon := e.client(t)
	anon.wantError(anon.call("GET", deskapi.PathCoverage, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	half := e.client(t) // the password, not yet the code
	half.ok(http.StatusCreated, half.call("POST", deskapi.PathSession, deskapi.SignInRequest{User: "helpdesk", Password: "Helpdesk-Old-Password-1"}))
	half.wantError(half.call("GET", deskapi.PathCoverage, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	s := e.client(t) // a student, signed in to the registration pages
	s.ok(http.StatusCreated, s.signIn("alice", "Alice-Old-Password-1"))
	s.wantError(s.call("GET", deskapi.PathCoverage, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	s.wantError(s.call("POST", deskapi.PathCoverage, nil), http.StatusMethodNotAllowed, api.CodeMethodNotAllowed)
}

// TestCoverageCountsTheDirectorysMethods: with LDAP, the alternate mail
// and mobile the directory holds count as a flow counts them, merged with
// what people registered in the portal.
func TestCoverageCountsTheDirectorysMethods(t *testing.T) {
	s := slapdtest.Start(t)
	tweak, _ := withSlapd(t, s)
	tree := s.NewTree(t)
	s.AddUser(t, tree, slapdtest.User{UID: "ann", Password: "Ann-Old-Password-1", Mail: "ann@example.edu",
		Extra: map[string][]string{"mobile": {"07700 900123"}, "description": {"ann.alt@example.net"}}})
	s.AddUser(t, tree, slapdtest.User{UID: "ben", Password: "Ben-Old-Password-1", Mail: "ben@example.edu",
		Extra: map[string][]string{"mobile": {"07700 900456"}}})
	s.AddUser(t, tree, slapdtest.User{UID: "cat", Password: "Cat-Old-Password-1", Mail: "cat@example.edu"})
	e := newEnv(t, tweak, func(c *config.Config) {
		c.Directory.BaseDN, c.Directory.MobileAttribute, c.Directory.AltMailAttribute = tree, "mobile", "description"
	})
	if err := e.store(t).PutRegistration(context.Background(), sspr.Registration{UserID: "ben@example.edu",
		Email: "ben.own@example.net", EmailConfirmed: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := e.portal.Engine.CoverageReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// ann: two methods from the directory; ben: its mobile and his own
	// address; cat: nothing.
	want := deskapi.CoverageCounts{Accounts: 3, CanReset: 2, None: 1, CanResetPercent: 66.7}
	if c.CoverageCounts != want || len(c.OUs) != 1 || c.OUs[0].OU != "" {
		t.Fatalf("%+v", c)
	}
}

// store opens the portal's SQLite store beside it.
func (e *env) store(t *testing.T) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqlite.NewStore(db)
}

// TestRemindersAtOnce: two runs of the reminders at the same time (two
// servers' timers) remind each person who needs it once between them,
// with a link to the registration page, delivered by the outbox; the
// next run reminds nobody.
func TestRemindersAtOnce(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Server.PublicURL = "http://127.0.0.1:8080" })
	o := selfservice.RemindOptions{Reminders: e.portal.Reminders, Every: 30 * 24 * time.Hour,
		Link: "http://127.0.0.1:8080" + selfservice.RegisterPath}
	var (
		wg      sync.WaitGroup
		results [2]selfservice.RemindResult
		errs    [2]error
	)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = e.portal.Engine.RemindUnregistered(context.Background(), o) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if sent := results[0].Sent + results[1].Sent; sent != 3 || results[0].Recent+results[1].Recent != 3 {
		t.Fatalf("two runs at once: %+v", results)
	}
	c := e.client(t)
	want := map[string]bool{"carol@example.edu": true, "dave@example.edu": true, "auditor@example.edu": true}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := map[string]int{}
		for _, m := range c.outbox() {
			if strings.Contains(m.Body, o.Link) {
				got[m.To]++
			}
		}
		if len(got) == len(want) {
			for to, n := range got {
				if !want[to] || n != 1 {
					t.Fatalf("reminders delivered: %v", got)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reminders delivered: %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r, err := e.portal.Engine.RemindUnregistered(context.Background(), o); err != nil || r.Sent != 0 || r.Recent != 3 {
		t.Fatalf("the next run: %+v %v", r, err)
	}
}
