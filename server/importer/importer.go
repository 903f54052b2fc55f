// Package importer reads the files of `sspr accounts import` and `sspr
// registrations import` (docs/IMPORT.md): CSV with a header row, or JSON
// lines, streamed a line at a time; checks each line and says why a line
// is refused (a stable reason code and a sentence, never the line's
// password or hash); decides what importing a line does to what is stored
// (new, updated, unchanged; a password the person set is never replaced);
// and runs the whole in batches, so that a file of any length is imported
// in constant memory.
//
// It is pure logic: where the rows go is the caller's (server/sqlite,
// server/pgstore), given to Run as a Sink.
package importer

import (
	"fmt"
	"log/slog"
	"time"
)

// Secret is a password or a password hash read from an import file. It
// formats as "[secret]" (fmt's %v, %s, %q and %#v, slog, encoding/json), so
// that a value that reaches a log line, an error or a report by mistake
// shows nothing. string(s) is the value itself.
type Secret string

const redacted = "[secret]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }

// Account is one valid line of an accounts file.
type Account struct {
	Line int
	// ID is the canonical user id (canon.UserID with users.default_domain).
	ID   string
	Name string
	// Mail is the primary address (canon.Email's form).
	Mail string
	// OU is the organisational unit; "" leaves an existing account's as it
	// is.
	OU string
	// Locked and Disabled are nil when the line doesn't say: an existing
	// account keeps its own, a new one is neither.
	Locked, Disabled *bool
	// Exactly one of PasswordHash (an argon2id PHC string, checked) and
	// InitialPassword (to be hashed, and changed at the next sign-in) is
	// set.
	PasswordHash    Secret
	InitialPassword Secret
}

func (a Account) key() (string, int) { return a.ID, a.Line }

// Registration is one valid line of a registrations file: the methods the
// organisation confirms for the person. At least one of Email and Phone is
// set.
type Registration struct {
	Line int
	ID   string
	// Email is the alternate address (canon.Email's form); "" leaves the
	// stored one as it is.
	Email string
	// Phone is the mobile number in E.164 form (canon.Mobile); "" leaves
	// the stored one as it is.
	Phone string
	// ConfirmedAt is when the organisation confirmed them, to the
	// microsecond; zero when the line doesn't say (see PlanRegistration).
	ConfirmedAt time.Time
}

func (r Registration) key() (string, int) { return r.ID, r.Line }

// item is what Run imports: an Account or a Registration.
type item interface {
	Account | Registration
	key() (id string, line int)
}

// Outcome is what importing a line did to what was stored.
type Outcome int

// The outcomes.
const (
	New       Outcome = iota + 1 // nothing was stored for the id
	Updated                      // something stored changed
	Unchanged                    // what is stored is what the line says
)

func (o Outcome) String() string {
	switch o {
	case New:
		return "new"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	}
	return "unknown"
}

// Result is what importing one line did.
type Result struct {
	Outcome Outcome
	// PasswordKept says the account's own password was kept instead of
	// the line's: the person has set one through the portal.
	PasswordKept bool
}

// Summary counts a run's lines.
type Summary struct {
	// Read is how many lines (records) were read, the header and blank
	// lines aside; every one is New, Updated, Unchanged or Rejected.
	Read, New, Updated, Unchanged, Rejected int
	// PasswordsKept is how many accounts kept the password their owner
	// set, instead of the line's (counted among Updated and Unchanged).
	PasswordsKept int
}

// count adds a line's result.
func (s *Summary) count(r Result) {
	switch r.Outcome {
	case New:
		s.New++
	case Updated:
		s.Updated++
	default:
		s.Unchanged++
	}
	if r.PasswordKept {
		s.PasswordsKept++
	}
}

// The audit events of a run (one per run, under no account; Detail has
// the counts): sspr's other bulk commands record theirs the same way.
const (
	EventAccountsImported      = "accounts_imported"
	EventRegistrationsImported = "registrations_imported"
)
