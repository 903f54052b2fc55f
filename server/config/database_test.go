package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/config"
)

func TestDatabase(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := `[database]
kind = "postgres"
url = "postgres://sspr@db.example.edu:5432/sspr"
password_env = "SSPR_DB_PASSWORD"
ca_file = "` + ca + `"
`
	tests := []loadCase{
		{"OK", ok, ""},
		{"OK SQLite by default", "", ""},
		{"OK SQLite with a path", "[database]\npath = \"/srv/sspr.db\"\n", ""},
		{"OK password file", strings.Replace(ok, `password_env = "SSPR_DB_PASSWORD"`, `password_file = "/etc/sspr/db-password"`, 1), ""},
		{"OK no password (peer authentication)", strings.Replace(ok, `password_env = "SSPR_DB_PASSWORD"`, "", 1), ""},
		{"OK Unix socket without TLS", "[database]\nkind = \"postgres\"\nurl = \"postgres://sspr@/sspr?host=/var/run/postgresql\"\ntls = \"off\"\n", ""},
		{"OK loopback without TLS", "[database]\nkind = \"postgres\"\nurl = \"postgres://sspr@127.0.0.1/sspr\"\ntls = \"off\"\n", ""},
		{"OK tuned", ok + "pool_size = 32\nconnect_timeout = \"2s\"\ntimeout = \"30s\"\n", ""},
		{"ErrKind", "[database]\nkind = \"mysql\"\n", "database.kind"},
		{"ErrURLWithSQLite", "[database]\nurl = \"postgres://sspr@db.example.edu/sspr\"\n", "database.kind"},
		{"ErrNoURL", "[database]\nkind = \"postgres\"\n", "database.url: must be set"},
		{"ErrPasswordInURL", strings.Replace(ok, "sspr@db", "sspr:hunter2@db", 1), "database.url: must not hold a password"},
		{"ErrPasswordParameter", strings.Replace(ok, "5432/sspr", "5432/sspr?password=hunter2", 1), "database.url: must not hold a password"},
		{"ErrSSLModeInURL", strings.Replace(ok, "5432/sspr", "5432/sspr?sslmode=require", 1), "database.url: must not set sslmode"},
		{"ErrNotAURL", strings.Replace(ok, "postgres://sspr@db.example.edu:5432/sspr", "host=db user=sspr", 1), "database.url"},
		{"ErrNoDatabaseName", strings.Replace(ok, ":5432/sspr", ":5432", 1), "database.url: must name the database"},
		{"ErrTLSOffToANetwork", ok + "tls = \"off\"\n", "database.tls"},
		{"ErrTLSSkipVerify", ok + "tls = \"require\"\n", "database.tls"},
		{"ErrCAWithTLSOff", "[database]\nkind = \"postgres\"\nurl = \"postgres://sspr@127.0.0.1/sspr\"\ntls = \"off\"\nca_file = \"" + ca + "\"\n", "database.ca_file"},
		{"ErrMissingCA", strings.Replace(ok, ca, "/nonexistent/ca.pem", 1), "database.ca_file"},
		{"ErrTwoPasswords", ok + "password_file = \"/etc/sspr/db-password\"\n", "database.password_env"},
		{"ErrPasswordEnvName", strings.Replace(ok, "SSPR_DB_PASSWORD", "SSPR DB", 1), "database.password_env"},
		{"ErrPool", ok + "pool_size = 0\n", "database.pool_size"},
		{"ErrConnectTimeout", ok + "connect_timeout = \"1m\"\n", "database.connect_timeout"},
		{"ErrTimeout", ok + "timeout = \"1ms\"\n", "database.timeout"},
		{"ErrUnknownKey", ok + "password = \"hunter2\"\n", "database.password"},
	}
	runLoadCases(t, tests, "hunter2")
}

func TestDatabaseDefaults(t *testing.T) {
	d := config.Default().Database
	if d.Kind != config.DatabaseSQLite || d.TLS != config.DatabaseTLSVerify || d.PoolSize != 8 ||
		d.ConnectTimeout.D() != 5*time.Second || d.Timeout.D() != 5*time.Second {
		t.Fatalf("defaults %+v", d)
	}
}

func TestDatabasePassword(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("s3cret\n"), 0o600)
	if pw, err := (config.Database{PasswordFile: f}).Password(); err != nil || pw != "s3cret" {
		t.Fatalf("%q %v", pw, err)
	}
	t.Setenv("SSPR_TEST_DB_PW", "from-env")
	if pw, err := (config.Database{PasswordEnv: "SSPR_TEST_DB_PW"}).Password(); err != nil || pw != "from-env" {
		t.Fatalf("%q %v", pw, err)
	}
	if _, err := (config.Database{PasswordEnv: "SSPR_TEST_UNSET_DB_PW"}).Password(); err == nil || !strings.Contains(err.Error(), "database.password_env") {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := (config.Database{PasswordFile: empty}).Password(); err == nil || !strings.Contains(err.Error(), "database.password_file") {
		t.Fatal(err)
	}
	if pw, err := (config.Database{}).Password(); err != nil || pw != "" {
		t.Fatalf("no password: %q %v", pw, err)
	}
}
