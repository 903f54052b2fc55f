package ldapdir_test

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
)

// TestMemberOf: direct and nested membership, loops of groups, and groups
// kept outside the users' base DN (group_base_dn), against a real slapd.
func TestMemberOf(t *testing.T) {
	s := slapdtest.Shared(t)
	groups := s.NewTree(t) // groups apart from the users, as is common
	d, tree := newDir(t, s, func(c *ldapdir.Config) { c.GroupBaseDN = groups })
	alice := addAlice(t, s, tree)
	bob := s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-1"})
	carol := s.AddUser(t, tree, slapdtest.User{UID: "carol", Password: "Carol-Old-1"})

	desk := s.AddGroup(t, groups, "service-desk", alice)
	staff := s.AddGroup(t, groups, "it-staff", desk) // the desk is part of IT staff
	other := s.AddGroup(t, groups, "students", bob)
	// Groups that name each other: the walk ends.
	loopA := s.AddGroup(t, groups, "loop-a", bob)
	loopB := s.AddGroup(t, groups, "loop-b", loopA, carol)
	modify := ldap.NewModifyRequest(loopA, nil)
	modify.Add("member", []string{loopB})
	if err := s.Admin(t).Modify(modify); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, user, group string
		want              bool
	}{
		{"Direct", "alice@example.edu", desk, true},
		{"Nested", "alice@example.edu", staff, true},
		{"CaseOfTheDN", "alice@example.edu", "CN=Service-Desk," + groups, true},
		{"NotAMember", "bob@example.edu", staff, false},
		{"AnotherGroup", "alice@example.edu", other, false},
		{"ThroughALoop", "bob@example.edu", loopB, true},
		{"LoopWithoutTheUser", "carol@example.edu", loopA, true},
		{"UnknownUser", "nobody@example.edu", desk, false},
		{"UnknownGroup", "alice@example.edu", "cn=nobody," + groups, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.MemberOf(ctx, tt.user, tt.group)
			if err != nil || got != tt.want {
				t.Fatalf("MemberOf(%s, %s) = %v, %v; want %v", tt.user, tt.group, got, err, tt.want)
			}
		})
	}
	if _, err := d.MemberOf(ctx, "alice@example.edu", "not a dn"); err == nil {
		t.Error("a group that isn't a DN: no error")
	}
	// Without group_base_dn, groups outside the users' base are not seen.
	plain, _ := newDir(t, s)
	if got, err := plain.MemberOf(ctx, "alice@example.edu", desk); err != nil || got {
		t.Errorf("a group outside base_dn: %v, %v", got, err)
	}
}

// TestFind: people by a part of their id or display name, among the
// entries the user filter finds, on a real slapd; a term can't change the
// filter.
func TestFind(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	addAlice(t, s, tree)
	s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-1", DisplayName: "Bob Baker"})
	for _, tt := range []struct {
		term string
		want []string
	}{
		{"archer", []string{"alice@example.edu"}},
		{"BAK", []string{"bob@example.edu"}},
		{"b", []string{"bob@example.edu"}},
		{"*", nil},
		{")(uid=*", nil},
	} {
		got, err := d.Find(ctx, tt.term, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Find(%q) = %v, want %v", tt.term, ids, tt.want)
		}
	}
}
