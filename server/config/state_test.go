package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/config"
)

func TestState(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := `[state]
kind = "redis"
address = "redis.example.edu:6379"
tls = true
ca_file = "` + ca + `"
password_env = "SSPR_REDIS_PASSWORD"
`
	loopback := "[state]\nkind = \"redis\"\naddress = \"127.0.0.1:6379\"\n"
	tests := []loadCase{
		{"OK memory by default", "", ""},
		{"OK", ok, ""},
		{"OK loopback without TLS", loopback, ""},
		{"OK ACL user", ok + "username = \"sspr\"\n", ""},
		{"OK tuned", ok + "db = 3\npool_size = 50\nkey_prefix = \"portal:\"\ndial_timeout = \"500ms\"\nread_timeout = \"200ms\"\nwrite_timeout = \"200ms\"\n", ""},
		{"OK no prefix", loopback + "key_prefix = \"\"\n", ""},
		{"ErrKind", "[state]\nkind = \"memcached\"\n", "state.kind"},
		{"ErrNoAddress", "[state]\nkind = \"redis\"\n", "state.address: must be set"},
		{"ErrAddressNoPort", strings.Replace(ok, "redis.example.edu:6379", "redis.example.edu", 1), "state.address"},
		{"ErrAddressNoHost", strings.Replace(ok, "redis.example.edu:6379", ":6379", 1), "state.address"},
		{"ErrPlainToANetwork", strings.Replace(ok, "tls = true\nca_file = \""+ca+"\"\n", "", 1), "state.tls"},
		{"ErrCAWithoutTLS", loopback + "ca_file = \"" + ca + "\"\n", "state.ca_file"},
		{"ErrMissingCA", strings.Replace(ok, ca, "/nonexistent/ca.pem", 1), "state.ca_file"},
		{"ErrTwoPasswords", ok + "password_file = \"/etc/sspr/redis-password\"\n", "state.password"},
		{"ErrUserWithoutPassword", loopback + "username = \"sspr\"\n", "state.password_file"},
		{"ErrDB", ok + "db = 256\n", "state.db"},
		{"ErrPool", ok + "pool_size = 0\n", "state.pool_size"},
		{"ErrDialTimeout", ok + "dial_timeout = \"1ms\"\n", "state.dial_timeout"},
		{"ErrReadTimeout", ok + "read_timeout = \"1m\"\n", "state.read_timeout"},
		{"ErrPrefix", ok + "key_prefix = \"sspr *\"\n", "state.key_prefix"},
		{"ErrUnknownKey", ok + "password = \"hunter2\"\n", "state.password"},
	}
	runLoadCases(t, tests, "hunter2")
}

func TestStateDefaults(t *testing.T) {
	s := config.Default().State
	if s.Kind != config.StateMemory || s.KeyPrefix != "sspr:" || s.PoolSize < 1 || s.TLS {
		t.Fatalf("defaults %+v", s)
	}
}

func TestRedisPassword(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("s3cret\n"), 0o600)
	if pw, err := (config.State{PasswordFile: f}).RedisPassword(); err != nil || pw != "s3cret" {
		t.Fatalf("%q %v", pw, err)
	}
	t.Setenv("SSPR_TEST_REDIS_PW", "from-env")
	if pw, err := (config.State{PasswordEnv: "SSPR_TEST_REDIS_PW"}).RedisPassword(); err != nil || pw != "from-env" {
		t.Fatalf("%q %v", pw, err)
	}
	if pw, err := (config.State{}).RedisPassword(); err != nil || pw != "" {
		t.Fatalf("no source: %q %v", pw, err)
	}
}
