package desk

import (
	"errors"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
	"github.com/sspr-portal/sspr/app/deskapi"
)

func TestProblemFor(t *testing.T) {
	ticket := func(c api.Code) string {
		if c == api.CodeBadRequest {
			return "desk-ticket"
		}
		return ""
	}
	for _, tt := range []struct {
		name string
		err  error
		want problem
	}{
		{"offline", client.ErrOffline, problem{msg: "You're offline. The console needs a connection to the portal."}},
		{"timeout", client.ErrTimeout, problem{msg: "The portal took too long to answer. Try again."}},
		{"not the API's", errors.New("boom"), problem{msg: "Something went wrong on the portal's side. Try again."}},
		{"empty message", &api.Error{Code: api.CodeInternal}, problem{msg: "Something went wrong on the portal's side. Try again."}},
		{"to a field", &api.Error{Code: api.CodeBadRequest, Message: "Enter a ticket reference."},
			problem{field: "desk-ticket", msg: "Enter a ticket reference."}},
		{"throttled, with a wait", &api.Error{Code: api.CodeThrottled, Message: "Too many tries.", RetryAfterSeconds: 61},
			problem{msg: "Too many tries. Try again in 2 minutes."}},
		{"throttled, the wait said", &api.Error{Code: api.CodeThrottled, Message: "Too many tries. Try again in 5 minutes.", RetryAfterSeconds: 300},
			problem{msg: "Too many tries. Try again in 5 minutes."}},
	} {
		if got := problemFor(tt.err, ticket); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestBlockText(t *testing.T) {
	until := time.Date(2026, 12, 3, 9, 5, 0, 0, time.Local)
	for _, tt := range []struct {
		b    deskapi.Block
		want string
	}{
		{deskapi.Block{Kind: "self_service", Until: until}, "Self-service paused after failed verifications, until 3 Dec 2026 09:05"},
		{deskapi.Block{Kind: "sign_in", Until: until}, "Signing in paused after wrong passwords, until 3 Dec 2026 09:05"},
		{deskapi.Block{Kind: "closed"}, "Self-service closed after failures in a row"},
		{deskapi.Block{Kind: "something_new"}, "something new"},
	} {
		if got := blockText(tt.b); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.b, got, tt.want)
		}
	}
}

func TestCountWord(t *testing.T) {
	for n, want := range map[int]string{0: "no", 1: "one", 2: "two", 5: "five", 6: "6", -1: "-1"} {
		if got := countWord(n); got != want {
			t.Errorf("countWord(%d) = %q, want %q", n, got, want)
		}
	}
}
