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
		"+44 20 7946 0000": "+442079460000",
		"+39 06 1234 5678": "+390612345678", // Italian leading zero kept
		// Stable once read: the zero after +44 is a national prefix.
		"+440000000000":          "+44000000000",
		"0000000000":             "+44000000000",
		"+44 7700 900123 ext 12": "+447700900123",
		"tel:+44-7700-900123":    "+447700900123",
		"＋４４ ７７００ ９００１２３":        "+447700900123", // full-width digits
	} {
		if got, err := canon.Phone(in, "GB"); err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v; want %q", in, got, err, want)
		}
		if got, err := canon.Phone(want, "GB"); err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v; not a fixed point", want, got, err)
		}
	}
	for _, in := range []string{
		"", "not a number", "12", strings.Repeat("1", 80),
		// Read as +44 and a national number of ten zeros, whose E.164
		// form "+440000000000" reads back as another number (its first
		// zero taken for the national prefix): refused rather than
		// stored as an unstable key.
		"00000000000",
	} {
		if got, err := canon.Phone(in, "GB"); err != canon.ErrPhoneInvalid {
			t.Errorf("Phone(%q) = %q, %v; want ErrPhoneInvalid", in, got, err)
		}
	}
}

func TestMasks(t *testing.T) {
	for in, want := range map[string]string{
		"alice.alt@example.net":  "a•••@example.net",
		"ab@x.org":               "a•••@x.org",
		"Bob@x.org":              "b•••@x.org",
		"Bob@X.ORG":              "b•••@x.org",
		"a@example.net":          "a•••@example.net",
		"élise@example.net":      "é•••@example.net",
		"Élise@example.net":      "é•••@example.net",
		"alice@xn--bcher-kva.de": "a•••@xn--bcher-kva.de",
		// Odd input: still a fixed number of bullets.
		"@example.net":  "•••@example.net",
		"\u0301x@x.org": "•••@x.org",
		"no-at-sign":    "••••••••",
		"alice@":        "••••••••",
		"":              "••••••••",
	} {
		if got := canon.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"+447700900123": "••••••23",
		"+14155552671":  "••••••71",
		"+80012345678":  "••••••78",
		"447700900456":  "••••••56",
		// Short or odd input: a mask as long as any other.
		"+1234":           "••••••34",
		"+123":            "••••••••",
		"":                "••••••••",
		"+44 7700 900123": "••••••••",
	} {
		if got := canon.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMasksHideLength: addresses and numbers of every length mask to one
// length, so a mask says nothing of what it hides but its ends.
func TestMasksHideLength(t *testing.T) {
	email := utf8.RuneCountInString(canon.MaskEmail("a@example.net"))
	phone := utf8.RuneCountInString(canon.MaskPhone("+4412"))
	for n := 1; n <= 64; n++ {
		if got := utf8.RuneCountInString(canon.MaskEmail(strings.Repeat("x", n) + "@example.net")); got != email {
			t.Errorf("local part of %d: mask of %d runes, want %d", n, got, email)
		}
	}
	for n := 4; n <= 15; n++ {
		if got := utf8.RuneCountInString(canon.MaskPhone("+" + strings.Repeat("7", n))); got != phone {
			t.Errorf("%d digits: mask of %d runes, want %d", n, got, phone)
		}
	}
}

func TestEmailDomainInitial(t *testing.T) {
	tests := []struct{ addr, initial, domain string }{
		{"alice.alt@example.net", "a", "example.net"},
		{"Bob@X.Org", "b", "x.org"},
		{"\u0430lice@example.net", "\u0430", "example.net"},
		{"Élise@xn--bcher-kva.de", "é", "xn--bcher-kva.de"},
		{"@example.net", "", "example.net"},
		{"\u200balice@example.net", "", "example.net"},
		{"alice", "", ""},
		{"alice@", "a", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := canon.EmailInitial(tt.addr); got != tt.initial {
			t.Errorf("EmailInitial(%+q) = %+q, want %+q", tt.addr, got, tt.initial)
		}
		if got := canon.EmailDomain(tt.addr); got != tt.domain {
			t.Errorf("EmailDomain(%+q) = %+q, want %+q", tt.addr, got, tt.domain)
		}
	}
	// For every good address, the mask is exactly initial, bullets, domain.
	for _, in := range []string{"alice.alt@example.net", "Bob@X.org", "alice@BÜCHER.de", "\u0430lice@example.net", "e\u0301lise@example.net"} {
		a, err := canon.Email(in)
		if err != nil {
			t.Fatalf("Email(%q): %v", in, err)
		}
		if got, want := canon.MaskEmail(a), canon.EmailInitial(a)+"•••@"+canon.EmailDomain(a); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", a, got, want)
		}
	}
}
