// Package flow is the flow engine: the state machine of a reset or unlock,
// the rules of each verification method, one-time codes and the throttles.
// It is pure logic: it does no I/O of its own, takes its clock and its
// randomness from the caller, and reaches the directory, the store, the
// short-lived state and the senders only through the domain's interfaces
// (package sspr), so tests drive it without a network.
//
//	start ──(user id + captcha)──▶ choose_intent ──(reset|unlock)──▶ verify
//	verify ──(required methods passed)──▶ new_password (reset)
//	                                 └──▶ done (unlock: unlocked at once)
//	new_password ──(policy ok, directory accepts)──▶ done
//	any state ──(expiry, cancel)──▶ gone (flow_missing)
package flow

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Config is the engine's configuration; see sspr.example.toml for the
// meaning of each value and why its default was chosen.
type Config struct {
	Lifetime       time.Duration
	Methods        []api.Kind // enabled, in the order offered
	Required       int
	QuestionsAsked int
	// QuestionsRedraw is how long the questions drawn for an account stay
	// the same while nobody answers them (no question shopping).
	QuestionsRedraw    time.Duration
	RevealUnregistered bool
	DefaultDomain      string
	PhoneRegion        string
	// PhoneCountries are the regions whose numbers may be texted; empty
	// means PhoneRegion alone.
	PhoneCountries []string

	CodeDigits      int
	CodeLifetime    time.Duration
	CodeMaxTries    int
	EmailCooldown   time.Duration
	SMSCooldown     time.Duration
	MaxSendsPerHour int

	AccountFailures         Limit // failed codes or answers
	AccountIdentityFailures Limit // typed phone numbers that don't match
	AccountBlock            time.Duration
	// ConsecutiveFailures, however slowly they come, close self-service
	// for the account until the service desk opens it again.
	ConsecutiveFailures int
	// SMSPerCountry caps the texts to each country's numbers in an hour.
	SMSPerCountry   int
	AccountStarts   Limit
	AddressStarts   Limit
	AddressFailures Limit

	Org notify.Org
}

// DefaultConfig is the configuration with docs/SECURITY.md's defaults.
func DefaultConfig() Config {
	return Config{
		Lifetime: 15 * time.Minute, Methods: []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions},
		Required: 2, QuestionsAsked: 3, QuestionsRedraw: 30 * 24 * time.Hour, DefaultDomain: "example.edu", PhoneRegion: "GB",
		CodeDigits: 8, CodeLifetime: 10 * time.Minute, CodeMaxTries: 5,
		EmailCooldown: time.Minute, SMSCooldown: 2 * time.Minute, MaxSendsPerHour: 5,
		AccountFailures:         Limit{Max: 5, Window: time.Hour},
		AccountIdentityFailures: Limit{Max: 5, Window: 24 * time.Hour},
		AccountBlock:            24 * time.Hour,
		ConsecutiveFailures:     100,
		SMSPerCountry:           500,
		AccountStarts:           Limit{Max: 20, Window: time.Hour},
		AddressStarts:           Limit{Max: 300, Window: 10 * time.Minute},
		AddressFailures:         Limit{Max: 1000, Window: time.Hour},
		Org:                     notify.Org{Name: "Example University"},
	}
}

// Deps are what the engine works through: the domain's services (package
// sspr documents each one's contract and errors).
type Deps struct {
	Directory sspr.Directory
	// Registrations are read from the store, merged with what the
	// directory holds when it holds methods (server/ldapdir); the audit
	// goes to the store itself.
	Registrations sspr.Registrations
	Auditor       sspr.Auditor
	// Sender is expected to return at once and deliver off the request
	// path (docs/SECURITY.md#same-answer: delivery time is no signal).
	Sender sspr.Sender
	// Hasher checks answers; it bounds the hashes computed at once.
	Hasher  sspr.Hasher
	Policy  sspr.PasswordPolicy
	Catalog sspr.Catalog
	State   sspr.State
	// Sessions indexes each account's live sessions and flows, so a reset
	// or an unlock ends every other one (package revoke).
	Sessions *revoke.Index
	// Now is the clock; Rand the source of every random choice and code.
	Now  func() time.Time
	Rand io.Reader
	// CodeKey keys the hash of one-time codes and the decoys' fake hints.
	CodeKey []byte
	// DummyHash is an argon2id hash made with the live parameters: decoy
	// answers are checked against it so a decoy costs the same time.
	DummyHash string
	Log       *slog.Logger
}

// Engine runs flows.
type Engine struct {
	cfg Config
	d   Deps
	th  *throttle.Throttle
	// decoys is what unknown user ids are shown: RefreshDecoys reads it
	// from the registrations.
	decoys atomic.Pointer[decoys]
}

// New returns an engine.
func New(cfg Config, d Deps) (*Engine, error) {
	switch {
	case cfg.Required < 1 || cfg.Required > len(cfg.Methods):
		return nil, fmt.Errorf("flow: required methods %d with %d enabled", cfg.Required, len(cfg.Methods))
	case len(d.CodeKey) < 32:
		return nil, errors.New("flow: code key shorter than 32 bytes")
	case cfg.CodeDigits < 6 || cfg.CodeDigits > 10:
		return nil, errors.New("flow: code digits must be 6 to 10")
	case d.Sessions == nil:
		return nil, errors.New("flow: no session index")
	case cfg.QuestionsRedraw <= 0:
		return nil, errors.New("flow: questions_redraw must be positive")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, d: d, th: throttle.New(d.State, d.Now)}
	e.decoys.Store(e.newDecoys(nil))
	return e, nil
}

// Errors the engine returns. Each is an *sspr.Error so the HTTP layer maps
// it by its code alone.
var (
	errFlowMissing = &sspr.Error{Code: sspr.CodeFlowMissing, Message: "Your session has ended or expired. Start again."}
	errAlreadyDone = &sspr.Error{Code: sspr.CodeWrongState, Message: "This has already been done. Start again if you need to."}
)

func wrongState(msg string) *sspr.Error { return &sspr.Error{Code: sspr.CodeWrongState, Message: msg} }

func flowKey(id string) string { return "flow:" + id }

func (e *Engine) now() time.Time { return e.d.Now().UTC() }

func (e *Engine) randomID() (string, error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(e.d.Rand, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (e *Engine) cooldown(k api.Kind) time.Duration {
	if k == api.KindSMS {
		return e.cfg.SMSCooldown
	}
	return e.cfg.EmailCooldown
}

// Start begins a flow for the user id as typed. The CAPTCHA is checked by
// the caller first. Unknown and unregistered users get a decoy flow that
// looks the same (docs/SECURITY.md#same-answer), unless RevealUnregistered
// is set.
func (e *Engine) Start(ctx context.Context, rawUser string, c sspr.Client) (api.Flow, error) {
	user, err := canon.UserID(rawUser, e.cfg.DefaultDomain)
	if err != nil {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	if err := e.checkBlocks(ctx, user, c); err != nil {
		return api.Flow{}, err
	}
	if err := e.th.Count(ctx, "starts:addr:"+c.Key(), e.cfg.AddressStarts); err != nil {
		return api.Flow{}, err
	}
	if err := e.th.Count(ctx, "starts:user:"+user, e.cfg.AccountStarts); err != nil {
		return api.Flow{}, err
	}
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	// Every user, known or not, costs the same reads and the same work, and
	// what isn't needed is thrown away: otherwise a backend that is down
	// would answer 503 for real accounts only, and the time taken would
	// tell them apart too (docs/SECURITY.md#same-answer). So the
	// registration is read, the question draw's count is read and a decoy
	// is drawn for everyone.
	regID := user
	if acct != nil {
		regID = acct.ID
	}
	reg, err := e.d.Registrations.Registration(ctx, regID)
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if acct == nil || acct.Disabled {
		reg = nil
	}
	gen, err := e.drawGeneration(ctx, user)
	if err != nil {
		return api.Flow{}, err
	}
	decoy := e.decoyProfile(user)
	id, err := e.randomID()
	if err != nil {
		return api.Flow{}, err
	}
	now := e.now()
	r := &record{ID: id, User: user, State: api.StateChooseIntent, Required: e.cfg.Required,
		Created: now, Expires: now.Add(e.cfg.Lifetime)}
	if reg != nil {
		e.fillMethods(r, reg, gen)
	}
	if len(r.Methods) == 0 {
		if e.cfg.RevealUnregistered {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeNotRegistered,
				Message: "You haven't registered for self-service password reset, so you can't reset or unlock your password here. Contact the service desk."}
		}
		e.fillDecoy(r, decoy, gen)
	}
	if err := e.save(ctx, r); err != nil {
		return api.Flow{}, err
	}
	if err := e.index(ctx, r); err != nil {
		return api.Flow{}, err
	}
	return r.view(e.cooldown), nil
}

// index records the flow among its account's sessions and flows, so that
// a reset or an unlock elsewhere ends it. Decoys are indexed too, under the
// id as typed: the same work for every user.
func (e *Engine) index(ctx context.Context, r *record, replaces ...string) error {
	err := e.d.Sessions.Add(ctx, r.User, flowKey(r.ID), r.Created, r.Expires, replaces...)
	if errors.Is(err, revoke.ErrEnded) {
		_ = e.d.State.Delete(ctx, flowKey(r.ID))
		return errFlowMissing
	}
	return err
}

// fillMethods offers the methods reg has registered and the portal offers.
func (e *Engine) fillMethods(r *record, reg *sspr.Registration, gen string) {
	for _, k := range e.cfg.Methods {
		switch {
		case k == api.KindEmail && reg.HasEmail():
			r.Email = reg.Email
			r.Methods = append(r.Methods, method{Kind: k, Hint: e.maskEmail(reg.Email)})
		case k == api.KindSMS && reg.HasPhone():
			r.Phone = reg.Phone
			r.Methods = append(r.Methods, method{Kind: k, Hint: canon.MaskPhone(reg.Phone)})
		case k == api.KindQuestions && reg.HasQuestions(e.cfg.QuestionsAsked):
			ids := make([]string, 0, len(reg.Answers))
			for _, a := range reg.Answers {
				if _, ok := e.d.Catalog.Text(a.QuestionID); ok {
					ids = append(ids, a.QuestionID)
				}
			}
			if len(ids) < e.cfg.QuestionsAsked {
				continue
			}
			r.Questions = e.drawQuestions(r.User, gen, ids)
			r.Methods = append(r.Methods, method{Kind: k, Count: len(r.Questions)})
		}
	}
}

// fillDecoy makes r a decoy flow: nothing is ever sent and no method can
// pass, but it shows what a real account shows (decoy.go).
func (e *Engine) fillDecoy(r *record, p profile, gen string) {
	r.Decoy = true
	for _, k := range p.methods {
		m := method{Kind: k}
		switch k {
		case api.KindEmail:
			m.Hint = p.emailHint
		case api.KindSMS:
			m.Hint = p.phoneHint
		case api.KindQuestions:
			r.Questions = e.drawQuestions(r.User, gen, p.questions)
			m.Count = len(r.Questions)
		}
		r.Methods = append(r.Methods, m)
	}
}
