package ldapdir

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/sspr"
)

// OpenLDAP's ppolicy attributes.
const (
	attrLockedTime     = "pwdAccountLockedTime"
	attrPolicySubentry = "pwdPolicySubentry"
	attrChangedTime    = "pwdChangedTime"
	attrPwdReset       = "pwdReset"
	attrLockoutDur     = "pwdLockoutDuration"
	attrMaxAge         = "pwdMaxAge"
	// permanentLock is the pwdAccountLockedTime an administrator sets to
	// lock an account for good: no lockout duration ends it.
	permanentLock = "000001010000Z"
	// passwordModifyOID is RFC 3062's Password Modify extended operation.
	passwordModifyOID = "1.3.6.1.4.1.4203.1.11.1"
)

// openldapLockState sets Locked (and Disabled) from pwdAccountLockedTime.
// The permanent value 000001010000Z is an administrator's lock: the
// account counts as locked and disabled, so self-service never undoes what
// an administrator did. A lock older than the policy's pwdLockoutDuration
// (when that is not 0) has expired: slapd no longer enforces it.
func (d *Directory) openldapLockState(ctx context.Context, e *ldap.Entry, a *sspr.Account) {
	v := e.GetEqualFoldAttributeValue(attrLockedTime)
	switch {
	case v == "":
		return
	case v == permanentLock:
		a.Locked, a.Disabled = true, true
		return
	}
	a.Locked = true
	at, err := parseGeneralizedTime(v)
	if err != nil {
		return
	}
	policy := d.policyDN(e)
	if policy == "" {
		return
	}
	dur, forever, err := d.policySeconds(ctx, policy, attrLockoutDur)
	if err != nil || forever {
		return
	}
	a.Locked = d.cfg.Now().Before(at.Add(dur))
}

// openldapExpiry sets PasswordExpiresAt: the last change (pwdChangedTime)
// and the policy's pwdMaxAge, when it has one (0: passwords never expire).
func (d *Directory) openldapExpiry(ctx context.Context, e *ldap.Entry, a *sspr.Account) {
	policy := d.policyDN(e)
	if a.PasswordSetAt.IsZero() || policy == "" {
		return
	}
	if age, never, err := d.policySeconds(ctx, policy, attrMaxAge); err == nil && !never {
		a.PasswordExpiresAt = a.PasswordSetAt.Add(age)
	}
}

// policyDN is the ppolicy entry that governs e: its pwdPolicySubentry,
// else the default policy ("" for none).
func (d *Directory) policyDN(e *ldap.Entry) string {
	if p := e.GetEqualFoldAttributeValue(attrPolicySubentry); p != "" {
		return p
	}
	return d.cfg.PasswordPolicyDN
}

// policySeconds reads a duration of a ppolicy entry, in seconds (0 or
// none: forever), through the cache.
func (d *Directory) policySeconds(ctx context.Context, policy, attr string) (time.Duration, bool, error) {
	return d.lockoutDuration(ctx, policy+"\x00"+attr, func(ctx context.Context) (time.Duration, bool, error) {
		v, err := d.readAttr(ctx, policy, attr)
		if err != nil || v == "" {
			return 0, true, err
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, true, nil
		}
		return time.Duration(n) * time.Second, false, nil
	})
}

// lockoutDuration returns a policy's duration (its lockout duration, its
// passwords' maximum age) under key, cached for five minutes so that a
// lookup costs one search, not two.
func (d *Directory) lockoutDuration(ctx context.Context, key string, read func(context.Context) (time.Duration, bool, error)) (time.Duration, bool, error) {
	d.mu.Lock()
	c, ok := d.durations[key]
	d.mu.Unlock()
	if ok && d.cfg.Now().Sub(c.at) < 5*time.Minute {
		return c.d, c.forever, nil
	}
	dur, forever, err := read(ctx)
	if err != nil {
		d.cfg.Log.Warn("ldap: cannot read the lockout duration; locks count as permanent", "entry", key, "err", err)
		return 0, true, err
	}
	d.mu.Lock()
	d.durations[key] = cachedDuration{d: dur, forever: forever, at: d.cfg.Now()}
	d.mu.Unlock()
	return dur, forever, nil
}

// readAttr reads one attribute of one entry as the service account.
func (d *Directory) readAttr(ctx context.Context, dn, attr string) (string, error) {
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{attr}, nil)
	var res *ldap.SearchResult
	err := d.pool.do(ctx, true, func(c *ldap.Conn) error {
		var err error
		res, err = c.Search(req)
		return err
	})
	if err != nil {
		return "", mapped(err)
	}
	if len(res.Entries) != 1 {
		return "", nil
	}
	return res.Entries[0].GetEqualFoldAttributeValue(attr), nil
}

// parseGeneralizedTime reads the GeneralizedTime values ppolicy writes,
// such as 20261123181129Z or 20261123181129.508058Z.
func parseGeneralizedTime(s string) (time.Time, error) {
	for _, layout := range []string{"20060102150405Z", "20060102150405.999999999Z", "200601021504Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("ldapdir: not a GeneralizedTime: " + s)
}

// passwordModifyRequest is RFC 3062's request for dn, with ppolicy's
// request control, so that a refusal says exactly which rule failed
// (go-ldap's PasswordModify takes no controls).
func passwordModifyRequest(dn, password string) *ldap.ExtendedRequest {
	value := ber.Encode(ber.ClassContext, ber.TypePrimitive, 1, nil, "Password Modify Request")
	seq := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "PasswdModifyRequestValue")
	seq.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, dn, "userIdentity"))
	seq.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 2, password, "newPasswd"))
	value.AppendChild(seq)
	return &ldap.ExtendedRequest{Name: passwordModifyOID, Value: value,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}}
}

// openldapSetPassword sets the password with Password Modify as the
// service account, so ppolicy checks quality and history, then sets or
// clears pwdReset as configured.
func (d *Directory) openldapSetPassword(ctx context.Context, dn, password string) error {
	err := d.pool.do(ctx, false, func(c *ldap.Conn) error {
		_, err := c.Extended(passwordModifyRequest(dn, password))
		return err
	})
	if err != nil {
		if pe := policyError(err); pe != nil {
			return pe
		}
		return mapped(err)
	}
	m := ldap.NewModifyRequest(dn, nil)
	if d.cfg.PwdReset {
		m.Replace(attrPwdReset, []string{"TRUE"})
	} else {
		// With pwdMustChange, ppolicy marks a password set by someone else
		// as to be changed; here the user chose it themselves.
		m.Delete(attrPwdReset, nil)
	}
	err = d.pool.do(ctx, true, func(c *ldap.Conn) error { return c.Modify(m) })
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchAttribute) {
		// The password is set: that is what the user asked for. Say so
		// to the operator.
		d.cfg.Log.Error("ldap: password set, but pwdReset could not be updated", "err", err)
	}
	return nil
}

// openldapUnlock removes pwdAccountLockedTime (ppolicy then clears the
// failure count too). An administrator's permanent lock is left alone.
func (d *Directory) openldapUnlock(ctx context.Context, e *ldap.Entry) error {
	v := e.GetEqualFoldAttributeValue(attrLockedTime)
	switch v {
	case "":
		return nil
	case permanentLock:
		return errors.New("ldapdir: the account is locked by an administrator (pwdAccountLockedTime 000001010000Z)")
	}
	m := ldap.NewModifyRequest(e.DN, nil)
	m.Delete(attrLockedTime, nil)
	err := d.pool.do(ctx, true, func(c *ldap.Conn) error { return c.Modify(m) })
	if err == nil || ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchAttribute) {
		return nil
	}
	return mapped(err)
}

// diagnostic returns the server's diagnostic message of an LDAP error.
func diagnostic(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		return strings.TrimSpace(le.Err.Error())
	}
	return ""
}

// ppolicyControl finds ppolicy's response control in a refused answer.
func ppolicyControl(err error) *ldap.ControlBeheraPasswordPolicy {
	var le *ldap.Error
	if !errors.As(err, &le) || le.Packet == nil || len(le.Packet.Children) < 3 {
		return nil
	}
	for _, ch := range le.Packet.Children[2].Children {
		c, err := ldap.DecodeControl(ch)
		if err != nil {
			continue
		}
		if pp, ok := c.(*ldap.ControlBeheraPasswordPolicy); ok && pp.Error >= 0 {
			return pp
		}
	}
	return nil
}
