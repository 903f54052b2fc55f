package canon_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/server/canon"
)

func TestUserID(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"alice", "alice@example.edu", nil},
		{" Alice@Example.EDU ", "alice@example.edu", nil},
		{"\tALICE\n", "alice@example.edu", nil},
		{"ａｌｉｃｅ", "alice@example.edu", nil}, // full-width: NFKC
		{"alice@other.org", "alice@other.org", nil},
		{"\u0430lice", "\u0430lice@example.edu", nil}, // Cyrillic а stays itself: no match with alice
		{"", "", canon.ErrUserIDEmpty},
		{"   ", "", canon.ErrUserIDEmpty},
		{"al ice", "", canon.ErrUserIDInvalid},
		{"ali\x00ce", "", canon.ErrUserIDInvalid},
		{"alice\r\nbcc", "", canon.ErrUserIDInvalid},
		{"al\u202eice", "", canon.ErrUserIDInvalid},
		{"al\u200bice", "", canon.ErrUserIDInvalid},
		{"a@b@c", "", canon.ErrUserIDInvalid},
		{"@example.edu", "", canon.ErrUserIDInvalid},
		{"alice@", "", canon.ErrUserIDInvalid},
		{"\xff\xfe", "", canon.ErrUserIDInvalid},
		{strings.Repeat("a", 257), "", canon.ErrUserIDTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := canon.UserID(tt.in, "Example.edu")
			if err != tt.err || got != tt.want {
				t.Fatalf("UserID(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzUserID: whatever is typed, the result is canonical (a fixed point),
// short, and free of anything invisible; and errors never echo the input.
func FuzzUserID(f *testing.F) {
	for _, s := range []string{"alice", " Alice@Example.EDU ", "ａｌｉｃｅ", "ali\x00ce", "al\u202eice", "*)(uid=*", "a@b@c", "\xff", "ǅ", "ﬁ@ﬁ", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := canon.UserID(in, "example.edu")
		if err != nil {
			if got != "" {
				t.Fatalf("value %q with error %v", got, err)
			}
			// Only the fixed errors: nothing of the input is echoed.
			if err != canon.ErrUserIDEmpty && err != canon.ErrUserIDInvalid && err != canon.ErrUserIDTooLong {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !utf8.ValidString(got) || len(got) > canon.MaxUserIDLen || strings.Count(got, "@") != 1 {
			t.Fatalf("UserID(%q) = %q", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("UserID(%q) = %q keeps %U", in, got, r)
			}
		}
		again, err := canon.UserID(got, "example.edu")
		if err != nil || again != got {
			t.Fatalf("not a fixed point: %q -> %q -> %q, %v", in, got, again, err)
		}
	})
}

func TestAnswer(t *testing.T) {
	for in, want := range map[string]string{
		"blue fox":       "blue fox",
		"  Blue   FOX  ": "blue fox",
		"BLUE\tFOX\n":    "blue fox",
		"ＢＬＵＥ ｆｏｘ":       "blue fox",
		"Straße":         "strasse",
	} {
		if got := canon.Answer(in); got != want {
			t.Errorf("Answer(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+44 7700 900123":  "+447700900123",
		"07700 900123":     "+447700900123",
		"(0)7700-900-123":  "+447700900123",
		"0044 7700 900123": "+447700900123",
		"+1 415 555 2671":  "+14155552671",
	} {
		if got, err := canon.Phone(in, "GB"); err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "not a number", "12", strings.Repeat("1", 80)} {
		if _, err := canon.Phone(in, "GB"); err == nil {
			t.Errorf("Phone(%q) accepted", in)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := canon.MaskEmail("alice.alt@example.net"); got != "a••••••••@example.net" {
		t.Errorf("MaskEmail = %q", got)
	}
	if got := canon.MaskEmail("ab@x.org"); got != "a•••@x.org" {
		t.Errorf("MaskEmail short = %q", got)
	}
	if got := canon.MaskPhone("+447700900123"); got != "••••••••••23" {
		t.Errorf("MaskPhone = %q", got)
	}
}
