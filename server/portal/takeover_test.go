package portal_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
)

// TestAResetEndsTheAttackersSession is the outside review's takeover:
// someone who phished alice's password signs in to the registration pages;
// alice resets her password. The attacker's session must be over: it can't
// read the registration, remove her mobile or put in its own address. Two
// portals share nothing but the keys here, as servers behind a load
// balancer share Redis: the end must reach the other server too, so they
// share one State backend (the in-memory one can't be shared, so this runs
// on one portal; redisstate's tests cover several).
func TestAResetEndsTheAttackersSession(t *testing.T) {
	e := newEnv(t)
	attacker := e.client(t)
	attacker.ok(201, attacker.signIn("alice", "Alice-Old-Password-1"))
	attacker.registration()

	// Alice resets her password.
	alice := e.client(t)
	alice.startWith("alice", api.IntentReset)
	alice.passEmail("alice.alt@example.net")
	alice.passSMS("07700 900123", "+447700900123")
	alice.ok(200, alice.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: "Quiet-Harbour-Lantern-9"}))

	attacker.wantError(attacker.call("GET", api.PathRegistration, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	attacker.wantError(attacker.call("DELETE", "/api/v1/registration/sms", nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	attacker.wantError(attacker.call("POST", api.PathRegEmail, api.EmailRequest{Email: "attacker@example.org"}), http.StatusUnauthorized, api.CodeUnauthenticated)
	// The old password signs in no more; the new one does.
	attacker.wantError(attacker.signIn("alice", "Alice-Old-Password-1"), http.StatusUnauthorized, api.CodeUnauthenticated)
	alice.ok(201, alice.signIn("alice", "Quiet-Harbour-Lantern-9"))
	alice.registration()
}

// TestAPasswordChangeEndsTheOtherSessions: changing the password while
// signed in leaves no other session of the account working.
func TestAPasswordChangeEndsTheOtherSessions(t *testing.T) {
	e := newEnv(t)
	attacker, alice := e.client(t), e.client(t)
	attacker.ok(201, attacker.signIn("alice", "Alice-Old-Password-1"))
	alice.ok(201, alice.signIn("alice", "Alice-Old-Password-1"))
	alice.ok(204, alice.call("POST", api.PathSessionPassword, api.ChangePasswordRequest{Current: "Alice-Old-Password-1", New: "Quiet-Harbour-Lantern-9"}))
	attacker.wantError(attacker.call("GET", api.PathRegistration, nil), http.StatusUnauthorized, api.CodeUnauthenticated)
	// And a reset flow the attacker had under way is over too.
	attacker.startWith("alice", api.IntentReset)
	attacker.passEmail("alice.alt@example.net")
	alice2 := e.client(t)
	alice2.ok(201, alice2.signIn("alice", "Quiet-Harbour-Lantern-9"))
	alice2.ok(204, alice2.call("POST", api.PathSessionPassword, api.ChangePasswordRequest{Current: "Quiet-Harbour-Lantern-9", New: "Velvet-Canyon-Compass-10"}))
	attacker.wantError(attacker.call("GET", api.PathFlow, nil), http.StatusNotFound, api.CodeFlowMissing)
}

// TestChangesNeedARecentPassword: over the API, a session older than
// registration.reauth_after must type the password again (403
// reauth_required, then POST /api/v1/session/reauth).
func TestChangesNeedARecentPassword(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnvWith(t, clock, func(c *config.Config) { c.Registration.ReauthAfter = config.Duration{Duration: 5 * time.Minute} })
	c := e.client(t)
	c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	mu.Lock()
	now = now.Add(6 * time.Minute)
	mu.Unlock()
	c.wantError(c.call("POST", api.PathRegEmail, api.EmailRequest{Email: "carol.alt@example.net"}), http.StatusForbidden, api.CodeReauthRequired)
	c.wantError(c.call("POST", api.PathSessionReauth, api.ReauthRequest{Password: "wrong"}), http.StatusForbidden, api.CodeReauthRequired)
	c.ok(200, c.call("POST", api.PathSessionReauth, api.ReauthRequest{Password: "Carol-Old-Password-1"}))
	c.ok(200, c.call("POST", api.PathRegEmail, api.EmailRequest{Email: "carol.alt@example.net"}))
}

// TestTheSessionCookieLivesAsTheSession: the signed-in session's cookie
// lasts registration.session_idle, not a flow's life, so a longer idle time
// isn't cut short by the browser.
func TestTheSessionCookieLivesAsTheSession(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Registration.SessionIdle = config.Duration{Duration: 30 * time.Minute} })
	c := e.client(t)
	r := c.ok(201, c.signIn("carol", "Carol-Old-Password-1"))
	set, err := http.ParseSetCookie(r.header.Get("Set-Cookie"))
	if err != nil || set.MaxAge != 1800 || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie: %+v, %v", set, err)
	}
}
