package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
)

func TestCheckDirectory(t *testing.T) {
	s := slapdtest.Start(t)
	tree := s.NewTree(t)
	alice := s.AddUser(t, tree, slapdtest.User{UID: "alice", Password: "Alice-Old-Password-1", DisplayName: "Alice Archer", Mail: "alice@example.edu"})
	// alice is on the service desk through a group in the group.
	group := func(cn string, members ...string) string {
		dn := "cn=" + cn + "," + tree
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"groupOfNames"})
		req.Attribute("cn", []string{cn})
		req.Attribute("member", members)
		if err := s.Admin(t).Add(req); err != nil {
			t.Fatal(err)
		}
		return dn
	}
	desk := group("service-desk", group("first-line", alice))
	audit := group("auditors", "cn=nobody,"+tree)
	config := func(password string) string {
		pw := writeFile(t, "bind-password", password+"\n")
		return writeFile(t, "sspr.toml", `
[directory]
kind = "openldap"
urls = ["`+s.URL+`"]
start_tls = true
ca_file = "`+filepath.ToSlash(s.CAFile)+`"
bind_dn = "`+slapdtest.ServiceDN+`"
bind_password_file = "`+filepath.ToSlash(pw)+`"
base_dn = "`+tree+`"
[staff]
service_desk_group = "`+desk+`"
auditor_group = "`+audit+`"
`)
	}
	good := config(slapdtest.ServicePassword)
	for _, tc := range []struct {
		name, cfg, user string
		code            int
		out, errOut     string
	}{
		{"found", good, "alice", exitOK, `found alice@example.edu: display name "Alice Archer", mail "alice@example.edu", locked false`, ""},
		{"staff", good, "alice", exitOK, "staff.service_desk_group: a member of " + desk + "\nstaff.auditor_group: not a member of " + audit, ""},
		{"not found", good, "nobody", exitError, `no user "nobody"`, ""},
		{"bad service password", config("not-the-password"), "alice", exitError, "", "the service account's bind"},
		{"embedded", writeFile(t, "embedded.toml", ""), "alice", exitError, "", "no LDAP directory to check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runOnce(t, "check-directory", "--config", tc.cfg, "--user", tc.user)
			t.Logf("stdout: %s\nstderr: %s", stdout, stderr)
			if code != tc.code || !strings.Contains(stdout, tc.out) || !strings.Contains(stderr, tc.errOut) {
				t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, slapdtest.ServicePassword) || strings.Contains(stdout+stderr, "not-the-password") {
				t.Fatal("a password was printed")
			}
		})
	}
	if code, _, _ := runOnce(t, "check-directory", "--config", good); code != exitUsage {
		t.Errorf("no --user: exit %d", code)
	}
}
