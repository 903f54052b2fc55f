// Package enrol is sign-in and registration: a user signs in with their
// password, registers or changes the verification methods a reset needs
// (alternate email, mobile, security questions), each confirmed before it
// counts, and may change their password while signed in. Like the flow
// engine it is pure logic over the domain's interfaces (package sspr), with
// the clock and randomness injected.
//
// A signed-in session is kept in the State backend under its own prefix
// and travels in its own cookie, so it is never valid for a reset flow and
// a flow is never valid here.
package enrol

import (
	"io"
	"log/slog"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

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

// Deps are what the engine works through: the domain's services (package
// sspr documents each one's contract and errors).
type Deps struct {
	Directory sspr.Directory
	Store     sspr.Store
	// Sender is expected to return at once and deliver off the request
	// path, as the flow engine's.
	Sender sspr.Sender
	// Hasher hashes the answers; it bounds the hashes computed at once.
	Hasher  sspr.Hasher
	Policy  sspr.PasswordPolicy
	Catalog sspr.Catalog
	State   sspr.State
	// Sessions indexes each account's live sessions and flows, so that a
	// password change ends them all (package revoke).
	Sessions *revoke.Index
	Now      func() time.Time
	Rand     io.Reader
	CodeKey  []byte
	Log      *slog.Logger
}
