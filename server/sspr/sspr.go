// Package sspr is the domain of the portal, and its one home: the types
// every part shares (an account, a registration, an audit event, a message),
// the error type and its codes, and the interfaces of the services the
// engines work through (Directory, Store, State, Sender, ...). It imports
// the standard library only, so that every backend can implement its
// interfaces and return its errors without knowing the engines, the HTTP
// layer or the browser's wire types (app/api), and none of those has to
// know a backend.
//
// The engine (server/selfservice) takes these interfaces; the
// backends (server/sqlite, server/pgstore, server/ldapdir,
// server/memstate, server/redisstate, server/mailer, server/smsgateway,
// server/outbox, server/notify) implement them; server/httpapi, the edge,
// turns an *Error into the wire's error; server/portal wires them together.
package sspr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Account is a directory account.
type Account struct {
	// ID is the canonical user id (see package canon), e.g. alice@example.edu.
	ID          string
	DisplayName string
	// Mail is the primary address, where notifications go.
	Mail     string
	Locked   bool
	Disabled bool
	// OU is the organisational unit the account is filed under, as a
	// readable path from the top ("people/engineering"), "" for none: for
	// the coverage report's groups.
	OU string
	// AltMail and Mobile are the alternate address and mobile number the
	// directory itself holds (ldapdir's alt_mail_attribute and
	// mobile_attribute), as it holds them; "" when it holds none or
	// isn't asked to. What they count for is the Registrations'
	// (DirectoryMethods) to say, never the caller's.
	AltMail, Mobile string
	// PasswordSetAt is when the password was last set, when the directory
	// says (OpenLDAP's pwdChangedTime, Active Directory's pwdLastSet, the
	// embedded directory's own record); zero when it doesn't, or when the
	// password must be changed at the next sign-in (pwdLastSet 0).
	PasswordSetAt time.Time
	// PasswordExpiresAt is when the password expires, when the directory
	// says it does (OpenLDAP: pwdChangedTime and the ppolicy's pwdMaxAge;
	// Active Directory: msDS-UserPasswordExpiryTimeComputed); zero when
	// it never does, or the directory doesn't say.
	PasswordExpiresAt time.Time
	// MustChange says the password must be changed at the next sign-in
	// before anything else (the embedded directory's accounts imported
	// with an initial password).
	MustChange bool
}

// Registration is what a user has registered for self-service: the
// verification methods, each with the time it was confirmed. A zero time
// means the method is not registered.
type Registration struct {
	UserID         string
	Email          string
	EmailConfirmed time.Time
	// Phone is in E.164 form, e.g. +447700900123.
	Phone          string
	PhoneConfirmed time.Time
	// Answers are the security-question answers, hashed (never plain text).
	Answers          []Answer
	AnswersConfirmed time.Time
	// TOTPKey is the authenticator app's key (RFC 6238), sealed under the
	// portal's keys and bound to UserID (server/seal): never as the app
	// was given it. TOTPConfirmed is when a first code from the app
	// confirmed it.
	TOTPKey       []byte
	TOTPConfirmed time.Time
	// Passkeys are the person's passkeys (WebAuthn credentials), in the
	// order registered.
	Passkeys []Passkey
	// Lang is the language the person last used the portal's
	// registration pages in, by tag such as "cy" ("" unknown): the
	// messages sent outside their own requests (a reminder to register,
	// the service desk's notice) are written in it.
	Lang string
}

// HasEmail reports whether a confirmed alternate email is registered.
func (r Registration) HasEmail() bool { return r.Email != "" && !r.EmailConfirmed.IsZero() }

// HasPhone reports whether a confirmed mobile number is registered.
func (r Registration) HasPhone() bool { return r.Phone != "" && !r.PhoneConfirmed.IsZero() }

// Passkey is one registered passkey: a WebAuthn credential, named by its
// owner. Nothing in it is secret: the private key never leaves the
// authenticator.
type Passkey struct {
	// ID is the credential's id, unique across accounts.
	ID []byte
	// Name is what its owner calls it ("My phone").
	Name string
	// Credential is the credential as the WebAuthn library keeps it
	// (server/selfservice: passkey.go): its public key, sign counter,
	// backup flags and transports, as JSON.
	Credential []byte
	// Created is when it was registered; LastUsed when it last passed a
	// flow (zero: never).
	Created, LastUsed time.Time
}

// HasPasskey reports whether a passkey is registered.
func (r Registration) HasPasskey() bool { return len(r.Passkeys) > 0 }

// HasTOTP reports whether a confirmed authenticator app is registered.
func (r Registration) HasTOTP() bool { return len(r.TOTPKey) > 0 && !r.TOTPConfirmed.IsZero() }

// Empty reports whether r registers nothing: a store then keeps no
// registration for the user.
func (r Registration) Empty() bool {
	return r.Email == "" && r.Phone == "" && len(r.Answers) == 0 && len(r.TOTPKey) == 0 && len(r.Passkeys) == 0
}

// HasQuestions reports whether at least n answered questions are registered.
func (r Registration) HasQuestions(n int) bool {
	return len(r.Answers) >= n && !r.AnswersConfirmed.IsZero()
}

// Check refuses a registration that must never be stored: no user id, an
// answer without a question or twice to one question, an answer that is
// not an argon2id hash, or an authenticator key that is not sealed (never
// keep an answer or a key as typed, even by mistake). Every store applies
// it before writing.
func (r Registration) Check() error {
	if r.UserID == "" {
		return errors.New("no user id")
	}
	if len(r.TOTPKey) > 0 && !looksSealed(r.TOTPKey) {
		return errors.New("the authenticator key is not sealed")
	}
	ids := make(map[string]bool, len(r.Passkeys))
	for _, p := range r.Passkeys {
		switch {
		case len(p.ID) == 0 || len(p.ID) > 1023: // WebAuthn: at most 1023 bytes
			return errors.New("a passkey has no id, or one over 1023 bytes")
		case ids[string(p.ID)]:
			return errors.New("a passkey is registered twice")
		case len(p.Credential) == 0 || p.Created.IsZero():
			return errors.New("a passkey has no credential or no time of registration")
		}
		ids[string(p.ID)] = true
	}
	seen := make(map[string]bool, len(r.Answers))
	for _, a := range r.Answers {
		switch {
		case a.QuestionID == "":
			return errors.New("an answer has no question id")
		case seen[a.QuestionID]:
			return fmt.Errorf("question %q answered twice", a.QuestionID)
		case !strings.HasPrefix(a.Hash, "$argon2id$"):
			return fmt.Errorf("the answer to %q is not an argon2id hash", a.QuestionID)
		}
		seen[a.QuestionID] = true
	}
	return nil
}

// looksSealed tells a sealed key (a nonce, the ciphertext and a tag:
// random bytes, at least 28 of them) from a key as an app is given it
// (base32 text), which random bytes all but never are.
func looksSealed(b []byte) bool {
	if len(b) < 28 {
		return false
	}
	for _, c := range b {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7' || c == '=') {
			return true
		}
	}
	return false
}

// Answer is one registered security-question answer.
type Answer struct {
	QuestionID string
	// Hash is an encoded argon2id hash of the normalised answer (see
	// package secret).
	Hash string
}

// Event is an audit event. It never holds a secret.
type Event struct {
	At     time.Time
	Kind   string
	UserID string
	// Flow names the reset flow or the registration session the event
	// belongs to: a reference of its own, not its id (which is a bearer
	// secret), the same on every event of the flow.
	Flow string
	// Request is the id of the HTTP request that made the event (the
	// X-Request-Id the portal answers with), "" for none.
	Request string
	// Outcome is OutcomeOK, OutcomeRefused, OutcomeFailed or
	// OutcomeStarted.
	Outcome    string
	ClientAddr string
	UserAgent  string
	// Detail is a short, secret-free description, e.g. "methods=email,sms".
	Detail string
}

// The outcomes of an event.
const (
	OutcomeOK      = "ok"      // done
	OutcomeRefused = "refused" // the person's input was refused: a wrong code, a throttle
	OutcomeFailed  = "failed"  // the portal or a backend failed
	// OutcomeStarted is recorded before a change to the account (a
	// password set, an unlock, a registration changed): a change that
	// can't be audited doesn't happen. Its OK or failed follows.
	OutcomeStarted = "started"
)

// EventQuery selects audit events. Zero fields select everything.
type EventQuery struct {
	User string
	Flow string
	// Kinds: any of these.
	Kinds []string
	// Since and Until bound the time: Since <= At < Until.
	Since, Until time.Time
	// Limit is the most events returned, newest first (the store's
	// default when 0).
	Limit int
}

// Audit event kinds.
const (
	EventPasswordReset   = "password_reset"
	EventAccountUnlocked = "account_unlocked"
	EventBlocked         = "self_service_blocked"
)

// Client is who made a request: for per-address throttles and the audit.
type Client struct {
	// Addr is the client's address, as the audit and the logs show it.
	Addr string
	// Net is what the per-address limits count: the address itself for
	// IPv4, its network by throttle.ipv6_prefix for IPv6 (one subscriber
	// holds a whole /64). Empty means Addr.
	Net       string
	UserAgent string
	// Lang is the language the person reads the pages in, such as "cy".
	Lang string
}

// Key is the name the per-address limits count the client by.
func (c Client) Key() string {
	if c.Net != "" {
		return c.Net
	}
	return c.Addr
}

// More audit event kinds.
const (
	EventSignIn              = "sign_in"
	EventSignInFailed        = "sign_in_failed"
	EventRegistrationChanged = "registration_changed"
	EventPasswordChanged     = "password_changed"
	// EventUnlockNotNeeded: an unlock's methods passed, but the account
	// was not locked, so nothing was changed.
	EventUnlockNotNeeded = "unlock_not_needed"
	// EventSelfServiceClosed: failures in a row reached the cap, and
	// self-service stays closed until the service desk opens it again.
	EventSelfServiceClosed = "self_service_closed"
	// EventSessionsEnded: a reset, an unlock or a password change ended
	// the account's other sessions and flows.
	EventSessionsEnded = "sessions_ended"
)

// The steps of a flow, each an event (docs/AUDIT.md).
const (
	EventFlowStarted   = "flow_started"   // a user id and its CAPTCHA taken; Detail says whether the account can use self-service
	EventIntentChosen  = "intent_chosen"  // reset or unlock
	EventCodeSent      = "code_sent"      // a code stored for delivery (Detail: the channel)
	EventCodeWrong     = "code_wrong"     // a code typed that didn't match, had expired, or was used up
	EventMethodPassed  = "method_passed"  // a verification method passed (Detail: which)
	EventAnswersWrong  = "answers_wrong"  // security answers that didn't match
	EventPhoneMismatch = "phone_mismatch" // a number typed that isn't the registered one
	// EventPasswordRefused: a new password the policy or the directory
	// refused (Detail: the rules).
	EventPasswordRefused = "password_refused"
	// EventMessageDelivered and EventMessageFailed: the outbox delivered
	// a message, or gave it up (Detail: its kind and channel).
	EventMessageDelivered = "message_delivered"
	EventMessageFailed    = "message_failed"
	// EventStaffSignIn: a member of staff signed in to the service desk's
	// console: started with the password, ok with the code too.
	// EventStaffSignInFailed: a wrong code, or someone not staff (or not
	// active) with the right password.
	EventStaffSignIn       = "staff_sign_in"
	EventStaffSignInFailed = "staff_sign_in_failed"
	// EventPersonLookedUp: a member of staff looked the person up in the
	// console (Detail: by whom).
	EventPersonLookedUp = "person_looked_up"
	// EventPeopleSearched: a member of staff searched by name (UserID: the
	// staff member; Detail: the term).
	EventPeopleSearched = "people_searched"
	// The service desk's actions, each with the staff member's id, the
	// ticket and the reason in Detail: started, then ok or failed.
	EventDeskUnlock            = "desk_unlock"
	EventDeskLiftBlock         = "desk_lift_block"
	EventDeskClearRegistration = "desk_clear_registration"
	EventDeskRecoveryPass      = "desk_recovery_pass"
	// EventProbeStarted and EventProbeRefused: `sspr probe` started a flow
	// for the canary account with its token instead of a CAPTCHA, or a
	// request with a probe token was refused (another account, a wrong
	// token, no probe configured).
	EventProbeStarted = "probe_started"
	EventProbeRefused = "probe_refused"
	// EventPassUsed and EventPassWrong: a recovery pass typed in a flow.
	EventPassUsed  = "recovery_pass_used"
	EventPassWrong = "recovery_pass_wrong"
	// EventCoverageReported: a member of staff read the coverage report
	// (UserID: the staff member).
	EventCoverageReported = "coverage_reported"
	// EventRemindersSent: a run of `sspr remind unregistered` or `sspr
	// remind expiring` (Detail, "expiring ..." for the latter:
	// how many it reached and skipped; never an address).
	EventRemindersSent = "reminders_sent"
)

// Shape is what a reset shows of a registration before anyone has proven
// anything: which methods it has and, for an alternate address, its domain
// and first character. The flows of unknown and unregistered user ids copy
// the shapes of real registrations, in their proportions, so that what a
// flow shows never tells a real account from a made-up one.
type Shape struct {
	// Email and Phone say a confirmed alternate address or mobile number
	// is registered.
	Email, Phone bool
	// Answers is how many security questions are answered, or 0 when the
	// answers are not confirmed.
	Answers int
	// TOTP says a confirmed authenticator app is registered, and Passkey
	// a passkey.
	TOTP, Passkey bool
	// Domain is the alternate address's domain in lower case, and Initial
	// its first character in lower case; both empty without Email.
	Domain, Initial string
}

// Population counts the registrations of each shape.
type Population map[Shape]int
