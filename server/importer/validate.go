package importer

import (
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/server/canon"
)

// Rules are the configuration's rules a line is checked against: the
// same the portal applies to what people type.
type Rules struct {
	// DefaultDomain completes a bare user id (users.default_domain).
	DefaultDomain string
	// PhoneRegion and PhoneCountries are users.phone_region and
	// users.phone_countries: how a number without its country code is
	// read, and the countries whose mobiles may be registered.
	PhoneRegion    string
	PhoneCountries []string
	// Now is the run's time: what a registration without confirmed_at is
	// confirmed at, and the latest confirmed_at taken.
	Now time.Time
}

// The longest display name and OU taken, in bytes.
const (
	maxName = 256
	maxOU   = 256
	// maxPassword is the longest initial password, as the engine takes
	// no longer one at sign-in.
	maxPassword = 4096
)

// The fields of an accounts file.
const (
	aID = iota
	aName
	aMail
	aOU
	aHash
	aInitial
	aLocked
	aDisabled
)

var accounts = &schema[Account]{
	kind:     "accounts",
	fields:   []string{"id", "name", "mail", "ou", "password_hash", "initial_password", "locked", "disabled"},
	boolean:  []bool{aLocked: true, aDisabled: true},
	required: []int{aID, aName, aMail},
	header: func(named []bool) error {
		if !named[aHash] && !named[aInitial] {
			return errors.New(`no "password_hash" or "initial_password" column: each account needs one or the other`)
		}
		return nil
	},
	build: buildAccount,
}

// NewAccountReader reads an accounts file: the header row first, for CSV.
// A header that names a column accounts don't have, or lacks id, name,
// mail, and password_hash or initial_password, is an error.
func NewAccountReader(r io.Reader, f Format, rules Rules) (*Reader[Account], error) {
	return newReader(r, f, accounts, rules)
}

// The fields of a registrations file.
const (
	rID = iota
	rEmail
	rMobile
	rConfirmedAt
)

var registrations = &schema[Registration]{
	kind:     "registrations",
	fields:   []string{"id", "email", "mobile", "confirmed_at"},
	boolean:  make([]bool, 4),
	required: []int{rID},
	header: func(named []bool) error {
		if !named[rEmail] && !named[rMobile] {
			return errors.New(`no "email" or "mobile" column: nothing to register`)
		}
		return nil
	},
	build: buildRegistration,
}

// NewRegistrationReader reads a registrations file: the header row first,
// for CSV. A header that names a column registrations don't have, or lacks
// id, and email or mobile, is an error.
func NewRegistrationReader(r io.Reader, f Format, rules Rules) (*Reader[Registration], error) {
	return newReader(r, f, registrations, rules)
}

// userID is the record's canonical id, as the directory keys accounts
// (canon.UserID, the default domain added to a bare name), or the
// line's Rejection.
func userID(rec *record, field int, rules Rules) (string, *Rejection) {
	raw, ok := rec.get(field)
	if !ok || strings.TrimSpace(raw) == "" {
		return "", reject(rec.line, "", ReasonIDMissing, "no id")
	}
	id, err := canon.UserID(raw, rules.DefaultDomain)
	if err != nil {
		// canon's errors quote nothing of the input.
		return "", reject(rec.line, "", ReasonIDInvalid, "id: %v", err)
	}
	return id, nil
}

func buildAccount(rec *record, rules Rules) (Account, *Rejection) {
	id, rej := userID(rec, aID, rules)
	if rej != nil {
		return Account{}, rej
	}
	a := Account{Line: rec.line, ID: id}
	no := func(reason Reason, format string, args ...any) (Account, *Rejection) {
		return Account{}, reject(rec.line, id, reason, format, args...)
	}

	name, _ := rec.get(aName)
	if a.Name = strings.TrimSpace(name); a.Name == "" {
		return no(ReasonNameMissing, "no name")
	}
	if !readable(a.Name, maxName) {
		return no(ReasonNameInvalid, "name: control or invisible characters, or longer than %d bytes", maxName)
	}
	mail, _ := rec.get(aMail)
	if strings.TrimSpace(mail) == "" {
		return no(ReasonMailMissing, "no mail")
	}
	var err error
	if a.Mail, err = canon.Email(mail); err != nil {
		return no(ReasonMailInvalid, "mail: %v", err)
	}
	if ou, ok := rec.get(aOU); ok {
		if a.OU = strings.TrimSpace(ou); !readable(a.OU, maxOU) {
			return no(ReasonOUInvalid, "ou: control or invisible characters, or longer than %d bytes", maxOU)
		}
	}
	if a.Locked, err = flag(rec, aLocked); err != nil {
		return no(ReasonLockedInvalid, "locked: %v", err)
	}
	if a.Disabled, err = flag(rec, aDisabled); err != nil {
		return no(ReasonDisabledInvalid, "disabled: %v", err)
	}

	hash, hasHash := rec.get(aHash)
	initial, hasInitial := rec.get(aInitial)
	switch {
	case hasHash && hasInitial:
		return no(ReasonPasswordBoth, "both password_hash and initial_password: give one")
	case hasHash:
		hash = strings.TrimSpace(hash)
		if reason, why := CheckHash(hash); reason != "" {
			return no(reason, "password_hash: %s", why)
		}
		a.PasswordHash = Secret(hash)
	case hasInitial:
		if !typeable(initial) {
			return no(ReasonPasswordInvalid, "initial_password: control characters, not UTF-8, or longer than %d bytes", maxPassword)
		}
		a.InitialPassword = Secret(initial)
	default:
		return no(ReasonPasswordMissing, "neither password_hash nor initial_password")
	}
	return a, nil
}

// flag reads an optional boolean: nil when absent.
func flag(rec *record, field int) (*bool, error) {
	v, ok := rec.get(field)
	if !ok {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1":
		b := true
		return &b, nil
	case "false", "no", "0":
		b := false
		return &b, nil
	}
	return nil, errors.New("not true or false")
}

// readable reports whether s is text a person can read: valid UTF-8
// without control or format characters (bidi overrides, zero-width
// spaces), at most max bytes.
func readable(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// typeable reports whether an initial password can be typed at the
// sign-in: valid UTF-8 without control characters, at most maxPassword
// bytes (what the engine checks at most).
func typeable(s string) bool {
	if len(s) > maxPassword || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// Bounds of an argon2id hash's parameters: those package secret verifies
// (its decode), so that a hash taken here is one the portal can check.
const (
	maxMemoryKiB = 1 << 20
	maxTime      = 16
	minSalt      = 8 // bytes; RFC 9106 recommends 16
	minKey       = 16
	maxKey       = 64
)

var b64 = base64.RawStdEncoding

// CheckHash says whether hash is an argon2id hash the portal can verify,
// in the PHC string format package secret writes and reads:
//
//	$argon2id$v=19$m=MEMORY_KIB,t=PASSES,p=LANES$SALT$HASH
//
// SALT and HASH in base64 without padding (RFC 4648's standard alphabet),
// a salt of 8 bytes or more, a hash of 16 to 64 bytes, 1 <= t <= 16,
// 8p <= m <= 1048576 and 1 <= p <= 255. It returns "" when it is, and
// otherwise hash_unsupported (another scheme) or hash_invalid, with why.
// The why never quotes the hash.
func CheckHash(hash string) (Reason, string) {
	parts := strings.Split(hash, "$")
	if len(parts) < 2 || parts[0] != "" {
		return ReasonHashUnsupported, "not a hash in PHC form ($argon2id$v=19$m=…,t=…,p=…$salt$hash)"
	}
	if parts[1] != "argon2id" {
		return ReasonHashUnsupported, "not an argon2id hash (bcrypt, SHA-crypt, argon2i and others can't be verified by the portal: give initial_password instead)"
	}
	if len(parts) != 6 {
		return ReasonHashInvalid, "an argon2id hash has 5 parts: $argon2id$v=19$m=…,t=…,p=…$salt$hash"
	}
	if parts[2] != "v=19" {
		return ReasonHashInvalid, "not version 19 (v=19) of argon2id"
	}
	m, t, p, ok := params(parts[3])
	switch {
	case !ok:
		return ReasonHashInvalid, "the parameters are not m=…,t=…,p=…"
	case p < 1 || p > 255:
		return ReasonHashInvalid, "p (lanes) out of 1 to 255"
	case t < 1 || t > maxTime:
		return ReasonHashInvalid, "t (passes) out of 1 to 16"
	case m < 8*p || m > maxMemoryKiB:
		return ReasonHashInvalid, "m (memory, KiB) out of 8×p to 1048576"
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSalt {
		return ReasonHashInvalid, "the salt is not base64 (unpadded) of 8 bytes or more"
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKey || len(key) > maxKey {
		return ReasonHashInvalid, "the hash is not base64 (unpadded) of 16 to 64 bytes"
	}
	return "", ""
}

// params reads "m=…,t=…,p=…", exactly so.
func params(s string) (m, t, p int, ok bool) {
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return 0, 0, 0, false
	}
	var vals [3]int
	for i, name := range []string{"m=", "t=", "p="} {
		v, found := strings.CutPrefix(kv[i], name)
		n, err := strconv.Atoi(v)
		if !found || err != nil || v == "" || v[0] == '+' || v[0] == '-' {
			return 0, 0, 0, false
		}
		vals[i] = n
	}
	return vals[0], vals[1], vals[2], true
}

// confirmedSkew is how far in the future a confirmed_at may be: a clock a
// little ahead of this one's.
const confirmedSkew = 5 * time.Minute

func buildRegistration(rec *record, rules Rules) (Registration, *Rejection) {
	id, rej := userID(rec, rID, rules)
	if rej != nil {
		return Registration{}, rej
	}
	r := Registration{Line: rec.line, ID: id}
	no := func(reason Reason, format string, args ...any) (Registration, *Rejection) {
		return Registration{}, reject(rec.line, id, reason, format, args...)
	}
	email, hasEmail := rec.get(rEmail)
	mobile, hasMobile := rec.get(rMobile)
	if !hasEmail && !hasMobile {
		return no(ReasonNothingToRegister, "neither email nor mobile")
	}
	var err error
	if hasEmail {
		// The engine's rule for an address being registered (its parse):
		// canon.Email, which refuses look-alikes rather than clean them.
		if r.Email, err = canon.Email(email); err != nil {
			return no(ReasonEmailInvalid, "email: %v", err)
		}
	}
	if hasMobile {
		// The engine's rule for a number being registered: a mobile, of
		// the countries served, in E.164.
		r.Phone, _, err = canon.Mobile(mobile, rules.PhoneRegion, rules.PhoneCountries)
		switch {
		case errors.Is(err, canon.ErrPhoneNotMobile):
			return no(ReasonMobileNotMobile, "mobile: %v", err)
		case errors.Is(err, canon.ErrPhoneCountry):
			return no(ReasonMobileCountry, "mobile: %v", err)
		case err != nil:
			return no(ReasonMobileInvalid, "mobile: %v", err)
		}
	}
	if v, ok := rec.get(rConfirmedAt); ok {
		at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
		if err != nil {
			return no(ReasonConfirmedAtInvalid, "confirmed_at: not an RFC 3339 time such as 2026-09-01T09:00:00Z")
		}
		if at.After(rules.Now.Add(confirmedSkew)) {
			return no(ReasonConfirmedAtFuture, "confirmed_at: in the future")
		}
		// Both stores keep the microsecond (PostgreSQL no finer): a time
		// read back must equal the line's, or a second run would update.
		r.ConfirmedAt = at.UTC().Truncate(time.Microsecond)
	}
	return r, nil
}
