package selfservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/sspr"
)

// session is a signed-in session as the State backend keeps it.
type session struct {
	ID string `json:"id"`
	// Ref names the session in the audit and the logs.
	Ref  string `json:"ref,omitempty"`
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
	// TOTP is an authenticator app's key waiting for a first code.
	TOTP *pendingTOTP `json:"totp,omitempty"`
	// Passkey is the challenge of a passkey being registered.
	Passkey *webauthn.SessionData `json:"passkey,omitempty"`
}

// pending is an address being registered, and the code sent to it.
type pending struct {
	Kind  api.Kind `json:"kind"`
	Value string   `json:"value"`
	code
}

var (
	errUnauthenticated = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Sign in first. Your session may have ended after 15 minutes without use."}
	errWrongPassword   = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "The user ID or password is wrong."}
	errEnded           = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Your session has ended. Sign in again."}
	errReauth          = &sspr.Error{Code: sspr.CodeReauthRequired, Message: "For your security, enter your password again before you change your verification methods."}
	errMustChange      = &sspr.Error{Code: sspr.CodePasswordChangeRequired,
		Message: "Choose a new password first: the password you were given must be changed before you can do anything else here."}
)

// checkPassword is every check of a password typed by someone who claims
// to be user (sign-in, reauth, the current password at a change). One
// check at a time per account, across servers, and the block is read
// while holding it: so that parallel guesses can't all be checked before
// the first failure is counted, at most the limit is ever checked, however
// many arrive at once (which also bounds the binds that feed an LDAP
// directory's own lockout). It returns nil for the right password, and a
// wrong one counts as a failure.
func (e *Engine) checkPassword(ctx context.Context, user, password string, wrong error, c sspr.Client) error {
	release, err := e.th.Lock(ctx, signInLock(user))
	if err != nil {
		return err
	}
	defer release()
	if err := e.th.Closed(ctx, user); err != nil {
		return err
	}
	if err := e.th.Blocked(ctx, signInBlockedMsg, blockSignIn(user), blockAddr(c)); err != nil {
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
		if err := e.fail(ctx, failPassword, user, "", c); err != nil {
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
	ref, err := e.newRef()
	if err != nil {
		return "", api.Session{}, err
	}
	now := e.now()
	s := &session{ID: id, Ref: ref, User: acct.ID, Created: begun, LastSeen: now, AuthAt: now}
	if err := e.saveSession(ctx, s); err != nil {
		return "", api.Session{}, err
	}
	// Saved, then indexed: a reset that ends the account's sessions in
	// between is seen by Add, and the session goes (package revoke).
	if err := e.d.Sessions.Add(ctx, s.User, sessionKey(id), begun, s.Created.Add(e.cfg.SessionMax)); err != nil {
		_ = e.d.State.Delete(ctx, sessionKey(id))
		if errors.Is(err, revoke.ErrEnded) {
			return "", api.Session{}, errEnded
		}
		return "", api.Session{}, err
	}
	ev := sspr.Event{Kind: sspr.EventSignIn, UserID: acct.ID, Flow: ref}
	if acct.MustChange {
		ev.Detail = "must_change=true" // with an initial password, to be changed first
	}
	e.note(ctx, ev, c)
	return id, e.view(s, acct), nil
}

func (e *Engine) view(s *session, acct *sspr.Account) api.Session {
	v := api.Session{User: s.User, ExpiresAt: e.expires(s), EndsBy: s.Created.Add(e.cfg.SessionMax),
		RecentUntil: s.AuthAt.Add(e.cfg.ReauthAfter)}
	if acct != nil {
		v.DisplayName, v.MustChange = acct.DisplayName, acct.MustChange
	}
	return v
}

// expires is when s ends if it is not used again.
func (e *Engine) expires(s *session) time.Time {
	return ends(s.Created, s.LastSeen, e.cfg.SessionIdle, e.cfg.SessionMax)
}

// ends is when a record made at created and last used at last ends: idle
// after its last use, and never past max after it was made.
func ends(created, last time.Time, idle, max time.Duration) time.Time {
	soft, hard := last.Add(idle), created.Add(max)
	if hard.Before(soft) {
		return hard
	}
	return soft
}

func (e *Engine) saveSession(ctx context.Context, s *session) error {
	return saveLive(ctx, e, "session", sessionKey(s.ID), s, e.expires(s))
}

// updateSession loads a live session, applies fn and stores it, refreshing
// its idle timer, all atomically. fn's error leaves the session unchanged.
// A session past its idle timeout or its absolute life is gone.
func (e *Engine) updateSession(ctx context.Context, id string, fn func(s *session) error) (*session, error) {
	if id == "" {
		return nil, errUnauthenticated
	}
	return updateLive(ctx, e, sessionKey(id), errUnauthenticated, e.expires,
		func(s *session, now time.Time) { s.LastSeen = now }, fn)
}

// saveLive stores v, a record with an end (what: "session", "staff
// session"), at key until that end. Errors name what, never the key: it
// holds the id, a bearer secret.
func saveLive[T any](ctx context.Context, e *Engine, what, key string, v *T, end time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	if err := e.d.State.Set(ctx, key, b, end.Sub(e.now())); err != nil {
		return fmt.Errorf("save %s: %w", what, err)
	}
	return nil
}

// updateLive loads the record at key (missing when there is none, or it
// is past its end), applies fn, marks it used now and stores it until its
// new end, all atomically; fn's error leaves it unchanged.
func updateLive[T any](ctx context.Context, e *Engine, key string, missing error, end func(*T) time.Time,
	used func(*T, time.Time), fn func(*T) error) (*T, error) {
	var out *T
	err := e.d.State.Update(ctx, key, func(cur []byte) ([]byte, time.Duration, error) {
		if cur == nil {
			return nil, 0, missing
		}
		v := new(T)
		now := e.now()
		if err := json.Unmarshal(cur, v); err != nil || !now.Before(end(v)) {
			return nil, 0, missing
		}
		if err := fn(v); err != nil {
			return nil, 0, err
		}
		used(v, now)
		b, err := json.Marshal(v)
		if err != nil {
			return nil, 0, err
		}
		out = v
		return b, end(v).Sub(now), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// live is how every registration call finds its session: signedIn, and
// refused (password_change_required) while the account must change its
// password, an initial one an import gave it: until the person has chosen
// their own, whoever else knows the initial password (whoever handed it
// out, whoever read the letter) could register their own address and
// mobile, and reset the password later.
func (e *Engine) live(ctx context.Context, id string) (*session, *sspr.Account, error) {
	s, acct, err := e.signedIn(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if acct.MustChange {
		return nil, nil, errMustChange
	}
	return s, acct, nil
}

// signedIn is how the calls an account that must change its password may
// still make (the session itself, reauth, the change of password, which
// ends it) find their session: refreshed, and still valid. A session is
// over, and deleted, once a reset, an unlock or a password change has
// ended the account's sessions (even if deleting it then failed), or once
// the directory says the account is locked, disabled or gone: a session
// must not outlive the account's own standing.
func (e *Engine) signedIn(ctx context.Context, id string) (*session, *sspr.Account, error) {
	s, err := e.updateSession(ctx, id, func(*session) error { return nil })
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
			e.d.Log.ErrorContext(ctx, "end session", "user", s.User, "flow", s.Ref, "err", err)
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

// Session returns the signed-in session, refreshing its idle timer; its
// MustChange says whether the password must be changed first.
func (e *Engine) Session(ctx context.Context, id string) (api.Session, error) {
	s, acct, err := e.signedIn(ctx, id)
	if err != nil {
		return api.Session{}, err
	}
	return e.view(s, acct), nil
}

// Reauth takes the password typed again, so that the methods may be
// changed for ReauthAfter more. A wrong one counts as a failed sign-in.
func (e *Engine) Reauth(ctx context.Context, id, password string, c sspr.Client) (api.Session, error) {
	s, acct, err := e.signedIn(ctx, id)
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
	s, err = e.updateSession(ctx, id, func(s *session) error {
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
	if _, err := e.updateSession(ctx, id, func(*session) error { return nil }); err != nil {
		return err
	}
	if err := e.d.State.Delete(ctx, sessionKey(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
