package ldapdir_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/ldapdir/sambatest"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The slapd of this package starts on first use and stops after the tests.
// TestMain runs the tests with one shared slapd and, once a test asks for
// one, one shared Samba DC, and stops both at the end.
func TestMain(m *testing.M) {
	code := slapdtest.Main(m)
	sambatest.CloseShared()
	os.Exit(code)
}

var ctx = context.Background()

// newDir returns a directory over a fresh subtree of the shared slapd,
// reached with StartTLS and the test CA, as the service account.
func newDir(t testing.TB, s *slapdtest.Server, tweak ...func(*ldapdir.Config)) (*ldapdir.Directory, string) {
	t.Helper()
	tree := s.NewTree(t)
	cfg := ldapdir.Config{
		Flavour: ldapdir.OpenLDAP, URLs: []string{s.URL}, StartTLS: true, CAFile: s.CAFile,
		BindDN: slapdtest.ServiceDN, BindPassword: slapdtest.ServicePassword, BaseDN: tree,
		Domain: "example.edu", PasswordPolicyDN: slapdtest.PolicyDN,
		AltMailAttribute: "description", MobileAttribute: "mobile",
		ConnectTimeout: 2 * time.Second, Timeout: 5 * time.Second, PoolSize: 4,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	d, err := ldapdir.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, tree
}

func addAlice(t testing.TB, s *slapdtest.Server, tree string) string {
	return s.AddUser(t, tree, slapdtest.User{UID: "alice", Password: "Alice-Old-1", DisplayName: "Alice Archer",
		Mail: "alice@example.edu", Extra: map[string][]string{"description": {"alice.alt@example.net"}, "mobile": {"07700 900123"}}})
}

func code(err error) sspr.Code {
	var ae *sspr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestLookup(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	addAlice(t, s, tree)
	s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-1", Extra: map[string][]string{"pwdAccountLockedTime": {"20260101000000Z"}}})
	s.AddUser(t, tree, slapdtest.User{UID: "carol", Password: "Carol-Old-1", Extra: map[string][]string{"pwdAccountLockedTime": {"000001010000Z"}}})
	// Two entries that both match "dup": ambiguous, so unknown.
	s.AddUser(t, tree, slapdtest.User{UID: "dup", Password: "Dup-Old-1"})
	sub := "ou=sub," + tree
	a := s.Admin(t)
	req := ldap.NewAddRequest(sub, nil)
	req.Attribute("objectClass", []string{"organizationalUnit"})
	req.Attribute("ou", []string{"sub"})
	if err := a.Add(req); err != nil {
		t.Fatal(err)
	}
	s.AddUser(t, sub, slapdtest.User{UID: "dup", Password: "Dup-Old-1"})

	tests := []struct {
		name string
		id   string
		want *sspr.Account
	}{
		{"OK", "alice@example.edu", &sspr.Account{ID: "alice@example.edu", DisplayName: "Alice Archer", Mail: "alice@example.edu",
			AltMail: "alice.alt@example.net", Mobile: "07700 900123"}},
		{"Locked", "bob@example.edu", &sspr.Account{ID: "bob@example.edu", Locked: true}},
		{"AdministratorsLockIsDisabled", "carol@example.edu", &sspr.Account{ID: "carol@example.edu", Locked: true, Disabled: true}},
		{"Unknown", "nobody@example.edu", nil},
		{"OtherDomain", "alice@example.org", nil},
		{"Wildcard", "*@example.edu", nil},
		{"Injection", "alice)(uid=*@example.edu", nil},
		{"InjectionOr", "*)(|(uid=*@example.edu", nil},
		{"Ambiguous", "dup@example.edu", nil},
		{"NoDomain", "alice", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Lookup(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("Lookup(%q) = %+v, want %+v", tt.id, got, tt.want)
			}
		})
	}
}

func TestSetPassword(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	dn := addAlice(t, s, tree)
	const id = "alice@example.edu"

	if err := d.SetPassword(ctx, id, "Alice-New-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Bind(dn, "Alice-New-1"); err != nil {
		t.Fatalf("bind with the new password: %v", err)
	}
	if err := s.Bind(dn, "Alice-Old-1"); err == nil {
		t.Fatal("the old password still works")
	}
	if got := s.Attr(t, dn, "pwdReset"); len(got) != 0 {
		t.Fatalf("pwdReset %v after a reset with pwd_reset off", got)
	}

	refusals := []struct {
		name, password, rule, says string
	}{
		{"History", "Alice-Old-1", sspr.RuleHistory, "used this password before"},
		{"Current", "Alice-New-1", sspr.RuleHistory, "used this password before"},
		{"TooShort", "Ab1-xyz", sspr.RuleMinLength, "longer password"},
		// ppolicy counts bytes: 4 characters, 8 bytes, long enough for it.
		{"ShortInCharacters", "éééé", "", ""},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			err := d.SetPassword(ctx, id, r.password)
			if r.rule == "" {
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Bind(dn, r.password); err != nil {
					t.Fatalf("the exact bytes did not reach the directory: %v", err)
				}
				return
			}
			var ae *sspr.Error
			if !errors.As(err, &ae) || ae.Code != sspr.CodePasswordPolicy || len(ae.Rules) != 1 {
				t.Fatalf("err = %v, want password_policy", err)
			}
			if ae.Rules[0].Code != r.rule || !strings.Contains(ae.Rules[0].Message, r.says) {
				t.Fatalf("rule %+v, want %s saying %q", ae.Rules[0], r.rule, r.says)
			}
			if strings.Contains(ae.Error(), r.password) {
				t.Fatal("the password is in the error")
			}
		})
	}
	if err := d.SetPassword(ctx, "nobody@example.edu", "Whatever-1"); err == nil {
		t.Fatal("set a password for nobody")
	}
}

func TestPwdReset(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s, func(c *ldapdir.Config) { c.PwdReset = true })
	dn := addAlice(t, s, tree)
	if err := d.SetPassword(ctx, "alice@example.edu", "Alice-New-1"); err != nil {
		t.Fatal(err)
	}
	if got := s.Attr(t, dn, "pwdReset"); len(got) != 1 || got[0] != "TRUE" {
		t.Fatalf("pwdReset %v", got)
	}
}

func TestUnlock(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	dn := addAlice(t, s, tree)
	bob := s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-1",
		Extra: map[string][]string{"pwdAccountLockedTime": {time.Now().UTC().Format("20060102150405Z")}}})

	// Locked by failed binds.
	for range slapdtest.MaxFailure {
		s.Bind(dn, "wrong password")
	}
	tests := []struct{ name, id, dn, password string }{
		{"LockedByFailedBinds", "alice@example.edu", dn, "Alice-Old-1"},
		{"LockedByPwdAccountLockedTime", "bob@example.edu", bob, "Bob-Old-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := d.Lookup(ctx, tt.id)
			if err != nil || a == nil || !a.Locked || a.Disabled {
				t.Fatalf("before: %+v %v", a, err)
			}
			if ok, err := d.CheckPassword(ctx, tt.id, tt.password); ok || err != nil {
				t.Fatalf("a locked account signed in: %v %v", ok, err)
			}
			if err := d.Unlock(ctx, tt.id); err != nil {
				t.Fatal(err)
			}
			if a, err := d.Lookup(ctx, tt.id); err != nil || a.Locked {
				t.Fatalf("after: %+v %v", a, err)
			}
			if err := s.Bind(tt.dn, tt.password); err != nil {
				t.Fatalf("bind after unlock: %v", err)
			}
			// Unlocking an account that is not locked is no error.
			if err := d.Unlock(ctx, tt.id); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	addAlice(t, s, tree)
	tests := []struct {
		name, id, password string
		want               bool
	}{
		{"OK", "alice@example.edu", "Alice-Old-1", true},
		{"Wrong", "alice@example.edu", "Alice-Old-2", false},
		{"Unknown", "nobody@example.edu", "Alice-Old-1", false},
		// An empty simple bind is an unauthenticated bind, which succeeds.
		{"Empty", "alice@example.edu", "", false},
		{"Injection", "*@example.edu", "Alice-Old-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := d.CheckPassword(ctx, tt.id, tt.password)
			if err != nil || ok != tt.want {
				t.Fatalf("CheckPassword = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	s := slapdtest.Shared(t)
	tests := []struct {
		name  string
		tweak func(*ldapdir.Config)
		ok    bool
	}{
		{"StartTLS", func(c *ldapdir.Config) {}, true},
		{"LDAPS", func(c *ldapdir.Config) { c.URLs, c.StartTLS = []string{s.LDAPSURL}, false }, true},
		{"FailoverToTheSecondURL", func(c *ldapdir.Config) { c.URLs, c.StartTLS = []string{"ldaps://127.0.0.1:1", s.LDAPSURL}, false }, true},
		{"UnknownCA", func(c *ldapdir.Config) { c.CAFile = "" }, false},
		{"LDAPSUnknownCA", func(c *ldapdir.Config) { c.URLs, c.StartTLS, c.CAFile = []string{s.LDAPSURL}, false, "" }, false},
		{"WrongServicePassword", func(c *ldapdir.Config) { c.BindPassword = "wrong" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, tree := newDir(t, s, tt.tweak)
			s.AddUser(t, tree, slapdtest.User{UID: "alice", Password: "Alice-Old-1"})
			a, err := d.Lookup(ctx, "alice@example.edu")
			if tt.ok {
				if err != nil || a == nil {
					t.Fatalf("Lookup = %+v, %v", a, err)
				}
				return
			}
			if code(err) != sspr.CodeDirectoryUnavailable {
				t.Fatalf("err = %v, want directory_unavailable", err)
			}
			if strings.Contains(err.(interface{ Error() string }).Error(), "wrong") {
				t.Fatal("the service password is in the error")
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	base := ldapdir.Config{Flavour: ldapdir.OpenLDAP, URLs: []string{"ldaps://ldap.example.edu"},
		BindDN: "cn=sspr,dc=example,dc=org", BindPassword: "x", BaseDN: "dc=example,dc=org"}
	tests := []struct {
		name  string
		tweak func(*ldapdir.Config)
	}{
		{"PlainToANetwork", func(c *ldapdir.Config) { c.URLs = []string{"ldap://ldap.example.edu"} }},
		{"StartTLSOnLDAPS", func(c *ldapdir.Config) { c.StartTLS = true }},
		{"BadFilter", func(c *ldapdir.Config) { c.UserFilter = "(uid=alice)" }},
		{"BadBindDN", func(c *ldapdir.Config) { c.BindDN = "not a dn" }},
		{"EmptyPassword", func(c *ldapdir.Config) { c.BindPassword = "" }},
		{"NoURL", func(c *ldapdir.Config) { c.URLs = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.tweak(&c)
			if _, err := ldapdir.New(c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := ldapdir.New(base); err != nil {
		t.Fatal(err)
	}
}

// TestRestart: slapd stops and comes back; the directory answers
// directory_unavailable meanwhile and recovers by itself.
func TestRestart(t *testing.T) {
	s := slapdtest.Start(t)
	d, tree := newDir(t, s)
	addAlice(t, s, tree)
	const id = "alice@example.edu"
	if a, err := d.Lookup(ctx, id); err != nil || a == nil {
		t.Fatal(a, err)
	}
	s.Stop()
	for name, op := range map[string]func() error{
		"Lookup":        func() error { _, err := d.Lookup(ctx, id); return err },
		"SetPassword":   func() error { return d.SetPassword(ctx, id, "Alice-New-1") },
		"Unlock":        func() error { return d.Unlock(ctx, id) },
		"CheckPassword": func() error { _, err := d.CheckPassword(ctx, id, "Alice-Old-1"); return err },
		"Ping":          func() error { return d.Ping(ctx) },
	} {
		if err := op(); code(err) != sspr.CodeDirectoryUnavailable {
			t.Errorf("%s while down: %v, want directory_unavailable", name, err)
		}
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	if err := d.SetPassword(ctx, id, "Alice-New-1"); err != nil {
		t.Fatalf("SetPassword after restart: %v", err)
	}
	if ok, err := d.CheckPassword(ctx, id, "Alice-New-1"); !ok || err != nil {
		t.Fatalf("CheckPassword after restart: %v %v", ok, err)
	}
	t.Logf("slapd start: %v", s.StartTime)
}

// A context that ends stops the operation at once.
func TestContextDeadline(t *testing.T) {
	s := slapdtest.Shared(t)
	d, _ := newDir(t, s)
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Lookup(c, "alice@example.edu"); code(err) != sspr.CodeDirectoryUnavailable {
		t.Fatalf("err = %v", err)
	}
}

func TestRegistrations(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	addAlice(t, s, tree)
	s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-1", Extra: map[string][]string{"mobile": {"not a number"}}})
	confirmed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	store := fakeStore{"bob@example.edu": {UserID: "bob@example.edu", Email: "bob.own@example.net", EmailConfirmed: confirmed}}
	r := &ldapdir.Registrations{Store: store, Dir: d, Region: "GB"}

	a, err := r.Registration(ctx, "alice@example.edu")
	if err != nil || a == nil || !a.HasEmail() || a.Email != "alice.alt@example.net" || !a.HasPhone() || a.Phone != "+447700900123" {
		t.Fatalf("alice: %+v %v", a, err)
	}
	b, err := r.Registration(ctx, "bob@example.edu")
	if err != nil || b.Email != "bob.own@example.net" || b.HasPhone() {
		t.Fatalf("bob: %+v %v", b, err)
	}
	if n, err := r.Registration(ctx, "nobody@example.edu"); n != nil || err != nil {
		t.Fatalf("nobody: %+v %v", n, err)
	}
}

type fakeStore map[string]*sspr.Registration

func (f fakeStore) Registration(_ context.Context, id string) (*sspr.Registration, error) {
	return f[id], nil
}

func (f fakeStore) Population(context.Context) (sspr.Population, error) {
	p := sspr.Population{}
	for _, r := range f {
		p[sspr.Shape{Email: r.HasEmail(), Phone: r.HasPhone()}]++
	}
	return p, nil
}
