package selfservice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// passkeyMethod is "Use a passkey": a WebAuthn credential on the person's
// phone, computer or security key, unlocked with their fingerprint, face
// or PIN (user verification is required), with the relying party id of
// the portal's public address, so a phishing site can't ask for it. The
// portal keeps only public keys (github.com/go-webauthn/webauthn checks
// every signature, the sign counter and the backup flags), several per
// person, each named (docs/SECURITY.md#passkeys).
type passkeyMethod struct{}

// WebAuthn is the relying party: its id (the host of the public address)
// and the origins pages may run at.
type WebAuthn struct {
	RPID    string
	Origins []string
}

// The passkeys' limits.
const (
	// maxPasskeys is how many one person may register.
	maxPasskeys = 10
	// maxPasskeyName is a name's length in characters.
	maxPasskeyName = 64
	// maxCredentialJSON bounds what a browser answers (a few KB at most).
	maxCredentialJSON = 64 << 10
)

func (passkeyMethod) Kind() api.Kind { return api.KindPasskey }

func (passkeyMethod) Registered(_ *Engine, r *sspr.Registration) bool { return r.HasPasskey() }

func (passkeyMethod) InShape(_ *Engine, s sspr.Shape) bool { return s.Passkey }

func (m passkeyMethod) Offer(_ *Engine, r *record, reg *sspr.Registration, _ string) {
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Count: len(reg.Passkeys)})
}

func (m passkeyMethod) Decoy(_ *Engine, r *record, _ profile, _ string) {
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Count: 1})
}

func (passkeyMethod) Describe(e *Engine, reg *sspr.Registration) api.RegisteredMethod {
	if len(reg.Passkeys) == 0 {
		return e.described(false, "", 0, time.Time{})
	}
	// Never due for confirmation again, as an authenticator app isn't
	// (totp.go): each use proves it still works.
	d := e.described(true, "", len(reg.Passkeys), reg.Passkeys[0].Created)
	d.Due = false
	return d
}

func (passkeyMethod) Remove(reg *sspr.Registration) { reg.Passkeys = nil }

// webUser is an account as the WebAuthn library sees it.
type webUser struct {
	id, display string
	creds       []webauthn.Credential
}

// passkeyUser is user with their registered passkeys. A stored credential
// that doesn't decode is left out (and logged): it can't pass.
func (e *Engine) passkeyUser(ctx context.Context, user, display string, reg *sspr.Registration) *webUser {
	u := &webUser{id: user, display: display}
	if reg == nil {
		return u
	}
	for _, p := range reg.Passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			e.d.Log.ErrorContext(ctx, "a stored passkey doesn't decode", "user", user, "err", err)
			continue
		}
		u.creds = append(u.creds, c)
	}
	return u
}

// WebAuthnID is the user handle: a hash of the user id, the same on every
// server and under every key, and not the id itself, which the
// authenticator would show and keep.
func (u *webUser) WebAuthnID() []byte {
	h := sha256.Sum256([]byte("sspr passkey user handle\x00" + u.id))
	return h[:]
}

func (u *webUser) WebAuthnName() string { return u.id }

func (u *webUser) WebAuthnDisplayName() string {
	if u.display != "" {
		return u.display
	}
	return u.id
}

func (u *webUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// newWebAuthn makes the relying party, or nil when passkeys aren't offered.
func newWebAuthn(cfg Config) (*webauthn.WebAuthn, error) {
	if !slices.Contains(cfg.Methods, api.KindPasskey) {
		return nil, nil
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID: cfg.WebAuthn.RPID, RPDisplayName: cfg.Org.Name, RPOrigins: cfg.WebAuthn.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationRequired,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return w, nil
}

var errNoPasskeys = &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "Passkeys aren't offered here."}

// errPasskeyFailed is what a passkey that didn't pass gets, whatever the
// reason (the details go to the log): another account's, a wrong
// signature, an old challenge, a cloned authenticator.
var errPasskeyFailed = &sspr.Error{Code: sspr.CodeCodeInvalid,
	Message: "That passkey didn't work. Try again, or choose another method."}

// errPasskeyBad: the browser's answer doesn't parse, as when the
// person cancelled or the page sent nothing.
var errPasskeyBad = &sspr.Error{Code: sspr.CodeBadRequest, Message: "The passkey's answer couldn't be read. Try again."}

// PasskeyOptions begins a flow's passkey check: the options for
// navigator.credentials.get, with the account's passkeys allowed and user
// verification required. The challenge is kept in the flow, for one
// answer. A decoy is given options of the same shape, for passkeys nobody
// has.
func (e *Engine) PasskeyOptions(ctx context.Context, id string, c sspr.Client) (api.PasskeyOptions, error) {
	if e.webauthn == nil {
		return api.PasskeyOptions{}, errNoPasskeys
	}
	r, err := e.load(ctx, id)
	if err != nil {
		return api.PasskeyOptions{}, err
	}
	if _, err := usable(r, api.KindPasskey); err != nil {
		return api.PasskeyOptions{}, err
	}
	u := &webUser{id: r.User}
	if r.Decoy {
		fake := make([]byte, 32)
		if _, err := io.ReadFull(e.d.Rand, fake); err != nil {
			return api.PasskeyOptions{}, err
		}
		u.creds = []webauthn.Credential{{ID: fake, Transport: []protocol.AuthenticatorTransport{protocol.Internal, protocol.Hybrid}}}
	} else {
		reg, err := e.d.Registrations.Registration(ctx, r.User)
		if err != nil {
			return api.PasskeyOptions{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
		}
		u = e.passkeyUser(ctx, r.User, "", reg)
		if len(u.creds) == 0 {
			return api.PasskeyOptions{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method isn't available for this account."}
		}
	}
	assertion, sd, err := e.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return api.PasskeyOptions{}, fmt.Errorf("passkey options: %w", err)
	}
	if _, err := e.update(ctx, id, func(r *record) error {
		if _, err := usable(r, api.KindPasskey); err != nil {
			return err
		}
		r.Passkey = sd
		return nil
	}); err != nil {
		return api.PasskeyOptions{}, err
	}
	return passkeyOptions(assertion.Response)
}

// passkeyOptions is the options' JSON under "publicKey".
func passkeyOptions(v any) (api.PasskeyOptions, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return api.PasskeyOptions{}, fmt.Errorf("passkey options: %w", err)
	}
	return api.PasskeyOptions{Options: b}, nil
}

// VerifyPasskey checks the browser's answer to PasskeyOptions. The
// challenge is spent whatever the outcome; a passkey that isn't the
// account's, a bad signature, or a sign counter gone backwards (a cloned
// authenticator) is a failure of the flow, counted as a wrong code is.
func (e *Engine) VerifyPasskey(ctx context.Context, id string, raw json.RawMessage, c sspr.Client) (api.Flow, error) {
	if e.webauthn == nil {
		return api.Flow{}, errNoPasskeys
	}
	if len(raw) == 0 || len(raw) > maxCredentialJSON {
		return api.Flow{}, errPasskeyBad
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return api.Flow{}, errPasskeyBad
	}
	_, release, err := e.attempt(ctx, id, api.KindPasskey, c)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	var sd *webauthn.SessionData
	r, err := e.update(ctx, id, func(r *record) error {
		sd, r.Passkey = r.Passkey, nil // one answer per challenge
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	if sd == nil {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeWrongState, Message: "Select Use a passkey again."}
	}
	var cred *webauthn.Credential
	var reg *sspr.Registration
	if !r.Decoy {
		if reg, err = e.d.Registrations.Registration(ctx, r.User); err != nil {
			return api.Flow{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
		}
		cred, err = e.webauthn.ValidateLogin(e.passkeyUser(ctx, r.User, "", reg), *sd, parsed)
		if err == nil && cred.Authenticator.CloneWarning {
			err = errors.New("the sign counter went backwards: a cloned authenticator")
		}
	}
	if r.Decoy || err != nil {
		if err != nil {
			e.d.Log.InfoContext(ctx, "passkey refused", "user", r.User, "flow", r.Ref, "err", passkeyErr(err))
		}
		e.note(ctx, sspr.Event{Kind: sspr.EventCodeWrong, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused,
			Detail: "method=passkey"}, c)
		if err := e.fail(ctx, failVerify, r.User, r.addr(api.KindEmail), c); err != nil {
			return api.Flow{}, err
		}
		return api.Flow{}, errPasskeyFailed
	}
	e.usedPasskey(ctx, r.User, cred)
	if r, err = e.passed(ctx, id, api.KindPasskey, c); err != nil {
		return api.Flow{}, err
	}
	return e.advance(ctx, r, c)
}

// passkeyErr is the library's error with its details, for the log.
func passkeyErr(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Details + " " + pe.DevInfo)
	}
	return err.Error()
}

// usedPasskey stores what a passed check changed of cred (its sign
// counter, its backup state) and when it was last used: maintenance of
// the same passkey, so neither audited as a change nor told. A failure
// is logged; the counter then lags, which the next check tolerates.
func (e *Engine) usedPasskey(ctx context.Context, user string, cred *webauthn.Credential) {
	reg, err := e.d.Store.Registration(ctx, user)
	if err != nil || reg == nil {
		return
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return
	}
	for i := range reg.Passkeys {
		if bytes.Equal(reg.Passkeys[i].ID, cred.ID) {
			reg.Passkeys[i].Credential, reg.Passkeys[i].LastUsed = b, e.now()
		}
	}
	if err := e.d.Store.PutRegistration(ctx, *reg); err != nil {
		e.d.Log.WarnContext(ctx, "store a passkey's use", "user", user, "err", err)
	}
}

// PasskeyCreation begins registering a passkey for the signed-in user:
// the options for navigator.credentials.create, with their passkeys
// excluded (an authenticator registers once), user verification required
// and no attestation asked for. The challenge is kept in the session.
func (e *Engine) PasskeyCreation(ctx context.Context, id string, c sspr.Client) (api.PasskeyOptions, error) {
	if e.webauthn == nil {
		return api.PasskeyOptions{}, errNoPasskeys
	}
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return api.PasskeyOptions{}, err
	}
	if err := e.recent(s); err != nil {
		return api.PasskeyOptions{}, err
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.PasskeyOptions{}, err
	}
	if len(reg.Passkeys) >= maxPasskeys {
		return api.PasskeyOptions{}, sspr.Errorf(sspr.CodeWrongState, "You have %d passkeys, the most you can register. Remove one first.", maxPasskeys)
	}
	u := e.passkeyUser(ctx, s.User, acct.DisplayName, reg)
	creation, sd, err := e.webauthn.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	if err != nil {
		return api.PasskeyOptions{}, fmt.Errorf("passkey options: %w", err)
	}
	if _, err := e.updateSession(ctx, id, func(s *session) error {
		s.Passkey = sd
		return nil
	}); err != nil {
		return api.PasskeyOptions{}, err
	}
	return passkeyOptions(creation.Response)
}

// AddPasskey checks the browser's answer to PasskeyCreation and registers
// the passkey under name.
func (e *Engine) AddPasskey(ctx context.Context, id, name string, raw json.RawMessage, c sspr.Client) (api.Registration, error) {
	m, ok := e.method(api.KindPasskey)
	if !ok || e.webauthn == nil {
		return api.Registration{}, errNoPasskeys
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxPasskeyName || strings.ContainsFunc(name, isControl) {
		return api.Registration{}, sspr.Errorf(sspr.CodeBadRequest, "Give the passkey a name of 1 to %d characters, such as My phone.", maxPasskeyName)
	}
	if len(raw) == 0 || len(raw) > maxCredentialJSON {
		return api.Registration{}, errPasskeyBad
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return api.Registration{}, errPasskeyBad
	}
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	var sd *webauthn.SessionData
	if _, err = e.updateSession(ctx, id, func(s *session) error {
		sd, s.Passkey = s.Passkey, nil // one answer per challenge
		return nil
	}); err != nil {
		return api.Registration{}, err
	}
	if sd == nil {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeWrongState, Message: "Select Add a passkey again."}
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	cred, err := e.webauthn.CreateCredential(e.passkeyUser(ctx, s.User, acct.DisplayName, reg), *sd, parsed)
	if err != nil {
		e.d.Log.InfoContext(ctx, "passkey not registered", "user", s.User, "session", s.Ref, "err", passkeyErr(err))
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "That passkey couldn't be registered. Try again."}
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return api.Registration{}, fmt.Errorf("encode passkey: %w", err)
	}
	err = e.changeRegistration(ctx, s.User, s.Ref, c, passkeyAddedMsg, string(m.Kind()), func(reg *sspr.Registration) error {
		for _, p := range reg.Passkeys {
			if bytes.Equal(p.ID, cred.ID) {
				return &sspr.Error{Code: sspr.CodeWrongState, Message: "That passkey is registered already."}
			}
		}
		if len(reg.Passkeys) >= maxPasskeys {
			return sspr.Errorf(sspr.CodeWrongState, "You have %d passkeys, the most you can register. Remove one first.", maxPasskeys)
		}
		reg.Passkeys = append(reg.Passkeys, sspr.Passkey{ID: cred.ID, Name: name, Credential: b, Created: e.now()})
		return nil
	})
	if err != nil {
		// A credential id another account has is refused by the store
		// (unique across accounts); an authenticator never makes one
		// twice, so only a forged answer could, and that fails above.
		return api.Registration{}, err
	}
	return e.Registration(ctx, id)
}

// RemovePasskey removes one passkey by its id (base64url), unless that
// would leave fewer methods than a reset needs.
func (e *Engine) RemovePasskey(ctx context.Context, id, credID string, c sspr.Client) (api.Registration, error) {
	if _, ok := e.method(api.KindPasskey); !ok {
		return api.Registration{}, errNoPasskeys
	}
	want, err := base64.RawURLEncoding.DecodeString(credID)
	if err != nil || len(want) == 0 {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeNotFound, Message: "There is no such passkey."}
	}
	return e.removeFrom(ctx, id, "removed=passkey", c, func(reg *sspr.Registration) error {
		i := slices.IndexFunc(reg.Passkeys, func(p sspr.Passkey) bool { return bytes.Equal(p.ID, want) })
		if i < 0 {
			return &sspr.Error{Code: sspr.CodeNotFound, Message: "There is no such passkey."}
		}
		reg.Passkeys = slices.Delete(slices.Clone(reg.Passkeys), i, i+1)
		return nil
	})
}

// passkeyInfos are reg's passkeys as the registration pages list them.
func passkeyInfos(reg *sspr.Registration) []api.PasskeyInfo {
	var out []api.PasskeyInfo
	for _, p := range reg.Passkeys {
		info := api.PasskeyInfo{ID: base64.RawURLEncoding.EncodeToString(p.ID), Name: p.Name, Created: p.Created}
		if !p.LastUsed.IsZero() {
			t := p.LastUsed
			info.LastUsed = &t
		}
		var c webauthn.Credential
		if json.Unmarshal(p.Credential, &c) == nil {
			info.Synced = c.Flags.BackupState
		}
		out = append(out, info)
	}
	return out
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
