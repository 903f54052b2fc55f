package portal_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/captcha"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/portal"
)

// The configuration knows no backend: the rules of a backend's settings
// that validation needs are in ldapdir/ldapspec and pgstore/pgspec, which
// config and the backends share; the names of a backend's choices (kinds,
// TLS modes, CAPTCHA lengths) are config's own constants, which these tests
// keep equal to the backend's.

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
		{"default filter, openldap", config.DefaultUserFilter(config.DirectoryOpenLDAP), ldapdir.DefaultUserFilter(ldapdir.OpenLDAP)},
		{"default filter, activedirectory", config.DefaultUserFilter(config.DirectoryAD), ldapdir.DefaultUserFilter(ldapdir.ActiveDirectory)},
	} {
		if c.got != c.want {
			t.Errorf("%s: config has %v, the backend %v", c.name, c.got, c.want)
		}
	}
}

// pgConfig is a valid [database] for PostgreSQL.
func pgConfig() *config.Config {
	c := config.Default()
	c.Database.Kind, c.Database.URL = config.DatabasePostgres, "postgres://sspr@db.example.edu:5432/sspr"
	return c
}

// TestConfigNeedsNoBackend: the configuration imports no backend, only
// the packages that say what a backend's settings must be, which the
// backends apply again when built.
func TestConfigNeedsNoBackend(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/sspr-portal/sspr/server/config").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{
		"github.com/sspr-portal/sspr/server/config":           true,
		"github.com/sspr-portal/sspr/server/ldapdir/ldapspec": true,
		"github.com/sspr-portal/sspr/server/pgstore/pgspec":   true,
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/sspr-portal/sspr/") && !allowed[p] {
			t.Errorf("server/config imports %s", p)
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
