package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/sspr-portal/sspr/app/api"
)

// statuses maps every error code to its HTTP status, as docs/API.md
// ("Errors") lists them: the one table of the contract.
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
	api.CodeInternal:             http.StatusInternalServerError,
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

var errInternal = &api.Error{Code: api.CodeInternal, Message: "Something went wrong on our side. Try again, or contact the service desk."}

// writeError answers with the error's code and safe message (safeError).
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.safeError(r, err)
	if ae.Code == api.CodeThrottled {
		ae = throttleHeader(w, ae)
	}
	writeJSON(w, Status(ae.Code), api.ErrorBody{Error: ae})
}

// safeError is what may be shown of err. Anything that is not an
// *api.Error is a bug or a backend failure: it is logged with its detail
// and shown only as "internal". A backend failure wrapped in an *api.Error
// (directory_unavailable) is logged too, for operators.
func (s *server) safeError(r *http.Request, err error) *api.Error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "client", s.clientAddr(r), "err", err)
		return errInternal
	}
	if ae.Code == api.CodeDirectoryUnavailable || ae.Code == api.CodeInternal {
		s.log.Error("backend unavailable", "method", r.Method, "path", r.URL.Path, "client", s.clientAddr(r), "err", err)
	}
	return ae
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
