package api

import "fmt"

// Code is a stable machine-readable error code.
type Code string

// The error codes of the API. Their HTTP statuses are in the server's table;
// the server's domain (server/sspr) has the same codes.
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
	// CodeDirectoryUnavailable: the directory can't be reached (503).
	CodeDirectoryUnavailable Code = "directory_unavailable"
	// CodeServiceUnavailable: the state or store backend can't be
	// reached (503).
	CodeServiceUnavailable Code = "service_unavailable"
	CodeInternal           Code = "internal"
	// CodePasswordChangeRequired: the account must change its password
	// (POST PathSessionPassword) before any other registration call
	// (403); Session.MustChange says so from the sign-in on.
	CodePasswordChangeRequired Code = "password_change_required"
)

// Error is the one error type of the API: a stable code and a message that
// is safe to show to anyone. It never carries a secret.
type Error struct {
	Code              Code   `json:"code"`
	Message           string `json:"message"`
	RetryAfterSeconds int    `json:"retry_after_seconds"`
	// Rules lists each password rule broken (password_policy only).
	Rules []Rule `json:"rules,omitempty"`
	// TriesLeft is how many more tries a code has (code_invalid only).
	TriesLeft *int `json:"tries_left,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody is the shape of every error response.
type ErrorBody struct {
	Error *Error `json:"error"`
}
