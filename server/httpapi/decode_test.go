package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"user":"alice","captcha":{"id":"x","answer":"1"}}`, true},
		{` {"user":"alice"} `, true},
		{`{"user":"alice"}{}`, false},
		{`{"user":"alice"}]`, false},
		{`{"user":"alice","extra":1}`, false},
		{`{"captcha":{"id":"x","answer":"1","more":2}}`, false},
		{`{"user":1}`, false},
		{`{"user":["a","b"]}`, false},
		{`{"user":"a"`, false},
		{`[]`, false},
		{`"alice"`, false},
		{``, false},
	}
	for _, tt := range tests {
		var v api.StartRequest
		if err := decodeStrict([]byte(tt.body), &v, false); (err == nil) != tt.ok {
			t.Errorf("decodeStrict(%q) = %v, want ok=%v", tt.body, err, tt.ok)
		}
	}
	var empty struct{}
	if err := decodeStrict(nil, &empty, true); err != nil {
		t.Errorf("empty body refused where allowed: %v", err)
	}
}

// FuzzDecode: no input makes decoding panic, and whatever is accepted is
// one valid JSON value whose re-encoding decodes to the same request.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"user":"alice","captcha":{"id":"x","answer":"1"}}`, `{"intent":"reset"}`, `{"code":"12345678"}`,
		`{"phone":"+44 7700 900123"}`, `{"answers":{"a":"b"}}`, `{"password":"🦊"}`, `{"user":"\u0000"}`,
		`{"user":"a"} {}`, `{"answers":{"a":1}}`, `null`, `{"user":"a","user":"b"}`, "\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		targets := []func() any{
			func() any { return &api.StartRequest{} }, func() any { return &api.IntentRequest{} },
			func() any { return &api.CodeRequest{} }, func() any { return &api.PhoneRequest{} },
			func() any { return &api.AnswersRequest{} }, func() any { return &api.PasswordRequest{} },
		}
		for _, mk := range targets {
			v := mk()
			if err := decodeStrict(b, v, false); err != nil {
				if _, ok := err.(*sspr.Error); !ok {
					t.Fatalf("not an *sspr.Error: %v", err)
				}
				continue
			}
			if !json.Valid(b) {
				t.Fatalf("accepted invalid JSON %q", b)
			}
			re, _ := json.Marshal(v)
			w := mk()
			if err := decodeStrict(re, w, false); err != nil {
				t.Fatalf("re-encoding %s refused: %v", re, err)
			}
			if again, _ := json.Marshal(w); !strings.EqualFold(string(again), string(re)) {
				t.Fatalf("round trip %s -> %s", re, again)
			}
		}
	})
}

// A bug (here: no engine at all) is a logged 500 "internal" with the usual
// error shape, never a crash or a stack trace on the wire.
func TestPanicIsInternal(t *testing.T) {
	h := New(Options{Dev: true, SessionAuthKey: make([]byte, 64), SessionEncKey: make([]byte, 32)})
	req := httptest.NewRequest("GET", "http://127.0.0.1/api/v1/flows/current", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body api.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 500 || body.Error.Code != api.CodeInternal {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "goroutine") || strings.Contains(rec.Body.String(), "nil pointer") {
		t.Fatalf("detail on the wire: %s", rec.Body)
	}
}
