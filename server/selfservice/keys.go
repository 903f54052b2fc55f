package selfservice

import (
	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Every name the engine keeps in the State backend, or counts and blocks
// with package throttle, is made here and nowhere else, so that what one
// part counts another can find, and two can't clash. The throttle package
// adds its own prefixes to what it is given ("n:" counters, "cool:"
// cool-downs, "streak:" and "closed:"); memstate evicts some of these
// first when full (portal.EvictablePrefixes, which must match).
//
// Per-account names are by the canonical user id as typed, whether or not
// an account has it, so that a throttled unknown id looks like a throttled
// real one (docs/SECURITY.md#same-answer); per-address names are by the
// client's network (sspr.Client.Key).

func flowKey(id string) string    { return "flow:" + id }
func sessionKey(id string) string { return "session:" + id }
func staffKey(id string) string   { return "staff:" + id }

// passKey holds the recovery pass the service desk issued to user.
func passKey(user string) string { return "pass:user:" + user }

// totpStepKey holds the last step of user's authenticator app whose code
// was accepted (totp.go: no code twice).
func totpStepKey(user string) string { return "totp-step:user:" + user }

// drawKey holds how many times an account passed its questions.
func drawKey(user string) string { return "draw:user:" + user }

// Locks: one check at a time per account (docs/SECURITY.md#one-check-at-a-time).
func flowLock(user string) string   { return "lock:" + user }
func signInLock(user string) string { return "lock:signin:" + user }

// Blocks: of a flow (self-service), of signing in, of an address.
func blockFlow(user string) string      { return "block:user:" + user }
func blockSignIn(user string) string    { return "block:signin:" + user }
func blockAddr(c sspr.Client) string    { return "block:addr:" + c.Key() }
func startsUser(user string) string     { return "starts:user:" + user }
func startsAddr(c sspr.Client) string   { return "starts:addr:" + c.Key() }
func failAddr(c sspr.Client) string     { return "fail:addr:" + c.Key() }
func captchasAddr(c sspr.Client) string { return "captcha:addr:" + c.Key() }
func probesAddr(c sspr.Client) string   { return "probe:addr:" + c.Key() }

// sendKey names the sends of codes of method k to user: in a flow, and,
// apart, at registration, each with its own cool-down and hourly cap.
func sendKey(k api.Kind, user string) string      { return string(k) + ":" + user }
func registerKey(k api.Kind, user string) string  { return "register:" + string(k) + ":" + user }
func staffSendKey(k api.Kind, user string) string { return "staff:" + string(k) + ":" + user }
