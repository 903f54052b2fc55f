package ldapdir

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/ldapdir/ldapspec"
	"github.com/sspr-portal/sspr/server/sspr"
)

// DefaultPageSize is how many entries Each asks for in one page: under
// Active Directory's MaxPageSize (1000) and OpenLDAP's default size limit
// (500).
const DefaultPageSize = 500

// anyUser is the user filter with any id: the placeholders become a
// wildcard (the filter template was checked when the directory was made).
func (d *Directory) anyUser() string {
	return strings.NewReplacer(ldapspec.PlaceholderID, "*", ldapspec.PlaceholderLocal, "*").Replace(d.filter)
}

// Each calls fn with every entry of base_dn the user filter finds (any
// id), as Lookup would return it, with its OU and the alternate mail and
// mobile the directory holds. It reads with RFC 2696 paged results
// (Config.PageSize entries a page) on a connection of its own, so that a
// directory of any size is walked a page at a time, without holding a
// pooled connection while fn runs. An entry whose id can't be made
// canonical is left out, as Find leaves it out.
func (d *Directory) Each(ctx context.Context, fn func(sspr.Account) error) error {
	c, err := d.dialService(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// go-ldap has no contexts: the context's end closes the connection,
	// which ends the page being read.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.SetTimeout(d.cfg.Timeout)
	paging := ldap.NewControlPaging(uint32(d.cfg.PageSize))
	for {
		req := ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, int(d.cfg.Timeout/time.Second), false, d.anyUser(), d.attrs, []ldap.Control{paging})
		res, err := c.Search(req)
		if ctx.Err() != nil {
			return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("%w: %w", errCanceled, ctx.Err()))
		}
		if err != nil {
			return mapped(err)
		}
		for _, e := range res.Entries {
			id, ok := d.entryID(e)
			if !ok {
				continue
			}
			if err := fn(d.account(ctx, e, id)); err != nil {
				return err
			}
		}
		next, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(next.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(next.Cookie)
	}
}

// entryID is the canonical user id of an entry, from its id attribute
// (with the default domain when the value has none); false when it has
// none or it can't be made canonical.
func (d *Directory) entryID(e *ldap.Entry) (string, bool) {
	v := e.GetEqualFoldAttributeValue(d.cfg.IDAttribute)
	if v == "" {
		return "", false
	}
	if !strings.Contains(v, "@") {
		if d.cfg.Domain == "" {
			return "", false
		}
		v += "@" + d.cfg.Domain
	}
	id, err := canon.UserID(v, "")
	if err != nil {
		return "", false
	}
	return id, true
}

// account is the account entry e holds, for id: its names, its lock state,
// its OU and the directory's own alternate mail and mobile.
func (d *Directory) account(ctx context.Context, e *ldap.Entry, id string) sspr.Account {
	a := sspr.Account{
		ID:          id,
		DisplayName: e.GetEqualFoldAttributeValue(d.cfg.DisplayNameAttribute),
		Mail:        e.GetEqualFoldAttributeValue(d.cfg.MailAttribute),
		OU:          OUPath(e.DN, d.cfg.BaseDN),
	}
	if d.cfg.AltMailAttribute != "" {
		a.AltMail = e.GetEqualFoldAttributeValue(d.cfg.AltMailAttribute)
	}
	if d.cfg.MobileAttribute != "" {
		a.Mobile = e.GetEqualFoldAttributeValue(d.cfg.MobileAttribute)
	}
	if d.cfg.Flavour == OpenLDAP {
		d.openldapLockState(ctx, e, &a)
		// ppolicy's record of the last change; a value it can't read is
		// as good as none (the console shows nothing).
		a.PasswordSetAt, _ = parseGeneralizedTime(e.GetEqualFoldAttributeValue(attrChangedTime))
		d.openldapExpiry(ctx, e, &a)
	} else {
		d.adLockState(ctx, e, &a)
		// 0: the password must be changed at the next sign-in.
		if ft, err := strconv.ParseInt(e.GetEqualFoldAttributeValue(attrPwdLastSet), 10, 64); err == nil && ft > 0 {
			a.PasswordSetAt = FileTime(ft)
		}
		// AD works the expiry out itself, from the domain's or the
		// user's fine-grained policy; the largest value is "never", and
		// 0 "must change now".
		if ft, err := strconv.ParseInt(e.GetEqualFoldAttributeValue(attrExpiryComputed), 10, 64); err == nil && ft > 0 && ft < math.MaxInt64 {
			a.PasswordExpiresAt = FileTime(ft)
		}
	}
	return a
}

// OUPath is where an entry is filed, as a readable path: the values of
// its parent's RDNs below base, from the top down, joined with "/".
// "uid=ann,ou=physics,ou=students,dc=example,dc=edu" under
// "dc=example,dc=edu" is "students/physics"; in Active Directory,
// "CN=Ann,OU=Physics,OU=Students,DC=corp,DC=example" is "Students/Physics",
// and an entry right under base is "". A DN that doesn't parse is "".
func OUPath(dn, base string) string {
	entry, err := ldap.ParseDN(dn)
	if err != nil || len(entry.RDNs) < 2 {
		return ""
	}
	rdns := entry.RDNs[1:]
	if b, err := ldap.ParseDN(base); err == nil && len(b.RDNs) <= len(rdns) {
		tail := &ldap.DN{RDNs: rdns[len(rdns)-len(b.RDNs):]}
		if tail.EqualFold(b) {
			rdns = rdns[:len(rdns)-len(b.RDNs)]
		}
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		var vals []string
		for _, a := range rdns[i].Attributes {
			vals = append(vals, a.Value)
		}
		parts = append(parts, strings.Join(vals, "+"))
	}
	return strings.Join(parts, "/")
}
