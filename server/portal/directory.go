package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// directory is the Directory backend, and what the portal needs to run it.
type directory interface {
	sspr.Directory
	// Ping is the readiness check.
	Ping(ctx context.Context) error
	// Registrations is what the flow engine reads registrations from:
	// the store, with what the directory adds.
	Registrations(store sspr.Registrations) sspr.Registrations
}

// newDirectory builds the directory that directory.kind names, and checks
// an LDAP directory at once (ldapdir's Ping): settings that can never work
// (a bind the directory refuses, a base DN that doesn't exist) stop the
// portal from starting, with the reason. A directory that can't be
// reached is no reason not to start: the portal starts, /readyz says it
// is not ready, and it is as soon as the directory answers.
func (p *Portal) newDirectory(cfg *config.Config, db *sqlite.DB, hasher *secret.Argon2, now func() time.Time, log *slog.Logger) (directory, error) {
	c := cfg.Directory
	if c.Kind == config.DirectoryEmbedded {
		return embedded{sqlite.NewDirectory(db, hasher, cfg.Password.History), db}, nil
	}
	pw, err := c.BindPassword()
	if err != nil {
		return nil, err
	}
	d, err := ldapdir.New(LDAPConfig(cfg, pw, now, log))
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.ConnectTimeout.D()+c.Timeout.D())
	defer cancel()
	switch err := d.Ping(ctx); {
	case errors.Is(err, ldapdir.ErrMisconfigured):
		d.Close()
		return nil, fmt.Errorf("directory: %w", err)
	case err != nil:
		log.Warn("the directory can't be reached: starting all the same, not ready until it answers", "err", err)
	}
	p.closers = append(p.closers, func(context.Context) error { return d.Close() })
	return ldapDirectory{d, cfg.Users.PhoneRegion, now}, nil
}

// LDAPConfig is the ldapdir configuration for cfg's [directory], with the
// service account's password already read.
func LDAPConfig(cfg *config.Config, bindPassword string, now func() time.Time, log *slog.Logger) ldapdir.Config {
	c := cfg.Directory
	return ldapdir.Config{
		Flavour: ldapdir.Flavour(c.Kind), URLs: c.URLs, StartTLS: c.StartTLS, CAFile: c.CAFile,
		BindDN: c.BindDN, BindPassword: bindPassword, BaseDN: c.BaseDN, GroupBaseDN: c.GroupBaseDN,
		UserFilter: c.UserFilter, Domain: cfg.Users.DefaultDomain,
		IDAttribute: c.IDAttribute, DisplayNameAttribute: c.DisplayNameAttribute, MailAttribute: c.MailAttribute,
		AltMailAttribute: c.AltMailAttribute, MobileAttribute: c.MobileAttribute,
		PasswordPolicyDN: c.PasswordPolicyDN, PwdReset: c.PwdReset,
		ConnectTimeout: c.ConnectTimeout.D(), Timeout: c.Timeout.D(), PoolSize: c.PoolSize,
		Now: now, Log: log,
	}
}

// embedded is the SQLite directory: its readiness is the database's.
type embedded struct {
	*sqlite.Directory
	db *sqlite.DB
}

func (e embedded) Ping(ctx context.Context) error { return e.db.Ping(ctx) }

func (e embedded) Registrations(store sspr.Registrations) sspr.Registrations { return store }

// ldapDirectory is OpenLDAP or Active Directory.
type ldapDirectory struct {
	*ldapdir.Directory
	region string
	now    func() time.Time
}

// Registrations merges the directory's alternate mail and mobile, when
// configured, with what users registered (see ldapdir.Registrations).
func (l ldapDirectory) Registrations(store sspr.Registrations) sspr.Registrations {
	c := l.Config()
	if c.AltMailAttribute == "" && c.MobileAttribute == "" {
		return store
	}
	return &ldapdir.Registrations{Store: store, Dir: l.Directory, Region: l.region, Now: l.now}
}

// CheckDirectory connects to the LDAP directory cfg names, as the portal
// would (the service account's bind included), and looks up user: for
// `sspr check-directory`, so an operator can try the settings before going
// live. It returns no account and no error when there is no such user.
// Errors say what failed but, as for users, not why: log gets the why, as
// the server's log does.
func CheckDirectory(ctx context.Context, cfg *config.Config, user string, log *slog.Logger) (DirectoryCheck, error) {
	c := cfg.Directory
	if c.Kind == config.DirectoryEmbedded {
		return DirectoryCheck{}, fmt.Errorf("directory.kind is %q: there is no LDAP directory to check", c.Kind)
	}
	id, err := canon.UserID(user, cfg.Users.DefaultDomain)
	if err != nil {
		return DirectoryCheck{}, fmt.Errorf("user %q: %w", user, err)
	}
	pw, err := c.BindPassword()
	if err != nil {
		return DirectoryCheck{}, err
	}
	d, err := ldapdir.New(LDAPConfig(cfg, pw, nil, log))
	if err != nil {
		return DirectoryCheck{}, fmt.Errorf("directory: %w", err)
	}
	defer d.Close()
	if err := d.Ping(ctx); err != nil {
		return DirectoryCheck{}, fmt.Errorf("the service account's bind: %w", err)
	}
	a, err := d.Lookup(ctx, id)
	if err != nil || a == nil {
		return DirectoryCheck{}, err
	}
	check := DirectoryCheck{Account: a}
	desk, auditor := StaffGroups(cfg)
	for _, g := range []struct {
		dn string
		in *bool
	}{{desk, &check.ServiceDesk}, {auditor, &check.Auditor}} {
		if g.dn == "" {
			continue
		}
		if *g.in, err = d.MemberOf(ctx, id, g.dn); err != nil {
			return DirectoryCheck{}, fmt.Errorf("group %s: %w", g.dn, err)
		}
	}
	return check, nil
}

// DirectoryCheck is what CheckDirectory found: the account, and whether it
// is in the staff groups [staff] names.
type DirectoryCheck struct {
	Account              *sspr.Account
	ServiceDesk, Auditor bool
}

// StaffGroups are the groups of the service desk and the auditors: [staff]
// as set, or, with the embedded directory and neither set, the groups its
// demo staff are seeded in.
func StaffGroups(cfg *config.Config) (serviceDesk, auditor string) {
	serviceDesk, auditor = cfg.Staff.ServiceDeskGroup, cfg.Staff.AuditorGroup
	if cfg.Directory.Kind == config.DirectoryEmbedded && serviceDesk == "" && auditor == "" {
		return sqlite.DevServiceDeskGroup, sqlite.DevAuditorGroup
	}
	return serviceDesk, auditor
}
