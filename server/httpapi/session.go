package httpapi

import (
	"net/http"
	"time"

	"github.com/gorilla/sessions"
)

const flowIDKey = "fid"

func newCookieStore(authKey, encKey []byte, life time.Duration) *sessions.CookieStore {
	cs := sessions.NewCookieStore(authKey, encKey)
	// Gorilla's defaults are a month and no SameSite: the cookie lives as
	// long as a flow, only for same-site requests, out of script's reach
	// (rule 15). Secure is set per request, in saveFlowID.
	secs := int(life / time.Second)
	cs.MaxAge(secs)
	cs.Options = &sessions.Options{Path: "/", MaxAge: secs, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	return cs
}

// flowID returns the flow id the session cookie carries, or "". A
// tampered, truncated, expired or wrong-key cookie carries nothing
// (catalogue 21).
func (s *server) flowID(r *http.Request) string {
	sess, err := s.sessions.Get(r, s.CookieName)
	if err != nil {
		return ""
	}
	id, _ := sess.Values[flowIDKey].(string)
	return id
}

// saveFlowID sets the cookie to carry id; an empty id ends the session.
// The cookie holds only the id: everything else is server-side.
func (s *server) saveFlowID(w http.ResponseWriter, r *http.Request, id string) error {
	sess := sessions.NewSession(s.sessions, s.CookieName)
	opts := *s.sessions.Options
	opts.Secure = s.secure(r)
	sess.Options = &opts
	sess.IsNew = true
	if id == "" {
		sess.Options.MaxAge = -1
	} else {
		sess.Values[flowIDKey] = id
	}
	if err := sess.Save(r, w); err != nil {
		return err
	}
	return nil
}
