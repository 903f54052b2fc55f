package ldapdir

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-ldap/ldap/v3"
)

// ErrMisconfigured marks a check that failed because of the settings
// themselves (a password the directory refuses, a base DN that doesn't
// exist): waiting won't make it work, so `sspr serve` refuses to start.
var ErrMisconfigured = errors.New("the directory settings can't work")

// Ping checks the directory for real, as the portal uses it: the service
// account binds, base_dn (and group_base_dn, when set) exist, and a search
// for users under base_dn works. It is the readiness check, and the one
// `sspr serve` makes at start. A refused bind or a missing base is
// ErrMisconfigured; an unreachable directory is directory_unavailable.
// An empty base_dn passes: a new directory may have no users yet.
func (d *Directory) Ping(ctx context.Context) error {
	err := d.pool.do(ctx, true, func(c *ldap.Conn) error {
		for _, b := range []struct{ key, dn string }{{"base_dn", d.cfg.BaseDN}, {"group_base_dn", d.cfg.GroupBaseDN}} {
			if b.dn == "" {
				continue
			}
			_, err := c.Search(ldap.NewSearchRequest(b.dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
				"(objectClass=*)", []string{"1.1"}, nil))
			if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return fmt.Errorf("%w: directory.%s %q does not exist", ErrMisconfigured, b.key, b.dn)
			}
			if err != nil {
				return fmt.Errorf("read directory.%s: %w", b.key, err)
			}
		}
		// One entry is enough to show that the service account may search
		// for users where the portal will.
		_, err := c.Search(ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 1, 0, false,
			"("+ldap.EscapeFilter(d.cfg.IDAttribute)+"=*)", []string{"1.1"}, nil))
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return fmt.Errorf("search for users under directory.base_dn: %w", err)
		}
		return nil
	})
	if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		return fmt.Errorf("%w: the directory refused the service account's bind (directory.bind_dn and its password): %w",
			ErrMisconfigured, err)
	}
	return err
}
