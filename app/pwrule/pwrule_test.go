package pwrule_test

import (
	"testing"

	"github.com/sspr-portal/sspr/app/pwrule"
)

func TestAllowedChars(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"correct horse battery", true},
		{"🦊 狐狸", true},
		{"no\u00a0break", true},
		{"ideographic\u3000space", true},

		// Controls, separators, private use, noncharacters, bad UTF-8.
		{"tab\there", false},
		{"nul\x00", false},
		{"line\u2028sep", false},
		{"private\ue000", false},
		{"non\ufffe", false},
		{"non\ufdd0", false},
		{"bad\xff", false},
		{"replacement\ufffd", false},

		// Invisible: format characters and the other default-ignorables.
		{"bidi\u202e", false},
		{"zw\u200bsp", false},
		{"soft\u00adhyphen", false},
		{"word\u2060joiner", false},
		{"bom\ufeff", false},
		{"arabic\u061cmark", false},
		{"lrm\u200e", false},
		{"cgj\u034f", false},
		{"hangul\u115ffiller", false},
		{"hangul\u1160filler", false},
		{"hangul\u3164filler", false},
		{"halfwidth\uffa0filler", false},
		{"khmer\u17b4", false},
		{"unassigned\u2065ignorable", false},
		{"tag\U000e0041", false},
		{"🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", false}, // England's flag: tags
		{"braille\u2800blank", false},
		{"mongolian\u180bfvs", false},
		{"vs1\ufe00", false},
		{"葛\U000e0100", false}, // an ideographic variation sequence

		// The zero-width joiner: in emoji ZWJ sequences only...
		{"👩\u200d💻", true},
		{"🏳️\u200d🌈", true},             // after the flag's VS16
		{"❤️\u200d🔥 hearts", true},      // likewise
		{"🧑🏽\u200d🚀 to the moon", true}, // after a skin tone
		{"pass\u200dword123456", false}, // hides "password"
		{"\u200d👩", false},
		{"👩\u200d", false},
		{"👩\u200dx", false},
		{"a\u200d💻", false},
		{"$\u200d$", false}, // ASCII symbols are not emoji
		{"👩\u200d\u200d💻", false},

		// ... or joining letters of the scripts that spell with it, as
		// does the non-joiner.
		{"می\u200cخواهم", true},   // Persian
		{"क्\u200dष", true},       // Devanagari, after a virama
		{"ශ්\u200dරී ලංකා", true}, // Sinhala
		{"pass\u200cword", false},
		{"\u200cمی", false},
		{"می\u200c", false},
		{"می\u200c1", false},
		{"👩\u200c💻", false},

		// VS15 and VS16 right after a symbol, an emoji or a keycap base.
		{"☕\ufe0f coffee", true},
		{"✌\ufe0e text style", true},
		{"#\ufe0f\u20e3 keycap", true},
		{"‼\ufe0f", true},
		{"a\ufe0f", false},
		{"\ufe0fstart", false},
		{"☕\ufe0f\ufe0f", false},
	} {
		if got := pwrule.AllowedChars(tt.s); got != tt.want {
			t.Errorf("AllowedChars(%+q) = %v, want %v", tt.s, got, tt.want)
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
