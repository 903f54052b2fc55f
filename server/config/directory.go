package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/ldapdir/ldapspec"
)

// Directory is [directory]: where the accounts live and how the portal
// reaches them. Every key but kind is for "openldap" and "activedirectory"
// only.
type Directory struct {
	// Kind is "embedded" (the SQLite directory, the default), "openldap"
	// or "activedirectory".
	Kind string `toml:"kind"`
	// URLs are tried in order: ldaps://host[:port] or ldap://host[:port].
	URLs []string `toml:"urls"`
	// StartTLS upgrades ldap:// URLs with StartTLS.
	StartTLS bool `toml:"start_tls"`
	// CAFile is a PEM file of the CAs that sign the directory's
	// certificate; empty means the system's roots. There is no way to
	// skip verification.
	CAFile string `toml:"ca_file"`
	// BindDN is the service account.
	BindDN string `toml:"bind_dn"`
	// The service account's password comes from a file or an environment
	// variable, never from this file: exactly one of the two is set.
	BindPasswordFile string `toml:"bind_password_file"`
	BindPasswordEnv  string `toml:"bind_password_env"`
	// BaseDN is searched (whole subtree) for users.
	BaseDN string `toml:"base_dn"`
	// GroupBaseDN is searched (whole subtree) for groups, such as the
	// service desk's; empty means BaseDN.
	GroupBaseDN string `toml:"group_base_dn"`
	// UserFilter finds a user: {id} is the canonical id, {local} its part
	// before "@". Empty means the kind's default.
	UserFilter string `toml:"user_filter"`
	// Attribute names. Empty IDAttribute means the kind's default; empty
	// AltMailAttribute and MobileAttribute mean "not read".
	IDAttribute          string `toml:"id_attribute"`
	DisplayNameAttribute string `toml:"display_name_attribute"`
	MailAttribute        string `toml:"mail_attribute"`
	AltMailAttribute     string `toml:"alt_mail_attribute"`
	MobileAttribute      string `toml:"mobile_attribute"`
	// PasswordPolicyDN is OpenLDAP's default ppolicy entry, read for its
	// pwdLockoutDuration.
	PasswordPolicyDN string `toml:"password_policy_dn"`
	// PwdReset makes the user change the password at the next sign-in
	// after a reset (OpenLDAP pwdReset, AD pwdLastSet=0).
	PwdReset       bool     `toml:"pwd_reset"`
	ConnectTimeout Duration `toml:"connect_timeout"`
	Timeout        Duration `toml:"timeout"`
	PoolSize       int      `toml:"pool_size"`
}

// The directory kinds.
const (
	DirectoryEmbedded = "embedded"
	DirectoryOpenLDAP = "openldap"
	DirectoryAD       = "activedirectory"
)

func defaultDirectory() Directory {
	return Directory{
		Kind:                 DirectoryEmbedded,
		URLs:                 []string{},
		StartTLS:             true,
		DisplayNameAttribute: "displayName",
		MailAttribute:        "mail",
		ConnectTimeout:       Duration{5 * time.Second},
		Timeout:              Duration{10 * time.Second},
		PoolSize:             4,
	}
}

var (
	attributeName = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]{0,63}|[0-9]+(\.[0-9]+)+)$`)
	dirEnvName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// validateDirectory checks [directory].
func (c *Config) validateDirectory(v *validator) {
	d := c.Directory
	v.oneOf("directory.kind", d.Kind, DirectoryEmbedded, DirectoryOpenLDAP, DirectoryAD)
	// Go's LDAP client waits 60 s by default: far too long for a user.
	v.duration("directory.connect_timeout", d.ConnectTimeout, 100*time.Millisecond, 30*time.Second)
	v.duration("directory.timeout", d.Timeout, 100*time.Millisecond, 30*time.Second)
	v.between("directory.pool_size", d.PoolSize, 1, 64)
	for _, a := range []struct{ key, val string }{
		{"directory.id_attribute", d.IDAttribute},
		{"directory.display_name_attribute", d.DisplayNameAttribute},
		{"directory.mail_attribute", d.MailAttribute},
		{"directory.alt_mail_attribute", d.AltMailAttribute},
		{"directory.mobile_attribute", d.MobileAttribute},
	} {
		if a.val != "" && !attributeName.MatchString(a.val) {
			v.add(a.key, "%q is not an attribute name such as \"mail\"", a.val)
		}
	}
	for _, k := range []struct{ key, val string }{
		{"directory.display_name_attribute", d.DisplayNameAttribute},
		{"directory.mail_attribute", d.MailAttribute},
	} {
		if k.val == "" {
			v.add(k.key, "must not be empty")
		}
	}
	if d.UserFilter != "" {
		if err := ldapspec.CheckFilterTemplate(d.UserFilter); err != nil {
			v.add("directory.user_filter", "%v", err)
		}
	}
	if d.PasswordPolicyDN != "" {
		if err := ldapspec.CheckDN(d.PasswordPolicyDN); err != nil {
			v.add("directory.password_policy_dn", "%v", err)
		}
	}
	if d.BindPasswordEnv != "" && !dirEnvName.MatchString(d.BindPasswordEnv) {
		v.add("directory.bind_password_env", "%q is not an environment variable name such as \"SSPR_LDAP_PASSWORD\"", d.BindPasswordEnv)
	}
	if d.Kind == DirectoryEmbedded {
		return
	}

	// A real directory: it must be reachable, encrypted, and searchable.
	if len(d.URLs) == 0 {
		v.add("directory.urls", "must list at least one URL such as \"ldaps://ldap.example.edu\" when directory.kind is %q", d.Kind)
	}
	for i, s := range d.URLs {
		u, err := ldapspec.ParseURL(s, d.StartTLS)
		if err != nil {
			v.add(fmt.Sprintf("directory.urls[%d]", i), "%v", err)
			continue
		}
		if d.Kind == DirectoryAD && u.Scheme == "ldap" && !d.StartTLS {
			v.add(fmt.Sprintf("directory.urls[%d]", i), "%q: Active Directory sets passwords only over an encrypted connection: use ldaps:// or start_tls = true", s)
		}
	}
	if d.CAFile != "" {
		if _, err := os.Stat(d.CAFile); err != nil {
			v.add("directory.ca_file", "cannot read %q: %v", d.CAFile, err)
		}
	}
	if err := ldapspec.CheckDN(d.BindDN); err != nil {
		v.add("directory.bind_dn", "%v", err)
	}
	switch {
	case d.BindPasswordFile == "" && d.BindPasswordEnv == "":
		v.add("directory.bind_password_file", "set it (or directory.bind_password_env) to where the service account's password is: never in this file")
	case d.BindPasswordFile != "" && d.BindPasswordEnv != "":
		v.add("directory.bind_password_env", "set only one of directory.bind_password_file and directory.bind_password_env")
	}
	if err := ldapspec.CheckDN(d.BaseDN); err != nil {
		v.add("directory.base_dn", "%v", err)
	}
	if d.GroupBaseDN != "" {
		if err := ldapspec.CheckDN(d.GroupBaseDN); err != nil {
			v.add("directory.group_base_dn", "%v", err)
		}
	}
	filter := d.UserFilter
	if filter == "" {
		filter = DefaultUserFilter(d.Kind)
	}
	if strings.Contains(filter, ldapspec.PlaceholderLocal) && c.Users.DefaultDomain == "" {
		v.add("users.default_domain", "must be set when directory.user_filter uses %s: only ids in that domain are looked up by their local part", ldapspec.PlaceholderLocal)
	}
}

// DefaultUserFilter is the user filter of a directory kind when none is
// set.
func DefaultUserFilter(kind string) string {
	if kind == DirectoryAD {
		return ldapspec.ADUserFilter
	}
	return ldapspec.OpenLDAPUserFilter
}

// BindPassword reads the service account's password from
// directory.bind_password_file or directory.bind_password_env. A trailing
// newline in the file is not part of it.
func (d Directory) BindPassword() (string, error) {
	var pw string
	switch {
	case d.BindPasswordFile != "":
		b, err := os.ReadFile(d.BindPasswordFile)
		if err != nil {
			return "", fmt.Errorf("config: directory.bind_password_file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("config: directory.bind_password_file: %s is empty", d.BindPasswordFile)
		}
	case d.BindPasswordEnv != "":
		pw = os.Getenv(d.BindPasswordEnv)
		if pw == "" {
			return "", fmt.Errorf("config: directory.bind_password_env: the environment variable %s is empty or not set", d.BindPasswordEnv)
		}
	default:
		return "", fmt.Errorf("config: directory.bind_password_file: not set")
	}
	return pw, nil
}
