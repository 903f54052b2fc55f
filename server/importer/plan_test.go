package importer

import (
	"testing"
	"time"
)

func ptr(b bool) *bool { return &b }

// TestPasswordPlan: an import sets the password of a new account, and of
// one whose password no person has set since; never one the person set.
func TestPasswordPlan(t *testing.T) {
	withHash := Account{PasswordHash: "$argon2id$A"}
	withInitial := Account{InitialPassword: "Initial-Password-1"}
	tests := []struct {
		name   string
		stored *StoredAccount
		a      Account
		want   PasswordStep
	}{
		{"new, hash", nil, withHash, PasswordSet},
		{"new, initial", nil, withInitial, PasswordHash},
		{"same hash again", &StoredAccount{PasswordHash: "$argon2id$A"}, withHash, PasswordSame},
		{"another hash", &StoredAccount{PasswordHash: "$argon2id$B"}, withHash, PasswordSet},
		{"a hash for an initial password", &StoredAccount{PasswordHash: "$argon2id$A", MustChange: true}, withHash, PasswordSet},
		{"initial again: verify", &StoredAccount{PasswordHash: "$argon2id$I", MustChange: true}, withInitial, PasswordVerify},
		{"initial for a hash", &StoredAccount{PasswordHash: "$argon2id$A"}, withInitial, PasswordHash},
		{"initial for no password", &StoredAccount{}, withInitial, PasswordHash},
		{"the owner's password, hash", &StoredAccount{PasswordHash: "$argon2id$O", SetByOwner: true}, withHash, PasswordKeep},
		{"the owner's password, initial", &StoredAccount{PasswordHash: "$argon2id$O", SetByOwner: true}, withInitial, PasswordKeep},
		{"the owner's password, same hash", &StoredAccount{PasswordHash: "$argon2id$A", SetByOwner: true}, withHash, PasswordKeep},
	}
	for _, tt := range tests {
		if got := PasswordPlan(tt.stored, tt.a); got != tt.want {
			t.Errorf("%s: PasswordPlan = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPlanAccount(t *testing.T) {
	stored := StoredAccount{Name: "Alice", Mail: "alice@example.edu", OU: "staff", Locked: true,
		PasswordHash: "$argon2id$A", SetByOwner: true}
	base := Account{ID: "alice@example.edu", Name: "Alice", Mail: "alice@example.edu", PasswordHash: "$argon2id$Z"}
	tests := []struct {
		name   string
		stored *StoredAccount
		a      func(a *Account)
		step   PasswordStep
		hash   Secret
		want   StoredAccount
		res    Result
	}{
		{"new", nil, func(a *Account) { a.OU = "it" }, PasswordSet, "$argon2id$Z",
			StoredAccount{Name: "Alice", Mail: "alice@example.edu", OU: "it", PasswordHash: "$argon2id$Z"}, Result{Outcome: New}},
		{"new, initial", nil, func(a *Account) { a.PasswordHash, a.InitialPassword = "", "x"; a.Disabled = ptr(true) }, PasswordHash, "$argon2id$H",
			StoredAccount{Name: "Alice", Mail: "alice@example.edu", Disabled: true, PasswordHash: "$argon2id$H", MustChange: true}, Result{Outcome: New}},
		{"unchanged, owner's password kept, OU and lock left", &stored, func(a *Account) {}, PasswordKeep, "",
			stored, Result{Outcome: Unchanged, PasswordKept: true}},
		{"renamed, unlocked", &stored, func(a *Account) { a.Name = "Alice A."; a.Locked = ptr(false) }, PasswordKeep, "",
			StoredAccount{Name: "Alice A.", Mail: "alice@example.edu", OU: "staff", PasswordHash: "$argon2id$A", SetByOwner: true},
			Result{Outcome: Updated, PasswordKept: true}},
		{"same password", &StoredAccount{Name: "Alice", Mail: "alice@example.edu", PasswordHash: "$argon2id$Z"}, func(a *Account) {}, PasswordSame, "",
			StoredAccount{Name: "Alice", Mail: "alice@example.edu", PasswordHash: "$argon2id$Z"}, Result{Outcome: Unchanged}},
		{"new password", &StoredAccount{Name: "Alice", Mail: "alice@example.edu", PasswordHash: "$argon2id$Y", MustChange: true}, func(a *Account) {}, PasswordSet, "$argon2id$Z",
			StoredAccount{Name: "Alice", Mail: "alice@example.edu", PasswordHash: "$argon2id$Z"}, Result{Outcome: Updated}},
	}
	for _, tt := range tests {
		a := base
		tt.a(&a)
		got, res := PlanAccount(tt.stored, a, tt.step, tt.hash)
		if got != tt.want || res != tt.res {
			t.Errorf("%s: PlanAccount = %+v, %+v; want %+v, %+v", tt.name, got, res, tt.want, tt.res)
		}
	}
}

// TestPlanRegistration: the methods given are set and confirmed; those
// not given stay; a second run with the same line changes nothing, with
// confirmed_at or without.
func TestPlanRegistration(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.UTC)
	nowUS := now.Truncate(time.Microsecond)
	then := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	given := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		stored *StoredRegistration
		r      Registration
		want   StoredRegistration
		out    Outcome
	}{
		{"new", nil, Registration{Email: "a@x.net", Phone: "+447700900123"},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: nowUS, Phone: "+447700900123", PhoneConfirmed: nowUS}, New},
		{"new with a time", nil, Registration{Phone: "+447700900123", ConfirmedAt: given},
			StoredRegistration{Phone: "+447700900123", PhoneConfirmed: given}, New},
		{"the same again, no time", &StoredRegistration{Email: "a@x.net", EmailConfirmed: then}, Registration{Email: "a@x.net"},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: then}, Unchanged},
		{"the same again, the same time", &StoredRegistration{Email: "a@x.net", EmailConfirmed: given}, Registration{Email: "a@x.net", ConfirmedAt: given},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: given}, Unchanged},
		{"the same, another time", &StoredRegistration{Email: "a@x.net", EmailConfirmed: then}, Registration{Email: "a@x.net", ConfirmedAt: given},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: given}, Updated},
		{"stored but not confirmed", &StoredRegistration{Email: "a@x.net"}, Registration{Email: "a@x.net"},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: nowUS}, Updated},
		{"a mobile added, the email left", &StoredRegistration{Email: "a@x.net", EmailConfirmed: then}, Registration{Phone: "+447700900123"},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: then, Phone: "+447700900123", PhoneConfirmed: nowUS}, Updated},
		{"another address", &StoredRegistration{Email: "a@x.net", EmailConfirmed: then}, Registration{Email: "b@x.net"},
			StoredRegistration{Email: "b@x.net", EmailConfirmed: nowUS}, Updated},
		{"a registration of answers only", &StoredRegistration{}, Registration{Email: "a@x.net"},
			StoredRegistration{Email: "a@x.net", EmailConfirmed: nowUS}, Updated},
	}
	for _, tt := range tests {
		got, out := PlanRegistration(tt.stored, tt.r, now)
		if got != tt.want || out != tt.out {
			t.Errorf("%s: PlanRegistration = %+v, %s; want %+v, %s", tt.name, got, out, tt.want, tt.out)
		}
		// Idempotent: the line again, on what the first run stored.
		if again, out := PlanRegistration(&got, tt.r, now.Add(time.Hour)); again != got || out != Unchanged {
			t.Errorf("%s: a second run = %+v, %s", tt.name, again, out)
		}
	}
}
