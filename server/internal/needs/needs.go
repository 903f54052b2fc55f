// Package needs is how a test says it needs a tool the machine may lack
// (slapd, redis-server, postgres, Chromium): without it the test is
// skipped on a developer's machine, but fails under CI (CI=true), where a
// run must never pass without having run what it could not.
package needs

import (
	"os"
	"testing"
)

// Tool skips tb with missing, or fails it under CI. missing says what is
// missing and how to install it; nil means nothing is missing.
func Tool(tb testing.TB, missing error) {
	tb.Helper()
	if missing == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%v (CI=true: a missing tool fails the test)", missing)
	}
	tb.Skip(missing)
}
