package pgspec_test

import (
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/pgstore/pgspec"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url   string
		err   string // empty: no error
		local bool
	}{
		{"postgres://sspr@db.example.edu:5432/sspr", "", false},
		{"postgresql://sspr@127.0.0.1/sspr?application_name=x", "", true},
		{"postgres://sspr@[::1]:5433/sspr", "", true},
		{"postgres://sspr@localhost/sspr", "", true},
		{"postgres://sspr@/sspr?host=/var/run/postgresql", "", true},
		{"postgres://sspr@db1.example.edu,127.0.0.1/sspr", "", false},
		{"postgres://sspr:hunter2@db.example.edu/sspr", "password", false},
		{"postgres://sspr@db.example.edu/sspr?password=hunter2", "password", false},
		{"postgres://sspr@db.example.edu/sspr?sslmode=disable", "sslmode", false},
		{"postgres://sspr@db.example.edu/sspr?sslrootcert=/ca.pem", "sslrootcert", false},
		{"postgres://db.example.edu/sspr", "role", false},
		{"postgres://sspr@db.example.edu", "database", false},
		{"postgres://sspr@/sspr", "host", false},
		{"mysql://sspr@db.example.edu/sspr", "postgres://", false},
		{"host=db.example.edu user=sspr", "postgres://", false},
	}
	for _, tt := range tests {
		_, err := pgspec.CheckURL(tt.url)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("CheckURL(%q) = %v", tt.url, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("CheckURL(%q) = %v; want %q", tt.url, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("CheckURL(%q) quotes the password: %v", tt.url, err)
		}
		if tt.err == "" {
			if local, _ := pgspec.IsLocal(tt.url); local != tt.local {
				t.Errorf("IsLocal(%q) = %v", tt.url, local)
			}
		}
	}
}
