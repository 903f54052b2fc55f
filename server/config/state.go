package config

import (
	"net"
	"regexp"
	"time"
)

// State is [state]: where flows, codes, CAPTCHA answers and throttle
// counters live while they are needed. Every key but kind is for "redis"
// only (docs/STATE.md).
type State struct {
	// Kind is "memory" (this server alone, the default) or "redis"
	// (several servers share it).
	Kind string `toml:"kind"`
	// Address is the Redis server's host:port.
	Address string `toml:"address"`
	// Username is the Redis ACL user; empty means "default".
	Username string `toml:"username"`
	// The password comes from a file or an environment variable, never
	// from this file; neither means no password.
	PasswordFile string `toml:"password_file"`
	PasswordEnv  string `toml:"password_env"`
	// DB is the database number (SELECT).
	DB int `toml:"db"`
	// TLS encrypts the connection; without it only a server on a
	// loopback address is allowed.
	TLS bool `toml:"tls"`
	// CAFile is a PEM file of the CAs that sign the server's certificate;
	// empty means the system's. Verification is never off.
	CAFile string `toml:"ca_file"`
	// KeyPrefix goes before every key, so one Redis can serve other
	// things too.
	KeyPrefix    string   `toml:"key_prefix"`
	DialTimeout  Duration `toml:"dial_timeout"`
	ReadTimeout  Duration `toml:"read_timeout"`
	WriteTimeout Duration `toml:"write_timeout"`
	PoolSize     int      `toml:"pool_size"`
}

// The state kinds.
const (
	StateMemory = "memory"
	StateRedis  = "redis"
)

func defaultState() State {
	return State{
		Kind:         StateMemory,
		KeyPrefix:    "sspr:",
		DialTimeout:  seconds(2),
		ReadTimeout:  seconds(1),
		WriteTimeout: seconds(1),
		PoolSize:     20,
	}
}

// keyPrefix is printable ASCII without spaces, quotes or glob characters,
// so that an operator's SCAN MATCH prefix* finds exactly the portal's keys.
var keyPrefix = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]{0,64}$`)

// validateState checks [state].
func (c *Config) validateState(v *validator) {
	s := c.State
	v.oneOf("state.kind", s.Kind, StateMemory, StateRedis)
	v.between("state.db", s.DB, 0, 255)
	v.between("state.pool_size", s.PoolSize, 1, 1000)
	// A user waits for these: Redis answers in well under a millisecond,
	// and a 503 soon is better than a page that hangs.
	v.duration("state.dial_timeout", s.DialTimeout, 50*time.Millisecond, 30*time.Second)
	v.duration("state.read_timeout", s.ReadTimeout, 50*time.Millisecond, 30*time.Second)
	v.duration("state.write_timeout", s.WriteTimeout, 50*time.Millisecond, 30*time.Second)
	if !keyPrefix.MatchString(s.KeyPrefix) {
		v.add("state.key_prefix", "%q must be at most 64 letters, digits or _ . : / @ -, such as \"sspr:\"", s.KeyPrefix)
	}
	v.secretSource("state.password_file", "state.password_env", s.PasswordFile, s.PasswordEnv)
	v.optionalFile("state.ca_file", s.CAFile)
	if s.CAFile != "" && !s.TLS {
		v.add("state.ca_file", "is only used with state.tls = true")
	}
	if s.Username != "" && s.PasswordFile == "" && s.PasswordEnv == "" {
		v.add("state.password_file", "state.username is set: give its password in state.password_file or state.password_env")
	}
	if s.Kind != StateRedis {
		return
	}
	if s.Address == "" {
		v.add("state.address", "must be set to the Redis server's host:port, such as \"redis.example.edu:6379\", when state.kind is \"redis\"")
		return
	}
	if err := checkHostPort(s.Address); err != nil {
		v.add("state.address", "%v", err)
		return
	}
	if host, port, _ := net.SplitHostPort(s.Address); host == "" || port == "0" {
		v.add("state.address", "%q must name a host and a port, such as \"redis.example.edu:6379\"", s.Address)
		return
	}
	if !s.TLS && !IsLoopback(s.Address) {
		// Flows (with users' addresses and numbers), code hashes and the
		// Redis password cross this connection: in clear text only to a
		// server on this machine.
		v.add("state.tls", "must be true for a Redis server that is not on a loopback address (%q): flows and code hashes cross this connection", s.Address)
	}
}

// RedisPassword reads the Redis password from state.password_file or
// state.password_env; "" when neither is set.
func (s State) RedisPassword() (string, error) {
	return ReadSecret("state.password_file", "state.password_env", s.PasswordFile, s.PasswordEnv)
}
