package pwrule

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	user := UserNeedles(strings.ToLower, "a.smith@example.edu", "Alice Smith")
	org := Needles(strings.ToLower, "Example University", "EU")
	for _, c := range []struct {
		pw        string
		user, org bool
	}{
		{"correct horse battery staple", false, false},
		{"xxA.Smithxx", true, false},    // the whole local part
		{"xxSMITHxx", true, false},      // a part, any case
		{"al1ce-was-here", true, false}, // l33t undone
		{"a|ice in wonderland", true, false},
		{"exampleuniversity!", false, true}, // compacted
		{"Example University 2026", false, true},
		{"eu eu eu eu eu", false, false}, // under NameMinLen: not a needle
		{"jo li", false, false},
	} {
		f := NewForms(strings.ToLower, c.pw)
		if got := f.ContainsAny(user); got != c.user {
			t.Errorf("%q: user names found = %v, want %v", c.pw, got, c.user)
		}
		if got := f.ContainsAny(org); got != c.org {
			t.Errorf("%q: organisation names found = %v, want %v", c.pw, got, c.org)
		}
	}
	if n := len(Needles(strings.ToLower, "", "  ", "Li")); n != 0 {
		t.Errorf("short words gave %d needles", n)
	}
}
