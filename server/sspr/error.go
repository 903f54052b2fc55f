package sspr

import (
	"errors"
	"fmt"
)

// Code is a stable machine-readable error code. The codes are the API's
// (app/api has the same strings, and server/httpapi maps each to its HTTP
// status: a test there keeps the three lists equal).
type Code string

// The error codes.
const (
	CodeBadRequest           Code = "bad_request"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeTooLarge             Code = "too_large"
	CodeCaptchaInvalid       Code = "captcha_invalid"
	CodeFlowMissing          Code = "flow_missing"
	CodeWrongState           Code = "wrong_state"
	CodeMethodUnavailable    Code = "method_unavailable"
	CodeCodeInvalid          Code = "code_invalid"
	CodeCodeExpired          Code = "code_expired"
	CodePhoneMismatch        Code = "phone_mismatch"
	CodeAnswersInvalid       Code = "answers_invalid"
	CodePasswordPolicy       Code = "password_policy"
	CodeNotRegistered        Code = "not_registered"
	CodeThrottled            Code = "throttled"
	CodeUnauthenticated      Code = "unauthenticated"
	CodeReauthRequired       Code = "reauth_required"
	CodeAccountLocked        Code = "account_locked"
	CodeForbidden            Code = "forbidden"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	// CodeDirectoryUnavailable: the directory can't be reached or can't
	// serve (503).
	CodeDirectoryUnavailable Code = "directory_unavailable"
	// CodeServiceUnavailable: the State backend (memory, Redis) or the
	// Store backend (SQLite, PostgreSQL) can't serve, or is full (503).
	CodeServiceUnavailable Code = "service_unavailable"
	CodeInternal           Code = "internal"
	// CodePasswordChangeRequired: the account must change its password
	// (an initial one, given by an import) before anything else (403).
	CodePasswordChangeRequired Code = "password_change_required"
)

// Codes lists every error code, for tables that must cover them all.
var Codes = []Code{
	CodeBadRequest, CodeUnsupportedMediaType, CodeTooLarge, CodeCaptchaInvalid, CodeFlowMissing,
	CodeWrongState, CodeMethodUnavailable, CodeCodeInvalid, CodeCodeExpired, CodePhoneMismatch,
	CodeAnswersInvalid, CodePasswordPolicy, CodeNotRegistered, CodeThrottled, CodeUnauthenticated,
	CodeReauthRequired, CodeAccountLocked, CodeForbidden, CodeNotFound, CodeMethodNotAllowed,
	CodeDirectoryUnavailable, CodeServiceUnavailable, CodeInternal, CodePasswordChangeRequired,
}

// Rule is one password rule a new password breaks: a stable code (one of
// the Rule... constants) and a sentence for people.
type Rule struct {
	Code    string
	Message string
	// format and args are Message's English format and its arguments,
	// for the server's message catalogues (Text).
	format string
	args   []any
}

// NewRule returns the rule code whose sentence is the English format
// filled with args: the catalogues translate the format (Text).
func NewRule(code, format string, args ...any) Rule {
	return Rule{Code: code, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// Text is the English format of r's message and its arguments, what the
// server's message catalogues translate: Message itself, with no
// arguments, for a Rule made without NewRule.
func (r Rule) Text() (string, []any) {
	if r.format == "" {
		return r.Message, nil
	}
	return r.format, r.args
}

// The stable codes of password rules: the policy's (server/policy) and
// the directories' own refusals (history, directory, min_length). They are
// the API's rule codes (app/api), which server/httpapi's tests keep equal.
const (
	RuleMinLength  = "min_length"
	RuleMaxLength  = "max_length"
	RuleCharacters = "characters" // control characters are not allowed
	RuleCommon     = "not_common" // not a common or breached password
	RuleUserID     = "not_user"   // does not contain the user id or name
	RuleOrgName    = "not_org"    // does not contain the organisation's name
	RuleLower      = "lower"      // composition, when configured
	RuleUpper      = "upper"      // composition, when configured
	RuleDigit      = "digit"      // composition, when configured
	RuleSymbol     = "symbol"     // composition, when configured
	RuleDirectory  = "directory"  // refused by the directory's own policy
	RuleHistory    = "history"    // used recently
	RuleClasses    = "classes"    // composition: so many character classes
	// RulePattern: not built from a pattern (repeats, sequences, keyboard walks).
	RulePattern = "not_pattern"
)

// Error is the one error type of the domain: a stable code and a message
// that is safe to show to anyone. It never carries a secret. Whatever is
// not an *Error (or does not wrap one) reaches a user only as "internal",
// after it is logged with its detail.
type Error struct {
	Code    Code
	Message string
	// RetryAfterSeconds says when to try again (throttled).
	RetryAfterSeconds int
	// Rules lists each password rule broken (password_policy only).
	Rules []Rule
	// TriesLeft is how many more tries a code has (code_invalid only).
	TriesLeft *int
	// format and args are Message's English format and its arguments,
	// for the server's message catalogues (Text).
	format string
	args   []any
}

// Text is the English format of e's message and its arguments, what the
// server's message catalogues translate: Message itself, with no
// arguments, for an Error made without Errorf.
func (e *Error) Text() (string, []any) {
	if e.format == "" {
		return e.Message, nil
	}
	return e.format, e.args
}

// Error returns the code and the message.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// ServerSide reports whether c says the portal, not the request, failed:
// a backend that could not serve, or a bug. The API logs those for the
// operators, and the metrics count them as the backend's errors.
func (c Code) ServerSide() bool {
	return c == CodeServiceUnavailable || c == CodeDirectoryUnavailable || c == CodeInternal
}

// CodeOf returns the code of the first *Error in err's chain: "" for a nil
// err, and CodeInternal for an error that holds no *Error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// The backends Unavailable names.
const (
	BackendDirectory = "directory"
	BackendStore     = "store"
	BackendState     = "state"
)

// unavailableMessage is what a user reads when a backend is down: it names
// nothing internal.
const unavailableMessage = "The service is not available right now. Try again in a few minutes."

// Unavailable is the one way to say that a backend can't serve (down, hung,
// busy, refusing): it returns an error that holds an *Error, code
// directory_unavailable for the backend "directory" (BackendDirectory) and
// service_unavailable for "store" and "state" (and anything else), with a
// message safe to show, and that wraps err, so that the log keeps what
// failed. An err that already holds an *Error is returned as it is: the
// backend has said what it means. A nil err stays nil.
func Unavailable(backend string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*Error](err); ok {
		return err
	}
	code := CodeServiceUnavailable
	if backend == BackendDirectory {
		code = CodeDirectoryUnavailable
	}
	return fmt.Errorf("%w (%s: %w)", &Error{Code: code, Message: unavailableMessage}, backend, err)
}
