package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

var (
	errTooLarge    = &sspr.Error{Code: sspr.CodeTooLarge, Message: "The request is too large."}
	errMediaType   = &sspr.Error{Code: sspr.CodeUnsupportedMediaType, Message: "Send the request as application/json."}
	errBadJSON     = &sspr.Error{Code: sspr.CodeBadRequest, Message: "The request is not valid JSON of the expected shape."}
	errTrailing    = &sspr.Error{Code: sspr.CodeBadRequest, Message: "The request has data after the JSON value."}
	errBodyMissing = &sspr.Error{Code: sspr.CodeBadRequest, Message: "The request needs a JSON body."}
)

// isJSON reports whether a Content-Type header names JSON.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// readBody reads a request body of at most api.MaxBodyBytes. A declared
// length over the limit is refused before anything is read
// (docs/SECURITY.md#too-large).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > api.MaxBodyBytes {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, errBadJSON
	}
	return b, nil
}

// decodeStrict decodes exactly one JSON value into v: unknown fields, wrong
// types and trailing data are all bad_request (docs/SECURITY.md#bad-json
// and #several-values). An empty body decodes as {} when allowEmpty.
func decodeStrict(b []byte, v any, allowEmpty bool) error {
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil
		}
		return errBodyMissing
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

// decode reads and decodes a request body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeStrict(b, v, false)
}

// decodeNone reads the body of a call that takes no input: empty or {}.
func decodeNone(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	var none struct{}
	return decodeStrict(b, &none, true)
}
