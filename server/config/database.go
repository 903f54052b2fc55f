package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/pgstore/pgspec"
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
	if _, err := pgspec.CheckURL(d.URL); err != nil {
		v.add("database.url", "%v", err)
		return
	}
	if local, _ := pgspec.IsLocal(d.URL); d.TLS == DatabaseTLSOff && !local {
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
