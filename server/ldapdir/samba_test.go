package ldapdir_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/ldapdir"
	"github.com/sspr-portal/sspr/server/ldapdir/sambatest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The Active Directory flavour against a real AD: a Samba domain
// controller (server/ldapdir/sambatest), shared by these tests. What Samba
// can't produce (Windows Server's exact diagnostics, such as the bare
// 0000052D or unicodePwd refused over plain LDAP) stays with the fake
// server of ad_test.go.
//
// The directory is configured as an IT team would: ldaps:// and the CA
// that signed the DC's certificate, as a service account that is a plain
// user with Reset Password and write lockoutTime/pwdLastSet delegated on
// the users' OU (never the Administrator), default filter and attributes.
func newSambaDir(t testing.TB, s *sambatest.Server, tweak ...func(*ldapdir.Config)) (*ldapdir.Directory, string, *testkit.LogBuffer) {
	t.Helper()
	tree := s.NewTree(t)
	log, lb := testkit.NewLog()
	cfg := ldapdir.Config{
		Flavour: ldapdir.ActiveDirectory, URLs: []string{s.URL}, CAFile: s.CAFile,
		BindDN: sambatest.ServiceDN, BindPassword: sambatest.ServicePassword, BaseDN: tree,
		Domain: "example.edu", MobileAttribute: "mobile",
		ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second, PoolSize: 4, Log: log,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	d, err := ldapdir.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, tree, lb
}

// sam makes a sAMAccountName unique in the shared domain (they are
// domain-wide) from a short name and the tree's sequence.
func sam(tree, name string) string {
	// The tree's OU ends in -N: its sequence number.
	ou, _, _ := strings.Cut(strings.TrimPrefix(tree, "OU="), ",")
	return fmt.Sprintf("%s-%s", name, ou[strings.LastIndex(ou, "-")+1:])
}

func addSambaUser(t testing.TB, s *sambatest.Server, tree, name, password string, tweak ...func(*sambatest.User)) (dn, id string) {
	t.Helper()
	u := sambatest.User{SAM: sam(tree, name), Password: password,
		DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Tester", Mail: name + "@example.edu"}
	for _, f := range tweak {
		f(&u)
	}
	return s.AddUser(t, tree, u), u.SAM + "@example.edu"
}

// TestSambaLookup: names, mail, an account locked by real bad passwords, a
// disabled one, an unknown one, and the OU path.
func TestSambaLookup(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, _ := newSambaDir(t, s)
	_, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1", func(u *sambatest.User) {
		u.Extra = map[string][]string{"mobile": {"07700 900123"}}
	})
	bobDN, bob := addSambaUser(t, s, tree, "bob", "Bob-Passw0rd-1")
	s.LockOut(t, bobDN)
	_, carol := addSambaUser(t, s, tree, "carol", "Carol-Passw0rd-1", func(u *sambatest.User) { u.Disabled = true })

	for _, tt := range []struct {
		id               string
		name, mail       string
		locked, disabled bool
	}{
		{alice, "Alice Tester", "alice@example.edu", false, false},
		{bob, "Bob Tester", "bob@example.edu", true, false},
		{carol, "Carol Tester", "carol@example.edu", false, true},
	} {
		a, err := d.Lookup(ctx, tt.id)
		if err != nil || a == nil {
			t.Fatalf("Lookup(%s) = %+v, %v", tt.id, a, err)
		}
		if a.ID != tt.id || a.DisplayName != tt.name || a.Mail != tt.mail || a.Locked != tt.locked || a.Disabled != tt.disabled {
			t.Errorf("Lookup(%s) = %+v; want %s <%s> locked=%v disabled=%v", tt.id, a, tt.name, tt.mail, tt.locked, tt.disabled)
		}
		if a.OU != "" {
			t.Errorf("Lookup(%s).OU = %q, want \"\" (right under base_dn)", tt.id, a.OU)
		}
	}
	if a, err := d.Lookup(ctx, alice); err != nil || a.Mobile != "07700 900123" {
		t.Errorf("Lookup(alice).Mobile = %+v, %v", a, err)
	}
	if _, mobile, found, err := d.Contacts(ctx, alice); err != nil || !found || mobile != "07700 900123" {
		t.Errorf("Contacts(alice) = %q, %v, %v", mobile, found, err)
	}
	// Past the domain's lockoutDuration (read from the domain object),
	// bob's lockoutTime no longer locks him, as AD itself sees it.
	later, _, _ := newSambaDir(t, s, func(c *ldapdir.Config) {
		c.BaseDN = tree
		c.Now = func() time.Time { return time.Now().Add(sambatest.LockoutDuration + time.Minute) }
	})
	if a, err := later.Lookup(ctx, bob); err != nil || a == nil || a.Locked {
		t.Errorf("Lookup(bob) after the lockout duration = %+v, %v; want not locked", a, err)
	}
	if a, err := d.Lookup(ctx, "nobody@example.edu"); a != nil || err != nil {
		t.Errorf("Lookup(nobody) = %+v, %v; want nil, nil", a, err)
	}
	if a, err := d.Lookup(ctx, strings.TrimSuffix(alice, "example.edu")+"elsewhere.org"); a != nil || err != nil {
		t.Errorf("an id in another domain = %+v, %v; want unknown", a, err)
	}
	if err := d.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestSambaStartTLS: ldap:// with StartTLS, the other way AD encrypts.
func TestSambaStartTLS(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, _ := newSambaDir(t, s, func(c *ldapdir.Config) {
		c.URLs, c.StartTLS = []string{"ldap://" + s.IP}, true
	})
	_, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	if a, err := d.Lookup(ctx, alice); err != nil || a == nil {
		t.Fatalf("Lookup over StartTLS = %+v, %v", a, err)
	}
	if err := d.SetPassword(ctx, alice, "Alice-Passw0rd-2"); err != nil {
		t.Fatalf("SetPassword over StartTLS: %v", err)
	}
}

// TestSambaCheckPassword: a bind as the user; whatever AD refuses (wrong
// password 52e, locked 775, disabled 533) is false without an error.
func TestSambaCheckPassword(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, lb := newSambaDir(t, s)
	_, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	bobDN, bob := addSambaUser(t, s, tree, "bob", "Bob-Passw0rd-1")
	s.LockOut(t, bobDN)
	carolDN, carol := addSambaUser(t, s, tree, "carol", "Carol-Passw0rd-1", func(u *sambatest.User) { u.Disabled = true })
	// What AD answers these binds with the right password; the portal
	// reads each as a plain no.
	for _, tt := range []struct{ dn, password, data string }{
		{bobDN, "Bob-Passw0rd-1", "data 775"},
		{carolDN, "Carol-Passw0rd-1", "data 533"},
	} {
		if err := s.Bind(tt.dn, tt.password); !strings.Contains(fmt.Sprint(err), tt.data) {
			t.Errorf("a bind as %s with its password: %v, want AD's %s", tt.dn, err, tt.data)
		}
	}

	for _, tt := range []struct {
		name, id, password string
		want               bool
	}{
		{"Right", alice, "Alice-Passw0rd-1", true},
		{"Wrong", alice, "Alice-Passw0rd-2", false},
		{"CaseMatters", alice, "alice-passw0rd-1", false},
		{"LockedRightPassword", bob, "Bob-Passw0rd-1", false},
		{"DisabledRightPassword", carol, "Carol-Passw0rd-1", false},
		{"Unknown", "nobody@example.edu", "Alice-Passw0rd-1", false},
		{"Empty", alice, "", false},
	} {
		ok, err := d.CheckPassword(ctx, tt.id, tt.password)
		if err != nil || ok != tt.want {
			t.Errorf("%s: CheckPassword = %v, %v; want %v", tt.name, ok, err, tt.want)
		}
	}
	lb.NoSecret(t, "Alice-Passw0rd-1", sambatest.ServicePassword)
}

// TestSambaSetPassword: unicodePwd over LDAPS by the delegated service
// account: the new password binds, the old one doesn't, and pwdLastSet
// follows pwd_reset.
func TestSambaSetPassword(t *testing.T) {
	s := sambatest.Shared(t)
	for _, mustChange := range []bool{false, true} {
		t.Run(fmt.Sprintf("PwdReset=%v", mustChange), func(t *testing.T) {
			d, tree, lb := newSambaDir(t, s, func(c *ldapdir.Config) { c.PwdReset = mustChange })
			dn, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
			// Beyond ASCII: UTF-16LE with a surrogate pair.
			const pw = "Nouveau-mot-dé-passe-🔑-9"
			if err := d.SetPassword(ctx, alice, pw); err != nil {
				t.Fatalf("SetPassword: %v", err)
			}
			if err := s.Bind(dn, "Alice-Passw0rd-1"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				t.Errorf("the old password: %v, want invalid credentials", err)
			}
			last := s.Attr(t, dn, "pwdLastSet")
			a, err := d.Lookup(ctx, alice)
			if err != nil || a == nil {
				t.Fatalf("Lookup: %v, %v", a, err)
			}
			if mustChange {
				// AD refuses a bind with "data 773" (must change).
				if len(last) != 1 || last[0] != "0" {
					t.Errorf("pwdLastSet = %v, want 0", last)
				}
				if !a.PasswordSetAt.IsZero() {
					t.Errorf("PasswordSetAt = %v with pwdLastSet 0, want none", a.PasswordSetAt)
				}
				return
			}
			// The console shows when: pwdLastSet, read as a FILETIME.
			if since := time.Since(a.PasswordSetAt); since < -time.Minute || since > time.Minute {
				t.Errorf("PasswordSetAt = %v, want about now", a.PasswordSetAt)
			}
			// The expiry AD works out (msDS-UserPasswordExpiryTimeComputed):
			// the last change and the domain's maxPwdAge.
			if age, never := ldapdir.ParseADDuration(firstOf(s.Attr(t, sambatest.DomainDN, "maxPwdAge"))); never {
				if !a.PasswordExpiresAt.IsZero() {
					t.Errorf("PasswordExpiresAt = %v with no maxPwdAge", a.PasswordExpiresAt)
				}
			} else if got := a.PasswordExpiresAt.Sub(a.PasswordSetAt); got < age-time.Second || got > age+time.Second {
				t.Errorf("the password expires %v after it was set, want maxPwdAge %v", got, age)
			}
			if err := s.Bind(dn, pw); err != nil {
				t.Errorf("the new password: %v", err)
			}
			if len(last) != 1 || last[0] == "0" {
				t.Errorf("pwdLastSet = %v, want the time of the reset", last)
			}
			if ok, err := d.CheckPassword(ctx, alice, pw); !ok || err != nil {
				t.Errorf("CheckPassword(new) = %v, %v", ok, err)
			}
			lb.NoSecret(t, pw, sambatest.ServicePassword)
		})
	}
}

// TestSambaRefusals: Samba's own policy (DefaultPolicy: complexity,
// length) refuses, and the portal turns each refusal into the sentence
// of its rule; Samba's words are the ones ad_test.go replays.
func TestSambaRefusals(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, lb := newSambaDir(t, s)
	_, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	for _, tt := range []struct {
		name, password, rule string
	}{
		{"TooShort", "Sh0rt-pw", sspr.RuleMinLength},
		{"NotComplex", "only lower case letters", sspr.RuleDirectory},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := d.SetPassword(ctx, alice, tt.password)
			var ae *sspr.Error
			if !errors.As(err, &ae) || ae.Code != sspr.CodePasswordPolicy {
				t.Fatalf("SetPassword = %v, want password_policy", err)
			}
			if len(ae.Rules) != 1 || ae.Rules[0].Code != tt.rule {
				t.Fatalf("rules %+v, want %s", ae.Rules, tt.rule)
			}
			if m := ae.Rules[0].Message; strings.Contains(m, "check_password_restrictions") || strings.Contains(m, "0000052D") {
				t.Errorf("the user reads the directory's internals: %q", m)
			}
		})
	}
	if ok, err := d.CheckPassword(ctx, alice, "Alice-Passw0rd-1"); !ok || err != nil {
		t.Errorf("after the refusals, the password is still the first: %v, %v", ok, err)
	}
	lb.NoSecret(t, "Alice-Passw0rd-1", sambatest.ServicePassword)
}

// TestSambaResetIgnoresHistory: Samba 4.17 does not support
// LDAP_SERVER_POLICY_HINTS_OID (its root DSE doesn't list it, and the
// portal sends it as not critical), so like Windows before 2012 R2 it
// applies password history to a user's own change only, never to a
// reset: through the portal, the current password and the ones in
// history are accepted again. If this test fails, a newer Samba honours
// the control: turn it into a check of the history refusal.
func TestSambaResetIgnoresHistory(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, _ := newSambaDir(t, s)
	_, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	for _, pw := range []string{"Alice-Passw0rd-2", "Alice-Passw0rd-2", "Alice-Passw0rd-1"} {
		if err := d.SetPassword(ctx, alice, pw); err != nil {
			t.Fatalf("a reset to a password in history: %v; does Samba apply history to resets now?", err)
		}
	}
	if ok, err := d.CheckPassword(ctx, alice, "Alice-Passw0rd-1"); !ok || err != nil {
		t.Errorf("CheckPassword = %v, %v", ok, err)
	}
}

// TestSambaNoDelegation: a user outside the OU where the service account
// has Reset Password; AD's refusal is directory_unavailable for the user
// and a log line that names the missing right.
func TestSambaNoDelegation(t *testing.T) {
	s := sambatest.Shared(t)
	// An OU of its own, outside sambatest.TestsDN: nothing delegated.
	ou := s.AddOU(t, sambatest.DomainDN, sam(s.NewTree(t), "Undelegated"))
	d, _, lb := newSambaDir(t, s, func(c *ldapdir.Config) { c.BaseDN = ou })
	_, id := addSambaUser(t, s, ou, "alice", "Alice-Passw0rd-1")
	if err := d.SetPassword(ctx, id, "Alice-Passw0rd-2"); code(err) != sspr.CodeDirectoryUnavailable {
		t.Fatalf("SetPassword without the right = %v, want directory_unavailable", err)
	}
	if !strings.Contains(lb.String(), "Reset Password") {
		t.Errorf("the log does not name the missing right: %s", lb.String())
	}
	lb.NoSecret(t, "Alice-Passw0rd-2", sambatest.ServicePassword)
}

// TestSambaUnlock: an account locked by real bad passwords is unlocked
// (lockoutTime 0) and binds again; unlocking an unlocked account is no
// error.
func TestSambaUnlock(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, _ := newSambaDir(t, s)
	dn, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	s.LockOut(t, dn)
	if err := s.Bind(dn, "Alice-Passw0rd-1"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) || !strings.Contains(err.Error(), "data 775") {
		t.Fatalf("a locked account's bind: %v, want AD's 775", err)
	}
	if a, err := d.Lookup(ctx, alice); err != nil || !a.Locked {
		t.Fatalf("Lookup of a locked account = %+v, %v", a, err)
	}
	if err := d.Unlock(ctx, alice); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if lt := s.Attr(t, dn, "lockoutTime"); len(lt) != 1 || lt[0] != "0" {
		t.Errorf("lockoutTime = %v, want 0", lt)
	}
	if a, err := d.Lookup(ctx, alice); err != nil || a.Locked {
		t.Errorf("Lookup after Unlock = %+v, %v", a, err)
	}
	if ok, err := d.CheckPassword(ctx, alice, "Alice-Passw0rd-1"); !ok || err != nil {
		t.Errorf("CheckPassword after Unlock = %v, %v", ok, err)
	}
	if err := d.Unlock(ctx, alice); err != nil {
		t.Errorf("Unlock of an unlocked account: %v", err)
	}
	if err := d.Unlock(ctx, "nobody@example.edu"); err == nil {
		t.Error("Unlock of an unknown account: no error")
	}
}

// TestSambaMemberOf: the service desk's group inside a staff group, kept
// in an OU of their own (group_base_dn), as AD domains do.
func TestSambaMemberOf(t *testing.T) {
	s := sambatest.Shared(t)
	groups := s.NewTree(t)
	d, tree, _ := newSambaDir(t, s, func(c *ldapdir.Config) { c.GroupBaseDN = groups })
	aliceDN, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	bobDN, bob := addSambaUser(t, s, tree, "bob", "Bob-Passw0rd-1")
	_, carol := addSambaUser(t, s, tree, "carol", "Carol-Passw0rd-1")

	desk := s.AddGroup(t, groups, sam(groups, "desk"), aliceDN)
	staff := s.AddGroup(t, groups, sam(groups, "staff"), desk)
	all := s.AddGroup(t, groups, sam(groups, "all"), staff, bobDN)

	for _, tt := range []struct {
		name, id, group string
		want            bool
	}{
		{"Direct", alice, desk, true},
		{"Nested", alice, staff, true},
		{"TwoLevels", alice, all, true},
		{"CaseOfTheDN", alice, strings.ToLower(staff), true},
		{"NotInTheDesk", bob, desk, false},
		{"DirectInTheTop", bob, all, true},
		{"NoGroup", carol, all, false},
		{"Unknown", "nobody@example.edu", desk, false},
	} {
		got, err := d.MemberOf(ctx, tt.id, tt.group)
		if err != nil || got != tt.want {
			t.Errorf("%s: MemberOf = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// TestSambaFind: the service desk's search by id or display name, among
// users only (the groups and the tree's OU are not accounts).
func TestSambaFind(t *testing.T) {
	s := sambatest.Shared(t)
	d, tree, _ := newSambaDir(t, s)
	_, alice := addSambaUser(t, s, tree, "alice", "Alice-Passw0rd-1")
	_, alina := addSambaUser(t, s, tree, "alina", "Alina-Passw0rd-1", func(u *sambatest.User) { u.DisplayName = "Alina Zed" })
	addSambaUser(t, s, tree, "bob", "Bob-Passw0rd-1", func(u *sambatest.User) { u.DisplayName = "Robert Zed" })
	s.AddGroup(t, tree, sam(tree, "alist"))

	ids := func(as []sspr.Account) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		slices.Sort(out)
		return out
	}
	got, err := d.Find(ctx, "ali", 10)
	if err != nil || !slices.Equal(ids(got), []string{alice, alina}) {
		t.Fatalf("Find(ali) = %v, %v; want %s and %s", ids(got), err, alice, alina)
	}
	for _, a := range got {
		if a.ID == alice && (a.DisplayName != "Alice Tester" || a.Mail != "alice@example.edu") {
			t.Errorf("Find(ali): %+v", a)
		}
	}
	if got, err := d.Find(ctx, "zed", 10); err != nil || len(got) != 2 {
		t.Errorf("Find(zed) by display name = %v, %v; want 2", ids(got), err)
	}
	if got, err := d.Find(ctx, "zed", 1); err != nil || len(got) != 1 {
		t.Errorf("Find(zed, 1) = %v, %v; want 1", ids(got), err)
	}
	if got, err := d.Find(ctx, "*)(", 10); err != nil || len(got) != 0 {
		t.Errorf("Find of filter characters = %v, %v; want none", ids(got), err)
	}
}

// TestSambaEach: every user under base_dn, in pages (AD's paged results),
// with the OU path; groups are not accounts.
func TestSambaEach(t *testing.T) {
	s := sambatest.Shared(t)
	const pageSize = 2
	d, tree, _ := newSambaDir(t, s, func(c *ldapdir.Config) { c.PageSize = pageSize })
	sub := s.AddOU(t, tree, "Physics")
	var want []string
	for i := range 5 {
		where := tree
		if i%2 == 1 {
			where = sub
		}
		_, id := addSambaUser(t, s, where, fmt.Sprintf("p%d", i), "Each-Passw0rd-1", func(u *sambatest.User) {
			u.SAM = sam(tree, fmt.Sprintf("p%d", i))
		})
		want = append(want, id)
	}
	s.AddGroup(t, tree, sam(tree, "grp"))

	var got []string
	err := d.Each(ctx, func(a sspr.Account) error {
		got = append(got, a.ID)
		wantOU := ""
		if strings.HasPrefix(a.ID, "p1-") || strings.HasPrefix(a.ID, "p3-") {
			wantOU = "Physics"
		}
		if a.OU != wantOU || a.Mail == "" || a.DisplayName == "" {
			t.Errorf("Each: %+v, want OU %q", a, wantOU)
		}
		return nil
	})
	slices.Sort(got)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Each = %v, %v; want %v", got, err, want)
	}
}

// firstOf is the first of vs, or "".
func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
