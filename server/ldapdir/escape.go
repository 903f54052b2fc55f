package ldapdir

import (
	"errors"
	"fmt"
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
