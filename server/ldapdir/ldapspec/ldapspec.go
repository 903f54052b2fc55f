// Package ldapspec holds what an LDAP directory's settings must be: the
// user filter's placeholders and its escaping, the checks of a filter
// template, a DN and a directory URL, and the default filters. Both the
// configuration, which checks them when it loads and names the key at
// fault, and server/ldapdir, which applies them again when built, use
// these; the package imports go-ldap and the standard library only, so the
// configuration needs no backend.
package ldapspec

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// The placeholders of a user filter template.
const (
	// PlaceholderID stands for the canonical user id, alice@example.edu.
	PlaceholderID = "{id}"
	// PlaceholderLocal stands for its local part, alice. Only ids in the
	// configured domain are looked up this way: alice@elsewhere.org must
	// not reach alice@example.edu's account under another throttle key.
	PlaceholderLocal = "{local}"
)

// The default user filters, when directory.user_filter is not set.
const (
	OpenLDAPUserFilter = "(&(objectClass=inetOrgPerson)(uid={local}))"
	ADUserFilter       = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={local}))"
)

// Filter builds the search filter for a user id from a template, escaping
// every value (docs/SECURITY.md#ldap-escaping, RFC 4515): whatever the id
// holds, it can only ever be the value of the assertions the template
// wrote.
func Filter(template, id, local string) string {
	return strings.NewReplacer(
		PlaceholderID, ldap.EscapeFilter(id),
		PlaceholderLocal, ldap.EscapeFilter(local),
	).Replace(template)
}

// CheckFilterTemplate reports whether template is a usable user filter: it
// names {id} or {local}, and it parses as an LDAP filter with a value
// substituted (including one full of metacharacters).
func CheckFilterTemplate(template string) error {
	if !strings.Contains(template, PlaceholderID) && !strings.Contains(template, PlaceholderLocal) {
		return fmt.Errorf("%q names neither %s nor %s, so it would match the same entries for every user", template, PlaceholderID, PlaceholderLocal)
	}
	for _, sample := range []string{"alice", `*)(uid=*))(|(a=\`} {
		f := Filter(template, sample+"@example.edu", sample)
		if _, err := ldap.CompileFilter(f); err != nil {
			return fmt.Errorf("%q is not an LDAP filter such as \"(&(objectClass=inetOrgPerson)(uid={local}))\": %v", template, err)
		}
	}
	if strings.Contains(template, "}*") || strings.Contains(template, "*{") {
		return fmt.Errorf("%q must use a placeholder as a whole value, such as (uid={local}), not as part of a substring match", template)
	}
	return nil
}

// CheckDN reports whether s is a DN that go-ldap and the server can parse,
// and is not empty.
func CheckDN(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	dn, err := ldap.ParseDN(s)
	if err != nil {
		return fmt.Errorf("%q is not a DN such as \"cn=sspr,ou=services,dc=example,dc=org\": %v", s, err)
	}
	if len(dn.RDNs) == 0 {
		return fmt.Errorf("%q is not a DN", s)
	}
	return nil
}

// ParseURL checks one directory URL: ldap:// or ldaps://, a host, nothing
// else. startTLS says whether StartTLS will protect an ldap:// URL.
func ParseURL(s string, startTLS bool) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL such as \"ldaps://ldap.example.edu\"", s)
	}
	switch {
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		return nil, fmt.Errorf("%q must start with ldaps:// or ldap://", s)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%q has no host", s)
	case u.User != nil:
		return nil, fmt.Errorf("%q must not hold a user name or password", s)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q must be only a scheme, a host and a port", s)
	case u.Scheme == "ldaps" && startTLS:
		return nil, fmt.Errorf("%q is already TLS: StartTLS is for ldap:// URLs (set start_tls = false)", s)
	case u.Scheme == "ldap" && !startTLS && !IsLoopback(u.Hostname()):
		// Passwords must never cross a network in clear text.
		return nil, fmt.Errorf("%q is not encrypted: use ldaps:// or set start_tls = true (plain ldap:// is only allowed to a loopback address)", s)
	}
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
