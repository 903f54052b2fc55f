package ldapspec_test

import (
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/ldapdir/ldapspec"
)

const template = "(&(objectClass=inetOrgPerson)(uid={local}))"

func TestFilter(t *testing.T) {
	tests := []struct {
		name, id, local, want string
	}{
		{"OK", "alice@example.edu", "alice", `(&(objectClass=inetOrgPerson)(uid=alice))`},
		{"Wildcard", "*@example.edu", "*", `(&(objectClass=inetOrgPerson)(uid=\2a))`},
		{"Injection", "a)(uid=*", "a)(uid=*", `(&(objectClass=inetOrgPerson)(uid=a\29\28uid=\2a))`},
		{"Backslash and NUL", "a\\b\x00", "a\\b\x00", `(&(objectClass=inetOrgPerson)(uid=a\5cb\00))`},
		{"Non-ASCII", "zoë", "zoë", `(&(objectClass=inetOrgPerson)(uid=zo\c3\ab))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ldapspec.Filter(template, tt.id, tt.local); got != tt.want {
				t.Fatalf("Filter = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckFilterTemplate(t *testing.T) {
	for _, ok := range []string{template, "(userPrincipalName={id})", ldapspec.ADUserFilter} {
		if err := ldapspec.CheckFilterTemplate(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"(uid=alice)", "(uid={local}", "uid={local}", "(uid={local}*)", "(cn=*{local})", "(&(uid={local})(|(x=1))"} {
		if err := ldapspec.CheckFilterTemplate(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// equalityValue returns the value of the filter's (uid=...) assertion.
func equalityValue(t *testing.T, p *ber.Packet) (string, bool) {
	if p.ClassType == ber.ClassContext && p.Tag == ldap.FilterEqualityMatch && len(p.Children) == 2 {
		if p.Children[0].Data.String() == "uid" {
			return p.Children[1].Data.String(), true
		}
	}
	for _, c := range p.Children {
		if v, ok := equalityValue(t, c); ok {
			return v, true
		}
	}
	return "", false
}

// FuzzFilter: whatever the user id, the filter parses, keeps the template's
// shape (an AND of two equality assertions) and asserts exactly the id as
// uid's value (docs/SECURITY.md#ldap-escaping and #ldap-metachars).
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"alice", "*", ")(uid=*", "\\", "\x00", "a*b(c)d\\e", "zoë", "(|(uid=*))", "\xff\xfe", strings.Repeat("*", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, local string) {
		p, err := ldap.CompileFilter(ldapspec.Filter(template, local+"@example.edu", local))
		if err != nil {
			t.Fatalf("%q: %v", local, err)
		}
		if p.Tag != ldap.FilterAnd || len(p.Children) != 2 {
			t.Fatalf("%q changed the filter's shape", local)
		}
		for _, c := range p.Children {
			if c.Tag != ldap.FilterEqualityMatch {
				t.Fatalf("%q made a %s", local, ldap.FilterMap[uint64(c.Tag)])
			}
		}
		if v, ok := equalityValue(t, p); !ok || v != local {
			t.Fatalf("uid value %q, want %q", v, local)
		}
	})
}
