package portal_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/captcha"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/portal"
)

// The configuration knows no backend: where validating a key needs a
// backend's rule, package config holds its own copy of it (config's
// constants, directory.go, database.go). These tests keep every copy equal
// to its original, which the backend applies again when the portal builds
// it.

func TestConfigConstantsAreTheBackends(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"captcha.length's minimum", config.CaptchaMinLength, captcha.MinLength},
		{"captcha.length's maximum", config.CaptchaMaxLength, captcha.MaxLength},
		{"database.tls verify", config.DatabaseTLSVerify, pgstore.TLSVerifyFull},
		{"database.tls off", config.DatabaseTLSOff, pgstore.TLSOff},
		{"directory.kind openldap", ldapdir.Flavour(config.DirectoryOpenLDAP), ldapdir.OpenLDAP},
		{"directory.kind activedirectory", ldapdir.Flavour(config.DirectoryAD), ldapdir.ActiveDirectory},
		{"placeholder {id}", config.PlaceholderID, ldapdir.PlaceholderID},
		{"placeholder {local}", config.PlaceholderLocal, ldapdir.PlaceholderLocal},
		{"default filter, openldap", config.DefaultUserFilter(config.DirectoryOpenLDAP), ldapdir.DefaultUserFilter(ldapdir.OpenLDAP)},
		{"default filter, activedirectory", config.DefaultUserFilter(config.DirectoryAD), ldapdir.DefaultUserFilter(ldapdir.ActiveDirectory)},
	} {
		if c.got != c.want {
			t.Errorf("%s: config has %v, the backend %v", c.name, c.got, c.want)
		}
	}
}

// complaint is what cfg's validation says about key ("" for nothing).
func complaint(t *testing.T, cfg *config.Config, key string) string {
	t.Helper()
	err := cfg.Validate()
	if err == nil {
		return ""
	}
	var found []string
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if msg, ok := strings.CutPrefix(line, "config: "+key+": "); ok {
			found = append(found, msg)
		}
	}
	if len(found) > 1 {
		t.Fatalf("%d complaints about %s: %q", len(found), key, found)
	}
	return strings.Join(found, "")
}

// text is err's text, "" for nil.
func text(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ldapConfig is a valid [directory] for OpenLDAP.
func ldapConfig() *config.Config {
	c := config.Default()
	d := &c.Directory
	d.Kind, d.URLs = config.DirectoryOpenLDAP, []string{"ldap://ldap.example.edu"}
	d.BindDN, d.BindPasswordEnv, d.BaseDN = "cn=sspr,ou=services,dc=example,dc=edu", "SSPR_LDAP_PASSWORD", "ou=people,dc=example,dc=edu"
	return c
}

func TestDirectoryChecksAreLDAPDirs(t *testing.T) {
	if err := ldapConfig().Validate(); err != nil {
		t.Fatalf("the baseline is refused: %v", err)
	}
	for _, f := range []string{
		"(uid={local})", "(&(objectClass=person)(mail={id}))", "(|(uid={local})(mail={id}))",
		"(uid=alice)", "(uid={local}*)", "(cn=*{local})", "(uid={local}", "uid={local}", "((uid={id})",
		"(&(uid={local})(objectClass=*))", "(uid={local})garbage",
	} {
		c := ldapConfig()
		c.Directory.UserFilter = f
		if got, want := complaint(t, c, "directory.user_filter"), text(ldapdir.CheckFilterTemplate(f)); got != want {
			t.Errorf("filter %q: config says %q, ldapdir %q", f, got, want)
		}
	}
	for _, dn := range []string{
		"cn=sspr,ou=services,dc=example,dc=edu", "sspr", "", "  ", "cn=a+sn=b,dc=example", `cn=a\,b,dc=example`,
		"=x", "dc=example,dc=edu,", "cn=", "CN=Sspr Service,OU=Service Accounts,DC=corp,DC=example,DC=org",
	} {
		for _, key := range []string{"directory.bind_dn", "directory.base_dn", "directory.password_policy_dn"} {
			c := ldapConfig()
			switch key {
			case "directory.bind_dn":
				c.Directory.BindDN = dn
			case "directory.base_dn":
				c.Directory.BaseDN = dn
			default:
				if strings.TrimSpace(dn) == "" {
					continue // empty means "none" here
				}
				c.Directory.PasswordPolicyDN = dn
			}
			if got, want := complaint(t, c, key), text(ldapdir.CheckDN(dn)); got != want {
				t.Errorf("%s %q: config says %q, ldapdir %q", key, dn, got, want)
			}
		}
	}
	for _, u := range []string{
		"ldap://ldap.example.edu", "ldaps://ldap.example.edu", "ldaps://ldap.example.edu:636", "ldap://127.0.0.1:389",
		"ldap://localhost", "ldap://[::1]", "http://ldap.example.edu", "ldaps://", "ldap://user:pw@ldap.example.edu",
		"ldaps://ldap.example.edu/dc=example", "ldaps://ldap.example.edu?x", "ldaps://ldap.example.edu#f", "://bad",
		"ldap.example.edu",
	} {
		for _, startTLS := range []bool{true, false} {
			c := ldapConfig()
			c.Directory.URLs, c.Directory.StartTLS = []string{u}, startTLS
			_, err := ldapdir.ParseURL(u, startTLS)
			if got, want := complaint(t, c, "directory.urls[0]"), text(err); got != want {
				t.Errorf("url %q (start_tls %v): config says %q, ldapdir %q", u, startTLS, got, want)
			}
		}
	}
}

// pgConfig is a valid [database] for PostgreSQL.
func pgConfig() *config.Config {
	c := config.Default()
	c.Database.Kind, c.Database.URL = config.DatabasePostgres, "postgres://sspr@db.example.edu:5432/sspr"
	return c
}

func TestDatabaseChecksArePgstores(t *testing.T) {
	if err := pgConfig().Validate(); err != nil {
		t.Fatalf("the baseline is refused: %v", err)
	}
	for _, u := range []string{
		"postgres://sspr@db.example.edu:5432/sspr", "postgresql://sspr@127.0.0.1/sspr", "postgres://sspr@localhost/sspr",
		"postgres://sspr@[::1]:5432/sspr", "postgres://sspr@/sspr?host=/var/run/postgresql", "postgres://sspr@db1,db2:5433/sspr",
		"postgres://sspr@127.0.0.1,db.example.edu/sspr", "postgres:///sspr?user=sspr&host=/tmp", "postgres://sspr:pw@db/sspr",
		"postgres://sspr@db/sspr?password=x", "postgres://sspr@db/sspr?sslmode=require", "postgres://sspr@db/sspr?sslrootcert=/ca",
		"host=db user=sspr", "postgres://db/sspr", "postgres://sspr@db", "postgres://sspr@/sspr", "postgres://sspr@db,/sspr",
		"mysql://sspr@db/sspr", "postgres://sspr@db/sspr?dbname=x",
	} {
		c := pgConfig()
		c.Database.URL = u
		_, err := pgstore.CheckURL(u)
		if got, want := complaint(t, c, "database.url"), text(err); got != want {
			t.Errorf("url %q: config says %q, pgstore %q", u, got, want)
		}
		if err != nil {
			continue
		}
		c.Database.TLS = config.DatabaseTLSOff
		local, _ := pgstore.IsLocal(u)
		if refused := complaint(t, c, "database.tls") != ""; refused == local {
			t.Errorf("url %q with tls off: config refuses it %v, pgstore says local %v", u, refused, local)
		}
	}
}

func TestPostgresConfig(t *testing.T) {
	c := pgConfig()
	d := &c.Database
	d.TLS, d.CAFile, d.PoolSize = config.DatabaseTLSVerify, "/etc/sspr/ca.pem", 32
	d.ConnectTimeout, d.Timeout = config.Duration{Duration: 2 * time.Second}, config.Duration{Duration: 30 * time.Second}
	got := portal.PostgresConfig(c, "hunter2")
	want := pgstore.Config{URL: d.URL, Password: "hunter2", TLS: pgstore.TLSVerifyFull, CAFile: "/etc/sspr/ca.pem",
		PoolSize: 32, ConnectTimeout: 2 * time.Second, Timeout: 30 * time.Second}
	if got != want {
		t.Fatalf("PostgresConfig = %+v, want %+v", got, want)
	}
}
