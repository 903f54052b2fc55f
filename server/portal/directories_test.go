package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// backend is a directory the API tests run against: the embedded one, or
// a real slapd with ppolicy holding the dev seed's alice and bob.
type backend struct {
	name string
	// setup returns the config tweak that selects the directory, and a
	// checker that asks the directory itself.
	setup func(t *testing.T) (func(*config.Config), func(e *env) dirChecker)
}

type dirChecker struct {
	password func(user, pw string) bool
	locked   func(user string) bool
}

var backends = []backend{
	{"Embedded", func(t *testing.T) (func(*config.Config), func(e *env) dirChecker) {
		return func(*config.Config) {}, func(e *env) dirChecker {
			return dirChecker{
				password: func(user, pw string) bool { return e.checkPassword(t, user, pw) },
				locked: func(user string) bool {
					db, err := sqlite.Open(context.Background(), e.cfg.DatabasePath())
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					a, err := sqlite.NewDirectory(db, secret.NewArgon2(secret.DefaultParams, 0), 0).Lookup(context.Background(), user)
					if err != nil || a == nil {
						t.Fatal(a, err)
					}
					return a.Locked
				},
			}
		}
	}},
	{"OpenLDAP", func(t *testing.T) (func(*config.Config), func(e *env) dirChecker) {
		s := slapdtest.Start(t)
		tweak, check := withSlapd(t, s)
		return tweak, check
	}},
}

// withSlapd puts the dev seed's alice and bob (locked) into a tree of s and
// returns the tweak that points the portal at it.
func withSlapd(t *testing.T, s *slapdtest.Server) (func(*config.Config), func(e *env) dirChecker) {
	t.Helper()
	tree := s.NewTree(t)
	dns := map[string]string{
		"alice@example.edu": s.AddUser(t, tree, slapdtest.User{UID: "alice", Password: "Alice-Old-Password-1", DisplayName: "Alice Archer", Mail: "alice@example.edu"}),
		"bob@example.edu": s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-Password-1", DisplayName: "Bob Baker", Mail: "bob@example.edu",
			Extra: map[string][]string{"pwdAccountLockedTime": {time.Now().UTC().Format("20060102150405Z")}}}),
	}
	pwFile := filepath.Join(t.TempDir(), "bind-password")
	if err := os.WriteFile(pwFile, []byte(slapdtest.ServicePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tweak := func(c *config.Config) {
		d := &c.Directory
		d.Kind, d.URLs, d.StartTLS, d.CAFile = config.DirectoryOpenLDAP, []string{s.URL}, true, s.CAFile
		d.BindDN, d.BindPasswordFile, d.BaseDN = slapdtest.ServiceDN, pwFile, tree
		d.PasswordPolicyDN = slapdtest.PolicyDN
		d.ConnectTimeout, d.Timeout = config.Duration{Duration: 2 * time.Second}, config.Duration{Duration: 5 * time.Second}
	}
	check := func(e *env) dirChecker {
		d := slapdDirectory(t, tweak)
		return dirChecker{
			password: func(user, pw string) bool { return s.Bind(dns[user], pw) == nil },
			locked: func(user string) bool {
				a, err := d.Lookup(context.Background(), user)
				if err != nil || a == nil {
					t.Fatal(a, err)
				}
				return a.Locked
			},
		}
	}
	return tweak, check
}

// TestFlowsAgainstEachDirectory runs the reset and unlock flows of the API
// against the embedded directory and against slapd, from one table.
func TestFlowsAgainstEachDirectory(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, c *client, d dirChecker)
	}{
		{"Reset", func(t *testing.T, c *client, d dirChecker) {
			c.startWith("alice", api.IntentReset)
			c.passEmail("alice.alt@example.net")
			if f := c.passSMS("07700 900123", "+447700900123"); f.State != api.StateNewPassword {
				t.Fatalf("state %s", f.State)
			}
			const pw = "Correct-Horse-Battery-42"
			if f := c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t); f.State != api.StateDone {
				t.Fatalf("state %s", f.State)
			}
			if !d.password("alice@example.edu", pw) || d.password("alice@example.edu", "Alice-Old-Password-1") {
				t.Fatal("the directory does not have the new password")
			}
		}},
		{"ResetRefusedByTheDirectorysHistory", func(t *testing.T, c *client, d dirChecker) {
			// A first reset, so that the current password is one the
			// portal's policy accepts: only the directory knows it is in use.
			const first = "Correct-Horse-Battery-42"
			c.startWith("alice", api.IntentReset)
			c.passEmail("alice.alt@example.net")
			c.passQuestions("blue fox")
			c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: first}))
			c = c.env.client(t)
			c.startWith("alice", api.IntentReset)
			c.passSMS("07700 900123", "+447700900123")
			c.passQuestions("blue fox")
			ae := c.wantError(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: first}),
				http.StatusUnprocessableEntity, api.CodePasswordPolicy)
			if len(ae.Rules) != 1 || ae.Rules[0].Code != api.RuleHistory || ae.Rules[0].Message == "" {
				t.Fatalf("rules %+v", ae.Rules)
			}
			if f := c.ok(http.StatusOK, c.call("GET", api.PathFlow, nil)).flow(t); f.State != api.StateNewPassword {
				t.Fatalf("after a refusal the flow is in %s", f.State)
			}
			const pw = "Another-Horse-Battery-43"
			c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw}))
			if !d.password("alice@example.edu", pw) {
				t.Fatal("the second password was not set")
			}
		}},
		{"Unlock", func(t *testing.T, c *client, d dirChecker) {
			if !d.locked("bob@example.edu") {
				t.Fatal("bob is not locked to begin with")
			}
			c.startWith("bob", api.IntentUnlock)
			c.passEmail("bob.alt@example.net")
			if f := c.passSMS("+44 7700 900456", "+447700900456"); f.State != api.StateDone {
				t.Fatalf("state %s", f.State)
			}
			if d.locked("bob@example.edu") || !d.password("bob@example.edu", "Bob-Old-Password-1") {
				t.Fatal("bob is still locked")
			}
		}},
		{"ResetUnlocksToo", func(t *testing.T, c *client, d dirChecker) {
			c.startWith("bob", api.IntentReset)
			c.passEmail("bob.alt@example.net")
			c.passSMS("+44 7700 900456", "+447700900456")
			const pw = "Correct-Horse-Battery-42"
			c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw}))
			if d.locked("bob@example.edu") || !d.password("bob@example.edu", pw) {
				t.Fatal("bob is still locked, or without the new password")
			}
		}},
		{"UnknownLooksLikeKnown", func(t *testing.T, c *client, d dirChecker) {
			f := c.startWith("nobody", api.IntentReset)
			g := c.env.client(t).startWith("alice", api.IntentReset)
			if f.State != g.State || len(f.Methods) != len(g.Methods) {
				t.Fatalf("unknown %+v, known %+v", f, g)
			}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					tweak, check := b.setup(t)
					e := newEnv(t, tweak)
					tc.run(t, e.client(t), check(e))
				})
			}
		})
	}
}

// slapdDirectory is the directory the portal that tweak configures
// reaches, for a test to read what the portal would.
func slapdDirectory(t *testing.T, tweak func(*config.Config)) *ldapdir.Directory {
	t.Helper()
	cfg := config.Default()
	tweak(cfg)
	d, err := ldapdir.New(portal.LDAPConfig(cfg, slapdtest.ServicePassword, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func (c *client) ready() api.Health {
	c.t.Helper()
	var h api.Health
	r := c.call("GET", api.PathReadyz, nil)
	if err := json.Unmarshal(r.body, &h); err != nil {
		c.t.Fatalf("readyz: %s", r.body)
	}
	// Degraded (a backend the portal can do without for a while, such as
	// the mail server behind a backlog on a busy machine) is still ready.
	if (h.Status != "unavailable") != (r.status == http.StatusOK) {
		c.t.Fatalf("readyz status %d for %s", r.status, r.body)
	}
	return h
}

// TestSlapdStoppedMidFlow: the directory goes away after the user proved
// who they are and comes back: the user sees 503 directory_unavailable,
// keeps the flow and its verified methods, and the retry succeeds
// (docs/SECURITY.md#directory-down). /readyz follows.
func TestSlapdStoppedMidFlow(t *testing.T) {
	s := slapdtest.Start(t)
	tweak, check := withSlapd(t, s)
	e := newEnv(t, tweak)
	d := check(e)
	c := e.client(t)
	if h := c.ready(); h.Checks["directory"] != "ok" {
		t.Fatalf("readyz before: %+v", h)
	}
	c.startWith("alice", api.IntentReset)
	c.passEmail("alice.alt@example.net")
	c.passSMS("07700 900123", "+447700900123")

	s.Stop()
	const pw = "Correct-Horse-Battery-42"
	c.wantError(c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw}), http.StatusServiceUnavailable, api.CodeDirectoryUnavailable)
	f := c.ok(http.StatusOK, c.call("GET", api.PathFlow, nil)).flow(t)
	if f.State != api.StateNewPassword || !slices.ContainsFunc(f.Methods, func(m api.Method) bool { return m.Verified }) {
		t.Fatalf("flow after the failure: %+v", f)
	}
	if h := c.ready(); h.Status != "unavailable" || h.Checks["directory"] != "unavailable" {
		t.Fatalf("readyz while down: %+v", h)
	}
	// A new flow can't start either: 503, not a decoy.
	c2 := e.client(t)
	c2.wantError(c2.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: c2.captcha(), Answer: devAnswer}}),
		http.StatusServiceUnavailable, api.CodeDirectoryUnavailable)

	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if h := c.ready(); h.Status == "unavailable" || h.Checks["directory"] != "ok" {
		t.Fatalf("readyz after: %+v", h)
	}
	if f := c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t); f.State != api.StateDone {
		t.Fatalf("state %s", f.State)
	}
	if !d.password("alice@example.edu", pw) {
		t.Fatal("the new password does not bind")
	}
	e.noSecretsLogged(t, pw, slapdtest.ServicePassword)
}

// TestSignInBindsAsTheUser: registration's sign-in checks the password by
// binding to slapd as the user.
func TestSignInBindsAsTheUser(t *testing.T) {
	s := slapdtest.Start(t)
	tweak, _ := withSlapd(t, s)
	e := newEnv(t, tweak)
	c := e.client(t)
	c.wantError(c.signIn("alice", "not-her-password"), http.StatusUnauthorized, api.CodeUnauthenticated)
	c.wantError(c.signIn("nobody", "not-her-password"), http.StatusUnauthorized, api.CodeUnauthenticated)
	// ppolicy refuses every bind to a locked account, so a locked account
	// can't prove its password: the same answer as a wrong one.
	c.wantError(c.signIn("bob", "Bob-Old-Password-1"), http.StatusUnauthorized, api.CodeUnauthenticated)
	c.ok(http.StatusCreated, c.signIn("alice", "Alice-Old-Password-1"))
}
