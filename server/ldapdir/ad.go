package ldapdir

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/sspr"
)

// Active Directory's attributes.
const (
	attrUnicodePwd  = "unicodePwd"
	attrLockoutTime = "lockoutTime"
	attrUAC         = "userAccountControl"
	attrPwdLastSet  = "pwdLastSet"
	// attrExpiryComputed is when the password expires, which AD works out
	// (a constructed attribute: only there when asked for by name).
	attrExpiryComputed = "msDS-UserPasswordExpiryTimeComputed"
	attrADLockoutD     = "lockoutDuration"
	// uacDisabled is ACCOUNTDISABLE in userAccountControl.
	uacDisabled = 0x2
	// policyHintsOID is LDAP_SERVER_POLICY_HINTS_OID: with it, AD applies
	// password history to a reset by an administrator too (Windows Server
	// 2012 R2 and later; older servers ignore it, as it is not critical).
	policyHintsOID = "1.2.840.113556.1.4.2239"
)

// EncodeUnicodePwd is the value AD wants in unicodePwd: the password in
// double quotes, in UTF-16LE (docs/SECURITY.md#ldap-passwords). Characters
// beyond the Basic Multilingual Plane become surrogate pairs.
func EncodeUnicodePwd(password string) []byte {
	u := utf16.Encode([]rune(`"` + password + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// policyHints is the LDAP_SERVER_POLICY_HINTS control: SEQUENCE { flags
// INTEGER 1 }.
type policyHints struct{}

func (policyHints) GetControlType() string { return policyHintsOID }

func (policyHints) Encode() *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Control")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, policyHintsOID, "Control Type (LDAP_SERVER_POLICY_HINTS_OID)"))
	seq := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "PolicyHintsRequestValue")
	seq.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 1, "Flags"))
	v := ber.Encode(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, nil, "Control Value")
	v.AppendChild(seq)
	p.AppendChild(v)
	return p
}

func (policyHints) String() string { return "LDAP_SERVER_POLICY_HINTS_OID flags=1" }

// adSetPasswordRequest is the administrator's reset of dn's password: one
// replace of unicodePwd, with pwdLastSet=0 when the user must change it at
// the next sign-in.
func adSetPasswordRequest(dn, password string, mustChange bool) *ldap.ModifyRequest {
	m := ldap.NewModifyRequest(dn, []ldap.Control{policyHints{}})
	m.Replace(attrUnicodePwd, []string{string(EncodeUnicodePwd(password))})
	if mustChange {
		m.Replace(attrPwdLastSet, []string{"0"})
	}
	return m
}

func (d *Directory) adSetPassword(ctx context.Context, dn, password string) error {
	m := adSetPasswordRequest(dn, password, d.cfg.PwdReset)
	err := d.pool.do(ctx, false, func(c *ldap.Conn) error { return c.Modify(m) })
	return d.adError(err)
}

// adError maps AD's answers to a password reset. 0000052D (a constraint
// violation) is AD's policy refusal: length, complexity, history, minimum
// age, all under one code. unwillingToPerform 0000001F is AD refusing
// unicodePwd over an unencrypted connection, and insufficient access the
// service account lacking "Reset Password": both are the operator's to
// fix, so the user sees directory_unavailable and the log says why.
func (d *Directory) adError(err error) error {
	if err == nil {
		return nil
	}
	if pe := policyError(err); pe != nil {
		return pe
	}
	diag := diagnostic(err)
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultUnwillingToPerform) && strings.Contains(diag, "0000052D"):
		// Some servers refuse policy violations this way.
		return policyError(&ldap.Error{ResultCode: ldap.LDAPResultConstraintViolation, Err: fmt.Errorf("%s", diag)})
	case ldap.IsErrorWithCode(err, ldap.LDAPResultUnwillingToPerform):
		d.cfg.Log.Error("ldap: Active Directory will not set unicodePwd: the connection must be encrypted (ldaps:// or start_tls)", "diagnostic", safeText(diag))
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights):
		d.cfg.Log.Error("ldap: the service account may not reset passwords or write lockoutTime: grant it \"Reset Password\" and write lockoutTime on the users' OU", "diagnostic", safeText(diag))
	}
	return mapped(err)
}

// adUnlock writes lockoutTime=0, AD's way of clearing a lockout.
func (d *Directory) adUnlock(ctx context.Context, e *ldap.Entry) error {
	if v := e.GetEqualFoldAttributeValue(attrLockoutTime); v == "" || v == "0" {
		return nil
	}
	m := ldap.NewModifyRequest(e.DN, nil)
	m.Replace(attrLockoutTime, []string{"0"})
	err := d.pool.do(ctx, true, func(c *ldap.Conn) error { return c.Modify(m) })
	return d.adError(err)
}

// adLockState: an account is locked while lockoutTime is set and the
// domain's lockoutDuration has not passed since (a duration of "forever"
// waits for an administrator); disabled when userAccountControl says so.
func (d *Directory) adLockState(ctx context.Context, e *ldap.Entry, a *sspr.Account) {
	if uac, err := strconv.ParseInt(e.GetEqualFoldAttributeValue(attrUAC), 10, 64); err == nil && uac&uacDisabled != 0 {
		a.Disabled = true
	}
	lt, err := strconv.ParseInt(e.GetEqualFoldAttributeValue(attrLockoutTime), 10, 64)
	if err != nil || lt <= 0 {
		return
	}
	a.Locked = true
	domain := domainDN(d.cfg.BaseDN)
	dur, forever, err := d.lockoutDuration(ctx, domain, func(ctx context.Context) (time.Duration, bool, error) {
		v, err := d.readAttr(ctx, domain, attrADLockoutD)
		if err != nil || v == "" {
			return 0, true, err
		}
		dur, forever := ParseADDuration(v)
		return dur, forever, nil
	})
	if err != nil || forever {
		return
	}
	a.Locked = d.cfg.Now().Before(FileTime(lt).Add(dur))
}

// FileTime converts a Windows FILETIME (100 ns intervals since 1601) to a
// time.
func FileTime(ft int64) time.Time {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	return time.Unix(0, 0).Add(time.Duration(ft-epochDiff) * 100).UTC()
}

// ParseADDuration reads an AD interval such as lockoutDuration: negative
// 100 ns units; 0 or the most negative value mean "until an administrator
// unlocks" (forever).
func ParseADDuration(v string) (d time.Duration, forever bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n == 0 || n == math.MinInt64 {
		return 0, true
	}
	if n < 0 {
		n = -n
	}
	return time.Duration(n) * 100, false
}

// domainDN is the domain's naming context: the dc= part that ends baseDN,
// where AD keeps lockoutDuration.
func domainDN(baseDN string) string {
	dn, err := ldap.ParseDN(baseDN)
	if err != nil {
		return baseDN
	}
	start := len(dn.RDNs)
	for i := len(dn.RDNs) - 1; i >= 0; i-- {
		r := dn.RDNs[i]
		if len(r.Attributes) != 1 || !strings.EqualFold(r.Attributes[0].Type, "dc") {
			break
		}
		start = i
	}
	if start == len(dn.RDNs) {
		return baseDN
	}
	return (&ldap.DN{RDNs: dn.RDNs[start:]}).String()
}
