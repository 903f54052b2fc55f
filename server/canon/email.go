package canon

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLen is the longest email address accepted, in bytes, both as typed
// (once trimmed) and as stored (RFC 5321's limit on a forward path, less
// its angle brackets).
const MaxEmailLen = 254

// maxEmailInput bounds the raw input before any work is done on it: surrounding
// space is trimmed first, so an address may arrive padded, but not by much.
const maxEmailInput = 4 * MaxEmailLen

// Errors of Email. Their messages never echo the input: they reach logs and
// the wire, and the input may be anything.
var (
	ErrEmailEmpty      = errors.New("enter an email address")
	ErrEmailTooLong    = errors.New("that email address is too long")
	ErrEmailInvalid    = errors.New("enter an email address like name@example.com")
	ErrEmailCharacters = errors.New("that email address has characters that are not allowed")
	ErrEmailDomain     = errors.New("that email address's domain is not valid")
)

// domainProfile is IDNA2008 as UTS #46 applies it to lookups, at its
// strictest: the non-transitional mapping (so "ß" stays "ß", as browsers and
// registries now treat it), the bidi rule of RFC 5893 (a label can't mix
// left-to-right and right-to-left letters, nor Latin letters with
// Arabic-Indic digits), the label validity and context rules of RFC 5891
// (CONTEXTJ/CONTEXTO, hyphens), letters, digits and hyphens only among the
// ASCII characters, and the DNS lengths (63 bytes a label, 253 a name).
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.CheckHyphens(true),
	idna.CheckJoiners(true),
	idna.VerifyDNSLength(true),
)

// Email returns the canonical form of an alternate email address: surrounding
// space trimmed, the local part in Unicode NFC with its case kept (a local
// part is the receiving server's to interpret), and the domain as lower-case
// ASCII, internationalised labels as A-labels ("alice@BÜCHER.de" becomes
// "alice@xn--bcher-kva.de").
//
// It refuses, rather than strips, anything that can make one address look
// like another: an address with a right-to-left override ("alice\u202e@evil.com")
// or a zero-width character ("ali\u200bce@example.net") displays as another
// address, to the user confirming it and to whoever reads the audit trail
// later, while mail goes to the one actually typed. So control and format
// characters (bidi controls, zero-width spaces and joiners, the BOM, soft
// hyphens, tag characters), every other default-ignorable or invisible code
// point, whitespace, private-use and unassigned code points, and invalid
// UTF-8 are all refused, as are a display name, comments, quoting and angle
// brackets. A domain must pass IDNA2008 (see domainProfile and
// letterDigits) and have at least two labels, the last not all digits (no
// bare IP addresses).
//
// Storing domains as A-labels is what defuses look-alike domains that IDNA
// allows: "exаmple.net" with a Cyrillic а is kept, and shown, as
// "xn--exmple-4nf.net", which looks like nothing but itself. A local part in
// another script (a Cyrillic "аlice") is allowed, in NFC, since it is a real
// and different mailbox whose owner must still receive the code sent to it.
//
// Email is idempotent: Email of its own result returns that result.
func Email(raw string) (string, error) {
	if len(raw) > maxEmailInput {
		return "", ErrEmailTooLong
	}
	if !utf8.ValidString(raw) {
		return "", ErrEmailCharacters
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ErrEmailEmpty
	}
	if len(s) > MaxEmailLen {
		return "", ErrEmailTooLong
	}
	for _, r := range s {
		if invisible(r) {
			return "", ErrEmailCharacters
		}
	}
	// net/mail would accept these as a display name, comments, quoting or
	// groups; an alternate address needs none of them.
	if strings.ContainsAny(s, "<>\"(),:;[]\\") {
		return "", ErrEmailInvalid
	}
	s = norm.NFC.String(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" {
		return "", ErrEmailInvalid
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return "", ErrEmailInvalid
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	// NFC may compose, but it never makes a visible character invisible;
	// checked again so that the promise holds of the result, not the input.
	for _, r := range local {
		if invisible(r) {
			return "", ErrEmailCharacters
		}
	}
	// A combining mark first has nothing of the address to sit on, so it
	// lands on whatever is shown before the address.
	if first, _ := utf8.DecodeRuneInString(local); unicode.IsMark(first) {
		return "", ErrEmailCharacters
	}
	ascii, err := domainProfile.ToASCII(domain)
	if err != nil {
		return "", ErrEmailDomain
	}
	ascii = strings.ToLower(ascii)
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 || allDigits(labels[len(labels)-1]) {
		return "", ErrEmailDomain
	}
	for _, l := range labels {
		// An empty label (a leading, trailing or doubled dot) is a typo at
		// best; the profile lets a trailing one through.
		if l == "" || !letterDigits(l) {
			return "", ErrEmailDomain
		}
	}
	out := local + "@" + ascii
	if len(out) > MaxEmailLen {
		return "", ErrEmailTooLong
	}
	return out, nil
}

// invisible reports whether r is a code point that can't be seen, or can
// change how its neighbours are seen, and so must not be part of an
// identifier that people compare by eye: controls, format characters
// (Unicode Cf: bidi embeddings, overrides and isolates, LRM/RLM/ALM, the
// zero-width space, joiner and non-joiner, the BOM, the soft hyphen, tags),
// the other default-ignorable code points (variation selectors, the
// combining grapheme joiner, Hangul fillers), whitespace and separators,
// private-use and unassigned code points (whose look is anyone's guess),
// the Braille blank and U+FFFD (what invalid UTF-8 decodes to).
func invisible(r rune) bool {
	switch {
	case r == utf8.RuneError, r == '\u2800':
		return true
	case !unicode.IsGraphic(r):
		// Not L, M, N, P, S or Zs: controls (Cc), format (Cf), line and
		// paragraph separators, private use (Co), surrogates and unassigned
		// code points (Cn).
		return true
	case unicode.IsSpace(r), unicode.Is(unicode.Zs, r):
		return true
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r),
		unicode.Is(unicode.Variation_Selector, r):
		return true
	}
	return false
}

// letterDigits reports whether an A-label (or LDH label) decodes to letters,
// marks, decimal digits and hyphens only, with the few punctuation marks
// IDNA2008 allows in context (RFC 5892, appendix A) in their contexts.
// x/net/idna follows UTS #46, which still lets through what IDNA2003
// allowed and IDNA2008 does not (its "NV8" code points: symbols, emoji,
// most punctuation), so that "💩.la" or a label with a "⁄" (fraction
// slash, which looks like "/") would pass; and it applies the CONTEXTJ
// rules but not the CONTEXTO ones, so that a "·" or "・" could sit
// anywhere, looking like a dot. IDNA2008 derives validity from the letter
// and digit categories, and this holds the domain to it.
func letterDigits(label string) bool {
	if !strings.HasPrefix(label, "xn--") {
		return true // LDH, checked by the profile
	}
	u, err := domainProfile.ToUnicode(label)
	if err != nil {
		return false
	}
	rs := []rune(u)
	var arabicIndic, extArabicIndic, kanaHan bool
	for _, r := range rs {
		switch {
		case r >= '\u0660' && r <= '\u0669':
			arabicIndic = true
		case r >= '\u06f0' && r <= '\u06f9':
			extArabicIndic = true
		case r != '\u30fb' && unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han):
			kanaHan = true
		}
	}
	if arabicIndic && extArabicIndic {
		return false // the two sets of Arabic digits may not be mixed
	}
	at := func(i int) rune {
		if i < 0 || i >= len(rs) {
			return -1
		}
		return rs[i]
	}
	for i, r := range rs {
		ok := true
		switch {
		case invisible(r):
			// Typed, it was refused before; as an A-label it is only
			// seen now.
			ok = false
		case unicode.In(r, unicode.Ll, unicode.Lo, unicode.Lm, unicode.Mn, unicode.Mc, unicode.Nd), r == '-':
		case r == '\u00b7': // MIDDLE DOT: only in Catalan's "l·l"
			ok = at(i-1) == 'l' && at(i+1) == 'l'
		case r == '\u0375': // GREEK LOWER NUMERAL SIGN: before Greek
			ok = unicode.Is(unicode.Greek, at(i+1))
		case r == '\u05f3', r == '\u05f4': // HEBREW GERESH, GERSHAYIM: after Hebrew
			ok = unicode.Is(unicode.Hebrew, at(i-1))
		case r == '\u30fb': // KATAKANA MIDDLE DOT: among kana or Han
			ok = kanaHan
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// EmailDomain returns the domain of a stored address, lower-cased, or "" if
// it has none. With EmailInitial it is all of an address that MaskEmail
// shows, which is what a decoy copies from real registrations so that its
// hints have their shape.
func EmailDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(addr[at+1:])
}

// EmailInitial returns the first character of an address's local part,
// lower-cased, or "" if there is none, or it is invisible or a combining mark
// (which would show as nothing, or on the bullet after it).
func EmailInitial(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(addr[:at])
	if invisible(r) || unicode.IsMark(r) {
		return ""
	}
	return string(unicode.ToLower(r))
}
