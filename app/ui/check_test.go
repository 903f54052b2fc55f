package ui

import (
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/pwrule"
)

// patternPolicy is the default policy as the server now describes it, with
// not_pattern.
var patternPolicy = api.Policy{MinLength: 12, MaxLength: 256, Rules: []api.Rule{
	{Code: api.RuleMinLength, Message: "Use at least 12 characters."},
	{Code: api.RuleMaxLength, Message: "Use at most 256 characters."},
	{Code: api.RuleCharacters, Message: "Don't use invisible or control characters, such as zero-width spaces or tabs (ordinary spaces are fine)."},
	{Code: api.RuleCommon, Message: "Don't use a common password, even with numbers or symbols added."},
	{Code: api.RulePattern, Message: "Don't build it from a pattern, such as repeated letters or words (aaaa, abcabc), " +
		"sequences (1234, abcd) or rows of the keyboard (qwerty)."},
	{Code: api.RuleUserID, Message: "Don't use your user ID or your name."},
}}

// TestCheckPasswordPattern: the checklist judges not_pattern in the
// browser, with the function the server uses, so it ticks or crosses the
// rule exactly as the server will.
func TestCheckPasswordPattern(t *testing.T) {
	for _, tt := range []struct {
		pw   string
		want bool // met
	}{
		{"", true}, // nothing typed: no pattern yet, as for "characters"
		{"Correct-Horse-Battery-42", true},
		{"blue fox jumps over 9 logs", true},
		{"x7#Kq2!vLm9@", true},
		{"我的猫喜欢在窗台上睡觉呢", true},
		{"🌵🦊🎉🐙🍕🚲🌈🐢🎸🍩🦉🌻", true},
		{"Summer-1234-Kq9x", true},
		{"short", true}, // too short, but that is min_length's cross
		{"123456789012", false},
		{"123123123123", false},
		{"passwordpassword", false},
		{"password password", false},
		{"abcdefghijkl", false},
		{"aaaaaaaaaaab", false},
		{"!@#$%^&*()_+", false},
		{"letmeinletmein", false},
		{"1qaz2wsx3edc", false},
		{"qwertyKq2!vLm", false},
	} {
		got, ok := checkPassword(patternPolicy, org, "alice@example.edu", tt.pw, "")[api.RulePattern]
		if !ok || got != tt.want {
			t.Errorf("%q: not_pattern = %v (known %v), want %v", tt.pw, got, ok, tt.want)
		}
		if got != !pwrule.Patterned(tt.pw) {
			t.Errorf("%q: the checklist and pwrule.Patterned disagree", tt.pw)
		}
	}
}

// TestCheckPasswordCharacters: invisible characters cross "characters" as
// the password is typed; the joiners and VS16 that emoji and some scripts
// need don't.
func TestCheckPasswordCharacters(t *testing.T) {
	for pw, want := range map[string]bool{
		"pass\u200dword123456":           false,
		"correct\u3164horse battery":     false,
		"correct horse\ufe0f battery":    false,
		"correct horse 👩\u200d💻":         true,
		"coffee ☕\ufe0f at 7 with Maria": true,
		"می\u200cخواهم به خانه بروم":     true,
	} {
		if got := checkPassword(patternPolicy, org, "", pw, "")[api.RuleCharacters]; got != want {
			t.Errorf("%+q: characters = %v, want %v", pw, got, want)
		}
	}
}

// TestCheckPasswordPatternOnlyIfListed: a policy that doesn't list
// not_pattern (a server from before the rule) gets no verdict on it.
func TestCheckPasswordPatternOnlyIfListed(t *testing.T) {
	p := api.Policy{MinLength: 12, MaxLength: 256, Rules: patternPolicy.Rules[:3]}
	if _, ok := checkPassword(p, org, "", "passwordpassword", "")[api.RulePattern]; ok {
		t.Error("not_pattern judged though the policy doesn't list it")
	}
}
