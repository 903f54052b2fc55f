// Package pgspec holds what a PostgreSQL database URL must be. Both the
// configuration, which checks database.url when it loads, and
// server/pgstore, which checks it again when it opens, use it; it imports
// the standard library only, so the configuration needs no backend.
package pgspec

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckURL checks a database URL: postgres:// or postgresql://, a user and
// a database named, and no password, sslmode or sslrootcert in it (they
// have keys of their own: the password must never sit in the
// configuration file). It returns the hosts, which may be Unix socket
// folders.
func CheckURL(s string) ([]string, error) {
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

// IsLocal reports whether every host of the database URL s is a loopback
// address or a Unix socket, where TLS may be off.
func IsLocal(s string) (bool, error) {
	hosts, err := CheckURL(s)
	if err != nil {
		return false, err
	}
	for _, h := range hosts {
		if strings.HasPrefix(h, "/") || strings.EqualFold(h, "localhost") {
			continue
		}
		if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
			return false, nil
		}
	}
	return true, nil
}
