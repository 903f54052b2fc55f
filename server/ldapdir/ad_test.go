package ldapdir_test

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Active Directory can't run here. These tests put the AD flavour against
// a fake server that answers with the result codes and diagnostic messages
// Windows Server domain controllers send (recorded from real ones and
// documented by Microsoft), and check the requests the flavour builds.
const (
	adBase    = "OU=People,DC=example,DC=org"
	adUserDN  = "CN=Alice Archer,OU=People,DC=example,DC=org"
	adService = "CN=svc-sspr,OU=Service Accounts,DC=example,DC=org"
)

// Diagnostics as Windows Server 2016-2022 sends them.
const (
	adPolicyRefusal = "0000052D: AtrErr: DSID-03191083, #1:\n\t0: 0000052D: DSID-03191083, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)\n\x00"
	adPlainLDAP     = "0000001F: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0\n\x00"
	adNoRights      = "00002098: SecErr: DSID-03150F93, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0\n\x00"
	adBindLocked    = "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839\x00"
	adBindWrong     = "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839\x00"
)

type ldapResult struct {
	code int64
	diag string
}

// fakeAD is a scripted LDAP server on loopback.
type fakeAD struct {
	t  *testing.T
	ln net.Listener
	mu sync.Mutex
	// user is the entry the subtree search finds; domain the domain
	// object's attributes.
	user, domain map[string][]string
	modify       ldapResult
	userBind     ldapResult
	modifies     []*ber.Packet
}

func newFakeAD(t *testing.T) *fakeAD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAD{t: t, ln: ln,
		user:   map[string][]string{"sAMAccountName": {"alice"}, "displayName": {"Alice Archer"}, "mail": {"alice@example.edu"}, "userAccountControl": {"512"}, "lockoutTime": {"0"}},
		domain: map[string][]string{"lockoutDuration": {"-18000000000"}}, // 30 minutes
	}
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *fakeAD) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.conn(c)
	}
}

func (f *fakeAD) conn(c net.Conn) {
	defer c.Close()
	for {
		p, err := ber.ReadPacket(c)
		if err != nil || len(p.Children) < 2 {
			return
		}
		id := p.Children[0].Value.(int64)
		op := p.Children[1]
		f.mu.Lock()
		var out []*ber.Packet
		switch op.Tag {
		case ldap.ApplicationBindRequest:
			r := ldapResult{}
			if dn := op.Children[1].Value.(string); dn != adService {
				r = f.userBind
			}
			out = append(out, result(ldap.ApplicationBindResponse, r))
		case ldap.ApplicationSearchRequest:
			base := op.Children[0].Value.(string)
			if strings.EqualFold(base, "DC=example,DC=org") {
				out = append(out, entry("DC=example,DC=org", f.domain))
			} else if f.user != nil {
				out = append(out, entry(adUserDN, f.user))
			}
			out = append(out, result(ldap.ApplicationSearchResultDone, ldapResult{}))
		case ldap.ApplicationModifyRequest:
			f.modifies = append(f.modifies, p)
			out = append(out, result(ldap.ApplicationModifyResponse, f.modify))
		case ldap.ApplicationUnbindRequest:
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		for _, o := range out {
			env := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
			env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "messageID"))
			env.AppendChild(o)
			if _, err := c.Write(env.Bytes()); err != nil {
				return
			}
		}
	}
}

func result(tag ber.Tag, r ldapResult) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "result")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, r.code, "resultCode"))
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, r.diag, "diagnosticMessage"))
	return p
}

func entry(dn string, attrs map[string][]string) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "entry")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, "objectName"))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attributes")
	for k, vs := range attrs {
		a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attribute")
		a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, k, "type"))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "vals")
		for _, v := range vs {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, "value"))
		}
		a.AppendChild(set)
		list.AppendChild(a)
	}
	p.AppendChild(list)
	return p
}

// lastModify decodes the last ModifyRequest: DN, changes (operation,
// type, values) and control OIDs.
func (f *fakeAD) lastModify(t *testing.T) (dn string, changes []change, controls []string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.modifies) == 0 {
		t.Fatal("no modify request")
	}
	p := f.modifies[len(f.modifies)-1]
	op := p.Children[1]
	dn = op.Children[0].Value.(string)
	for _, ch := range op.Children[1].Children {
		mod := ch.Children[1]
		c := change{op: ch.Children[0].Value.(int64), attr: mod.Children[0].Value.(string)}
		for _, v := range mod.Children[1].Children {
			c.vals = append(c.vals, v.Data.Bytes())
		}
		changes = append(changes, c)
	}
	if len(p.Children) > 2 {
		for _, ctl := range p.Children[2].Children {
			controls = append(controls, ctl.Children[0].Value.(string))
		}
	}
	return dn, changes, controls
}

type change struct {
	op   int64
	attr string
	vals [][]byte
}

func newAD(t *testing.T, f *fakeAD, tweak ...func(*ldapdir.Config)) (*ldapdir.Directory, *testkit.LogBuffer) {
	log, lb := testkit.NewLog()
	cfg := ldapdir.Config{Flavour: ldapdir.ActiveDirectory, URLs: []string{"ldap://" + f.ln.Addr().String()},
		BindDN: adService, BindPassword: "svc-password", BaseDN: adBase, Domain: "example.edu",
		ConnectTimeout: time.Second, Timeout: 2 * time.Second,
		Log: log}
	for _, fn := range tweak {
		fn(&cfg)
	}
	d, err := ldapdir.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, lb
}

func TestEncodeUnicodePwd(t *testing.T) {
	tests := []struct {
		name, pw string
		want     []byte
	}{
		{"ASCII", "abc", []byte{'"', 0, 'a', 0, 'b', 0, 'c', 0, '"', 0}},
		{"Latin", "é", []byte{'"', 0, 0xe9, 0, '"', 0}},
		{"CJK", "日", []byte{'"', 0, 0xe5, 0x65, '"', 0}},
		// U+1F511 KEY: a surrogate pair, D83D DD11.
		{"Emoji", "🔑", []byte{'"', 0, 0x3d, 0xd8, 0x11, 0xdd, '"', 0}},
		{"Quote", `a"b`, []byte{'"', 0, 'a', 0, '"', 0, 'b', 0, '"', 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ldapdir.EncodeUnicodePwd(tt.pw); !bytes.Equal(got, tt.want) {
				t.Fatalf("% x, want % x", got, tt.want)
			}
		})
	}
}

func TestADSetPassword(t *testing.T) {
	for _, mustChange := range []bool{false, true} {
		t.Run("PwdReset="+strconv.FormatBool(mustChange), func(t *testing.T) {
			f := newFakeAD(t)
			d, _ := newAD(t, f, func(c *ldapdir.Config) { c.PwdReset = mustChange })
			const pw = "Nouveau-mot-de-passe-é🔑"
			if err := d.SetPassword(ctx, "alice@example.edu", pw); err != nil {
				t.Fatal(err)
			}
			dn, changes, controls := f.lastModify(t)
			if dn != adUserDN {
				t.Fatalf("dn %q", dn)
			}
			want := []change{{op: ldap.ReplaceAttribute, attr: "unicodePwd", vals: [][]byte{ldapdir.EncodeUnicodePwd(pw)}}}
			if mustChange {
				want = append(want, change{op: ldap.ReplaceAttribute, attr: "pwdLastSet", vals: [][]byte{[]byte("0")}})
			}
			if len(changes) != len(want) {
				t.Fatalf("changes %+v", changes)
			}
			for i := range want {
				if changes[i].op != want[i].op || changes[i].attr != want[i].attr || len(changes[i].vals) != 1 || !bytes.Equal(changes[i].vals[0], want[i].vals[0]) {
					t.Fatalf("change %d: %+v, want %+v", i, changes[i], want[i])
				}
			}
			// LDAP_SERVER_POLICY_HINTS_OID: history applies to this reset.
			if len(controls) != 1 || controls[0] != "1.2.840.113556.1.4.2239" {
				t.Fatalf("controls %v", controls)
			}
		})
	}
}

func TestADRefusals(t *testing.T) {
	tests := []struct {
		name   string
		result ldapResult
		code   sspr.Code
		// rule is the rule for password_policy; log what operators read.
		rule, log string
	}{
		{"PolicyRefusal0000052D", ldapResult{ldap.LDAPResultConstraintViolation, adPolicyRefusal}, sspr.CodePasswordPolicy, sspr.RuleDirectory, ""},
		{"PlainLDAP", ldapResult{ldap.LDAPResultUnwillingToPerform, adPlainLDAP}, sspr.CodeDirectoryUnavailable, "", "must be encrypted"},
		{"NoResetPasswordRight", ldapResult{ldap.LDAPResultInsufficientAccessRights, adNoRights}, sspr.CodeDirectoryUnavailable, "", "Reset Password"},
		{"Busy", ldapResult{ldap.LDAPResultBusy, "00002024: SvcErr: DSID-020A0816, problem 5001 (BUSY)"}, sspr.CodeDirectoryUnavailable, "", ""},
		{"SambaTooShort", ldapResult{ldap.LDAPResultConstraintViolation, "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 12 characters!"}, sspr.CodePasswordPolicy, sspr.RuleMinLength, ""},
		{"SambaHistory", ldapResult{ldap.LDAPResultConstraintViolation, "0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!"}, sspr.CodePasswordPolicy, sspr.RuleHistory, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAD(t)
			f.modify = tt.result
			d, lb := newAD(t, f)
			err := d.SetPassword(ctx, "alice@example.edu", "Some-New-Password-1")
			var ae *sspr.Error
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if tt.rule != "" && (len(ae.Rules) != 1 || ae.Rules[0].Code != tt.rule || ae.Rules[0].Message == "") {
				t.Fatalf("rules %+v, want %s", ae.Rules, tt.rule)
			}
			if ae.Code == sspr.CodeDirectoryUnavailable && strings.Contains(ae.Message, "DSID") {
				t.Fatal("internal detail shown to the user")
			}
			if tt.log != "" && !strings.Contains(lb.String(), tt.log) {
				t.Fatalf("log %q lacks %q", lb.String(), tt.log)
			}
			lb.NoSecret(t, "Some-New-Password-1", "svc-password")
		})
	}
}

func TestADLookup(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	fileTime := func(t time.Time) string {
		return strconv.FormatInt(t.UnixNano()/100+116444736000000000, 10)
	}
	tests := []struct {
		name             string
		lockoutTime      string
		uac              string
		lockoutDuration  string
		locked, disabled bool
	}{
		{"NotLocked", "0", "512", "-18000000000", false, false},
		{"LockedRecently", fileTime(now.Add(-10 * time.Minute)), "512", "-18000000000", true, false},
		{"LockExpired", fileTime(now.Add(-40 * time.Minute)), "512", "-18000000000", false, false},
		{"LockedUntilAnAdministratorUnlocks", fileTime(now.Add(-40 * 24 * time.Hour)), "512", "-9223372036854775808", true, false},
		{"Disabled", "0", "514", "-18000000000", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAD(t)
			f.user["lockoutTime"], f.user["userAccountControl"] = []string{tt.lockoutTime}, []string{tt.uac}
			f.domain["lockoutDuration"] = []string{tt.lockoutDuration}
			d, _ := newAD(t, f, func(c *ldapdir.Config) { c.Now = func() time.Time { return now } })
			a, err := d.Lookup(ctx, "alice@example.edu")
			if err != nil || a == nil {
				t.Fatal(a, err)
			}
			if a.Locked != tt.locked || a.Disabled != tt.disabled || a.DisplayName != "Alice Archer" || a.Mail != "alice@example.edu" {
				t.Fatalf("%+v", a)
			}
		})
	}
}

func TestADUnlock(t *testing.T) {
	f := newFakeAD(t)
	f.user["lockoutTime"] = []string{"134080000000000000"}
	d, _ := newAD(t, f)
	if err := d.Unlock(ctx, "alice@example.edu"); err != nil {
		t.Fatal(err)
	}
	dn, changes, _ := f.lastModify(t)
	if dn != adUserDN || len(changes) != 1 || changes[0].op != ldap.ReplaceAttribute || changes[0].attr != "lockoutTime" || string(changes[0].vals[0]) != "0" {
		t.Fatalf("%s %+v", dn, changes)
	}
}

func TestADCheckPassword(t *testing.T) {
	tests := []struct {
		name string
		bind ldapResult
		want bool
	}{
		{"OK", ldapResult{}, true},
		{"Wrong", ldapResult{ldap.LDAPResultInvalidCredentials, adBindWrong}, false},
		{"Locked", ldapResult{ldap.LDAPResultInvalidCredentials, adBindLocked}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAD(t)
			f.userBind = tt.bind
			d, _ := newAD(t, f)
			ok, err := d.CheckPassword(ctx, "alice@example.edu", "Alice-Password-1")
			if err != nil || ok != tt.want {
				t.Fatalf("%v %v", ok, err)
			}
		})
	}
}

func TestParseADDuration(t *testing.T) {
	for v, want := range map[string]time.Duration{"-18000000000": 30 * time.Minute, "-600000000": time.Minute} {
		if d, forever := ldapdir.ParseADDuration(v); d != want || forever {
			t.Errorf("%s: %v %v", v, d, forever)
		}
	}
	for _, v := range []string{"0", "-9223372036854775808", "junk"} {
		if _, forever := ldapdir.ParseADDuration(v); !forever {
			t.Errorf("%s: not forever", v)
		}
	}
}
