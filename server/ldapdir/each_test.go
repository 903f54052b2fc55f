package ldapdir_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// addOU adds an organisational unit under parent and returns its DN.
func addOU(t *testing.T, s *slapdtest.Server, parent, name string) string {
	t.Helper()
	dn := "ou=" + ldap.EscapeDN(name) + "," + parent
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"organizationalUnit"})
	req.Attribute("ou", []string{name})
	if err := s.Admin(t).Add(req); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
	return dn
}

// TestEach: every user the filter finds, across many pages (more users
// than a page holds), once each, with its OU path, lock state and the
// directory's own alternate mail and mobile; nothing else in the tree;
// and fn's error ends the walk. Against a real slapd.
func TestEach(t *testing.T) {
	s := slapdtest.Shared(t)
	const pageSize = 7
	d, tree := newDir(t, s, func(c *ldapdir.Config) { c.PageSize = pageSize })
	students := addOU(t, s, tree, "students")
	physics := addOU(t, s, students, "physics")
	staff := addOU(t, s, tree, "staff")

	want := map[string]sspr.Account{}
	add := func(under, ou, uid string, extra map[string][]string) {
		s.AddUser(t, under, slapdtest.User{UID: uid, Password: "Old-Password-1", DisplayName: "User " + uid,
			Mail: uid + "@example.edu", Extra: extra})
		want[uid+"@example.edu"] = sspr.Account{ID: uid + "@example.edu", DisplayName: "User " + uid, Mail: uid + "@example.edu", OU: ou}
	}
	for i := range 20 {
		add(physics, "students/physics", fmt.Sprintf("p%02d", i), nil)
	}
	for i := range 5 {
		add(students, "students", fmt.Sprintf("s%02d", i), nil)
	}
	add(staff, "staff", "ann", map[string][]string{"description": {"ann.alt@example.net"}, "mobile": {"07700 900123"}})
	a := want["ann@example.edu"]
	a.AltMail, a.Mobile = "ann.alt@example.net", "07700 900123"
	want["ann@example.edu"] = a
	add(tree, "", "top", map[string][]string{"pwdAccountLockedTime": {"000001010000Z"}})
	a = want["top@example.edu"]
	a.Locked, a.Disabled = true, true
	want["top@example.edu"] = a
	// Not a user by the filter: left out.
	s.AddGroup(t, tree, "physics-students", "uid=p00,"+physics)
	if len(want) <= 3*pageSize {
		t.Fatalf("the test needs more users than three pages: %d", len(want))
	}

	got := map[string]sspr.Account{}
	err := d.Each(ctx, func(a sspr.Account) error {
		if _, twice := got[a.ID]; twice {
			t.Errorf("%s walked twice", a.ID)
		}
		got[a.ID] = a
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("walked %d accounts, want %d", len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %+v, want %+v", id, got[id], w)
		}
	}

	// The directory's own mobile counts as Registration counts it.
	r := &ldapdir.Registrations{Store: fakeStore{}, Dir: d, Region: "GB"}
	if m := r.Merge(got["ann@example.edu"], nil); m == nil || !m.HasPhone() || m.Phone != "+447700900123" || !m.HasEmail() {
		t.Errorf("Merge(ann) = %+v", m)
	}
	if m := r.Merge(got["p00@example.edu"], nil); m != nil {
		t.Errorf("Merge(p00) = %+v, want nil", m)
	}

	stop := errors.New("enough")
	n := 0
	err = d.Each(ctx, func(sspr.Account) error {
		if n++; n == pageSize+2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != pageSize+2 {
		t.Fatalf("Each = %v after %d; want fn's error after %d", err, n, pageSize+2)
	}
	// The walk's connection is its own: the pool still serves.
	if acct, err := d.Lookup(ctx, "ann@example.edu"); err != nil || acct == nil {
		t.Fatalf("Lookup after a stopped walk: %+v, %v", acct, err)
	}
}

// TestEachDirectoryDown: a directory that can't be reached is
// directory_unavailable.
func TestEachDirectoryDown(t *testing.T) {
	d, err := ldapdir.New(ldapdir.Config{Flavour: ldapdir.OpenLDAP, URLs: []string{"ldap://127.0.0.1:1"},
		BindDN: "cn=x,dc=example,dc=edu", BindPassword: "x", BaseDN: "dc=example,dc=edu", ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Each(ctx, func(sspr.Account) error { return nil }); code(err) != sspr.CodeDirectoryUnavailable {
		t.Fatalf("Each = %v, want directory_unavailable", err)
	}
}

func TestOUPath(t *testing.T) {
	for _, tt := range []struct{ dn, base, want string }{
		{"uid=ann,ou=physics,ou=students,dc=example,dc=edu", "dc=example,dc=edu", "students/physics"},
		{"uid=ann,ou=physics,ou=students,dc=example,dc=edu", "ou=students,dc=example,dc=edu", "physics"},
		{"uid=ann,dc=example,dc=edu", "dc=example,dc=edu", ""},
		{"CN=Ann Archer,OU=Physics,OU=Students,DC=corp,DC=example", "dc=corp,dc=example", "Students/Physics"},
		{"CN=Ann,CN=Users,DC=corp,DC=example", "DC=corp,DC=example", "Users"},
		{"uid=ann,ou=x\\2Fy,dc=example,dc=edu", "dc=example,dc=edu", "x/y"},
		{"uid=ann,ou=people,dc=other,dc=org", "dc=example,dc=edu", "org/other/people"},
		{"not a dn", "dc=example,dc=edu", ""},
	} {
		if got := ldapdir.OUPath(tt.dn, tt.base); got != tt.want {
			t.Errorf("OUPath(%q, %q) = %q, want %q", tt.dn, tt.base, got, tt.want)
		}
	}
}
