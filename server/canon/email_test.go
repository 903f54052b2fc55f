package canon_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/server/canon"
)

func TestEmail(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		// Good addresses, and what they become.
		{"plain", "alice.alt@example.net", "alice.alt@example.net", nil},
		{"trimmed", " \talice@example.net\r\n", "alice@example.net", nil},
		{"plus tag", "alice+sspr@example.net", "alice+sspr@example.net", nil},
		{"dots and subdomains", "first.middle.last@mail.sub.example.co.uk", "first.middle.last@mail.sub.example.co.uk", nil},
		{"atext", "o'brien_x-y!#$%&*=?^`{|}~@example.org", "o'brien_x-y!#$%&*=?^`{|}~@example.org", nil},
		{"local case kept, domain lowered", "Bob@X.Org", "Bob@x.org", nil},
		{"U-label to A-label", "alice@BÜCHER.de", "alice@xn--bcher-kva.de", nil},
		{"A-label kept", "alice@xn--bcher-kva.de", "alice@xn--bcher-kva.de", nil},
		{"A-label lowered", "alice@XN--BCHER-KVA.DE", "alice@xn--bcher-kva.de", nil},
		{"nontransitional ß", "alice@faß.de", "alice@xn--fa-hia.de", nil},
		{"Cyrillic TLD", "alice@сайт.рф", "alice@xn--80aswg.xn--p1ai", nil},
		{"Arabic domain", "alice@العربية.com", "alice@xn--mgbcd4a2b0d2b.com", nil},
		{"full-width mapped", "alice@ｅｘａｍｐｌｅ.com", "alice@example.com", nil},
		{"ideographic full stop", "alice@example。com", "alice@example.com", nil},
		{"Catalan l·l", "alice@l·l.cat", "alice@xn--ll-0ea.cat", nil},
		{"katakana middle dot among kana", "alice@ア・ア.jp", "alice@xn--ccka0y.jp", nil},
		{"local part NFC", "e\u0301lise@example.net", "\u00e9lise@example.net", nil},
		// A Cyrillic а in the local part is a different mailbox, allowed
		// (its owner must still receive the code); it stays itself, in NFC.
		{"Cyrillic local part", "\u0430lice@example.net", "\u0430lice@example.net", nil},
		// A whole-script Cyrillic "аррӏе" is valid IDNA: it is kept, and
		// shown, as its A-label, which looks like no other domain.
		{"whole-script look-alike A-label", "alice@xn--80ak6aa92e.com", "alice@xn--80ak6aa92e.com", nil},
		{"whole-script look-alike U-label", "alice@\u0430\u0440\u0440\u04cf\u0435.com", "alice@xn--80ak6aa92e.com", nil},
		{"mixed-script look-alike shown as A-label", "alice@ex\u0430mple.net", "alice@xn--exmple-4nf.net", nil},

		// Invisible characters: refused, never stripped.
		{"RLO", "alice\u202e@evil.com", "", canon.ErrEmailCharacters},
		{"RLO in domain", "alice@\u202emoc.live", "", canon.ErrEmailCharacters},
		{"LRO", "\u202dalice@example.net", "", canon.ErrEmailCharacters},
		{"isolate", "alice\u2066@example.net", "", canon.ErrEmailCharacters},
		{"RLM", "alice\u200f@example.net", "", canon.ErrEmailCharacters},
		{"ZWSP", "ali\u200bce@example.net", "", canon.ErrEmailCharacters},
		{"ZWNJ", "ali\u200cce@example.net", "", canon.ErrEmailCharacters},
		{"ZWJ in domain", "alice@exa\u200dmple.net", "", canon.ErrEmailCharacters},
		{"BOM", "\ufeffalice@example.net", "", canon.ErrEmailCharacters},
		{"soft hyphen", "ali\u00adce@example.net", "", canon.ErrEmailCharacters},
		{"soft hyphen in domain", "alice@exa\u00admple.net", "", canon.ErrEmailCharacters},
		{"word joiner", "ali\u2060ce@example.net", "", canon.ErrEmailCharacters},
		{"variation selector", "alice\ufe0f@example.net", "", canon.ErrEmailCharacters},
		{"combining grapheme joiner", "ali\u034fce@example.net", "", canon.ErrEmailCharacters},
		{"Hangul filler", "\u3164@example.net", "", canon.ErrEmailCharacters},
		{"Braille blank", "ali\u2800ce@example.net", "", canon.ErrEmailCharacters},
		{"tag character", "alice\U000e0041@example.net", "", canon.ErrEmailCharacters},
		{"private use", "alice\ue000@example.net", "", canon.ErrEmailCharacters},
		{"unassigned", "alice\U000e0080@example.net", "", canon.ErrEmailCharacters},
		{"NUL", "ali\x00ce@example.net", "", canon.ErrEmailCharacters},
		{"DEL", "ali\x7fce@example.net", "", canon.ErrEmailCharacters},
		{"C1 control", "ali\u0085ce@example.net", "", canon.ErrEmailCharacters},
		{"space inside", "al ice@example.net", "", canon.ErrEmailCharacters},
		{"tab inside", "alice@\texample.net", "", canon.ErrEmailCharacters},
		{"header injection", "alice@example.net\r\nBcc: eve@evil.com", "", canon.ErrEmailCharacters},
		{"no-break space", "alice\u00a0@example.net", "", canon.ErrEmailCharacters},
		{"ideographic space inside", "alice\u3000@example.net", "", canon.ErrEmailCharacters},
		{"line separator inside", "alice\u2028@example.net", "", canon.ErrEmailCharacters},
		{"invalid UTF-8", "ali\xffce@example.net", "", canon.ErrEmailCharacters},
		{"literal U+FFFD", "ali\ufffdce@example.net", "", canon.ErrEmailCharacters},
		{"leading combining mark", "\u0301alice@example.net", "", canon.ErrEmailCharacters},

		// Domains IDNA2008 refuses, among them mixed-script look-alikes.
		{"Latin and Hebrew (bidi rule)", "alice@paypal\u05d0.com", "", canon.ErrEmailDomain},
		{"Latin and Arabic-Indic digit (bidi rule)", "alice@a\u0661.com", "", canon.ErrEmailDomain},
		{"mixed Arabic digit sets", "alice@\u0627\u0661\u06f1.com", "", canon.ErrEmailDomain},
		{"middle dot outside l·l", "alice@a\u00b7b.com", "", canon.ErrEmailDomain},
		{"katakana middle dot in Latin", "alice@a\u30fbb.com", "", canon.ErrEmailDomain},
		{"Greek numeral sign at end", "alice@\u03b1\u0375.com", "", canon.ErrEmailDomain},
		{"geresh after Latin", "alice@a\u05f3.com", "", canon.ErrEmailDomain},
		{"fraction slash", "alice@evil.com\u2044example.net", "", canon.ErrEmailDomain},
		{"emoji", "alice@\U0001f4a9.la", "", canon.ErrEmailDomain},
		{"emoji A-label", "alice@xn--ls8h.la", "", canon.ErrEmailDomain},
		{"bad punycode", "alice@xn--abc.com", "", canon.ErrEmailDomain},
		{"ASCII-only A-label", "alice@xn--example-.com", "", canon.ErrEmailDomain},
		{"underscore", "alice@exa_mple.com", "", canon.ErrEmailDomain},
		{"leading hyphen", "alice@-example.com", "", canon.ErrEmailDomain},
		{"hyphens in 3 and 4", "alice@ab--cd.example.com", "", canon.ErrEmailDomain},
		{"label too long", "alice@" + strings.Repeat("a", 64) + ".com", "", canon.ErrEmailDomain},
		{"no dot", "alice@localhost", "", canon.ErrEmailDomain},
		{"bare IP", "alice@192.0.2.1", "", canon.ErrEmailDomain},

		// Shape: what parseEmail refused, it still refuses.
		{"empty", "", "", canon.ErrEmailEmpty},
		{"spaces", "  \t ", "", canon.ErrEmailEmpty},
		{"no at", "alice.example.net", "", canon.ErrEmailInvalid},
		{"two ats", "a@b@example.net", "", canon.ErrEmailInvalid},
		{"empty local", "@example.net", "", canon.ErrEmailInvalid},
		{"empty domain", "alice@", "", canon.ErrEmailInvalid},
		{"display name", "Alice <alice@example.net>", "", canon.ErrEmailCharacters},
		{"angle brackets", "<alice@example.net>", "", canon.ErrEmailInvalid},
		{"quoted local", "\"alice\"@example.net", "", canon.ErrEmailInvalid},
		{"comment", "alice(x)@example.net", "", canon.ErrEmailInvalid},
		{"list", "alice@example.net,eve@evil.com", "", canon.ErrEmailInvalid},
		{"group", "g:alice@example.net;", "", canon.ErrEmailInvalid},
		{"domain literal", "alice@[192.0.2.1]", "", canon.ErrEmailInvalid},
		{"trailing dot local", "alice.@example.net", "", canon.ErrEmailInvalid},
		{"leading dot local", ".alice@example.net", "", canon.ErrEmailInvalid},
		{"double dot local", "al..ice@example.net", "", canon.ErrEmailInvalid},
		{"trailing dot domain", "alice@example.net.", "", canon.ErrEmailInvalid},
		{"double dot domain", "alice@example..net", "", canon.ErrEmailInvalid},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com", "", canon.ErrEmailTooLong},
		{"far too long", strings.Repeat(" ", 2000) + "a@b.c", "", canon.ErrEmailTooLong},
		// 239 bytes typed, 259 once its domain is in A-labels.
		{"too long as A-labels", strings.Repeat("a", 64) + "@" + strings.Repeat("가나다라마바사아자차카타파하.", 4) + "kr", "", canon.ErrEmailTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canon.Email(tt.in)
			if err != tt.err || got != tt.want {
				t.Fatalf("Email(%+q) = %+q, %v; want %+q, %v", tt.in, got, err, tt.want, tt.err)
			}
			if err != nil {
				return
			}
			if again, err := canon.Email(got); err != nil || again != got {
				t.Fatalf("not a fixed point: %+q -> %+q -> %+q, %v", tt.in, got, again, err)
			}
		})
	}
}

// TestEmailKeepsParseEmailFloor: everything enrol's old parseEmail accepted
// in this list, Email accepts, with the same result.
func TestEmailKeepsParseEmailFloor(t *testing.T) {
	for in, want := range map[string]string{
		"alice.alt@example.net":   "alice.alt@example.net",
		"Alice.Alt@EXAMPLE.NET":   "Alice.Alt@example.net",
		" bob.alt@example.net\n":  "bob.alt@example.net",
		"dave+x@mail.example.org": "dave+x@mail.example.org",
	} {
		if got, err := canon.Email(in); err != nil || got != want {
			t.Errorf("Email(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

var emailErrors = []error{canon.ErrEmailEmpty, canon.ErrEmailTooLong, canon.ErrEmailInvalid, canon.ErrEmailCharacters, canon.ErrEmailDomain}

// FuzzEmail: whatever is typed, a result is canonical (a fixed point),
// short, ASCII after the "@", and free of anything invisible; and an error
// is one of the fixed ones, which echo nothing of the input.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"alice@example.net", " Bob@X.Org ", "alice@BÜCHER.de", "alice@xn--bcher-kva.de",
		"alice\u202e@evil.com", "ali\u200bce@example.net", "alice@exa\u200dmple.net",
		"\u0430lice@example.net", "e\u0301lise@example.net", "alice@faß.de", "alice@l·l.cat",
		"alice@\u0627\u0661\u06f1.com", "\"a\"@b.c", "a@[1.2.3.4]", "a@b@c.d", "\xff@x.y",
		"\u0301@x.y", "x@xn--ls8h.la", "alice@ｅｘａｍｐｌｅ。com", "ǅ@ǅ.com", "ﬁ@ﬁ.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := canon.Email(in)
		if err != nil {
			if got != "" {
				t.Fatalf("value %q with error %v", got, err)
			}
			for _, e := range emailErrors {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if !utf8.ValidString(got) || len(got) > canon.MaxEmailLen || strings.Count(got, "@") != 1 {
			t.Fatalf("Email(%+q) = %+q", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
				t.Fatalf("Email(%+q) = %+q keeps %U", in, got, r)
			}
		}
		domain := got[strings.IndexByte(got, '@')+1:]
		for i := 0; i < len(domain); i++ {
			if c := domain[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
				t.Fatalf("Email(%+q) = %+q: domain not lower-case ASCII", in, got)
			}
		}
		again, err := canon.Email(got)
		if err != nil || again != got {
			t.Fatalf("not a fixed point: %+q -> %+q -> %+q, %v", in, got, again, err)
		}
	})
}

func TestEmailErrorsDoNotEcho(t *testing.T) {
	for _, in := range []string{"secret\u202e@evil.com", "secret@exa_mple.com", "secret", strings.Repeat("secret", 100)} {
		_, err := canon.Email(in)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("Email(%q) error %v", in, err)
		}
	}
}
