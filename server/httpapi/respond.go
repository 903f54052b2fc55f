package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/sspr"
)

// statuses maps every error code to its HTTP status, as docs/API.md
// ("Errors") lists them: the one table of the contract. The domain's codes
// (sspr.Code) are the wire's (api.Code), string for string; a test keeps
// the two lists and this table equal.
var statuses = map[api.Code]int{
	api.CodeBadRequest:           http.StatusBadRequest,
	api.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	api.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	api.CodeCaptchaInvalid:       http.StatusBadRequest,
	api.CodeFlowMissing:          http.StatusNotFound,
	api.CodeWrongState:           http.StatusConflict,
	api.CodeMethodUnavailable:    http.StatusConflict,
	api.CodeCodeInvalid:          http.StatusBadRequest,
	api.CodeCodeExpired:          http.StatusBadRequest,
	api.CodePhoneMismatch:        http.StatusBadRequest,
	api.CodeAnswersInvalid:       http.StatusBadRequest,
	api.CodePasswordPolicy:       http.StatusUnprocessableEntity,
	api.CodeNotRegistered:        http.StatusConflict,
	api.CodeThrottled:            http.StatusTooManyRequests,
	api.CodeUnauthenticated:      http.StatusUnauthorized,
	api.CodeReauthRequired:       http.StatusForbidden,
	api.CodeAccountLocked:        http.StatusConflict,
	api.CodeForbidden:            http.StatusForbidden,
	api.CodeNotFound:             http.StatusNotFound,
	api.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	api.CodeDirectoryUnavailable: http.StatusServiceUnavailable,
	api.CodeServiceUnavailable:   http.StatusServiceUnavailable,
	api.CodeInternal:             http.StatusInternalServerError,
	// An initial password (an import's) to change before anything else.
	api.CodePasswordChangeRequired: http.StatusForbidden,
}

// Status returns the HTTP status of an error code.
func Status(c api.Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var errInternal = &sspr.Error{Code: sspr.CodeInternal, Message: "Something went wrong on our side. Try again, or contact the service desk."}

// wire is the wire's form of a domain error: the same code (the codes are
// one list, in two packages), message, retry-after, rules and tries left,
// the message and the rules in the request's language. It is the one place
// a domain error becomes an API error; errors made here in httpapi are
// domain errors too, so every error takes this road.
func (s *server) wire(r *http.Request, e *sspr.Error) *api.Error {
	lang := locale.Lang(r.Context())
	format, args := e.Text()
	w := &api.Error{Code: api.Code(e.Code), Message: s.Locale.Message(lang, format, args...), RetryAfterSeconds: e.RetryAfterSeconds}
	for _, rule := range e.Rules {
		format, args := rule.Text()
		w.Rules = append(w.Rules, api.Rule{Code: rule.Code, Message: s.Locale.Message(lang, format, args...)})
	}
	if e.TriesLeft != nil {
		n := *e.TriesLeft
		w.TriesLeft = &n
	}
	return w
}

// writeError answers with the error's code and safe message (safeError).
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.safeError(r, err)
	if ae.Code == api.CodeThrottled {
		ae = throttleHeader(w, ae)
	}
	writeJSON(w, Status(ae.Code), api.ErrorBody{Error: ae})
}

// safeError is what may be shown of err, in the wire's terms. Anything
// that does not hold an *sspr.Error is a bug or a backend failure: it is
// logged with its detail and shown only as "internal". A backend failure
// wrapped in an *sspr.Error (directory_unavailable, service_unavailable)
// is logged too, for operators.
func (s *server) safeError(r *http.Request, err error) *api.Error {
	e, ok := errors.AsType[*sspr.Error](err)
	if !ok {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "client", s.clientAddr(r), "err", err)
		return s.wire(r, errInternal)
	}
	if e.Code.ServerSide() {
		s.log.ErrorContext(r.Context(), "backend unavailable", "method", r.Method, "path", r.URL.Path, "client", s.clientAddr(r), "err", err)
	}
	return s.wire(r, e)
}

// questionsIn is qs with their texts in the request's language: a
// question keeps its id in every language, so answers registered in one
// are checked the same in another.
func (s *server) questionsIn(r *http.Request, qs []api.Question) []api.Question {
	lang := locale.Lang(r.Context())
	out := make([]api.Question, len(qs))
	for i, q := range qs {
		out[i] = q
		if text, ok := s.Locale.Question(lang, q.ID); ok {
			out[i].Text = text
		}
	}
	return out
}

// policy is the password policy for the live checklist, its rules in the
// request's language.
func (s *server) policy(r *http.Request) api.Policy {
	lang := locale.Lang(r.Context())
	p := s.Policy
	p.Rules = make([]api.Rule, len(s.Policy.Rules))
	for i, rule := range s.Policy.Rules {
		p.Rules[i] = rule
		if sr, ok := s.policyRules[rule.Code]; ok {
			format, args := sr.Text()
			p.Rules[i].Message = s.Locale.Message(lang, format, args...)
		}
	}
	return p
}

// throttleHeader sets Retry-After for a throttled error, in whole seconds
// and at least one, and returns the error saying the same.
func throttleHeader(w http.ResponseWriter, ae *api.Error) *api.Error {
	secs := max(ae.RetryAfterSeconds, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	cp := *ae
	cp.RetryAfterSeconds = secs
	return &cp
}
