package flow

import (
	"context"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/notify"
)

// Directory is where accounts live: the embedded SQLite directory, or LDAP.
type Directory interface {
	// Lookup returns the account with this canonical id, or nil and no
	// error when there is none. An unreachable directory is an *api.Error
	// with code directory_unavailable.
	Lookup(ctx context.Context, id string) (*account.Account, error)
	// SetPassword replaces the account's password. A refusal by the
	// directory's own policy (history, complexity) is an *api.Error with
	// code password_policy listing the rules broken.
	SetPassword(ctx context.Context, id, password string) error
	// Unlock clears the account's lockout. Unlocking an account that is
	// not locked is not an error.
	Unlock(ctx context.Context, id string) error
}

// Registrations tells what a user has registered for self-service.
type Registrations interface {
	// Registration returns the user's registration, or nil and no error
	// when the user has registered nothing.
	Registration(ctx context.Context, userID string) (*account.Registration, error)
	// Population counts the registrations of each shape, for decoys to
	// copy (decoy.go).
	Population(ctx context.Context) (account.Population, error)
}

// Auditor records audit events.
type Auditor interface {
	Record(ctx context.Context, e account.Event) error
}

// Sender delivers a message. The engine expects it to return at once and
// deliver off the request path (docs/SECURITY.md#same-answer: delivery time
// is no signal).
type Sender interface {
	Send(ctx context.Context, m notify.Message) error
}

// Hasher checks secrets against their argon2id hashes. Implementations bound
// the number of hashes computed at once so it can't exhaust the CPU.
type Hasher interface {
	Verify(ctx context.Context, encoded, plain string) (bool, error)
}

// PasswordPolicy checks a new password and returns the rules it breaks.
type PasswordPolicy interface {
	Check(password string, acct *account.Account) []api.Rule
}

// Catalog is the security-question catalogue.
type Catalog interface {
	// Text returns the question's text, and whether it exists.
	Text(id string) (string, bool)
	// IDs returns every question id, in a stable order.
	IDs() []string
}

// State keeps short-lived state with expiry: flows, code hashes, throttle
// counters. In memory by default, Redis when several servers share it.
// Every read-modify-write goes through Update, which is atomic per key.
type State interface {
	// Get returns the value, or nil when the key is missing or expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores a value that expires after ttl.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes a key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Update atomically replaces a key's value with what fn returns; fn
	// gets nil for a missing key. If fn returns a nil value the key is
	// deleted; if it returns an error nothing changes and Update returns
	// that error.
	Update(ctx context.Context, key string, fn func(cur []byte) (next []byte, ttl time.Duration, err error)) error
	// Incr adds one to a counter and returns the new count. A new counter
	// expires after window (a fixed window).
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
}
