package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/keys"
)

// TestKeygenRotation: the three steps of a rotation from the command line,
// each saying what to do next; a step out of order and two at once are
// refused.
func TestKeygenRotation(t *testing.T) {
	data := t.TempDir()
	path := filepath.Join(data, "keys.json")
	if code, _, stderr := runOnce(t, "keygen", "--data", data); code != exitOK {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	first, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runOnce(t, "keygen", "--data", data, "--promote"); code != exitError || !strings.Contains(stderr, "stage one first") {
		t.Fatalf("promote before stage: %d %s", code, stderr)
	}
	if code, _, _ := runOnce(t, "keygen", "--data", data, "--stage", "--retire"); code != exitUsage {
		t.Fatalf("two steps at once: %d", code)
	}
	for _, tt := range []struct{ flag, next string }{
		{"--stage", "--promote"},
		{"--promote", "--retire"},
		{"--retire", "the rotation is over"},
	} {
		code, stdout, stderr := runOnce(t, "keygen", "--data", data, tt.flag)
		if code != exitOK || !strings.Contains(stdout, "updated "+path) || !strings.Contains(stdout, tt.next) {
			t.Fatalf("keygen %s: %d\nstdout: %s\nstderr: %s", tt.flag, code, stdout, stderr)
		}
	}
	last, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(last.Code) == string(first.Code) || len(last.Accepted) != 0 {
		t.Fatal("after a whole rotation the keys are not new, or the old ones still accepted")
	}
}
