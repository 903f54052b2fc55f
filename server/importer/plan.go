package importer

import "time"

// What importing a line does to what is stored: the rules every backend
// applies, here so that they are the same in each (docs/IMPORT.md,
// "Running it twice").

// StoredAccount is what the embedded directory holds of an account, as an
// import compares and writes it.
type StoredAccount struct {
	Name, Mail, OU   string
	Locked, Disabled bool
	PasswordHash     Secret
	// MustChange: the password is an initial one, to be changed at the
	// next sign-in.
	MustChange bool
	// SetByOwner: the password was set through the portal (a change or a
	// reset: the embedded directory's password_set_at), not by an import.
	SetByOwner bool
}

// PasswordStep is what an import does to an account's password, and the
// argon2id work it takes first.
type PasswordStep int

// The steps.
const (
	// PasswordKeep: the person set the stored password through the
	// portal; an import never replaces it.
	PasswordKeep PasswordStep = iota + 1
	// PasswordSame: the stored password is the line's; nothing to do.
	PasswordSame
	// PasswordSet: write the line's hash.
	PasswordSet
	// PasswordVerify: the stored initial password may be the line's:
	// verify it (argon2id), then PasswordSame or PasswordHash.
	PasswordVerify
	// PasswordHash: hash the line's initial password (argon2id, the
	// configured parameters) and write it, to be changed at the next
	// sign-in.
	PasswordHash
)

// PasswordPlan is the first step for a's password, given what is stored
// (nil: no such account).
//
// The rule: an import sets the password of a new account, and of an
// existing one whose password no person has set since an import gave it
// (SetByOwner false). A password set through the portal, by a change or a
// reset, is kept, whatever the line says: running an old file again never
// takes a person's own password away, nor gives back one they replaced.
func PasswordPlan(stored *StoredAccount, a Account) PasswordStep {
	switch {
	case stored == nil:
		if a.InitialPassword != "" {
			return PasswordHash
		}
		return PasswordSet
	case stored.SetByOwner:
		return PasswordKeep
	case a.InitialPassword == "":
		if stored.PasswordHash == a.PasswordHash && !stored.MustChange {
			return PasswordSame
		}
		return PasswordSet
	case stored.MustChange && stored.PasswordHash != "":
		// Hashed again, the same password would be another string (a
		// new salt): only verifying tells a second run from a new
		// initial password.
		return PasswordVerify
	}
	return PasswordHash
}

// PlanAccount is the account to store for a, given what is stored (nil:
// no such account) and the password's last step: PasswordKeep or
// PasswordSame, or PasswordSet or PasswordHash with hash, the hash to
// write. An OU left empty, and Locked or Disabled left out, keep what is
// stored.
func PlanAccount(stored *StoredAccount, a Account, step PasswordStep, hash Secret) (StoredAccount, Result) {
	var next StoredAccount
	if stored != nil {
		next = *stored
	}
	next.Name, next.Mail = a.Name, a.Mail
	if a.OU != "" {
		next.OU = a.OU
	}
	if a.Locked != nil {
		next.Locked = *a.Locked
	}
	if a.Disabled != nil {
		next.Disabled = *a.Disabled
	}
	switch step {
	case PasswordSet, PasswordHash:
		next.PasswordHash, next.MustChange, next.SetByOwner = hash, a.InitialPassword != "", false
	}
	res := Result{Outcome: Unchanged, PasswordKept: step == PasswordKeep}
	switch {
	case stored == nil:
		res.Outcome = New
	case next != *stored:
		res.Outcome = Updated
	}
	return next, res
}

// StoredRegistration is what the store holds of a registration's email
// and mobile; an import leaves the rest (answers, authenticator app,
// passkeys, language) as it is.
type StoredRegistration struct {
	Email          string
	EmailConfirmed time.Time
	Phone          string
	PhoneConfirmed time.Time
}

// PlanRegistration is the email and mobile to store for r, given what is
// stored (nil: no registration) and the run's time. A method the line
// gives is registered and confirmed at its confirmed_at or, without one,
// now; a method it doesn't give stays as it is (an import never removes
// one). Without confirmed_at, a method stored and confirmed already with
// the same value keeps its time: a second run changes nothing.
func PlanRegistration(stored *StoredRegistration, r Registration, now time.Time) (StoredRegistration, Outcome) {
	var next StoredRegistration
	if stored != nil {
		next = *stored
	}
	at := r.ConfirmedAt
	if at.IsZero() {
		at = now.UTC().Truncate(time.Microsecond)
	}
	confirm := func(value *string, confirmed *time.Time, given string) {
		if given == "" || given == *value && !confirmed.IsZero() && r.ConfirmedAt.IsZero() {
			return
		}
		*value, *confirmed = given, at
	}
	confirm(&next.Email, &next.EmailConfirmed, r.Email)
	confirm(&next.Phone, &next.PhoneConfirmed, r.Phone)
	switch {
	case stored == nil:
		return next, New
	case next.Email != stored.Email || !next.EmailConfirmed.Equal(stored.EmailConfirmed) ||
		next.Phone != stored.Phone || !next.PhoneConfirmed.Equal(stored.PhoneConfirmed):
		return next, Updated
	}
	return next, Unchanged
}
