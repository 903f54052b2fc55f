package pwrule_test

import (
	"testing"

	"github.com/sspr-portal/sspr/app/pwrule"
)

func TestAllowedChars(t *testing.T) {
	for s, want := range map[string]bool{
		"correct horse battery": true, "🦊 狐狸": true, "👩\u200d💻": true, "no\u00a0break": true,
		"tab\there": false, "nul\x00": false, "bidi\u202e": false, "zw\u200bsp": false,
		"line\u2028sep": false, "private\ue000": false, "non\ufffe": false, "bad\xff": false,
	} {
		if got := pwrule.AllowedChars(s); got != want {
			t.Errorf("AllowedChars(%q) = %v", s, got)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		s    string
		want pwrule.Classes
		n    int
	}{
		{"abc", pwrule.Classes{Lower: true}, 1},
		{"Abc1!", pwrule.Classes{Lower: true, Upper: true, Digit: true, Symbol: true}, 4},
		{"猫 42 🦊", pwrule.Classes{Other: true, Digit: true, Symbol: true}, 3},
		{"   ", pwrule.Classes{}, 0},
	}
	for _, tt := range tests {
		if got := pwrule.Classify(tt.s); got != tt.want || got.Count() != tt.n {
			t.Errorf("Classify(%q) = %+v (%d)", tt.s, got, got.Count())
		}
	}
}

func TestUnleet(t *testing.T) {
	if got := pwrule.UnleetI.Replace("p4$$w0rd!"); got != "passwordi" {
		t.Errorf("UnleetI = %q", got)
	}
	if got := pwrule.UnleetL.Replace("h3110"); got != "hello" {
		t.Errorf("UnleetL = %q", got)
	}
}
