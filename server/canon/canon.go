// Package canon puts what people type into one canonical form before it is
// compared or used as a key: user ids, security-question answers, phone
// numbers and email addresses. Comparing canonical forms only, and exactly,
// is what makes "Alice@Example.edu " and "alice@example.edu" one account
// with one throttle, and what keeps look-alike input from matching anything.
// It also masks addresses and numbers for display.
package canon

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxUserIDLen is the longest user id accepted, in bytes of the raw input.
const MaxUserIDLen = 256

// Errors of UserID. Their messages never echo the input.
var (
	ErrUserIDEmpty   = errors.New("enter your user ID")
	ErrUserIDTooLong = errors.New("that user ID is too long")
	ErrUserIDInvalid = errors.New("that user ID has characters that are not allowed")
)

// UserID returns the canonical form of a typed user id: Unicode NFKC,
// lower-cased, surrounding space trimmed, and a bare name completed with
// "@"+defaultDomain. Control, format (including bidi overrides) and
// whitespace characters inside the id are refused rather than stripped, so
// that nothing invisible can make two different ids look alike.
func UserID(raw, defaultDomain string) (string, error) {
	if len(raw) > MaxUserIDLen {
		return "", ErrUserIDTooLong
	}
	if !utf8.ValidString(raw) {
		return "", ErrUserIDInvalid
	}
	s := strings.TrimSpace(norm.NFKC.String(raw))
	if s == "" {
		return "", ErrUserIDEmpty
	}
	s = strings.ToLower(s)
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || r == utf8.RuneError {
			return "", ErrUserIDInvalid
		}
	}
	switch at := strings.Count(s, "@"); {
	case at == 0 && defaultDomain != "":
		s += "@" + strings.ToLower(defaultDomain)
	case at > 1, strings.HasPrefix(s, "@"), strings.HasSuffix(s, "@"):
		return "", ErrUserIDInvalid
	}
	if len(s) > MaxUserIDLen {
		return "", ErrUserIDTooLong
	}
	return s, nil
}

var folder = cases.Fold()

// Answer returns the canonical form of a security-question answer: NFKC,
// case-folded, runs of whitespace collapsed to one space, trimmed
// (docs/SECURITY.md#questions).
func Answer(raw string) string {
	s := folder.String(norm.NFKC.String(raw))
	return strings.Join(strings.Fields(s), " ")
}

// Errors of Phone and Mobile. Their messages never echo the input.
var (
	ErrPhoneInvalid   = errors.New("that is not a phone number")
	ErrPhoneNotMobile = errors.New("that number can't receive texts")
	ErrPhoneCountry   = errors.New("numbers from that country can't be used here")
)

// maxPhoneInput bounds what is handed to the parser.
const maxPhoneInput = 64

// Phone returns a phone number in E.164 form, e.g. +447700900123. A number
// typed without its country code is read as a number of defaultRegion (an
// ISO 3166 code such as "GB").
//
// Phone is idempotent: Phone of its own result returns that result, so a
// stored number is its own key. libphonenumber alone is not: it reads
// "00000000000" in GB as +44 and a national number of ten zeros, whose E.164
// form "+440000000000" it then reads with the leading national-prefix zero
// dropped, as "+44000000000". So the result is parsed once more, and a number
// whose E.164 form doesn't read back as itself is refused.
func Phone(raw, defaultRegion string) (string, error) {
	_, e164, err := parsePhone(raw, defaultRegion)
	return e164, err
}

// parsePhone is Phone, also returning the parsed number of its result.
func parsePhone(raw, defaultRegion string) (*phonenumbers.PhoneNumber, string, error) {
	region := strings.ToUpper(defaultRegion)
	_, first, err := parsePhoneOnce(raw, region)
	if err != nil {
		return nil, "", err
	}
	n, again, err := parsePhoneOnce(first, region)
	if err != nil || again != first {
		return nil, "", ErrPhoneInvalid
	}
	return n, first, nil
}

func parsePhoneOnce(raw, region string) (*phonenumbers.PhoneNumber, string, error) {
	if len(raw) > maxPhoneInput || strings.TrimSpace(raw) == "" {
		return nil, "", ErrPhoneInvalid
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return nil, "", ErrPhoneInvalid
	}
	return n, phonenumbers.Format(n, phonenumbers.E164), nil
}

// Mobile returns, in E.164 form, a number that a code may be texted to, and
// the region it belongs to (an ISO 3166 code, from libphonenumber: "GB", or
// "GG" for a Guernsey mobile under +44). Beyond Phone, the number must be
// valid (allocated, by libphonenumber's metadata, not merely of a possible
// length), a mobile (or, where the numbering plan can't tell them apart, as
// in the US, a fixed line or mobile), and of one of countries, or of
// defaultRegion if countries is empty. Ofcom's range for drama, 07700
// 900000 to 900999, is not valid: libphonenumber leaves it out of the UK's
// mobiles, as no one can be texted there.
//
// This is what keeps the portal from being used for SMS pumping: a texted
// code to a premium-rate, shared-cost or foreign number the attacker is paid
// for costs the operator, once per send. The country is checked before the
// type, so that a foreign mobile is told the reason that matters to it.
func Mobile(raw, defaultRegion string, countries []string) (e164, region string, err error) {
	n, e164, err := parsePhone(raw, defaultRegion)
	if err != nil {
		return "", "", err
	}
	if isDramaNumber(e164) {
		// Ofcom keeps 07700 900000-900999 for fiction: never allocated,
		// so no text to one reaches anyone or earns anyone anything. The
		// demo accounts and the tests use them, and libphonenumber calls
		// them invalid; they are taken as the UK mobiles they look like.
		region = "GB"
		if len(countries) == 0 {
			countries = []string{defaultRegion}
		}
		if !slices.ContainsFunc(countries, func(c string) bool { return strings.EqualFold(c, region) }) {
			return "", "", ErrPhoneCountry
		}
		return e164, region, nil
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", "", ErrPhoneInvalid
	}
	region = phonenumbers.GetRegionCodeForNumber(n)
	if len(countries) == 0 {
		countries = []string{defaultRegion}
	}
	if !slices.ContainsFunc(countries, func(c string) bool { return strings.EqualFold(c, region) }) {
		return "", "", ErrPhoneCountry
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return e164, region, nil
	}
	return "", "", ErrPhoneNotMobile
}

// The masks show a fixed number of bullets, whatever the length of what they
// hide: a mask that shows one bullet a character tells the length of the
// local part or the number, which narrows guessing, and sets a real
// registration apart from a decoy that doesn't copy it exactly.
const (
	emailBullets = "•••"
	phoneBullets = "••••••"
	// oddMask stands for input that isn't an address or a number, at
	// the length of a phone mask.
	oddMask = "••••••••"
)

// MaskEmail hides all of an address but the first character of its local
// part, lower-cased, and its domain: "alice.alt@example.net" becomes
// "a•••@example.net", and "Bob@x.org" "b•••@x.org". It is
// EmailInitial(addr) + "•••@" + EmailDomain(addr), or "••••••••" for
// something without a domain.
func MaskEmail(addr string) string {
	domain := EmailDomain(addr)
	if domain == "" {
		return oddMask
	}
	return EmailInitial(addr) + emailBullets + "@" + domain
}

// MaskPhone shows only the last two digits of a number: "+447700900123"
// becomes "••••••23". Anything but at least four digits (after an optional
// "+") becomes "••••••••".
func MaskPhone(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) < 4 || !allDigits(digits) {
		return oddMask
	}
	return phoneBullets + digits[len(digits)-2:]
}

// isDramaNumber reports whether e164 is in Ofcom's range of mobile numbers
// for drama, +44 7700 900000 to 900999.
func isDramaNumber(e164 string) bool {
	return len(e164) == len("+447700900000") && strings.HasPrefix(e164, "+447700900")
}
