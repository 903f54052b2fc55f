package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/config"
)

func TestDirectory(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := `[directory]
kind = "openldap"
urls = ["ldap://ldap.example.edu"]
ca_file = "` + ca + `"
bind_dn = "cn=sspr,ou=services,dc=example,dc=edu"
bind_password_env = "SSPR_LDAP_PASSWORD"
base_dn = "ou=people,dc=example,dc=edu"
`
	tests := []loadCase{
		{"OK", ok, ""},
		{"OK ActiveDirectory over LDAPS", strings.Replace(strings.Replace(ok, `"openldap"`, `"activedirectory"`, 1), `urls = ["ldap://ldap.example.edu"]`, "urls = [\"ldaps://dc1.example.edu\"]\nstart_tls = false", 1), ""},
		{"ErrNoURL", strings.Replace(ok, `urls = ["ldap://ldap.example.edu"]`, "urls = []", 1), "directory.urls: must list"},
		{"ErrPlainToANetwork", ok + "start_tls = false\n", "directory.urls[0]"},
		{"ErrADWithoutTLS", strings.Replace(ok, `"openldap"`, `"activedirectory"`, 1) + "start_tls = false\n", "directory.urls[0]"},
		{"ErrBadFilter", ok + "user_filter = \"(uid=alice)\"\n", "directory.user_filter"},
		{"ErrSubstringFilter", ok + "user_filter = \"(uid={local}*)\"\n", "directory.user_filter"},
		{"ErrBadBindDN", strings.Replace(ok, `bind_dn = "cn=sspr,ou=services,dc=example,dc=edu"`, `bind_dn = "sspr"`, 1), "directory.bind_dn"},
		{"ErrNoPassword", strings.Replace(ok, `bind_password_env = "SSPR_LDAP_PASSWORD"`, "", 1), "directory.bind_password_file"},
		{"ErrTwoPasswords", ok + "bind_password_file = \"/etc/sspr/pw\"\n", "directory.bind_password_env"},
		{"ErrGroupBaseDN", strings.Replace(ok, `base_dn = "ou=people,dc=example,dc=edu"`, `base_dn = "ou=people,dc=example,dc=edu"`+"\ngroup_base_dn = \"not a dn\"", 1), "directory.group_base_dn"},
		{"StaffGroupDNs", ok + "[staff]\nservice_desk_group = \"cn=desk,ou=groups,dc=example,dc=edu\"\nauditor_group = \"cn=audit,ou=groups,dc=example,dc=edu\"\n", ""},
		{"ErrStaffGroupNotADN", ok + "[staff]\nservice_desk_group = \"service-desk\"\n", "staff.service_desk_group"},
		{"ErrNoBaseDN", strings.Replace(ok, `base_dn = "ou=people,dc=example,dc=edu"`, "", 1), "directory.base_dn"},
		{"ErrMissingCA", strings.Replace(ok, ca, "/nonexistent/ca.pem", 1), "directory.ca_file"},
		{"ErrTimeout", ok + "timeout = \"2m\"\n", "directory.timeout"},
		{"ErrPool", ok + "pool_size = 0\n", "directory.pool_size"},
		{"ErrAttribute", ok + "mail_attribute = \"mail)(x\"\n", "directory.mail_attribute"},
		{"ErrLocalWithoutDomain", ok + "[users]\ndefault_domain = \"\"\n", "users.default_domain"},
		{"ErrUnknownKey", ok + "insecure_skip_verify = true\n", "directory.insecure_skip_verify"},
	}
	runLoadCases(t, tests)
}

func TestBindPassword(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("s3cret\n"), 0o600)
	if pw, err := (config.Directory{BindPasswordFile: f}).BindPassword(); err != nil || pw != "s3cret" {
		t.Fatalf("%q %v", pw, err)
	}
	t.Setenv("SSPR_TEST_LDAP_PW", "from-env")
	if pw, err := (config.Directory{BindPasswordEnv: "SSPR_TEST_LDAP_PW"}).BindPassword(); err != nil || pw != "from-env" {
		t.Fatalf("%q %v", pw, err)
	}
	if _, err := (config.Directory{BindPasswordEnv: "SSPR_TEST_UNSET_PW"}).BindPassword(); err == nil || !strings.Contains(err.Error(), "directory.bind_password_env") {
		t.Fatal(err)
	}
}
