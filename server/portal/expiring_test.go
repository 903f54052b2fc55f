package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/selfservice"
)

// TestRemindExpiringWithSlapd: against a real slapd with ppolicy, a
// person whose policy has pwdMaxAge is reminded once per threshold (14, 7
// and 1 days before their password expires), however often the reminders
// run; one whose policy has none never is.
func TestRemindExpiringWithSlapd(t *testing.T) {
	s := slapdtest.Shared(t)
	tweak, _ := withSlapd(t, s)
	var tree string
	clock := testkit.NewClock(time.Now())
	e := newEnvClock(t, clock, tweak, func(c *config.Config) { tree = c.Directory.BaseDN })
	// A policy of 30 days for alice; bob keeps the default, which has none.
	aliceDN := "uid=alice," + tree
	s.AddExpiryPolicy(t, tree, "thirty-days", 30*24*time.Hour, aliceDN)
	a := s.Admin(t)
	// A change of password: ppolicy records its time, from which the
	// expiry runs.
	mod := ldap.NewModifyRequest(aliceDN, nil)
	mod.Replace("userPassword", []string{"Alice-Changed-Password-2"})
	if err := a.Modify(mod); err != nil {
		t.Fatal(err)
	}
	acct, err := slapdDirectory(t, tweak).Lookup(context.Background(), "alice@example.edu")
	if err != nil || acct == nil || acct.PasswordExpiresAt.IsZero() {
		t.Fatalf("alice: %+v, %v", acct, err)
	}
	expires := acct.PasswordExpiresAt
	o := selfservice.ExpiringOptions{Reminders: e.portal.Reminders, Thresholds: selfservice.DefaultThresholds,
		Link: "https://password.example.edu" + selfservice.ChangePasswordPath}
	const day = 24 * time.Hour
	c := e.client(t)
	// reached counts the reminders delivered to alice, failing on any to
	// bob, whose password never expires.
	reached := func() int {
		n := 0
		for _, m := range c.outbox() {
			if m.To == "bob@example.edu" {
				t.Fatalf("bob was reminded: %+v", m)
			}
			if m.To == "alice@example.edu" && strings.Contains(m.Subject, "Your password expires soon") &&
				strings.Contains(m.Body, "https://password.example.edu/register/password") {
				n++
			}
		}
		return n
	}
	total := 0
	for _, tt := range []struct {
		left time.Duration
		sent int
	}{
		{20 * day, 0}, {13 * day, 1}, {12 * day, 0}, {13 * day, 0},
		{6 * day, 1}, {6*day - time.Hour, 0}, {10 * time.Hour, 1}, {9 * time.Hour, 0},
	} {
		clock.Set(expires.Add(-tt.left))
		res, err := e.portal.Engine.RemindExpiring(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != tt.sent {
			t.Fatalf("%v before expiry: %+v, want %d sent", tt.left, res, tt.sent)
		}
		total += res.Sent
		// Delivered before the clock moves on (a reminder is worth
		// sending for a day).
		for deadline := time.Now().Add(5 * time.Second); reached() != total; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%v before expiry: %d reminders reached alice, want %d", tt.left, reached(), total)
			}
		}
	}
}
