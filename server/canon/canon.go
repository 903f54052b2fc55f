// Package canon puts what people type into one canonical form before it is
// compared or used as a key: user ids, security-question answers and phone
// numbers. Comparing canonical forms only, and exactly, is what makes
// "Alice@Example.edu " and "alice@example.edu" one account with one
// throttle, and what keeps look-alike input from matching anything.
package canon

import (
	"errors"
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
// case-folded, runs of whitespace collapsed to one space, trimmed (rule 10).
func Answer(raw string) string {
	s := folder.String(norm.NFKC.String(raw))
	return strings.Join(strings.Fields(s), " ")
}

// ErrPhoneInvalid is returned for input that is not a phone number.
var ErrPhoneInvalid = errors.New("that is not a phone number")

// Phone returns a phone number in E.164 form, e.g. +447700900123. A number
// typed without its country code is read as a number of defaultRegion (an
// ISO 3166 code such as "GB").
func Phone(raw, defaultRegion string) (string, error) {
	if len(raw) > 64 || strings.TrimSpace(raw) == "" {
		return "", ErrPhoneInvalid
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(defaultRegion))
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", ErrPhoneInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// MaskEmail hides most of an address: "alice.alt@example.net" becomes
// "a••••••••@example.net".
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return strings.Repeat("•", 8)
	}
	first, _ := utf8.DecodeRuneInString(local)
	n := utf8.RuneCountInString(local) - 1
	if n < 3 {
		n = 3
	}
	return string(first) + strings.Repeat("•", n) + "@" + domain
}

// MaskPhone shows only the last two digits of a number: "+447700900123"
// becomes "•••••••••••23".
func MaskPhone(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) < 4 {
		return strings.Repeat("•", 8)
	}
	return strings.Repeat("•", len(digits)-2) + digits[len(digits)-2:]
}
