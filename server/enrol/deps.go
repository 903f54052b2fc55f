// Package enrol is sign-in and registration: a user signs in with their
// password, registers or changes the verification methods a reset needs
// (alternate email, mobile, security questions), each confirmed before it
// counts, and may change their password while signed in. Like the flow
// engine it is pure logic over the interfaces below, with the clock and
// randomness injected.
//
// A signed-in session is kept in the State backend under its own prefix
// and travels in its own cookie, so it is never valid for a reset flow and
// a flow is never valid here.
package enrol

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Directory is where accounts and their passwords live.
type Directory interface {
	Lookup(ctx context.Context, id string) (*account.Account, error)
	// CheckPassword reports whether password is the account's; for an
	// unknown id it is false, after the same work.
	CheckPassword(ctx context.Context, id, password string) (bool, error)
	SetPassword(ctx context.Context, id, password string) error
}

// Store keeps registrations and audit events.
type Store interface {
	Registration(ctx context.Context, userID string) (*account.Registration, error)
	PutRegistration(ctx context.Context, r account.Registration) error
	Record(ctx context.Context, e account.Event) error
}

// Sender queues a message for delivery.
type Sender interface {
	Send(ctx context.Context, m notify.Message) error
}

// Hasher hashes security-question answers with argon2id.
type Hasher interface {
	Hash(ctx context.Context, plain string) (string, error)
}

// PasswordPolicy checks a new password.
type PasswordPolicy interface {
	Check(password string, acct *account.Account) []api.Rule
}

// Catalog is the security-question catalogue.
type Catalog interface {
	Text(id string) (string, bool)
	IDs() []string
}

// Limit is a count allowed in any window of that length (a sliding window).
type Limit = throttle.Limit

// Config is the configuration of sign-in and registration.
type Config struct {
	// IdleTimeout ends a session nobody used for this long, and MaxLife
	// one this long after its sign-in, however busy.
	IdleTimeout time.Duration
	MaxLife     time.Duration
	// ReauthAfter is how long after the password was last typed a method
	// may be added, changed or removed without typing it again.
	ReauthAfter time.Duration
	Methods     []api.Kind
	Required    int
	// QuestionsCount is how many questions a user answers when registering.
	QuestionsCount int
	ReconfirmAfter time.Duration
	DefaultDomain  string
	PhoneRegion    string
	// PhoneCountries are the regions whose numbers may be registered;
	// empty means PhoneRegion alone.
	PhoneCountries []string
	// SMSPerCountry caps the texts to each country's numbers in an hour.
	SMSPerCountry int

	CodeDigits      int
	CodeLifetime    time.Duration
	CodeMaxTries    int
	EmailCooldown   time.Duration
	SMSCooldown     time.Duration
	MaxSendsPerHour int

	// SignInFailures per account block sign-in for AccountBlock.
	SignInFailures  Limit
	AccountBlock    time.Duration
	AddressFailures Limit
	// CodeFailures per account (wrong confirmation codes) also block.
	CodeFailures Limit
	// ConsecutiveFailures, however slowly they come, close self-service
	// for the account until the service desk opens it again.
	ConsecutiveFailures int

	Org notify.Org
}

// Deps are what the engine works through.
type Deps struct {
	Directory Directory
	Store     Store
	Sender    Sender
	Hasher    Hasher
	Policy    PasswordPolicy
	Catalog   Catalog
	State     throttle.State
	// Sessions indexes each account's live sessions and flows, so that a
	// password change ends them all (package revoke).
	Sessions *revoke.Index
	Now      func() time.Time
	Rand     io.Reader
	CodeKey  []byte
	Log      *slog.Logger
}

// Client is who is calling.
type Client = account.Client
