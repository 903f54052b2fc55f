package enrol

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/throttle"
)

// Engine signs users in and keeps their registrations.
type Engine struct {
	cfg Config
	d   Deps
	th  *throttle.Throttle
}

// New returns an engine.
func New(cfg Config, d Deps) (*Engine, error) {
	if len(d.CodeKey) < 32 {
		return nil, errors.New("enrol: code key shorter than 32 bytes")
	}
	if cfg.Required < 1 || cfg.QuestionsCount < 1 || cfg.IdleTimeout <= 0 || cfg.MaxLife < cfg.IdleTimeout {
		return nil, errors.New("enrol: required methods, questions count and idle timeout must be positive, and the session's life at least its idle timeout")
	}
	if d.Sessions == nil {
		return nil, errors.New("enrol: no session index")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Engine{cfg: cfg, d: d, th: throttle.New(d.State, d.Now)}, nil
}

// session is a signed-in session as the State backend keeps it.
type session struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// Created is when the sign-in began: the session ends MaxLife after
	// it, and a reset or password change after it ends the session.
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// AuthAt is when the password was last typed: at sign-in, or again
	// before a change to the methods (Reauth).
	AuthAt time.Time `json:"auth_at"`
	// Pending is an address or number waiting for its code.
	Pending *pending `json:"pending,omitempty"`
}

// pending is a method being registered: the address or number, and only the
// keyed hash of the code sent to it.
type pending struct {
	Kind    api.Kind  `json:"kind"`
	Value   string    `json:"value"`
	MAC     []byte    `json:"mac"`
	Expires time.Time `json:"expires"`
	Tries   int       `json:"tries"`
}

var (
	errUnauthenticated = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Sign in first. Your session may have ended after 15 minutes without use."}
	errWrongPassword   = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "The user ID or password is wrong."}
	errEnded           = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Your session has ended. Sign in again."}
	errReauth          = &sspr.Error{Code: sspr.CodeReauthRequired, Message: "For your security, enter your password again before you change your verification methods."}
)

func sessionKey(id string) string { return "session:" + id }

func (e *Engine) now() time.Time { return e.d.Now().UTC() }

func (e *Engine) randomID() (string, error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(e.d.Rand, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const signInBlocked = "Signing in is paused for this account after too many failed attempts."

// checkPassword is every check of a password typed by someone who claims
// to be user (sign-in, reauth, the current password at a change). One
// check at a time per account, across servers, and the block is read
// while holding it: so that parallel guesses can't all be checked before
// the first failure is counted, at most the limit is ever checked, however
// many arrive at once (which also bounds the binds that feed an LDAP
// directory's own lockout). It returns nil for the right password, and a
// wrong one counts as a failure.
func (e *Engine) checkPassword(ctx context.Context, user, password string, wrong error, c sspr.Client) error {
	release, err := e.th.Lock(ctx, "lock:signin:"+user)
	if err != nil {
		return err
	}
	defer release()
	if err := e.th.Closed(ctx, user); err != nil {
		return err
	}
	if err := e.th.Blocked(ctx, signInBlocked, "block:signin:"+user, "block:addr:"+c.Key()); err != nil {
		return err
	}
	if password == "" || len(password) > 4096 {
		return wrong // never bound: an empty password is an anonymous bind
	}
	ok, err := e.d.Directory.CheckPassword(ctx, user, password)
	if err != nil {
		return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("check password: %w", err))
	}
	if !ok {
		if err := e.fail(ctx, "signin-fail", user, c, e.cfg.SignInFailures); err != nil {
			return err
		}
		return wrong
	}
	return nil
}

// SignIn checks the password and starts a session with a new id (no
// fixation). A wrong password and an unknown user answer alike, after the
// same work; failures are counted per account and per address as for
// flows. A locked account can't sign in: it is pointed to the unlock path.
func (e *Engine) SignIn(ctx context.Context, rawUser, password string, c sspr.Client) (string, api.Session, error) {
	user, err := canon.UserID(rawUser, e.cfg.DefaultDomain)
	if err != nil {
		return "", api.Session{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	begun := e.now()
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return "", api.Session{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if err := e.checkPassword(ctx, user, password, errWrongPassword, c); err != nil {
		if ae, ok := err.(*sspr.Error); ok && ae == errWrongPassword && acct != nil {
			e.audit(ctx, sspr.EventSignInFailed, user, c, "")
		}
		return "", api.Session{}, err
	}
	if acct == nil || acct.Disabled {
		// The directory took a password for an account it then doesn't
		// show: answer as for a wrong one.
		return "", api.Session{}, errWrongPassword
	}
	if acct.Locked {
		return "", api.Session{}, &sspr.Error{Code: sspr.CodeAccountLocked,
			Message: "Your account is locked. Unlock it first: choose \"I know my password, but still can't sign in\" on the start page."}
	}
	e.succeeded(ctx, user)
	id, err := e.randomID()
	if err != nil {
		return "", api.Session{}, err
	}
	now := e.now()
	s := &session{ID: id, User: acct.ID, Created: begun, LastSeen: now, AuthAt: now}
	if err := e.save(ctx, s); err != nil {
		return "", api.Session{}, err
	}
	// Saved, then indexed: a reset that ends the account's sessions in
	// between is seen by Add, and the session goes (package revoke).
	if err := e.d.Sessions.Add(ctx, s.User, sessionKey(id), begun, s.Created.Add(e.cfg.MaxLife)); err != nil {
		_ = e.d.State.Delete(ctx, sessionKey(id))
		if errors.Is(err, revoke.ErrEnded) {
			return "", api.Session{}, errEnded
		}
		return "", api.Session{}, err
	}
	e.audit(ctx, sspr.EventSignIn, acct.ID, c, "")
	return id, e.view(s, acct), nil
}

func (e *Engine) view(s *session, acct *sspr.Account) api.Session {
	v := api.Session{User: s.User, ExpiresAt: e.expires(s), RecentUntil: s.AuthAt.Add(e.cfg.ReauthAfter)}
	if acct != nil {
		v.DisplayName = acct.DisplayName
	}
	return v
}

// expires is when s ends if it is not used again: after the idle timeout,
// and never past its absolute life.
func (e *Engine) expires(s *session) time.Time {
	idle, hard := s.LastSeen.Add(e.cfg.IdleTimeout), s.Created.Add(e.cfg.MaxLife)
	if hard.Before(idle) {
		return hard
	}
	return idle
}

// fail counts a failure against the account and the address and blocks
// what reached its limit; the account's owner hears of a block.
func (e *Engine) fail(ctx context.Context, name, user string, c sspr.Client, l Limit) error {
	closed, err := e.th.Streak(ctx, user, e.cfg.ConsecutiveFailures)
	if err != nil {
		return err
	}
	if closed {
		e.d.Log.Warn("self-service closed", "user", user, "client", c.Addr)
		e.blockedNotice(ctx, user, c, true)
		return throttle.ClosedError(throttle.ClosedFor)
	}
	var blocked error
	n, _, err := e.th.Incr(ctx, name+":user:"+user, l)
	if err != nil {
		return err
	}
	if l.Max > 0 && n >= int64(l.Max) {
		if err := e.th.Block(ctx, "block:signin:"+user, e.now().Add(e.cfg.AccountBlock)); err != nil {
			return err
		}
		e.d.Log.Warn("sign-in blocked", "user", user, "client", c.Addr)
		blocked = throttle.Throttled(e.cfg.AccountBlock, signInBlocked)
		e.blockedNotice(ctx, user, c, false)
	}
	al := e.cfg.AddressFailures
	n, left, err := e.th.Incr(ctx, "fail:addr:"+c.Key(), al)
	if err != nil {
		return err
	}
	if al.Max > 0 && n >= int64(al.Max) {
		if err := e.th.Block(ctx, "block:addr:"+c.Key(), e.now().Add(left)); err != nil {
			return err
		}
		if blocked == nil {
			blocked = throttle.Throttled(left, "There have been too many failed attempts from your network.")
		}
	}
	return blocked
}

// blockedNotice audits a block of signing in (closed: the closure of all
// self-service) and tells the account's owner at their addresses, with
// until when and whom to call: anyone can cause one by failing on purpose.
func (e *Engine) blockedNotice(ctx context.Context, user string, c sspr.Client, closed bool) {
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil || acct == nil {
		return
	}
	until := e.now().Add(e.cfg.AccountBlock)
	kind, detail := sspr.EventBlocked, "failed sign-ins reached the limit"
	if closed {
		until = e.now().Add(throttle.ClosedFor)
		kind, detail = sspr.EventSelfServiceClosed, "failures in a row reached the cap"
	}
	e.audit(ctx, kind, user, c, detail)
	reg, err := e.d.Store.Registration(ctx, user)
	if err != nil {
		reg = nil // the primary address is still told
	}
	for _, to := range recipients(acct, reg, nil) {
		m := notify.Blocked(to, notify.Block{At: e.now(), Until: until, Closed: closed, SignIn: !closed, ClientAddr: c.Addr}, e.cfg.Org)
		if err := e.d.Sender.Send(ctx, m); err != nil {
			e.d.Log.Error("queue notification", "user", user, "err", err)
		}
	}
}

// succeeded ends the account's run of failures: the password was right.
func (e *Engine) succeeded(ctx context.Context, user string) {
	if err := e.th.EndStreak(ctx, user); err != nil {
		e.d.Log.Error("end failure streak", "user", user, "err", err)
	}
}

func (e *Engine) save(ctx context.Context, s *session) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if err := e.d.State.Set(ctx, sessionKey(s.ID), b, e.expires(s).Sub(e.now())); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// update loads a live session, applies fn and stores it, refreshing its
// idle timer, all atomically. fn's error leaves the session unchanged. A
// session past its idle timeout or its absolute life is gone.
func (e *Engine) update(ctx context.Context, id string, fn func(s *session) error) (*session, error) {
	if id == "" {
		return nil, errUnauthenticated
	}
	var out *session
	err := e.d.State.Update(ctx, sessionKey(id), func(cur []byte) ([]byte, time.Duration, error) {
		if cur == nil {
			return nil, 0, errUnauthenticated
		}
		var s session
		now := e.now()
		if err := json.Unmarshal(cur, &s); err != nil || !now.Before(e.expires(&s)) {
			return nil, 0, errUnauthenticated
		}
		if err := fn(&s); err != nil {
			return nil, 0, err
		}
		s.LastSeen = now
		b, err := json.Marshal(&s)
		if err != nil {
			return nil, 0, err
		}
		out = &s
		return b, e.expires(&s).Sub(now), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// live is how every call finds its session: refreshed, and still valid.
// A session is over, and deleted, once a reset, an unlock or a password
// change has ended the account's sessions (even if deleting it then
// failed), or once the directory says the account is locked, disabled or
// gone: a session must not outlive the account's own standing.
func (e *Engine) live(ctx context.Context, id string) (*session, *sspr.Account, error) {
	s, err := e.update(ctx, id, func(*session) error { return nil })
	if err != nil {
		return nil, nil, err
	}
	ended, err := e.d.Sessions.Ended(ctx, s.User)
	if err != nil {
		return nil, nil, err
	}
	acct, err := e.d.Directory.Lookup(ctx, s.User)
	if err != nil {
		return nil, nil, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if (!ended.IsZero() && s.Created.Before(ended)) || acct == nil || acct.Locked || acct.Disabled {
		if err := e.d.State.Delete(ctx, sessionKey(id)); err != nil {
			e.d.Log.Error("end session", "user", s.User, "err", err)
		}
		return nil, nil, errEnded
	}
	return s, acct, nil
}

// recent refuses a change to the methods when the password was typed too
// long ago: whoever picked up a signed-in session (a shared computer, a
// stolen cookie) can't quietly redirect recovery with it.
func (e *Engine) recent(s *session) error {
	if e.now().Sub(s.AuthAt) >= e.cfg.ReauthAfter {
		return errReauth
	}
	return nil
}

// Current returns the session, refreshing its idle timer.
func (e *Engine) Current(ctx context.Context, id string) (api.Session, error) {
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return api.Session{}, err
	}
	return e.view(s, acct), nil
}

// Reauth takes the password typed again, so that the methods may be
// changed for ReauthAfter more. A wrong one counts as a failed sign-in.
func (e *Engine) Reauth(ctx context.Context, id, password string, c sspr.Client) (api.Session, error) {
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return api.Session{}, err
	}
	// Wrong: still reauth_required, so that a page never takes it for a
	// session that has ended.
	wrong := &sspr.Error{Code: sspr.CodeReauthRequired, Message: "That password is wrong. Enter your password again."}
	if err := e.checkPassword(ctx, s.User, password, wrong, c); err != nil {
		return api.Session{}, err
	}
	e.succeeded(ctx, s.User)
	s, err = e.update(ctx, id, func(s *session) error {
		s.AuthAt = e.now()
		return nil
	})
	if err != nil {
		return api.Session{}, err
	}
	return e.view(s, acct), nil
}

// SignOut ends the session.
func (e *Engine) SignOut(ctx context.Context, id string) error {
	if _, err := e.update(ctx, id, func(*session) error { return nil }); err != nil {
		return err
	}
	if err := e.d.State.Delete(ctx, sessionKey(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Registration returns what the user has registered, masked.
func (e *Engine) Registration(ctx context.Context, id string) (api.Registration, error) {
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	v := e.describe(reg)
	if s.Pending != nil {
		v.Pending = s.Pending.Kind
	}
	return v, nil
}

func (e *Engine) registration(ctx context.Context, user string) (*sspr.Registration, error) {
	reg, err := e.d.Store.Registration(ctx, user)
	if err != nil {
		return nil, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
	}
	if reg == nil {
		reg = &sspr.Registration{UserID: user}
	}
	return reg, nil
}

// registered counts the distinct methods of reg that a reset can use.
func (e *Engine) registered(reg *sspr.Registration) int {
	n := 0
	for _, k := range e.cfg.Methods {
		switch {
		case k == api.KindEmail && reg.HasEmail(), k == api.KindSMS && reg.HasPhone(),
			k == api.KindQuestions && reg.HasQuestions(e.cfg.QuestionsCount):
			n++
		}
	}
	return n
}

func (e *Engine) describe(reg *sspr.Registration) api.Registration {
	now := e.now()
	method := func(k api.Kind, ok bool, hint string, count int, at time.Time) api.RegisteredMethod {
		m := api.RegisteredMethod{Registered: ok, Enabled: slices.Contains(e.cfg.Methods, k)}
		if ok {
			t := at
			m.Hint, m.Count, m.ConfirmedAt = hint, count, &t
			m.Due = e.cfg.ReconfirmAfter > 0 && now.Sub(at) >= e.cfg.ReconfirmAfter
		}
		return m
	}
	v := api.Registration{
		Email:     method(api.KindEmail, reg.HasEmail(), canon.MaskEmail(reg.Email), 0, reg.EmailConfirmed),
		SMS:       method(api.KindSMS, reg.HasPhone(), canon.MaskPhone(reg.Phone), 0, reg.PhoneConfirmed),
		Questions: method(api.KindQuestions, reg.HasQuestions(e.cfg.QuestionsCount), "", len(reg.Answers), reg.AnswersConfirmed),
		Required:  e.cfg.Required,
	}
	v.Complete = e.registered(reg) >= e.cfg.Required
	v.ReconfirmDue = v.Email.Due || v.SMS.Due || v.Questions.Due
	return v
}

// StartEmail sends a code to a new alternate address; it counts once the
// code comes back (ConfirmEmail).
func (e *Engine) StartEmail(ctx context.Context, id, raw string, c sspr.Client) (api.Registration, error) {
	addr, err := canon.Email(raw)
	if err != nil {
		// Look-alikes (bidi overrides, zero-width characters) are refused
		// rather than cleaned: cleaned, they would still display as
		// someone else's address in the user's mind.
		msg := "Enter an email address like name@example.com."
		if errors.Is(err, canon.ErrEmailCharacters) {
			msg = "That address has invisible or direction-changing characters. Type it again, without copying it from elsewhere."
		}
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: msg}
	}
	return e.start(ctx, id, api.KindEmail, addr, "", c)
}

// StartSMS texts a code to a new mobile number: only a number that can
// receive a text, of a country the portal texts (no premium-rate numbers:
// SMS pumping), and within the country's hourly cap.
func (e *Engine) StartSMS(ctx context.Context, id, raw string, c sspr.Client) (api.Registration, error) {
	n, region, err := canon.Mobile(raw, e.cfg.PhoneRegion, e.cfg.PhoneCountries)
	switch {
	case errors.Is(err, canon.ErrPhoneNotMobile):
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "That number can't receive texts. Enter a mobile number."}
	case errors.Is(err, canon.ErrPhoneCountry):
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "We can't send texts to numbers from that country. Register another method instead."}
	case err != nil:
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter your mobile number, for example 07700 900123 or +44 7700 900123."}
	}
	return e.start(ctx, id, api.KindSMS, n, region, c)
}

func (e *Engine) cooldown(k api.Kind) time.Duration {
	if k == api.KindSMS {
		return e.cfg.SMSCooldown
	}
	return e.cfg.EmailCooldown
}

func (e *Engine) start(ctx context.Context, id string, k api.Kind, value, region string, c sspr.Client) (api.Registration, error) {
	if !slices.Contains(e.cfg.Methods, k) {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "That method isn't offered here."}
	}
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if err := e.recent(s); err != nil {
		return api.Registration{}, err
	}
	if k == api.KindEmail && strings.EqualFold(value, acct.Mail) {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest,
			Message: "Use an address other than your own account's: you need it when you can't sign in."}
	}
	if err := e.th.Send(ctx, "register:"+string(k)+":"+s.User, e.cooldown(k), e.cfg.MaxSendsPerHour); err != nil {
		return api.Registration{}, err
	}
	if k == api.KindSMS {
		if err := e.th.Texts(ctx, region, e.cfg.SMSPerCountry); err != nil {
			return api.Registration{}, err
		}
	}
	code, err := secret.NewCode(e.d.Rand, e.cfg.CodeDigits)
	if err != nil {
		return api.Registration{}, err
	}
	now := e.now()
	if _, err := e.update(ctx, id, func(s *session) error {
		s.Pending = &pending{Kind: k, Value: value, MAC: e.codeMAC(s, k, value, code), Expires: now.Add(e.cfg.CodeLifetime)}
		return nil
	}); err != nil {
		return api.Registration{}, err
	}
	ch := notify.Email
	if k == api.KindSMS {
		ch = notify.SMS
	}
	if err := e.d.Sender.Send(ctx, notify.CodeMessage(ch, value, code, e.cfg.CodeLifetime, e.cfg.Org)); err != nil {
		e.d.Log.Error("queue code", "channel", ch, "user", s.User, "err", err)
	}
	return e.Registration(ctx, id)
}

// codeMAC binds a code to the session, the user, the method and the
// address or number it was sent to.
func (e *Engine) codeMAC(s *session, k api.Kind, value, code string) []byte {
	return secret.MAC(e.d.CodeKey, "register", s.ID, s.User, string(k), value, code)
}

// Confirm checks the code sent by StartEmail or StartSMS and, when it
// matches, registers the address or number.
func (e *Engine) Confirm(ctx context.Context, id string, k api.Kind, typed string, c sspr.Client) (api.Registration, error) {
	typed = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, typed)
	if len(typed) != e.cfg.CodeDigits || strings.Trim(typed, "0123456789") != "" {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: fmt.Sprintf("Enter the %d-digit code we sent you.", e.cfg.CodeDigits)}
	}
	type outcome int
	const (
		ok outcome = iota
		wrong
		usedUp
		expired
	)
	var (
		res   outcome
		value string
		left  int
	)
	if _, _, err := e.live(ctx, id); err != nil {
		return api.Registration{}, err
	}
	s, err := e.update(ctx, id, func(s *session) error {
		p := s.Pending
		switch {
		case p == nil || p.Kind != k:
			return &sspr.Error{Code: sspr.CodeCodeExpired, Message: "There's no code waiting. Send a new code."}
		case !e.now().Before(p.Expires):
			res, s.Pending = expired, nil
		case hmac.Equal(p.MAC, e.codeMAC(s, k, p.Value, typed)):
			res, value, s.Pending = ok, p.Value, nil // one use
		default:
			p.Tries++
			res, left = wrong, e.cfg.CodeMaxTries-p.Tries
			if left <= 0 {
				res, s.Pending = usedUp, nil
			}
		}
		return nil
	})
	if err != nil {
		return api.Registration{}, err
	}
	switch res {
	case expired:
		return api.Registration{}, &sspr.Error{Code: sspr.CodeCodeExpired, Message: "That code has expired. Send a new code."}
	case wrong, usedUp:
		if err := e.fail(ctx, "regcode-fail", s.User, c, e.cfg.CodeFailures); err != nil {
			return api.Registration{}, err
		}
		if res == usedUp {
			return api.Registration{}, &sspr.Error{Code: sspr.CodeCodeExpired, Message: "That code was entered wrongly too many times. Send a new code."}
		}
		return api.Registration{}, &sspr.Error{Code: sspr.CodeCodeInvalid, Message: "That code didn't match. Check it and try again.", TriesLeft: &left}
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	old := *reg
	now := e.now()
	what := "mobile number"
	if k == api.KindEmail {
		reg.Email, reg.EmailConfirmed, what = value, now, "alternate email address"
	} else {
		reg.Phone, reg.PhoneConfirmed = value, now
	}
	if err := e.d.Store.PutRegistration(ctx, *reg); err != nil {
		return api.Registration{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("save registration: %w", err))
	}
	e.changed(ctx, s.User, &old, reg, c, "your "+what+" was registered or confirmed", string(k))
	return e.Registration(ctx, id)
}

// SetAnswers registers the user's security questions and answers, stored
// only as argon2id hashes of the normalised answers
// (docs/SECURITY.md#questions).
func (e *Engine) SetAnswers(ctx context.Context, id string, in []api.AnswerInput, c sspr.Client) (api.Registration, error) {
	if !slices.Contains(e.cfg.Methods, api.KindQuestions) {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "Security questions aren't offered here."}
	}
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if err := e.recent(s); err != nil {
		return api.Registration{}, err
	}
	if err := e.checkAnswers(in, s.User); err != nil {
		return api.Registration{}, err
	}
	answers := make([]sspr.Answer, 0, len(in))
	for _, a := range in {
		h, err := e.d.Hasher.Hash(ctx, canon.Answer(a.Answer))
		if err != nil {
			return api.Registration{}, fmt.Errorf("hash answer: %w", err)
		}
		answers = append(answers, sspr.Answer{QuestionID: a.ID, Hash: h})
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	old := *reg
	reg.Answers, reg.AnswersConfirmed = answers, e.now()
	if err := e.d.Store.PutRegistration(ctx, *reg); err != nil {
		return api.Registration{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("save registration: %w", err))
	}
	e.changed(ctx, s.User, &old, reg, c, "your security questions were set", string(api.KindQuestions))
	return e.Registration(ctx, id)
}

// checkAnswers applies the rules of a good answer: the configured number of
// questions from the catalogue, none twice, no two answers alike, 3 to 64
// characters, and no answer made of the question's own words or the user id.
func (e *Engine) checkAnswers(in []api.AnswerInput, user string) error {
	bad := func(msg string) error { return &sspr.Error{Code: sspr.CodeBadRequest, Message: msg} }
	if len(in) != e.cfg.QuestionsCount {
		return bad(fmt.Sprintf("Choose and answer %d questions.", e.cfg.QuestionsCount))
	}
	local, _, _ := strings.Cut(user, "@")
	seenQ, seenA := map[string]bool{}, map[string]bool{}
	for _, a := range in {
		text, ok := e.d.Catalog.Text(a.ID)
		if !ok {
			return bad("Choose the questions from the list.")
		}
		if seenQ[a.ID] {
			return bad("Choose a different question each time.")
		}
		seenQ[a.ID] = true
		norm := canon.Answer(a.Answer)
		if n := utf8.RuneCountInString(norm); n < 3 || n > 64 {
			return bad("Each answer must be 3 to 64 characters long.")
		}
		if seenA[norm] {
			return bad("Give a different answer to each question.")
		}
		seenA[norm] = true
		if len(local) >= 3 && strings.Contains(norm, canon.Answer(local)) {
			return bad("Don't use your user ID in an answer.")
		}
		for _, w := range strings.FieldsFunc(canon.Answer(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) >= 4 && strings.Contains(norm, w) {
				return bad("Don't repeat the words of the question in its answer.")
			}
		}
	}
	return nil
}

// Remove deletes a registered method, unless that would leave fewer than
// a reset needs.
func (e *Engine) Remove(ctx context.Context, id string, k api.Kind, c sspr.Client) (api.Registration, error) {
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if err := e.recent(s); err != nil {
		return api.Registration{}, err
	}
	reg, err := e.registration(ctx, s.User)
	if err != nil {
		return api.Registration{}, err
	}
	old := *reg
	switch k {
	case api.KindEmail:
		reg.Email, reg.EmailConfirmed = "", time.Time{}
	case api.KindSMS:
		reg.Phone, reg.PhoneConfirmed = "", time.Time{}
	case api.KindQuestions:
		reg.Answers, reg.AnswersConfirmed = nil, time.Time{}
	default:
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "There is no such method."}
	}
	if e.registered(&old) == e.registered(reg) {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeWrongState, Message: "That method isn't registered."}
	}
	if e.registered(reg) < e.cfg.Required {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeWrongState, Message: fmt.Sprintf(
			"You can't remove this method: a reset needs %d, and you would have %d left. Register another one first.", e.cfg.Required, e.registered(reg))}
	}
	if err := e.d.Store.PutRegistration(ctx, *reg); err != nil {
		return api.Registration{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("save registration: %w", err))
	}
	e.changed(ctx, s.User, &old, reg, c, "a verification method was removed", "removed="+string(k))
	return e.Registration(ctx, id)
}

// ChangePassword changes the signed-in user's password under the same
// policy as a reset, tells them, and ends the session.
func (e *Engine) ChangePassword(ctx context.Context, id, current, next string, c sspr.Client) error {
	s, acct, err := e.live(ctx, id)
	if err != nil {
		return err
	}
	wrong := &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Your current password is wrong."}
	if err := e.checkPassword(ctx, s.User, current, wrong, c); err != nil {
		return err
	}
	e.succeeded(ctx, s.User)
	if broken := e.d.Policy.Check(next, acct); len(broken) > 0 {
		return &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "Your new password doesn't meet the password rules.", Rules: broken}
	}
	if err := e.d.Directory.SetPassword(ctx, s.User, next); err != nil {
		var ae *sspr.Error
		if errors.As(err, &ae) && ae.Code == sspr.CodePasswordPolicy {
			return ae
		}
		return sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("set password: %w", err))
	}
	// Every session and flow of the account ends, this one too: whoever
	// else was signed in with the old password is out, on every server.
	if n, err := e.d.Sessions.End(ctx, s.User); err != nil {
		e.d.Log.Error("end sessions", "user", s.User, "err", err)
	} else if n > 1 { // more than this one
		e.audit(ctx, sspr.EventSessionsEnded, s.User, c, fmt.Sprintf("count=%d", n-1))
	}
	_ = e.d.State.Delete(ctx, sessionKey(id))
	e.audit(ctx, sspr.EventPasswordChanged, s.User, c, "signed in")
	reg, _ := e.registration(ctx, s.User)
	e.notify(ctx, acct, reg, nil, notify.KindPasswordChanged, "", c)
	return nil
}

// changed records a registration change and tells the user at their
// primary address and at the alternate address as it was before, so an
// attacker who got in can't silently redirect recovery.
func (e *Engine) changed(ctx context.Context, user string, old, now *sspr.Registration, c sspr.Client, what, detail string) {
	e.audit(ctx, sspr.EventRegistrationChanged, user, c, detail)
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil || acct == nil {
		e.d.Log.Error("notify registration change", "user", user, "err", err)
		return
	}
	e.notify(ctx, acct, now, old, notify.KindRegistrationChanged, what, c)
}

func (e *Engine) notify(ctx context.Context, acct *sspr.Account, reg, old *sspr.Registration, kind notify.Kind, what string, c sspr.Client) {
	for _, addr := range recipients(acct, reg, old) {
		m := notify.Change(addr, kind, what, e.now(), c.Addr, e.cfg.Org)
		if err := e.d.Sender.Send(ctx, m); err != nil {
			e.d.Log.Error("queue notification", "user", acct.ID, "err", err)
		}
	}
}

// recipients are where an account's notices go, each once: its primary
// address, and the alternate address as it was before a change (old) or
// as it is (reg), so that someone who changed it can't hide the change.
func recipients(acct *sspr.Account, reg, old *sspr.Registration) []string {
	to := []string{}
	add := func(a string) {
		if a != "" && !slices.ContainsFunc(to, func(x string) bool { return strings.EqualFold(x, a) }) {
			to = append(to, a)
		}
	}
	add(acct.Mail)
	if old != nil {
		add(old.Email)
	} else if reg != nil {
		add(reg.Email)
	}
	return to
}

func (e *Engine) audit(ctx context.Context, kind, user string, c sspr.Client, detail string) {
	ev := sspr.Event{At: e.now(), Kind: kind, UserID: user, ClientAddr: c.Addr, UserAgent: c.UserAgent, Detail: detail}
	e.d.Log.Info("audit", "event", kind, "user", user, "client", c.Addr, "detail", detail)
	if err := e.d.Store.Record(context.WithoutCancel(ctx), ev); err != nil {
		e.d.Log.Error("record audit event", "event", kind, "user", user, "err", err)
	}
}
