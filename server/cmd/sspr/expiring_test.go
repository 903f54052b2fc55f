package main

import (
	"strings"
	"testing"
	"time"
)

// TestRemindExpiringCommand: the command's flags, and a run over the
// embedded directory, whose passwords never expire.
func TestRemindExpiringCommand(t *testing.T) {
	data := demoData(t)
	cfg := writeFile(t, "sspr.toml", "[server]\npublic_url = \"https://password.example.edu\"\n")
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--thresholds", "14,x"}, exitUsage, "thresholds are whole days"},
		{[]string{"--within", "soon"}, exitUsage, "give whole days"},
		{[]string{"--within", "12h", "--thresholds", "7"}, exitUsage, "no threshold"},
		{[]string{"--within", "36h", "--dry-run"}, exitOK, "dry run: 0 people's passwords have reached a threshold ([1] days)"},
		{nil, exitOK, "reminded 0 people of their password's expiry"},
	} {
		args := append([]string{"remind", "expiring", "--config", cfg, "--data", data}, tt.args...)
		code, out, errOut := runOnce(t, args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.says) {
			t.Errorf("%v: exit %d, want %d saying %q\n%s%s", tt.args, code, tt.code, tt.says, out, errOut)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "0d": 0, "-3h": 0, "x": 0} {
		got, err := parsePeriod(in)
		if (err != nil) != (want == 0) || got != want {
			t.Errorf("parsePeriod(%q) = %v, %v", in, got, err)
		}
	}
}
