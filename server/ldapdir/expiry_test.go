package ldapdir_test

import (
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestPasswordExpiry: an account's password expires pwdMaxAge after its
// last change (pwdChangedTime), by the policy that governs it (its
// pwdPolicySubentry, else the default); a policy without pwdMaxAge never
// expires passwords.
func TestPasswordExpiry(t *testing.T) {
	s := slapdtest.Shared(t)
	d, tree := newDir(t, s)
	const maxAge = 90 * 24 * time.Hour
	s.AddExpiryPolicy(t, tree, "staff", maxAge, addAlice(t, s, tree))
	s.AddUser(t, tree, slapdtest.User{UID: "bob", Password: "Bob-Old-1"})
	for _, id := range []string{"alice@example.edu", "bob@example.edu"} {
		if err := d.SetPassword(ctx, id, "Brand-New-Pass-1"); err != nil {
			t.Fatal(err)
		}
	}

	alice, err := d.Lookup(ctx, "alice@example.edu")
	if err != nil || alice == nil {
		t.Fatal(alice, err)
	}
	if since := time.Since(alice.PasswordSetAt); since < -time.Minute || since > time.Minute {
		t.Fatalf("PasswordSetAt = %v, want about now", alice.PasswordSetAt)
	}
	if got := alice.PasswordExpiresAt.Sub(alice.PasswordSetAt); got != maxAge {
		t.Errorf("alice's password expires %v after it was set, want %v", got, maxAge)
	}
	bob, err := d.Lookup(ctx, "bob@example.edu")
	if err != nil || bob == nil {
		t.Fatal(bob, err)
	}
	if !bob.PasswordExpiresAt.IsZero() {
		t.Errorf("under a policy without pwdMaxAge bob's password expires at %v", bob.PasswordExpiresAt)
	}
	// Each, as the reminders read every account, says the same.
	var seen int
	if err := d.Each(ctx, func(acct sspr.Account) error {
		if acct.ID == "alice@example.edu" {
			seen++
			if !acct.PasswordExpiresAt.Equal(alice.PasswordExpiresAt) {
				t.Errorf("Each: alice's expiry %v, Lookup's %v", acct.PasswordExpiresAt, alice.PasswordExpiresAt)
			}
		}
		return nil
	}); err != nil || seen != 1 {
		t.Fatalf("Each: %v, alice seen %d times", err, seen)
	}
}
