package importer

import "fmt"

// Reason is the stable code of why a line was refused: scripts may rely on
// it (docs/IMPORT.md lists them all).
type Reason string

// The reasons a line is refused.
const (
	// Any file.
	ReasonMalformed    Reason = "malformed"     // not CSV with the header's columns, or not a JSON object
	ReasonUnknownField Reason = "unknown_field" // a JSON line names a field the kind doesn't have
	ReasonLineTooLong  Reason = "line_too_long" // a JSON line over MaxLineBytes
	ReasonIDMissing    Reason = "id_missing"
	ReasonIDInvalid    Reason = "id_invalid"   // not a user id canon.UserID takes
	ReasonDuplicateID  Reason = "duplicate_id" // an earlier line of the file gave this id

	// Accounts.
	ReasonNameMissing     Reason = "name_missing"
	ReasonNameInvalid     Reason = "name_invalid" // control or invisible characters, or too long
	ReasonMailMissing     Reason = "mail_missing"
	ReasonMailInvalid     Reason = "mail_invalid"
	ReasonOUInvalid       Reason = "ou_invalid"
	ReasonLockedInvalid   Reason = "locked_invalid"   // not true or false
	ReasonDisabledInvalid Reason = "disabled_invalid" // not true or false
	ReasonPasswordMissing Reason = "password_missing" // neither password_hash nor initial_password
	ReasonPasswordBoth    Reason = "password_both"    // both password_hash and initial_password
	// ReasonHashUnsupported: a hash of another scheme (bcrypt, SHA-crypt,
	// argon2i, LDAP's {SSHA}...), which the portal can't verify.
	ReasonHashUnsupported Reason = "hash_unsupported"
	// ReasonHashInvalid: an argon2id hash the portal can't read, or with
	// parameters out of bounds.
	ReasonHashInvalid Reason = "hash_invalid"
	// ReasonPasswordInvalid: an initial password that can't be typed
	// (control characters, not UTF-8) or over 4096 bytes.
	ReasonPasswordInvalid Reason = "password_invalid"

	// Registrations.
	ReasonNothingToRegister Reason = "nothing_to_register" // neither email nor mobile
	ReasonEmailInvalid      Reason = "email_invalid"
	// ReasonEmailIsPrimary: the alternate address is the account's own
	// (embedded directory only), which is no help when the account can't
	// be used.
	ReasonEmailIsPrimary     Reason = "email_is_primary"
	ReasonMobileInvalid      Reason = "mobile_invalid"
	ReasonMobileNotMobile    Reason = "mobile_not_mobile" // can't receive texts
	ReasonMobileCountry      Reason = "mobile_country"    // not of users.phone_countries
	ReasonConfirmedAtInvalid Reason = "confirmed_at_invalid"
	ReasonConfirmedAtFuture  Reason = "confirmed_at_future"
	// ReasonAccountUnknown: no such account in the embedded directory
	// (with an LDAP directory, ids are not checked).
	ReasonAccountUnknown Reason = "account_unknown"
)

// Rejection is a refused line, as the report gives it (JSON lines). It
// never holds a password or a hash, nor the raw text of a field: only the
// line number, the canonical id when there is one, the reason and a
// sentence made of fixed words and field names.
type Rejection struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason Reason `json:"reason"`
	Text   string `json:"message"`
}

func (r Rejection) String() string {
	if r.ID != "" {
		return fmt.Sprintf("line %d (%s): %s: %s", r.Line, r.ID, r.Reason, r.Text)
	}
	return fmt.Sprintf("line %d: %s: %s", r.Line, r.Reason, r.Text)
}

// reject is a Rejection of line.
func reject(line int, id string, reason Reason, format string, args ...any) *Rejection {
	return &Rejection{Line: line, ID: id, Reason: reason, Text: fmt.Sprintf(format, args...)}
}
