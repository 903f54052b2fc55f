package selfservice

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/seal"
	"github.com/sspr-portal/sspr/server/sspr"
)

// totpMethod is "Use my authenticator app": a code from an app holding a
// key the person scanned at registration (RFC 6238: SHA-1, six digits,
// thirty seconds, what every app reads from a QR code). The key is sealed
// under the portal's keys (server/seal) and bound to the account, so the
// tables and their backups never hold it; it is shown once, while it is
// being registered. A code is accepted in its own thirty seconds and one
// step either side (a phone's clock a little off), and each step only once
// per account: a code seen over a shoulder is spent (docs/SECURITY.md#totp).
type totpMethod struct{}

// The codes' shape. These are what apps assume when a QR code says
// nothing else, and some apps ignore what it says.
const (
	totpDigits = otp.DigitsSix
	totpPeriod = 30 * time.Second
	// totpSkew is how many steps either side of now a code is accepted.
	totpSkew = 1
	// totpKeyLen is the key's length in bytes: RFC 4226's recommended 160
	// bits, the length of a SHA-1 block's output.
	totpKeyLen = 20
	// totpTries is how many wrong codes a key being registered takes
	// before it must be started again with a new key (each also counts
	// towards the account's block, as a wrong code confirming an address
	// does).
	totpTries = 3
	// totpQRSize is the QR picture's width and height in pixels; the
	// page shows it at half that, sharp on a phone's screen.
	totpQRSize = 320
)

// totpPurpose names the key that seals authenticator keys (server/seal);
// totpPendingPurpose the one that seals a key being registered, kept in
// the session until a first code confirms it.
const (
	totpPurpose        = "sspr totp key seal v1"
	totpPendingPurpose = "sspr totp pending key seal v1"
)

func (totpMethod) Kind() api.Kind { return api.KindTOTP }

func (totpMethod) Registered(_ *Engine, r *sspr.Registration) bool { return r.HasTOTP() }

func (totpMethod) InShape(_ *Engine, s sspr.Shape) bool { return s.TOTP }

func (m totpMethod) Offer(_ *Engine, r *record, _ *sspr.Registration, _ string) {
	r.Methods = append(r.Methods, method{Kind: m.Kind()})
}

func (m totpMethod) Decoy(_ *Engine, r *record, _ profile, _ string) {
	r.Methods = append(r.Methods, method{Kind: m.Kind()})
}

// Describe never shows the app as due for confirmation again: that is for
// addresses and numbers, which change hands; an app that stopped working
// is replaced by setting up another.
func (totpMethod) Describe(e *Engine, reg *sspr.Registration) api.RegisteredMethod {
	d := e.described(reg.HasTOTP(), "", 0, reg.TOTPConfirmed)
	d.Due = false
	return d
}

func (totpMethod) Remove(reg *sspr.Registration) {
	reg.TOTPKey, reg.TOTPConfirmed = nil, time.Time{}
}

// totpSeals are the sealers of the registered keys and of the keys being
// registered, made once with the engine from the code key and the keys
// still accepted during a rotation.
type totpSeals struct{ keys, pending *seal.Sealer }

func newTOTPSeals(key []byte, accepted [][]byte) (totpSeals, error) {
	keys, err := seal.New(totpPurpose, key, accepted...)
	if err != nil {
		return totpSeals{}, err
	}
	pending, err := seal.New(totpPendingPurpose, key, accepted...)
	if err != nil {
		return totpSeals{}, err
	}
	return totpSeals{keys, pending}, nil
}

// totpAD binds a registered key to its account.
func totpAD(user string) []byte { return []byte("totp\x00" + user) }

// totpPendingAD binds a key being registered to its session and account.
func totpPendingAD(s *session) []byte { return []byte("totp-pending\x00" + s.ID + "\x00" + s.User) }

// errTOTPNotStarted: a code to confirm an app that was never given a key
// in this session (or whose key was dropped after too many wrong codes).
var errTOTPNotStarted = &sspr.Error{Code: sspr.CodeWrongState,
	Message: "Set up your authenticator app first: select Start again to get a new QR code."}

// typedTOTP checks a code as typed: six digits, spaces and dashes
// ignored (apps show "123 456").
func typedTOTP(raw string) (string, error) {
	typed := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, raw)
	if len(typed) != totpDigits.Length() || strings.Trim(typed, "0123456789") != "" {
		return "", sspr.Errorf(sspr.CodeBadRequest, "Enter the %d-digit code from your authenticator app.", totpDigits.Length())
	}
	return typed, nil
}

// totpStep is the step of time t.
func totpStep(t time.Time) int64 { return t.Unix() / int64(totpPeriod/time.Second) }

// matchTOTP returns the step, of now's and totpSkew either side, whose
// code from key is typed, or 0 and false. Every step is computed and
// compared in constant time, matched or not, so the time taken says
// nothing about which step (if any) matched.
func matchTOTP(key []byte, typed string, now time.Time) (int64, bool) {
	secret := base32.StdEncoding.EncodeToString(key)
	step := totpStep(now)
	var found int64
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		code, err := hotp.GenerateCodeCustom(secret, uint64(step+d), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			continue // never: the secret is our own base32
		}
		if subtle.ConstantTimeCompare([]byte(code), []byte(typed)) == 1 {
			found = step + d
		}
	}
	return found, found != 0
}

// claimTOTPStep records step as used for user unless it, or a later step,
// was used already: an accepted code is never accepted again, in a flow
// or at registration, on any server (RFC 6238 §5.2). The caller holds the
// account's lock, so two checks of one account can't race; the State's
// atomic update keeps it so across servers all the same.
func (e *Engine) claimTOTPStep(ctx context.Context, user string, step int64) (bool, error) {
	fresh := false
	err := e.d.State.Update(ctx, totpStepKey(user), func(cur []byte) ([]byte, time.Duration, error) {
		last, _ := strconv.ParseInt(string(cur), 10, 64)
		if fresh = step > last; !fresh {
			return cur, totpStepTTL, nil
		}
		return []byte(strconv.FormatInt(step, 10)), totpStepTTL, nil
	})
	if err != nil {
		return false, fmt.Errorf("claim totp step: %w", err)
	}
	return fresh, nil
}

// totpStepTTL outlives every step a used one could be confused with: a
// code is accepted for at most (1+2·skew) steps.
const totpStepTTL = (2*totpSkew + 2) * totpPeriod

// errTOTPWrong and errTOTPReused are what a wrong or spent code gets. A
// spent code is told apart, so that someone who typed the code they just
// used knows to wait for the next; it counts as a failure all the same.
var (
	errTOTPWrong = &sspr.Error{Code: sspr.CodeCodeInvalid,
		Message: "That code didn't match. Enter the code your authenticator app shows now, and check the time on your phone is right."}
	errTOTPReused = &sspr.Error{Code: sspr.CodeCodeInvalid,
		Message: "That code has already been used. Wait for your authenticator app to show a new code, then enter it."}
)

// VerifyTOTP checks a code from the authenticator app in flow id. A decoy
// flow's code is checked against a key of its own that nobody has, with
// the same work, and fails.
func (e *Engine) VerifyTOTP(ctx context.Context, id, raw string, c sspr.Client) (api.Flow, error) {
	if _, ok := e.method(api.KindTOTP); !ok {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method isn't available for this account."}
	}
	typed, err := typedTOTP(raw)
	if err != nil {
		return api.Flow{}, err
	}
	r, release, err := e.attempt(ctx, id, api.KindTOTP, c)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	key, err := e.totpKey(ctx, r)
	if err != nil {
		return api.Flow{}, err
	}
	step, ok := matchTOTP(key, typed, e.now())
	reused := false
	if ok && !r.Decoy {
		fresh, err := e.claimTOTPStep(ctx, r.User, step)
		if err != nil {
			return api.Flow{}, err
		}
		reused = !fresh
	}
	if !ok || r.Decoy || reused {
		result := "wrong"
		if reused {
			result = "reused"
		}
		e.note(ctx, sspr.Event{Kind: sspr.EventCodeWrong, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused,
			Detail: "method=totp result=" + result}, c)
		if err := e.fail(ctx, failVerify, r.User, r.addr(api.KindEmail), c); err != nil {
			return api.Flow{}, err
		}
		if reused {
			return api.Flow{}, errTOTPReused
		}
		return api.Flow{}, errTOTPWrong
	}
	if r, err = e.passed(ctx, id, api.KindTOTP, c); err != nil {
		return api.Flow{}, err
	}
	return e.advance(ctx, r, c)
}

// totpKey is the key flow r's code is checked against: the account's, or,
// for a decoy, random bytes (the same work, and no code matches them but
// by a one-in-a-million chance that VerifyTOTP refuses anyway). A key
// opened only by a key still accepted during a rotation is sealed again
// under the key in use, so that retiring the old key loses nothing that
// has been used since.
func (e *Engine) totpKey(ctx context.Context, r *record) ([]byte, error) {
	if r.Decoy {
		key := make([]byte, totpKeyLen)
		if _, err := io.ReadFull(e.d.Rand, key); err != nil {
			return nil, fmt.Errorf("decoy key: %w", err)
		}
		return key, nil
	}
	reg, err := e.d.Registrations.Registration(ctx, r.User)
	if err != nil {
		return nil, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if reg == nil || !reg.HasTOTP() {
		// Removed since the flow began.
		return nil, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That verification method isn't available for this account."}
	}
	key, stale, err := e.totp.keys.Open(reg.TOTPKey, totpAD(r.User))
	if err != nil {
		// Sealed under a key no longer accepted: the service desk must
		// help, as with a lost phone. Logged, never shown.
		e.d.Log.ErrorContext(ctx, "open authenticator key", "user", r.User, "flow", r.Ref, "err", err)
		return nil, &sspr.Error{Code: sspr.CodeMethodUnavailable,
			Message: "Your authenticator app can't be used at the moment. Choose another method, or contact the service desk."}
	}
	if stale {
		e.resealTOTP(ctx, r.User, key)
	}
	return key, nil
}

// ResealTOTP seals again, under the key in use, every authenticator key
// that only a key still accepted opens: run at start during a key
// rotation (server/keys: rotate.go), so that by the time the old key is
// retired no key needs it, used since or not. It returns how many it
// sealed again. The keys are read in one pass, then each is written on
// its own; a key that no key opens is left, and logged, for the service
// desk to clear.
func (e *Engine) ResealTOTP(ctx context.Context) (int, error) {
	var stale []string
	err := e.d.Store.EachRegistration(ctx, func(reg sspr.Registration) error {
		if !reg.HasTOTP() {
			return nil
		}
		if _, old, err := e.totp.keys.Open(reg.TOTPKey, totpAD(reg.UserID)); err != nil {
			e.d.Log.WarnContext(ctx, "an authenticator key no key opens", "user", reg.UserID)
		} else if old {
			stale = append(stale, reg.UserID)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read authenticator keys: %w", err)
	}
	n := 0
	for _, user := range stale {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		reg, err := e.d.Store.Registration(ctx, user)
		if err != nil || reg == nil || !reg.HasTOTP() {
			continue
		}
		if key, old, err := e.totp.keys.Open(reg.TOTPKey, totpAD(user)); err == nil && old {
			if e.resealTOTP(ctx, user, key) {
				n++
			}
		}
	}
	return n, nil
}

// resealTOTP seals user's key again under the key in use. It is a
// maintenance write of the same key, so it is neither audited as a change
// nor told to the person; a failure only means it is tried again next time.
func (e *Engine) resealTOTP(ctx context.Context, user string, key []byte) bool {
	reg, err := e.d.Store.Registration(ctx, user)
	if err != nil || reg == nil || !reg.HasTOTP() {
		return false
	}
	sealed, err := e.totp.keys.Seal(key, totpAD(user))
	if err == nil {
		reg.TOTPKey = sealed
		err = e.d.Store.PutRegistration(ctx, *reg)
	}
	if err != nil {
		e.d.Log.WarnContext(ctx, "seal authenticator key again", "user", user, "err", err)
		return false
	}
	return true
}

// StartTOTP gives the signed-in user a new key for their authenticator
// app, kept sealed in the session until a first code from the app
// confirms it (ConfirmTOTP): a key scanned wrongly, or never scanned,
// registers nothing. A registered app stays until the new one is
// confirmed.
func (e *Engine) StartTOTP(ctx context.Context, id string, c sspr.Client) (api.TOTPSetup, error) {
	if _, ok := e.method(api.KindTOTP); !ok {
		return api.TOTPSetup{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "Authenticator apps aren't offered here."}
	}
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.TOTPSetup{}, err
	}
	if err := e.recent(s); err != nil {
		return api.TOTPSetup{}, err
	}
	raw := make([]byte, totpKeyLen)
	if _, err := io.ReadFull(e.d.Rand, raw); err != nil {
		return api.TOTPSetup{}, fmt.Errorf("totp key: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: e.cfg.Org.Name, AccountName: s.User, Period: uint(totpPeriod / time.Second),
		Secret: raw, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return api.TOTPSetup{}, fmt.Errorf("totp key: %w", err)
	}
	qr, err := qrDataURL(key)
	if err != nil {
		return api.TOTPSetup{}, err
	}
	sealed, err := e.totp.pending.Seal(raw, totpPendingAD(s))
	if err != nil {
		return api.TOTPSetup{}, err
	}
	if _, err := e.updateSession(ctx, id, func(s *session) error {
		s.TOTP = &pendingTOTP{Key: sealed}
		return nil
	}); err != nil {
		return api.TOTPSetup{}, err
	}
	return api.TOTPSetup{
		Key: key.Secret(), URI: key.URL(), QR: qr, Issuer: e.cfg.Org.Name, Account: s.User,
		Digits: totpDigits.Length(), Period: int(totpPeriod / time.Second),
	}, nil
}

// pendingTOTP is a key being registered, sealed, and the wrong codes
// typed for it so far.
type pendingTOTP struct {
	Key   []byte `json:"key"`
	Wrong int    `json:"wrong,omitempty"`
}

// ConfirmTOTP checks a first code from the app given the key StartTOTP
// made and, when it matches, registers the app, replacing any before it.
func (e *Engine) ConfirmTOTP(ctx context.Context, id, raw string, c sspr.Client) (api.Registration, error) {
	m, ok := e.method(api.KindTOTP)
	if !ok {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "Authenticator apps aren't offered here."}
	}
	typed, err := typedTOTP(raw)
	if err != nil {
		return api.Registration{}, err
	}
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if s.TOTP == nil {
		return api.Registration{}, errTOTPNotStarted
	}
	// One check of an account at a time, as a flow's.
	release, err := e.th.Lock(ctx, flowLock(s.User))
	if err != nil {
		return api.Registration{}, err
	}
	defer release()
	key, _, err := e.totp.pending.Open(s.TOTP.Key, totpPendingAD(s))
	if err != nil {
		return api.Registration{}, errTOTPNotStarted
	}
	step, ok := matchTOTP(key, typed, e.now())
	fresh := false
	if ok {
		if fresh, err = e.claimTOTPStep(ctx, s.User, step); err != nil {
			return api.Registration{}, err
		}
	}
	if !ok || !fresh {
		if _, err := e.updateSession(ctx, id, func(s *session) error {
			if s.TOTP != nil {
				if s.TOTP.Wrong++; s.TOTP.Wrong >= totpTries {
					s.TOTP = nil
				}
			}
			return nil
		}); err != nil {
			return api.Registration{}, err
		}
		if err := e.fail(ctx, failRegisterCode, s.User, "", c); err != nil {
			return api.Registration{}, err
		}
		if !ok {
			return api.Registration{}, errTOTPWrong
		}
		return api.Registration{}, errTOTPReused
	}
	sealed, err := e.totp.keys.Seal(key, totpAD(s.User))
	if err != nil {
		return api.Registration{}, err
	}
	if _, err := e.updateSession(ctx, id, func(s *session) error {
		s.TOTP = nil
		return nil
	}); err != nil {
		return api.Registration{}, err
	}
	err = e.changeRegistration(ctx, s.User, s.Ref, c, totpRegisteredMsg, string(m.Kind()), func(reg *sspr.Registration) error {
		reg.TOTPKey, reg.TOTPConfirmed = sealed, e.now()
		return nil
	})
	if err != nil {
		return api.Registration{}, err
	}
	return e.Registration(ctx, id)
}

// qrDataURL draws key's otpauth:// address as a QR code with the quiet
// zone of four modules around it that readers need (the library draws
// the modules alone), as a data: URL of a two-colour PNG.
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(totpQRSize, totpQRSize)
	if err != nil {
		return "", fmt.Errorf("draw qr code: %w", err)
	}
	const margin = totpQRSize / 10
	size := totpQRSize + 2*margin
	out := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(margin, margin, margin+totpQRSize, margin+totpQRSize), img, img.Bounds().Min, draw.Src)
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, out); err != nil {
		return "", fmt.Errorf("encode qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}
