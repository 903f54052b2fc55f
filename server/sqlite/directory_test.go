package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

func TestDirectory_Lookup(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)

	t.Run("OK", func(t *testing.T) {
		got, err := d.Lookup(ctx, "bob@example.edu")
		if err != nil {
			t.Fatal(err)
		}
		want := sspr.Account{ID: "bob@example.edu", DisplayName: "Bob Baker", Mail: "bob@example.edu", Locked: true, OU: "students/physics",
			PasswordSetAt: seedTime}
		if got == nil || *got != want {
			t.Fatalf("Lookup = %+v, want %+v", got, want)
		}
	})

	// The directory compares canonical ids exactly: canonicalising is the
	// caller's job (package canon), and nothing else may match.
	for _, id := range []string{"nobody@example.edu", "Alice@example.edu", " alice@example.edu", "alice", ""} {
		t.Run("absent "+id, func(t *testing.T) {
			got, err := d.Lookup(ctx, id)
			if err != nil || got != nil {
				t.Fatalf("Lookup(%q) = %+v, %v; want nil, nil", id, got, err)
			}
		})
	}
}

func TestDirectory_CheckPassword(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)

	tests := []struct {
		name, id, password string
		want               bool
	}{
		{"OK", "alice@example.edu", "Alice-Old-Password-1", true},
		{"locked account, right password", "bob@example.edu", "Bob-Old-Password-1", true},
		{"wrong password", "alice@example.edu", "alice-old-password-1", false},
		{"another account's password", "alice@example.edu", "Bob-Old-Password-1", false},
		{"empty password", "alice@example.edu", "", false},
		{"unknown account", "nobody@example.edu", "Alice-Old-Password-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.CheckPassword(ctx, tt.id, tt.password)
			if err != nil || got != tt.want {
				t.Fatalf("CheckPassword = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

func TestDirectory_SetPassword(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db, h := MustSeed(t)
		d := sqlite.NewDirectory(db, h, 0)
		before := time.Now()
		if err := d.SetPassword(ctx, "alice@example.edu", "Alice-New-Password-2"); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		// The console shows when: the time of the change.
		if a, err := d.Lookup(ctx, "alice@example.edu"); err != nil || a.PasswordSetAt.Before(before.Add(-time.Second)) {
			t.Errorf("PasswordSetAt after the change: %+v, %v", a, err)
		}
		checkPassword(t, d, "alice@example.edu", "Alice-Old-Password-1", false)
		checkPassword(t, d, "alice@example.edu", "Alice-New-Password-2", true)
		// Nobody else's password changed.
		checkPassword(t, d, "erin@example.edu", "Erin-Old-Password-1", true)
	})

	t.Run("does not unlock", func(t *testing.T) {
		db, h := MustSeed(t)
		d := sqlite.NewDirectory(db, h, 0)
		if err := d.SetPassword(ctx, "bob@example.edu", "Bob-New-Password-2"); err != nil {
			t.Fatal(err)
		}
		if a, err := d.Lookup(ctx, "bob@example.edu"); err != nil || !a.Locked {
			t.Fatalf("Lookup after SetPassword = %+v, %v; want still locked", a, err)
		}
	})

	t.Run("ErrHistory", func(t *testing.T) {
		db, h := MustSeed(t)
		d := sqlite.NewDirectory(db, h, 2) // refuse the current one and 2 before it
		id := "alice@example.edu"
		for _, p := range []string{"Password-One-1", "Password-Two-2", "Password-Three-3"} {
			if err := d.SetPassword(ctx, id, p); err != nil {
				t.Fatalf("SetPassword(%s): %v", p, err)
			}
		}
		// Current: Three. History: Two, One. The seed's password is older.
		for _, p := range []string{"Password-Three-3", "Password-Two-2", "Password-One-1"} {
			err := d.SetPassword(ctx, id, p)
			checkHistoryRefusal(t, err)
			checkPassword(t, d, id, "Password-Three-3", true) // unchanged
		}
		if err := d.SetPassword(ctx, id, "Alice-Old-Password-1"); err != nil {
			t.Fatalf("a password older than the history was refused: %v", err)
		}
		// Now Three went into the history and One dropped out of it.
		checkHistoryRefusal(t, d.SetPassword(ctx, id, "Password-Three-3"))
		if err := d.SetPassword(ctx, id, "Password-One-1"); err != nil {
			t.Fatalf("a password trimmed from the history was refused: %v", err)
		}
	})

	t.Run("the default history is 5", func(t *testing.T) {
		db, h := MustSeed(t)
		d := sqlite.NewDirectory(db, h, 0)
		id := "erin@example.edu"
		ps := []string{"Erin-Old-Password-1", "P-1-aaaa", "P-2-bbbb", "P-3-cccc", "P-4-dddd", "P-5-eeee", "P-6-ffff"}
		for _, p := range ps[1:] {
			if err := d.SetPassword(ctx, id, p); err != nil {
				t.Fatalf("SetPassword(%s): %v", p, err)
			}
		}
		// Current P-6, history P-5 … P-1; the seed's password dropped out.
		for _, p := range ps[1:] {
			checkHistoryRefusal(t, d.SetPassword(ctx, id, p))
		}
		if err := d.SetPassword(ctx, id, ps[0]); err != nil {
			t.Fatalf("the sixth previous password was refused: %v", err)
		}
	})

	t.Run("no history", func(t *testing.T) {
		db, h := MustSeed(t)
		d := sqlite.NewDirectory(db, h, -1)
		id := "carol@example.edu"
		if err := d.SetPassword(ctx, id, "Carol-New-Password-2"); err != nil {
			t.Fatal(err)
		}
		checkHistoryRefusal(t, d.SetPassword(ctx, id, "Carol-New-Password-2"))
		if err := d.SetPassword(ctx, id, "Carol-Old-Password-1"); err != nil {
			t.Fatalf("with history off, the previous password was refused: %v", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db, h := MustSeed(t)
		d := sqlite.NewDirectory(db, h, 0)
		err := d.SetPassword(ctx, "nobody@example.edu", "Whatever-Password-9")
		if !errors.Is(err, sqlite.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("SetPassword(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestDirectory_LockUnlock(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)

	t.Run("Unlock", func(t *testing.T) {
		if err := d.Unlock(ctx, "bob@example.edu"); err != nil {
			t.Fatal(err)
		}
		checkLocked(t, d, "bob@example.edu", false)
		checkPassword(t, d, "bob@example.edu", "Bob-Old-Password-1", true)
	})

	t.Run("Unlock an account that is not locked", func(t *testing.T) {
		if err := d.Unlock(ctx, "alice@example.edu"); err != nil {
			t.Fatalf("Unlock(not locked) = %v, want nil", err)
		}
		checkLocked(t, d, "alice@example.edu", false)
	})

	t.Run("Lock", func(t *testing.T) {
		for range 2 { // locking twice is fine too
			if err := d.Lock(ctx, "carol@example.edu"); err != nil {
				t.Fatal(err)
			}
		}
		checkLocked(t, d, "carol@example.edu", true)
		if err := d.Unlock(ctx, "carol@example.edu"); err != nil {
			t.Fatal(err)
		}
		checkLocked(t, d, "carol@example.edu", false)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		if err := d.Unlock(ctx, "nobody@example.edu"); !errors.Is(err, sqlite.ErrNotFound) {
			t.Errorf("Unlock(unknown) = %v, want ErrNotFound", err)
		}
		if err := d.Lock(ctx, "nobody@example.edu"); !errors.Is(err, sqlite.ErrNotFound) {
			t.Errorf("Lock(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func checkPassword(t *testing.T, d *sqlite.Directory, id, password string, want bool) {
	t.Helper()
	got, err := d.CheckPassword(context.Background(), id, password)
	if err != nil || got != want {
		t.Fatalf("CheckPassword(%s, %s) = %v, %v; want %v", id, password, got, err, want)
	}
}

func checkLocked(t *testing.T, d *sqlite.Directory, id string, want bool) {
	t.Helper()
	a, err := d.Lookup(context.Background(), id)
	if err != nil || a == nil {
		t.Fatalf("Lookup(%s) = %+v, %v", id, a, err)
	}
	if a.Locked != want {
		t.Fatalf("%s locked = %v, want %v", id, a.Locked, want)
	}
}

func checkHistoryRefusal(t *testing.T, err error) {
	t.Helper()
	var ae *sspr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want an *sspr.Error", err)
	}
	if ae.Code != sspr.CodePasswordPolicy {
		t.Fatalf("code = %q, want %q", ae.Code, sspr.CodePasswordPolicy)
	}
	if len(ae.Rules) != 1 || ae.Rules[0].Code != sspr.RuleHistory || ae.Rules[0].Message == "" {
		t.Fatalf("rules = %+v, want one %q rule", ae.Rules, sspr.RuleHistory)
	}
}

// TestDirectory_Each: every account, once, ordered by id, as Lookup reads
// it; fn's error ends the walk.
func TestDirectory_Each(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)
	var ids []string
	err := d.Each(ctx, func(a sspr.Account) error {
		ids = append(ids, a.ID)
		want, err := d.Lookup(ctx, a.ID)
		if err != nil || want == nil || *want != a {
			t.Errorf("Each gave %+v; Lookup %+v, %v", a, want, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(sqlite.DevAccounts) || !slices.IsSorted(ids) {
		t.Fatalf("Each walked %v", ids)
	}
	stop := errors.New("enough")
	n := 0
	if err := d.Each(ctx, func(sspr.Account) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Each = %v after %d; want fn's error after 1", err, n)
	}
}
