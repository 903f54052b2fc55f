package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Database is [database]: where registrations and audit events are kept.
// Every key but kind and path is for "postgres" only.
//
// The embedded directory (directory.kind = "embedded") keeps its accounts
// and password history in the SQLite file whatever kind says: only
// registrations and audit events move to PostgreSQL.
type Database struct {
	// Kind is "sqlite" (the file at Path: one server, the default) or
	// "postgres" (several servers share it).
	Kind string `toml:"kind"`
	// Path is the SQLite file. Empty means DataDir/sspr.db.
	Path string `toml:"path"`
	// URL is PostgreSQL's connection URL without a password, such as
	// "postgres://sspr@db.example.edu:5432/sspr".
	URL string `toml:"url"`
	// The role's password comes from a file or an environment variable,
	// never from this file: at most one of the two is set (neither for
	// peer or certificate authentication).
	PasswordFile string `toml:"password_file"`
	PasswordEnv  string `toml:"password_env"`
	// TLS is "verify-full" (encrypted, the server's certificate and name
	// verified) or "off" (only to a loopback address or a Unix socket).
	// There is no way to encrypt without verifying.
	TLS string `toml:"tls"`
	// CAFile is a PEM file of the CAs that sign the server's certificate;
	// empty means the system's roots.
	CAFile         string   `toml:"ca_file"`
	PoolSize       int      `toml:"pool_size"`
	ConnectTimeout Duration `toml:"connect_timeout"`
	// Timeout bounds each query (PostgreSQL's statement_timeout, and the
	// wait for a connection).
	Timeout Duration `toml:"timeout"`
}

// The database kinds and TLS modes. The modes are pgstore's own
// (TLSVerifyFull, TLSOff), which server/portal passes on as they are: a
// test there keeps them equal.
const (
	DatabaseSQLite    = "sqlite"
	DatabasePostgres  = "postgres"
	DatabaseTLSVerify = "verify-full"
	DatabaseTLSOff    = "off"
)

func defaultDatabase() Database {
	return Database{
		Kind:           DatabaseSQLite,
		TLS:            DatabaseTLSVerify,
		PoolSize:       8,
		ConnectTimeout: Duration{5 * time.Second},
		Timeout:        Duration{5 * time.Second},
	}
}

// validateDatabase checks [database].
func (c *Config) validateDatabase(v *validator) {
	d := c.Database
	v.oneOf("database.kind", d.Kind, DatabaseSQLite, DatabasePostgres)
	v.oneOf("database.tls", d.TLS, DatabaseTLSVerify, DatabaseTLSOff)
	v.between("database.pool_size", d.PoolSize, 1, 100)
	v.duration("database.connect_timeout", d.ConnectTimeout, 100*time.Millisecond, 30*time.Second)
	v.duration("database.timeout", d.Timeout, 100*time.Millisecond, time.Minute)
	if d.PasswordEnv != "" && !dirEnvName.MatchString(d.PasswordEnv) {
		v.add("database.password_env", "%q is not an environment variable name such as \"SSPR_DB_PASSWORD\"", d.PasswordEnv)
	}
	if d.PasswordFile != "" && d.PasswordEnv != "" {
		v.add("database.password_env", "set only one of database.password_file and database.password_env")
	}
	if d.Kind != DatabasePostgres {
		// A URL with kind left at "sqlite" is a half-done switch: say so
		// rather than quietly keep registrations in the file.
		if d.URL != "" {
			v.add("database.kind", "is %q but database.url is set: write kind = %q to use PostgreSQL", d.Kind, DatabasePostgres)
		}
		return
	}
	if strings.TrimSpace(d.URL) == "" {
		v.add("database.url", "must be set when database.kind is %q, such as \"postgres://sspr@db.example.edu:5432/sspr\"", d.Kind)
		return
	}
	if _, err := checkDatabaseURL(d.URL); err != nil {
		v.add("database.url", "%v", err)
		return
	}
	if local, _ := databaseIsLocal(d.URL); d.TLS == DatabaseTLSOff && !local {
		v.add("database.tls", "may only be %q when every host of database.url is a loopback address or a Unix socket: registrations and the password cross this connection", DatabaseTLSOff)
	}
	if d.CAFile != "" {
		if d.TLS == DatabaseTLSOff {
			v.add("database.ca_file", "is set but database.tls is %q", DatabaseTLSOff)
		} else if _, err := os.Stat(d.CAFile); err != nil {
			v.add("database.ca_file", "cannot read %q: %v", d.CAFile, err)
		}
	}
}

// Password reads the role's password from database.password_file or
// database.password_env; "" when neither is set. A trailing newline in the
// file is not part of it.
func (d Database) Password() (string, error) {
	switch {
	case d.PasswordFile != "":
		b, err := os.ReadFile(d.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("config: database.password_file: %w", err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("config: database.password_file: %s is empty", d.PasswordFile)
		}
		return pw, nil
	case d.PasswordEnv != "":
		pw := os.Getenv(d.PasswordEnv)
		if pw == "" {
			return "", fmt.Errorf("config: database.password_env: the environment variable %s is empty or not set", d.PasswordEnv)
		}
		return pw, nil
	}
	return "", nil
}

// checkDatabaseURL checks database.url: postgres:// or postgresql://, a
// user and a database named, and no password, sslmode or sslrootcert in it
// (they have keys of their own: the password must never sit in the
// configuration file). It returns the hosts, which may be Unix socket
// folders. It is pgstore.CheckURL's rule, which pgstore applies again
// when it opens; a test in server/portal keeps the two in step.
func checkDatabaseURL(s string) ([]string, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url's error quotes the string, which might hold a password.
		return nil, errors.New("is not a URL such as \"postgres://sspr@db.example.edu:5432/sspr\"")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, errors.New("must start with postgres:// (a URL such as \"postgres://sspr@db.example.edu:5432/sspr\")")
	}
	if _, ok := u.User.Password(); ok {
		return nil, errors.New("must not hold a password: put it in a file named by database.password_file, or an environment variable named by database.password_env")
	}
	q := u.Query()
	if q.Has("password") {
		return nil, errors.New("must not hold a password (password=): put it in a file named by database.password_file, or an environment variable named by database.password_env")
	}
	for _, k := range []string{"sslmode", "sslrootcert", "sslnegotiation"} {
		if q.Has(k) {
			return nil, fmt.Errorf("must not set %s: database.tls and database.ca_file say how the connection is encrypted", k)
		}
	}
	if u.User.Username() == "" && q.Get("user") == "" {
		return nil, errors.New("must name the role, as in \"postgres://sspr@db.example.edu/sspr\"")
	}
	if strings.Trim(u.Path, "/") == "" && q.Get("dbname") == "" {
		return nil, errors.New("must name the database, as in \"postgres://sspr@db.example.edu/sspr\"")
	}
	hosts := u.Host
	if h := q.Get("host"); h != "" {
		hosts = h
	}
	if hosts == "" {
		return nil, errors.New("must name the host, as in \"postgres://sspr@db.example.edu/sspr\" (or a Unix socket folder with ?host=/var/run/postgresql)")
	}
	var out []string
	for _, hp := range strings.Split(hosts, ",") {
		h := hp
		if !strings.HasPrefix(hp, "/") {
			if host, _, err := net.SplitHostPort(hp); err == nil {
				h = host
			}
			h = strings.Trim(h, "[]")
		}
		if h == "" {
			return nil, errors.New("has an empty host")
		}
		out = append(out, h)
	}
	return out, nil
}

// databaseIsLocal reports whether every host of the database URL s is a
// loopback address or a Unix socket, where TLS may be off (pgstore.IsLocal's
// rule).
func databaseIsLocal(s string) (bool, error) {
	hosts, err := checkDatabaseURL(s)
	if err != nil {
		return false, err
	}
	for _, h := range hosts {
		if !strings.HasPrefix(h, "/") && !isLoopback(h) {
			return false, nil
		}
	}
	return true, nil
}
