// Package selfservice is the portal's self-service engine: the reset and
// unlock flow, signing in, and the registration of the verification
// methods those need. It is pure logic: it does no I/O of its own, takes
// its clock and its randomness from the caller, and reaches the directory,
// the store, the short-lived state and the senders only through the
// domain's interfaces (package sspr), so tests drive it without a network.
//
// Each verification method is a strategy of its own (method.go: email.go,
// sms.go, questions.go), which both the reset flow and registration ask
// instead of switching on its kind; one-time codes are one piece
// (codes.go), and every key the engine keeps in the State backend is named
// in one place (keys.go).
//
// A reset or unlock:
//
//	start ──(user id + captcha)──▶ choose_intent ──(reset|unlock)──▶ verify
//	verify ──(required methods passed)──▶ new_password (reset)
//	                                 └──▶ done (unlock: unlocked at once)
//	new_password ──(policy ok, directory accepts)──▶ done
//	any state ──(expiry, cancel)──▶ gone (flow_missing)
//
// A signed-in session is kept under its own prefix and travels in its own
// cookie, so it is never valid for a flow, and a flow never for it.
package selfservice

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Limit is a count allowed in any window of that length (a sliding window).
type Limit = throttle.Limit

// Config is the engine's configuration; see sspr.example.toml for the
// meaning of each value and why its default was chosen.
type Config struct {
	// Lifetime is a flow's, from its start or from the last "Continue"
	// (Extend); MaxLifetime the most it may have from its start, however
	// often it is extended.
	Lifetime, MaxLifetime time.Duration
	// SessionIdle ends a signed-in session nobody used for this long, and
	// SessionMax one this long after its sign-in, however busy.
	SessionIdle, SessionMax time.Duration
	// ReauthAfter is how long after the password was last typed a method
	// may be added, changed or removed without typing it again.
	ReauthAfter time.Duration

	Methods  []api.Kind // enabled, in the order offered
	Required int
	// WebAuthn is the relying party of passkeys (passkey.go).
	WebAuthn WebAuthn
	// Policies are the groups with a policy of their own (policy.go),
	// the first that applies winning; everyone else needs Required of
	// Methods, none of them necessarily strong.
	Policies []Policy
	// QuestionsAsked are asked in a flow, of the QuestionsCount a user
	// answers when registering.
	QuestionsAsked, QuestionsCount int
	// QuestionsRedraw is how long the questions drawn for an account stay
	// the same while nobody answers them (no question shopping).
	QuestionsRedraw time.Duration
	// ReconfirmAfter shows a method as due for confirmation again.
	ReconfirmAfter     time.Duration
	RevealUnregistered bool
	DefaultDomain      string
	PhoneRegion        string
	// PhoneCountries are the regions whose numbers may be registered and
	// texted; empty means PhoneRegion alone.
	PhoneCountries []string
	// SMSPerCountry caps the texts to each country's numbers in an hour.
	SMSPerCountry int

	CodeDigits      int
	CodeLifetime    time.Duration
	CodeMaxTries    int
	EmailCooldown   time.Duration
	SMSCooldown     time.Duration
	MaxSendsPerHour int

	AccountFailures         Limit // failed codes or answers
	AccountIdentityFailures Limit // typed phone numbers that don't match
	SignInFailures          Limit // wrong passwords
	AccountBlock            time.Duration
	// ConsecutiveFailures, however slowly they come, close self-service
	// for the account until the service desk opens it again.
	ConsecutiveFailures int
	AccountStarts       Limit
	AddressStarts       Limit
	AddressFailures     Limit

	// ProbeAccount is the canary account `sspr probe` resets, canonical;
	// ProbeTokenHash the SHA-256 of its token (nil: no probe accepted).
	// ProbeRefusals pauses an address after this many refused probes.
	ProbeAccount   string
	ProbeTokenHash []byte
	ProbeRefusals  Limit

	Org notify.Org

	// StaffServiceDeskGroup and StaffAuditorGroup are the directory groups
	// of the staff's two roles ("" for none: nobody has it); StaffIdle and
	// StaffMax end a staff session (staff.go).
	StaffServiceDeskGroup, StaffAuditorGroup string
	StaffIdle, StaffMax                      time.Duration
	// PassLifetime is how long a recovery pass from the service desk
	// lasts (pass.go).
	PassLifetime time.Duration
}

// DefaultConfig is the configuration with docs/SECURITY.md's defaults.
func DefaultConfig() Config {
	return Config{
		Lifetime: 15 * time.Minute, MaxLifetime: time.Hour, SessionIdle: 15 * time.Minute, SessionMax: time.Hour, ReauthAfter: 5 * time.Minute,
		Methods:  []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions},
		Required: 2, QuestionsAsked: 3, QuestionsCount: 5, QuestionsRedraw: 30 * 24 * time.Hour,
		ReconfirmAfter: 180 * 24 * time.Hour, DefaultDomain: "example.edu", PhoneRegion: "GB", SMSPerCountry: 500,
		CodeDigits: 8, CodeLifetime: 10 * time.Minute, CodeMaxTries: 5,
		EmailCooldown: time.Minute, SMSCooldown: 2 * time.Minute, MaxSendsPerHour: 5,
		AccountFailures:         Limit{Max: 5, Window: time.Hour},
		AccountIdentityFailures: Limit{Max: 5, Window: 24 * time.Hour},
		SignInFailures:          Limit{Max: 5, Window: 24 * time.Hour},
		AccountBlock:            24 * time.Hour,
		StaffIdle:               10 * time.Minute, StaffMax: 8 * time.Hour, PassLifetime: time.Hour,
		ConsecutiveFailures: 100,
		AccountStarts:       Limit{Max: 20, Window: time.Hour},
		AddressStarts:       Limit{Max: 300, Window: 10 * time.Minute},
		ProbeRefusals:       Limit{Max: 10, Window: time.Hour},
		AddressFailures:     Limit{Max: 1000, Window: time.Hour},
		Org:                 notify.Org{Name: "Example University"},
	}
}

// Deps are what the engine works through: the domain's services (package
// sspr documents each one's contract and errors).
type Deps struct {
	Directory sspr.Directory
	// Registrations are what a flow reads: the store's, merged with what
	// the directory holds when it holds methods (server/ldapdir). Store
	// is the store itself: what users registered here (the registration
	// pages show only that), and the audit.
	Registrations sspr.Registrations
	Store         sspr.Store
	// Sender is expected to return at once and deliver off the request
	// path (docs/SECURITY.md#same-answer: delivery time is no signal).
	Sender sspr.Sender
	// Hasher hashes and checks answers; it bounds the hashes at once.
	Hasher  sspr.Hasher
	Policy  sspr.PasswordPolicy
	Catalog sspr.Catalog
	State   sspr.State
	// Sessions indexes each account's live sessions and flows, so that a
	// reset, an unlock or a password change ends every other one.
	Sessions *revoke.Index
	// Now is the clock; Rand the source of every random choice and code.
	Now  func() time.Time
	Rand io.Reader
	// CodeKey keys the hash of one-time codes and the decoys' draws.
	CodeKey []byte
	// AcceptedCodeKeys are keys a code or recovery pass may have been
	// hashed under by another server during a key rotation: accepted
	// when checking, never used to hash (server/keys: rotate.go).
	AcceptedCodeKeys [][]byte
	// DummyHash is an argon2id hash made with the live parameters: decoy
	// answers are checked against it so a decoy costs the same time.
	DummyHash string
	Log       *slog.Logger
	// Events is told of each audit event where it is noted (after its
	// log line, whether or not the store took it), for the metrics
	// (server/metrics): one hook, so that the counters and the audit
	// can't disagree. It must be quick, and read no user, flow, request
	// or address into a label. nil: nobody.
	Events func(sspr.Event)
}

// Engine runs flows, sessions and registrations.
type Engine struct {
	cfg Config
	d   Deps
	th  *throttle.Throttle
	// methods are the enabled methods' strategies, in cfg.Methods' order.
	methods []Method
	// totp seals the authenticator apps' keys (totp.go).
	totp totpSeals
	// webauthn is the passkeys' relying party; nil when not offered.
	webauthn *webauthn.WebAuthn
	// defaultPolicy is everyone's but the groups' of policies (policy.go).
	defaultPolicy policy
	policies      []policy
	// decoys is what unknown user ids are shown: RefreshDecoys reads it
	// from the registrations.
	decoys atomic.Pointer[decoys]
}

// New returns an engine.
func New(cfg Config, d Deps) (*Engine, error) {
	switch {
	case cfg.Required < 1 || cfg.Required > len(cfg.Methods):
		return nil, fmt.Errorf("selfservice: required methods %d with %d enabled", cfg.Required, len(cfg.Methods))
	case len(d.CodeKey) < 32:
		return nil, errors.New("selfservice: code key shorter than 32 bytes")
	case cfg.CodeDigits < 6 || cfg.CodeDigits > 10:
		return nil, errors.New("selfservice: code digits must be 6 to 10")
	case d.Sessions == nil:
		return nil, errors.New("selfservice: no session index")
	case cfg.QuestionsRedraw <= 0:
		return nil, errors.New("selfservice: questions_redraw must be positive")
	case cfg.QuestionsCount < cfg.QuestionsAsked || cfg.QuestionsAsked < 1:
		return nil, errors.New("selfservice: questions asked must be 1 to the questions registered")
	case cfg.Lifetime <= 0 || cfg.MaxLifetime < cfg.Lifetime:
		return nil, errors.New("selfservice: a flow's lifetime must be positive, and its max_lifetime at least that")
	case cfg.SessionIdle <= 0 || cfg.SessionMax < cfg.SessionIdle:
		return nil, errors.New("selfservice: a session's idle timeout must be positive, and its life at least that")
	case cfg.PassLifetime <= 0:
		return nil, errors.New("selfservice: a recovery pass's lifetime must be positive")
	case cfg.StaffIdle <= 0 || cfg.StaffMax < cfg.StaffIdle:
		return nil, errors.New("selfservice: a staff session's idle timeout must be positive, and its life at least that")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ProbeRefusals == (Limit{}) {
		// No setting of its own: the configuration has none to give.
		cfg.ProbeRefusals = DefaultConfig().ProbeRefusals
	}
	e := &Engine{cfg: cfg, d: d, th: throttle.New(d.State, d.Now)}
	var err error
	if e.totp, err = newTOTPSeals(d.CodeKey, d.AcceptedCodeKeys); err != nil {
		return nil, fmt.Errorf("selfservice: %w", err)
	}
	if e.webauthn, err = newWebAuthn(cfg); err != nil {
		return nil, fmt.Errorf("selfservice: %w", err)
	}
	for _, k := range cfg.Methods {
		i := slices.IndexFunc(allMethods, func(m Method) bool { return m.Kind() == k })
		if i < 0 {
			return nil, fmt.Errorf("selfservice: no method %q", k)
		}
		e.methods = append(e.methods, allMethods[i])
	}
	if e.defaultPolicy, err = e.newPolicy(Policy{Name: "default", Methods: cfg.Methods, Required: cfg.Required,
		StrongMethods: DefaultStrong}); err != nil {
		return nil, fmt.Errorf("selfservice: %w", err)
	}
	for _, p := range cfg.Policies {
		pol, err := e.newPolicy(p)
		if err != nil {
			return nil, fmt.Errorf("selfservice: %w", err)
		}
		e.policies = append(e.policies, pol)
	}
	e.decoys.Store(e.newDecoys(nil))
	return e, nil
}

// method returns the enabled method of kind k.
func (e *Engine) method(k api.Kind) (Method, bool) {
	i := slices.IndexFunc(e.methods, func(m Method) bool { return m.Kind() == k })
	if i < 0 {
		return nil, false
	}
	return e.methods[i], true
}

// Errors the engine returns. Each is an *sspr.Error so the HTTP layer maps
// it by its code alone.
var (
	errFlowMissing = &sspr.Error{Code: sspr.CodeFlowMissing, Message: "Your session has ended or expired. Start again."}
	errAlreadyDone = &sspr.Error{Code: sspr.CodeWrongState, Message: "This has already been done. Start again if you need to."}
)

func wrongState(msg string) *sspr.Error { return &sspr.Error{Code: sspr.CodeWrongState, Message: msg} }

func (e *Engine) now() time.Time { return e.d.Now().UTC() }

func (e *Engine) randomID() (string, error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(e.d.Rand, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
