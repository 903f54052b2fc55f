package sspr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/sspr"
)

func TestCodeOf(t *testing.T) {
	policy := &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "no"}
	for _, tc := range []struct {
		name string
		err  error
		want sspr.Code
	}{
		{"nil", nil, ""},
		{"an *Error", policy, sspr.CodePasswordPolicy},
		{"wrapped", fmt.Errorf("set password: %w", policy), sspr.CodePasswordPolicy},
		{"the first of two", fmt.Errorf("%w: %w", sspr.Errorf(sspr.CodeThrottled, "wait"), policy), sspr.CodeThrottled},
		{"anything else", errors.New("disk full"), sspr.CodeInternal},
	} {
		if got := sspr.CodeOf(tc.err); got != tc.want {
			t.Errorf("%s: CodeOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestErrorf(t *testing.T) {
	e := sspr.Errorf(sspr.CodeBadRequest, "Enter the %d-digit code.", 8)
	if e.Code != sspr.CodeBadRequest || e.Message != "Enter the 8-digit code." {
		t.Fatalf("Errorf = %+v", e)
	}
	if got := e.Error(); got != "bad_request: Enter the 8-digit code." {
		t.Fatalf("Error() = %q", got)
	}
}

func TestUnavailable(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.7:389: connection refused")
	for backend, want := range map[string]sspr.Code{
		sspr.BackendDirectory: sspr.CodeDirectoryUnavailable,
		sspr.BackendStore:     sspr.CodeServiceUnavailable,
		sspr.BackendState:     sspr.CodeServiceUnavailable,
	} {
		err := sspr.Unavailable(backend, cause)
		e, ok := errors.AsType[*sspr.Error](err)
		if !ok || e.Code != want {
			t.Errorf("%s: %v, want %s", backend, err, want)
			continue
		}
		if !errors.Is(err, cause) || !strings.Contains(err.Error(), cause.Error()) {
			t.Errorf("%s: %q does not keep the cause for the log", backend, err)
		}
		if strings.Contains(e.Message, "10.0.0.7") || e.Message == "" {
			t.Errorf("%s: the user's message is %q", backend, e.Message)
		}
	}
	// What already says what it means is not said again.
	refused := fmt.Errorf("set password: %w", &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "no"})
	if err := sspr.Unavailable(sspr.BackendDirectory, refused); err != refused {
		t.Errorf("an error holding an *Error was rewrapped: %v", err)
	}
	down := sspr.Unavailable(sspr.BackendState, cause)
	if err := sspr.Unavailable(sspr.BackendDirectory, down); err != down || sspr.CodeOf(err) != sspr.CodeServiceUnavailable {
		t.Errorf("an unavailable error was rewrapped: %v", err)
	}
	if err := sspr.Unavailable(sspr.BackendStore, nil); err != nil {
		t.Errorf("Unavailable(nil) = %v", err)
	}
}
