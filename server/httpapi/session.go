package httpapi

import (
	"net/http"
	"time"

	"github.com/gorilla/sessions"
)

// Two cookies, each carrying one random id and nothing else
// (docs/SECURITY.md#cookies): the reset flow's and the signed-in session's.
// They are separate so that one can never stand for the other.
const (
	flowIDKey    = "fid"
	sessionIDKey = "sid"
)

// newCookieStore makes cookies with authKey and encKey, and reads them
// with those or any pair of accepted (authentication key, encryption key,
// ...): the keys still accepted during a rotation (server/keys).
func newCookieStore(authKey, encKey []byte, accepted [][]byte, life time.Duration) *sessions.CookieStore {
	cs := sessions.NewCookieStore(append([][]byte{authKey, encKey}, accepted...)...)
	// Gorilla's defaults are a month and no SameSite: the cookie lives as
	// long as a flow or an idle session, only for same-site requests, out
	// of script's reach (docs/SECURITY.md#cookies). Secure is set per
	// request, in saveID.
	secs := int(life / time.Second)
	cs.MaxAge(secs)
	cs.Options = &sessions.Options{Path: "/", MaxAge: secs, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	return cs
}

// readID returns the id a cookie carries, or "". A tampered, truncated,
// expired or wrong-key cookie carries nothing
// (docs/SECURITY.md#bad-cookie).
func (s *server) readID(r *http.Request, cookie, key string) string {
	sess, err := s.sessions.Get(r, cookie)
	if err != nil {
		return ""
	}
	id, _ := sess.Values[key].(string)
	return id
}

// saveID sets a cookie to carry id for life (0: the flow's); an empty id
// deletes the cookie.
func (s *server) saveID(w http.ResponseWriter, r *http.Request, cookie, key, id string, life time.Duration) error {
	sess := sessions.NewSession(s.sessions, cookie)
	opts := *s.sessions.Options
	opts.Secure = s.secure(r)
	if life > 0 {
		opts.MaxAge = int(life / time.Second)
	}
	sess.Options = &opts
	sess.IsNew = true
	if id == "" {
		sess.Options.MaxAge = -1
	} else {
		sess.Values[key] = id
	}
	return sess.Save(r, w)
}

func (s *server) flowID(r *http.Request) string { return s.readID(r, s.CookieName, flowIDKey) }

func (s *server) saveFlowID(w http.ResponseWriter, r *http.Request, id string) error {
	return s.saveID(w, r, s.CookieName, flowIDKey, id, 0)
}

func (s *server) accountCookie() string { return s.CookieName + "_account" }

func (s *server) sessionID(r *http.Request) string {
	return s.readID(r, s.accountCookie(), sessionIDKey)
}

// saveSessionID sets the signed-in session's cookie; saving it again on
// every call restarts its clock, so it ends after the idle timeout.
func (s *server) saveSessionID(w http.ResponseWriter, r *http.Request, id string) error {
	// Its own life: the session's idle timeout, not a flow's.
	return s.saveID(w, r, s.accountCookie(), sessionIDKey, id, s.SessionIdle)
}
