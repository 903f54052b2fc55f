// Package testkit holds the helpers nearly every test of the portal
// needs: a clock that moves only when told, a log that a test can read
// while the code under test writes to it from other goroutines, and a
// wait for what other goroutines bring about. One of each, so that no
// package grows its own.
package testkit

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// Epoch is the time a Clock starts at unless told otherwise: a fixed day,
// so that what a test prints and keeps is the same on every run.
var Epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Clock is a fake clock, safe for concurrent use. Pass its Now where the
// code takes a clock (func() time.Time).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock standing at t, or at Epoch when t is zero.
func NewClock(t time.Time) *Clock {
	if t.IsZero() {
		t = Epoch
	}
	return &Clock{t: t}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// LogBuffer collects log lines; it is safe to write from many goroutines
// and to read while they write.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// NewLog is a text logger at debug level and what it writes to.
func NewLog() (*slog.Logger, *LogBuffer) {
	b := &LogBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// Write adds p to the buffer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NoSecret fails the test if the log holds any of secrets: passwords,
// codes, answers and keys never reach a log.
func (l *LogBuffer) NoSecret(t testing.TB, secrets ...string) {
	t.Helper()
	log := l.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("the log holds the secret %q", s)
		}
	}
}

// Eventually waits, polling every millisecond, until cond holds, and
// fails the test if it doesn't within timeout; what says what was
// awaited.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %s: %s", timeout, what)
		}
	}
}
