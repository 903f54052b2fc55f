package selfservice

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

// One-time codes, for a flow's methods and for registering an address:
// random digits from crypto/rand, sent at most once a cool-down and so many
// times an hour, of which only a keyed hash is kept, bound to what the code
// is for (the flow or session, the user, the method, the address), good
// for CodeLifetime and CodeMaxTries wrong tries, and used up by the right
// one (docs/SECURITY.md#codes).

// code is a one-time code as the State backend keeps it.
type code struct {
	MAC     []byte    `json:"mac"`
	Expires time.Time `json:"expires"`
	Tries   int       `json:"tries"`
	// Msg is the id of the message that carries the code, and
	// Undelivered says the outbox gave that message up: the code will
	// never arrive (DeliveryFailed).
	Msg         string `json:"msg,omitempty"`
	Undelivered bool   `json:"undelivered,omitempty"`
}

// issue makes a new code bound to bind, once the sends under key allow one
// more (throttle.Send: the cool-down and the hourly cap), and returns it
// and what to keep of it.
func (e *Engine) issue(ctx context.Context, key string, cooldown time.Duration, bind ...string) (string, *code, error) {
	if err := e.th.Send(ctx, key, cooldown, e.cfg.MaxSendsPerHour); err != nil {
		return "", nil, err
	}
	msg, err := e.randomID()
	if err != nil {
		return "", nil, err
	}
	plain, err := secret.NewCode(e.d.Rand, e.cfg.CodeDigits)
	if err != nil {
		return "", nil, err
	}
	return plain, &code{MAC: e.codeMAC(plain, bind), Expires: e.now().Add(e.cfg.CodeLifetime), Msg: msg}, nil
}

func (e *Engine) codeMAC(plain string, bind []string) []byte {
	return secret.MAC(e.d.CodeKey, append(append([]string(nil), bind...), plain)...)
}

// macMatches reports whether want is the MAC of parts under the code key
// or one of the keys still accepted during a rotation (Deps.
// AcceptedCodeKeys). Every key is tried, whatever matched first: the
// same work whatever the answer.
func (e *Engine) macMatches(want []byte, parts ...string) bool {
	ok := hmac.Equal(want, secret.MAC(e.d.CodeKey, parts...))
	for _, k := range e.d.AcceptedCodeKeys {
		ok = hmac.Equal(want, secret.MAC(k, parts...)) || ok
	}
	return ok
}

// typedCode is a code as typed, spaces and dashes dropped, or a bad
// request when it can't be one.
func (e *Engine) typedCode(raw string) (string, error) {
	typed := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, raw)
	if len(typed) != e.cfg.CodeDigits || strings.Trim(typed, "0123456789") != "" {
		return "", sspr.Errorf(sspr.CodeBadRequest, "Enter the %d-digit code we sent you.", e.cfg.CodeDigits)
	}
	return typed, nil
}

// outcome is what a check of a code found.
type outcome int

func (o outcome) String() string {
	switch o {
	case codeRight:
		return "right"
	case codeWrong:
		return "wrong"
	case codeUsedUp:
		return "used_up"
	}
	return "expired"
}

const (
	codeRight outcome = iota
	codeWrong
	codeUsedUp // wrong, and the last try
	codeExpired
)

// check compares typed with c, bound to bind, and counts a wrong try in c.
// never makes every code wrong, after the same work (a decoy's). The
// caller holds c in an atomic update and drops c unless the answer is
// codeWrong: a code is used up by the right answer, its last try or its
// expiry.
func (e *Engine) check(c *code, typed string, never bool, bind ...string) (outcome, int) {
	if !e.now().Before(c.Expires) {
		return codeExpired, 0
	}
	if e.macMatches(c.MAC, append(append([]string(nil), bind...), typed)...) && !never {
		return codeRight, 0
	}
	c.Tries++
	left := e.cfg.CodeMaxTries - c.Tries
	if left <= 0 {
		return codeUsedUp, 0
	}
	return codeWrong, left
}

var errNoCode = &sspr.Error{Code: sspr.CodeCodeExpired, Message: "There's no code waiting. Send a new code."}

// errUndelivered answers a code whose message the outbox gave up on.
var errUndelivered = &sspr.Error{Code: sspr.CodeCodeExpired, Message: "We couldn't send you that code. Send a new code, or choose another method."}

// codeError is the answer to a code that wasn't right.
func codeError(o outcome, left int) error {
	switch o {
	case codeExpired:
		return &sspr.Error{Code: sspr.CodeCodeExpired, Message: "That code has expired. Send a new code."}
	case codeUsedUp:
		return &sspr.Error{Code: sspr.CodeCodeExpired, Message: "That code was entered wrongly too many times. Send a new code."}
	}
	msg := "That code didn't match. Check it and try again."
	if left == 1 {
		msg = "That code didn't match. You have one more try."
	}
	return &sspr.Error{Code: sspr.CodeCodeInvalid, Message: msg, TriesLeft: &left}
}

// sendCode stores a message carrying a code in the outbox, which
// delivers it off the request path: its delivery time and failures are no
// signal (docs/SECURITY.md#same-answer). The error is the outbox's (the
// store is down): then nothing will be sent, and the caller says so
// rather than "sent". A decoy flow stores a stand-in that is sent to
// nobody, so that it costs the request the same.
func (e *Engine) sendCode(ctx context.Context, m codeMethod, to, plain, user, flowRef string, decoy bool, cd *code, ref string) error {
	if decoy {
		if ds, ok := e.d.Sender.(sspr.DecoySender); ok {
			if err := ds.SendDecoy(ctx, m.channel()); err != nil {
				return err
			}
		}
		return nil
	}
	msg := codeMessage(m.channel(), to, plain, e.cfg)
	msg.ID, msg.Ref, msg.Expires = cd.Msg, ref, cd.Expires
	msg.Account, msg.Flow = user, flowRef
	if err := e.d.Sender.Send(ctx, msg); err != nil {
		e.d.Log.ErrorContext(ctx, "queue code", "channel", m.channel(), "user", user, "flow", flowRef, "err", err)
		return err
	}
	return nil
}

// What a code message is for, in its Ref: "flow:KIND:ID" or
// "registration:KIND:ID", so that DeliveryFailed finds the code it
// carries.
const (
	refFlow         = "flow"
	refRegistration = "registration"
	refStaff        = "staff"
)

func codeRef(scope string, k api.Kind, id string) string { return scope + ":" + string(k) + ":" + id }

// errNotThatCode: the code a failed message carried was replaced or used.
var errNotThatCode = errors.New("selfservice: not the code the message carried")

// Delivered is told by the outbox of each message it delivered: an audit
// event of the account and flow that sent it.
func (e *Engine) Delivered(ctx context.Context, m sspr.Message) {
	if m.Account == "" {
		return
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventMessageDelivered, UserID: m.Account, Flow: m.Flow,
		Detail: fmt.Sprintf("kind=%s channel=%s id=%s", m.Kind, m.Channel, m.ID)}, sspr.Client{})
}

// DeliveryFailed is told by the outbox of a message it gave up on (a code
// that expired while the sender was down, an address the sender refused):
// an audit event (the reason is in the outbox's log). The code a code
// message carries will never arrive: the flow or registration says so
// (the method's delivery_failed, and code_expired with "We couldn't send
// you that code" to a code typed) instead of leaving the person waiting.
// A code sent since, or already used, is left alone.
func (e *Engine) DeliveryFailed(ctx context.Context, m sspr.Message) {
	if m.Account != "" {
		e.note(ctx, sspr.Event{Kind: sspr.EventMessageFailed, UserID: m.Account, Flow: m.Flow, Outcome: sspr.OutcomeFailed,
			Detail: fmt.Sprintf("kind=%s channel=%s id=%s", m.Kind, m.Channel, m.ID)}, sspr.Client{})
	}
	scope, rest, ok := strings.Cut(m.Ref, ":")
	if !ok || m.ID == "" {
		return // not a code message
	}
	kind, id, ok := strings.Cut(rest, ":")
	if !ok {
		return
	}
	k := api.Kind(kind)
	var err error
	switch scope {
	case refFlow:
		_, err = e.update(ctx, id, func(r *record) error {
			cd := r.Codes[k]
			if cd == nil || cd.Msg != m.ID {
				return errNotThatCode
			}
			cd.Undelivered = true
			return nil
		})
	case refRegistration:
		_, err = e.updateSession(ctx, id, func(s *session) error {
			if s.Pending == nil || s.Pending.Kind != k || s.Pending.Msg != m.ID {
				return errNotThatCode
			}
			s.Pending.Undelivered = true
			return nil
		})
	case refStaff:
		_, err = e.updateStaff(ctx, id, func(s *staffSession) error {
			cd := s.Codes[k]
			if cd == nil || cd.Msg != m.ID {
				return errNotThatCode
			}
			cd.Undelivered = true
			return nil
		})
	default:
		return
	}
	switch {
	case err == nil:
		e.d.Log.InfoContext(ctx, "code not delivered: the flow says so", "scope", scope, "method", kind, "flow", m.Flow)
	case errors.Is(err, errNotThatCode), sspr.CodeOf(err) == sspr.CodeFlowMissing, sspr.CodeOf(err) == sspr.CodeUnauthenticated:
		// Replaced, used, or the flow is over: nothing waits for it.
	default:
		e.d.Log.ErrorContext(ctx, "mark a code undelivered", "scope", scope, "method", kind, "flow", m.Flow, "err", err)
	}
}
