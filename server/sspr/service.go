package sspr

import (
	"context"
	"errors"
	"time"
)

// The services the engines work through. Each method's errors are listed
// by code: an error that holds an *Error has that code; any other error is
// a bug or an unforeseen failure, which reaches users as internal (500)
// after it is logged. Every method may also return the context's error.
// An implementation says so with an assertion, such as
// var _ sspr.Directory = (*Directory)(nil).

// Directory is where accounts and their passwords live: the embedded SQLite
// directory, or LDAP (OpenLDAP, Active Directory).
//
// Every method returns directory_unavailable (Unavailable with
// BackendDirectory) when the directory can't be reached or can't serve.
type Directory interface {
	// Lookup returns the account with this canonical id, or nil and no
	// error when there is none.
	Lookup(ctx context.Context, id string) (*Account, error)
	// CheckPassword reports whether password is the account's current
	// one. For an unknown id it is false and no error, after the same
	// work as for a known one, so that timing doesn't tell which ids
	// exist. A locked or disabled account is the caller's to judge.
	CheckPassword(ctx context.Context, id, password string) (bool, error)
	// SetPassword replaces the account's password. A refusal by the
	// directory's own policy (history, length, quality) is
	// password_policy, listing the rules broken (RuleHistory,
	// RuleMinLength, RuleDirectory), and nothing changes.
	SetPassword(ctx context.Context, id, password string) error
	// Unlock clears the account's lockout. Unlocking an account that is
	// not locked is not an error.
	Unlock(ctx context.Context, id string) error
	// MemberOf reports whether the account is a member of group,
	// directly or through groups in it where the directory nests them:
	// a group's DN in LDAP, its name in the embedded directory. An
	// unknown account is no member. It tells who is staff.
	MemberOf(ctx context.Context, id, group string) (bool, error)
	// Find returns at most limit accounts whose id or display name
	// contains term (case aside), for the service desk's look-up by name.
	Find(ctx context.Context, term string, limit int) ([]Account, error)
	// Each calls fn with every account among the directory's users (the
	// accounts Lookup could return), in no set order unless the
	// directory is IDOrdered, with its OU and, in LDAP, the alternate
	// address and mobile number the directory holds.
	// It stops at fn's first error and returns it as it is. It reads the
	// directory in pages, so that a directory of any size is walked
	// without holding it all, and it is meant for reports run now and
	// then (the coverage report, the reminders), never a request's path.
	Each(ctx context.Context, fn func(Account) error) error
}

// DirectoryMethods is a Registrations that adds the methods the directory
// itself holds (ldapdir.Registrations): Merge returns reg with what acct's
// own attributes add (acct as Directory.Each returned it, with its AltMail
// and Mobile), by the same rule as Registration, without asking the
// directory again. reg may be nil (nothing registered); so may the answer.
type DirectoryMethods interface {
	Merge(acct Account, reg *Registration) *Registration
}

// Registrations tells what users have registered for self-service: the
// Store, or the Store merged with what the directory holds (ldapdir).
//
// Both methods return service_unavailable (Unavailable with BackendStore)
// when the store can't serve, and directory_unavailable when the directory
// whose attributes are merged in can't.
type Registrations interface {
	// Registration returns the user's registration, or nil and no error
	// when the user has registered nothing. It does the same work whether
	// or not the user has registered (docs/SECURITY.md#same-answer).
	Registration(ctx context.Context, userID string) (*Registration, error)
	// Population counts the registrations of each shape, for the flows of
	// unknown user ids to copy (server/selfservice's decoys).
	Population(ctx context.Context) (Population, error)
}

// Auditor records audit events: the Store does.
type Auditor interface {
	// Record appends an audit event. An event without a time is stamped
	// with the current time; an event without a kind is refused (an
	// internal error). It returns service_unavailable when the store
	// can't serve.
	Record(ctx context.Context, e Event) error
	// Events returns the events q selects, newest first.
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// PurgeEvents deletes the events older than before, and says how
	// many it deleted.
	PurgeEvents(ctx context.Context, before time.Time) (int64, error)
}

// Store keeps registrations and audit events: SQLite (one server) or
// PostgreSQL (several servers share it). Every method returns
// service_unavailable (Unavailable with BackendStore) when the store can't
// serve.
type Store interface {
	Registrations
	Auditor
	// PutRegistration replaces everything r.UserID has registered with
	// r, in one step: of two replacements at once, one wins whole. A
	// registration with no email, phone or answers removes the user's
	// registration. One that fails Registration.Check is refused (an
	// internal error) and nothing is written.
	PutRegistration(ctx context.Context, r Registration) error
	// EachRegistration calls fn with every registration stored, in no
	// set order unless the store is IDOrdered, in one read rather than
	// one query each, for the coverage report and the reminders: the
	// answers' question ids without their hashes, which are most of a
	// registration and which neither needs. It stops at fn's first error and
	// returns it as it is. fn must not call back into the store.
	EachRegistration(ctx context.Context, fn func(Registration) error) error
}

// IDOrdered is a Directory whose Each, or a Store whose EachRegistration,
// walks in ascending order of user id, comparing the ids' bytes (Go's <
// on strings, SQLite's BINARY, PostgreSQL's "C" collation), each id once,
// when EachInIDOrder says so; a wrapper (metrics) answers for what it
// wraps. With both ordered the reports that walk every person (coverage,
// reminders) merge the two walks as they go, holding one registration at
// a time, instead of holding every registration to look each account up.
// It is optional: LDAP returns its pages in no order, and a backend that
// doesn't implement it is walked the other way.
type IDOrdered interface {
	EachInIDOrder() bool
}

// InIDOrder reports whether v (a Directory or a Store) walks in id order:
// an IDOrdered whose EachInIDOrder is true.
func InIDOrder(v any) bool {
	o, ok := v.(IDOrdered)
	return ok && o.EachInIDOrder()
}

// Reminders keeps when each person was last reminded to register, so that
// `sspr remind unregistered` reminds each person at most once a period,
// however often it runs and on however many servers at once: the Store
// backends keep it (SQLite, PostgreSQL). Both methods return
// service_unavailable when the store can't serve.
type Reminders interface {
	// ClaimReminder records that user is reminded at at, unless they were
	// reminded after since; it reports whether it recorded it. Of several
	// claims for one user at once, on any servers, at most one is true:
	// the one that may send.
	ClaimReminder(ctx context.Context, user string, at, since time.Time) (bool, error)
	// ReleaseReminder undoes the claim made at at (the reminder could not
	// be stored for sending), so that the next run tries again; a later
	// claim is left as it is.
	ReleaseReminder(ctx context.Context, user string, at time.Time) error
}

// State keeps short-lived state with expiry: flows, sessions, code hashes,
// CAPTCHA answers, throttle counters and blocks. In memory by default
// (server/memstate, one server), Redis when several servers share it
// (server/redisstate); both pass server/internal/statetest.
//
// Every read-modify-write goes through Update, which is atomic per key, or
// Incr and Take, which are atomic themselves.
//
// Errors: a backend that can't serve (Redis down, hung, refusing writes;
// memory full of entries it must keep) is service_unavailable, never taken
// for a missing key: the caller fails closed rather than skip a throttle
// (docs/SECURITY.md#backend-down). A ttl or window that is not positive,
// and Incr on a key that does not hold a counter, are bugs: internal
// errors (each backend's ErrTTL and ErrNotInteger). Every method also
// returns the context's error once it is done. Errors never name the key:
// keys carry flow ids, which are bearer secrets.
type State interface {
	// Get returns the value, or nil when the key is missing or expired.
	// A stored empty value is returned as a non-nil empty slice. The
	// slice is the caller's. Errors: service_unavailable.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value, replacing any previous value and expiry, to
	// expire after ttl. Errors: service_unavailable (also for a new key
	// in a memory store full of entries it must keep); ErrTTL for a ttl
	// that is not positive.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes a key; a missing key is not an error. Errors:
	// service_unavailable.
	Delete(ctx context.Context, key string) error
	// Update atomically replaces a key's value with what fn returns; fn
	// gets the current value, or nil for a missing or expired key. If fn
	// returns a nil value the key is deleted; if it returns an error
	// nothing changes and Update returns that error as it is. A non-nil
	// value needs a positive ttl.
	//
	// fn may be called more than once (Redis runs it again when another
	// server changed the key meanwhile), and may run with a lock held: it
	// must depend on cur only (and on what does not change, such as the
	// clock), keep no effect of an earlier call, be quick, and never call
	// back into the State.
	//
	// Errors: fn's own; service_unavailable (as Set's); throttled when
	// other servers changed the key every time it was tried (Redis; retry
	// in a second); ErrTTL for a non-nil value with a ttl that is not
	// positive.
	Update(ctx context.Context, key string, fn func(cur []byte) (next []byte, ttl time.Duration, err error)) error
	// Incr adds one to a counter and returns the new count. A new (or
	// expired) counter starts at 1 and expires after window; later
	// increments keep that expiry, so the window is fixed. The counter is
	// decimal text, so Get returns it as such. Errors:
	// service_unavailable (as Set's); ErrTTL for a window that is not
	// positive; ErrNotInteger when the key holds something other than a
	// counter, or one that would overflow.
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
	// Take returns the value and deletes the key in one step (Redis
	// GETDEL): of several callers taking one key at once, on any servers,
	// exactly one gets the value. It returns nil when the key is missing
	// or expired. Errors: service_unavailable.
	Take(ctx context.Context, key string) ([]byte, error)
}

// Sender delivers a message: SMTP (server/mailer), the SMS gateway
// (server/smsgateway), the dev outbox (server/outbox), or the durable
// outbox (server/dispatch) and server/notify's router in front of them.
// The engines are given the router: Send returns once the message is
// stored, and delivery happens off the request path
// (docs/SECURITY.md#same-answer: delivery time and failure are no signal).
// An error from it means the message was not stored, and nothing will be
// sent.
//
// Errors must not carry the message's body or code, because they are
// logged. A sender that delivers marks the failures that retrying won't
// fix with notify.Permanent or notify.Refused; any other error is retried
// by the outbox.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// BatchSender is a Sender that can also hand on several messages at once:
// a notice to each of an account's addresses. The durable outbox
// (server/dispatch) stores them in one write, all or none; the router
// (server/notify), in one write per channel. The error joins what failed.
type BatchSender interface {
	SendAll(ctx context.Context, ms []Message) error
}

// SendAll hands ms to s: in one write where s is a BatchSender, else one
// by one, the error joining theirs.
func SendAll(ctx context.Context, s Sender, ms []Message) error {
	if b, ok := s.(BatchSender); ok && len(ms) > 1 {
		return b.SendAll(ctx, ms)
	}
	var errs []error
	for _, m := range ms {
		errs = append(errs, s.Send(ctx, m))
	}
	return errors.Join(errs...)
}

// DecoySender is a Sender that can also do for a decoy flow what storing
// a message costs the request, sending nothing (server/dispatch): a decoy
// must take as long as a real flow (docs/SECURITY.md#same-answer).
type DecoySender interface {
	SendDecoy(ctx context.Context, ch Channel) error
}

// Hasher hashes secrets (security-question answers) with argon2id and
// checks them against their hashes (server/secret). Implementations bound
// the number of hashes computed at once, so that a flood of guesses queues
// instead of exhausting the CPU and memory; waiting for a turn ends with
// the context.
type Hasher interface {
	// Hash returns the encoded argon2id hash of plain, with a fresh salt.
	Hash(ctx context.Context, plain string) (string, error)
	// Verify reports whether plain matches the encoded hash, in constant
	// time. A hash that can't be decoded is an internal error.
	Verify(ctx context.Context, encoded, plain string) (bool, error)
}

// Catalog is the security-question catalogue (server/questions).
type Catalog interface {
	// Text returns the question's text, and whether it exists.
	Text(id string) (string, bool)
	// IDs returns every question id, in a stable order.
	IDs() []string
}

// PasswordPolicy checks a new password (server/policy).
type PasswordPolicy interface {
	// Check returns every rule password breaks, in the order the
	// checklist shows them, or nil if it breaks none. acct is the account
	// whose password is being set (nil: the user's id and name are not
	// checked). The caller refuses a password that breaks any with
	// password_policy.
	Check(password string, acct *Account) []Rule
}
