// Package ldapdir is the directory backend for real deployments: accounts in
// OpenLDAP with the ppolicy overlay, or in Active Directory, reached over
// LDAP with github.com/go-ldap/ldap/v3. It implements sspr.Directory with
// the same contracts as the embedded directory.
//
// The portal works as a service account from a small pool of connections:
// it finds a user with a filter template (every value escaped, exactly one
// match), reads the attributes the configuration names, sets passwords
// (OpenLDAP: the Password Modify extended operation, so ppolicy checks
// quality and history; AD: unicodePwd) and clears lockouts. Checking a
// user's password binds as the user on a connection of its own, never on
// a pooled one.
//
// Errors follow sspr.Directory's contract: an unreachable directory (or
// one that refuses the service account) is directory_unavailable
// (sspr.Unavailable), whose message names nothing internal; a password
// the directory's own policy refuses is an *sspr.Error with code
// password_policy, its rules translated into sentences.
package ldapdir

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/ldapdir/ldapspec"
	"github.com/sspr-portal/sspr/server/sspr"
)

var _ sspr.Directory = (*Directory)(nil)

// Flavour is the kind of directory server.
type Flavour string

// The flavours.
const (
	OpenLDAP        Flavour = "openldap"
	ActiveDirectory Flavour = "activedirectory"
)

// Config is how to reach the directory and read it.
type Config struct {
	Flavour Flavour
	// URLs are tried in order: ldap://host[:port] or ldaps://host[:port].
	URLs []string
	// StartTLS upgrades ldap:// connections with StartTLS. Plain ldap://
	// without it is refused unless the host is a loopback address.
	StartTLS bool
	// CAFile is a PEM file of the CAs that sign the server's certificate;
	// empty means the system's roots. Certificates are always verified.
	CAFile string
	// BindDN and BindPassword are the service account's.
	BindDN, BindPassword string
	// BaseDN is where users are searched for (the whole subtree).
	BaseDN string
	// GroupBaseDN is where MemberOf looks for groups (the whole
	// subtree); empty means BaseDN.
	GroupBaseDN string
	// UserFilter is a filter template with {id} or {local}; empty means
	// the flavour's default (see DefaultUserFilter).
	UserFilter string
	// Domain is the default domain of user ids. With {local} in the
	// filter, ids in another domain are unknown.
	Domain string
	// Attribute names; empty means the flavour's default. AltMail and
	// Mobile are optional sources of registration (empty: not read).
	IDAttribute, DisplayNameAttribute, MailAttribute string
	AltMailAttribute, MobileAttribute                string
	// PasswordPolicyDN is OpenLDAP's default ppolicy entry (ppolicy_default),
	// read for pwdLockoutDuration and pwdMaxAge when a user has no
	// pwdPolicySubentry.
	PasswordPolicyDN string
	// PwdReset: OpenLDAP sets pwdReset after a reset (the user must change
	// the password at the next sign-in); false removes a pwdReset ppolicy
	// set because the service account made the change. AD: pwdLastSet=0.
	PwdReset bool
	// ConnectTimeout bounds a dial, TLS included; Timeout each operation.
	ConnectTimeout, Timeout time.Duration
	// PoolSize is how many service connections are kept open at most.
	PoolSize int
	// PageSize is how many entries Each reads a page (0:
	// DefaultPageSize).
	PageSize int
	// Now is the clock for lockout expiry; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// DefaultUserFilter is the user filter of a flavour when none is set.
func DefaultUserFilter(f Flavour) string {
	if f == ActiveDirectory {
		return ldapspec.ADUserFilter
	}
	return ldapspec.OpenLDAPUserFilter
}

// DefaultIDAttribute is the user-id attribute of a flavour when none is set.
func DefaultIDAttribute(f Flavour) string {
	if f == ActiveDirectory {
		return "sAMAccountName"
	}
	return "uid"
}

// withDefaults fills the empty fields.
func (c Config) withDefaults() Config {
	if c.UserFilter == "" {
		c.UserFilter = DefaultUserFilter(c.Flavour)
	}
	if c.IDAttribute == "" {
		c.IDAttribute = DefaultIDAttribute(c.Flavour)
	}
	if c.DisplayNameAttribute == "" {
		c.DisplayNameAttribute = "displayName"
	}
	if c.MailAttribute == "" {
		c.MailAttribute = "mail"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 4
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Directory is an LDAP directory. It is safe for concurrent use.
type Directory struct {
	cfg    Config
	urls   []*url.URL
	tls    *tls.Config
	pool   *pool
	filter string
	// attrs are the attributes Lookup reads.
	attrs []string

	mu        sync.Mutex
	durations map[string]cachedDuration
}

type cachedDuration struct {
	d       time.Duration
	forever bool
	at      time.Time
}

// New returns the directory described by cfg. It does not connect: the
// first operation does, so the portal starts while the directory is down
// and recovers by itself when it returns.
func New(cfg Config) (*Directory, error) {
	cfg = cfg.withDefaults()
	if cfg.Flavour != OpenLDAP && cfg.Flavour != ActiveDirectory {
		return nil, fmt.Errorf("ldapdir: unknown flavour %q", cfg.Flavour)
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("ldapdir: no URL")
	}
	d := &Directory{cfg: cfg, filter: cfg.UserFilter, durations: map[string]cachedDuration{}}
	for _, s := range cfg.URLs {
		u, err := ldapspec.ParseURL(s, cfg.StartTLS)
		if err != nil {
			return nil, fmt.Errorf("ldapdir: %w", err)
		}
		d.urls = append(d.urls, u)
	}
	if err := ldapspec.CheckFilterTemplate(cfg.UserFilter); err != nil {
		return nil, fmt.Errorf("ldapdir: user filter: %w", err)
	}
	if err := ldapspec.CheckDN(cfg.BaseDN); err != nil {
		return nil, fmt.Errorf("ldapdir: base DN: %w", err)
	}
	if err := ldapspec.CheckDN(cfg.BindDN); err != nil {
		return nil, fmt.Errorf("ldapdir: bind DN: %w", err)
	}
	if cfg.BindPassword == "" {
		// An empty password is an unauthenticated bind, which succeeds.
		return nil, errors.New("ldapdir: the service account's password is empty")
	}
	d.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ldapdir: CA file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldapdir: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		d.tls.RootCAs = roots
	}
	d.attrs = []string{cfg.IDAttribute, cfg.DisplayNameAttribute, cfg.MailAttribute}
	for _, a := range []string{cfg.AltMailAttribute, cfg.MobileAttribute} {
		if a != "" {
			d.attrs = append(d.attrs, a)
		}
	}
	if cfg.Flavour == OpenLDAP {
		d.attrs = append(d.attrs, attrLockedTime, attrPolicySubentry, attrChangedTime)
	} else {
		d.attrs = append(d.attrs, attrLockoutTime, attrUAC, attrPwdLastSet, attrExpiryComputed)
	}
	d.pool = newPool(d, cfg.PoolSize)
	return d, nil
}

// Close closes the pooled connections.
func (d *Directory) Close() error {
	d.pool.close()
	return nil
}

// entry finds the one entry for a canonical user id, or nil when there is
// none, when the id is outside the domain, or when the filter matches more
// than one entry (an ambiguous account is never touched).
func (d *Directory) entry(ctx context.Context, id string, attrs []string) (*ldap.Entry, error) {
	local, domain, ok := strings.Cut(id, "@")
	if !ok || local == "" {
		return nil, nil
	}
	if strings.Contains(d.filter, ldapspec.PlaceholderLocal) && d.cfg.Domain != "" && !strings.EqualFold(domain, d.cfg.Domain) {
		return nil, nil
	}
	req := ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, int(d.cfg.Timeout/time.Second), false, ldapspec.Filter(d.filter, id, local), attrs, nil)
	var res *ldap.SearchResult
	err := d.pool.do(ctx, true, func(c *ldap.Conn) error {
		var err error
		res, err = c.Search(req)
		return err
	})
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		d.cfg.Log.Warn("ldap: the user filter matched more than one entry; treated as unknown", "user", id)
		return nil, nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		d.cfg.Log.Error("ldap: the base DN does not exist", "base_dn", d.cfg.BaseDN)
		return nil, sspr.Unavailable(sspr.BackendDirectory, err)
	case err != nil:
		return nil, mapped(err)
	}
	switch len(res.Entries) {
	case 0:
		return nil, nil
	case 1:
	default:
		d.cfg.Log.Warn("ldap: the user filter matched more than one entry; treated as unknown", "user", id)
		return nil, nil
	}
	e := res.Entries[0]
	// The id attribute confirms the match, whatever else the filter says.
	if v := e.GetEqualFoldAttributeValue(d.cfg.IDAttribute); !strings.EqualFold(v, local) && !strings.EqualFold(v, id) {
		d.cfg.Log.Warn("ldap: the entry found does not carry the user id in its id attribute; treated as unknown",
			"user", id, "attribute", d.cfg.IDAttribute)
		return nil, nil
	}
	return e, nil
}

// Lookup returns the account with this canonical id, or nil and no error
// when there is none. An unreachable directory is directory_unavailable.
func (d *Directory) Lookup(ctx context.Context, id string) (*sspr.Account, error) {
	e, err := d.entry(ctx, id, d.attrs)
	if err != nil || e == nil {
		return nil, err
	}
	a := d.account(ctx, e, id)
	return &a, nil
}

// Contacts returns the alternate mail and mobile number the directory
// holds for a user (empty when not configured or not set), and whether the
// user exists.
func (d *Directory) Contacts(ctx context.Context, id string) (altMail, mobile string, found bool, err error) {
	var attrs []string
	for _, a := range []string{d.cfg.IDAttribute, d.cfg.AltMailAttribute, d.cfg.MobileAttribute} {
		if a != "" {
			attrs = append(attrs, a)
		}
	}
	e, err := d.entry(ctx, id, attrs)
	if err != nil || e == nil {
		return "", "", false, err
	}
	if d.cfg.AltMailAttribute != "" {
		altMail = e.GetEqualFoldAttributeValue(d.cfg.AltMailAttribute)
	}
	if d.cfg.MobileAttribute != "" {
		mobile = e.GetEqualFoldAttributeValue(d.cfg.MobileAttribute)
	}
	return altMail, mobile, true, nil
}

// errNotFound is SetPassword's and Unlock's answer for an unknown id.
var errNotFound = errors.New("ldapdir: no such account")

// SetPassword replaces the account's password, as the service account. A
// refusal by the directory's policy (history, length, quality) is
// password_policy with the directory's reason as a sentence.
func (d *Directory) SetPassword(ctx context.Context, id, password string) error {
	if password == "" {
		return errors.New("ldapdir: empty password")
	}
	e, err := d.entry(ctx, id, []string{d.cfg.IDAttribute})
	if err != nil {
		return err
	}
	if e == nil {
		return errNotFound
	}
	if d.cfg.Flavour == OpenLDAP {
		return d.openldapSetPassword(ctx, e.DN, password)
	}
	return d.adSetPassword(ctx, e.DN, password)
}

// Unlock clears the account's lockout; an account that is not locked is
// not an error.
func (d *Directory) Unlock(ctx context.Context, id string) error {
	e, err := d.entry(ctx, id, d.attrs)
	if err != nil {
		return err
	}
	if e == nil {
		return errNotFound
	}
	if d.cfg.Flavour == OpenLDAP {
		return d.openldapUnlock(ctx, e)
	}
	return d.adUnlock(ctx, e)
}

// dummyRDN names no entry: CheckPassword binds to it for an unknown id, so
// that an unknown id costs what a wrong password does.
const dummyRDN = "cn=sspr-no-such-user-7c1f0e"

// CheckPassword reports whether password is the account's, by binding as
// the user on a connection of its own. A wrong password, or an account the
// directory refuses (locked, disabled, expired), is false and no error; an
// unknown id is false after the same work (a bind to a DN that doesn't
// exist), so timing doesn't tell which ids exist. An empty password is
// false without a bind: an empty simple bind is an unauthenticated bind,
// which succeeds.
func (d *Directory) CheckPassword(ctx context.Context, id, password string) (bool, error) {
	if password == "" {
		return false, nil
	}
	e, err := d.entry(ctx, id, []string{d.cfg.IDAttribute})
	if err != nil {
		return false, err
	}
	dn := dummyRDN + "," + d.cfg.BaseDN
	if e != nil {
		dn = e.DN
	}
	ok, err := d.bindAs(ctx, dn, password)
	return ok && e != nil, err
}

// bindAs binds as dn on a fresh connection, closed afterwards.
func (d *Directory) bindAs(ctx context.Context, dn, password string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ConnectTimeout+d.cfg.Timeout)
	defer cancel()
	c, err := d.dial(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()
	err = run(ctx, c, d.cfg.Timeout, func(c *ldap.Conn) error {
		_, err := c.SimpleBind(&ldap.SimpleBindRequest{Username: dn, Password: password})
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		// Wrong password, unknown DN, or an account the directory won't let
		// in (ppolicy lockout, AD's 775 locked, 533 disabled, 532 expired).
		return false, nil
	}
	return false, mapped(err)
}

// Config returns the configuration in force, defaults filled in (the
// service account's password included: never log it).
func (d *Directory) Config() Config { return d.cfg }

// maxGroupDepth bounds how many levels of groups within groups MemberOf
// follows: a loop of groups ends, and so does a tree too deep to be meant.
const maxGroupDepth = 8

// MemberOf reports whether the account is a member of the group whose DN
// is group, directly or through groups that are members of it (nested,
// as Active Directory and OpenLDAP's groupOfNames both allow). It asks the
// directory, level by level, which groups have the account (then those
// groups) as a member: searches on the indexed member attribute, which
// work the same on OpenLDAP and Active Directory whatever the size of
// the groups. An unknown account is no member.
func (d *Directory) MemberOf(ctx context.Context, id, group string) (bool, error) {
	want, err := ldap.ParseDN(group)
	if err != nil {
		return false, fmt.Errorf("ldap: group %q is not a DN: %w", group, err)
	}
	e, err := d.entry(ctx, id, []string{d.cfg.IDAttribute}) // entry checks it
	if err != nil || e == nil {
		return false, err
	}
	frontier, seen := []string{e.DN}, map[string]bool{}
	for range maxGroupDepth {
		var f strings.Builder
		f.WriteString("(|")
		for _, dn := range frontier {
			f.WriteString("(member=" + ldap.EscapeFilter(dn) + ")")
		}
		f.WriteString(")")
		base := d.cfg.GroupBaseDN
		if base == "" {
			base = d.cfg.BaseDN
		}
		req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, int(d.cfg.Timeout/time.Second), false, f.String(), []string{"1.1"}, nil)
		var res *ldap.SearchResult
		err := d.pool.do(ctx, true, func(c *ldap.Conn) error {
			var err error
			res, err = c.SearchWithPaging(req, 500)
			return err
		})
		if err != nil {
			return false, mapped(err)
		}
		frontier = frontier[:0]
		for _, g := range res.Entries {
			dn, err := ldap.ParseDN(g.DN)
			if err != nil {
				continue
			}
			if dn.EqualFold(want) {
				return true, nil
			}
			if k := strings.ToLower(g.DN); !seen[k] {
				seen[k] = true
				frontier = append(frontier, g.DN)
			}
		}
		if len(frontier) == 0 {
			return false, nil
		}
	}
	return false, nil
}

// Find returns at most limit accounts whose id attribute or display name
// contains term (the directory's matching rules, case aside as they have
// it), among the entries the user filter would find: for the service
// desk's look-up by name. An entry whose id can't be made canonical is
// left out.
func (d *Directory) Find(ctx context.Context, term string, limit int) ([]sspr.Account, error) {
	t := ldap.EscapeFilter(term)
	filter := "(&" + d.anyUser() + "(|(" + d.cfg.IDAttribute + "=*" + t + "*)(" + d.cfg.DisplayNameAttribute + "=*" + t + "*)))"
	req := ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		limit, int(d.cfg.Timeout/time.Second), false, filter,
		// What a hit shows, not Lookup's lock state and contacts.
		[]string{d.cfg.IDAttribute, d.cfg.DisplayNameAttribute, d.cfg.MailAttribute}, nil)
	var res *ldap.SearchResult
	err := d.pool.do(ctx, true, func(c *ldap.Conn) error {
		var err error
		res, err = c.Search(req)
		return err
	})
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, mapped(err)
	}
	var out []sspr.Account
	if res == nil {
		return out, nil
	}
	for _, e := range res.Entries {
		// The limit again: Samba's AD (4.17) ignores a search's size
		// limit and sends every match.
		if limit > 0 && len(out) == limit {
			break
		}
		id, ok := d.entryID(e)
		if !ok {
			continue
		}
		out = append(out, sspr.Account{ID: id, DisplayName: e.GetEqualFoldAttributeValue(d.cfg.DisplayNameAttribute),
			Mail: e.GetEqualFoldAttributeValue(d.cfg.MailAttribute), OU: OUPath(e.DN, d.cfg.BaseDN)})
	}
	return out, nil
}
