// Package pwrule holds the character-level password rules that both sides
// apply: the server's policy (server/policy) and the browser's live
// checklist (app/ui), so the checklist can never tick a rule the server
// would refuse. Standard library only: it is part of the wasm bundle.
package pwrule

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// AllowedChars reports whether s has only printable characters and spaces:
// no control or format characters (but the zero-width joiner and
// non-joiner, which emoji and some scripts need), line or paragraph
// separators, surrogates, private-use characters or noncharacters. Every
// space separator is allowed, and so are code points unassigned in Go's
// Unicode tables, so emoji newer than the toolchain are not refused.
func AllowedChars(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError,
			unicode.IsControl(r),
			unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d',
			unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cs, unicode.Co),
			r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
			return false
		}
	}
	return true
}

// Classes says which kinds of character a password has, for the
// composition rules.
type Classes struct {
	Lower, Upper, Digit, Symbol, Other bool
}

// Classify finds the kinds of character in s. A symbol is punctuation or a
// symbol (emoji included); spaces count as no kind. Letters that are neither
// lower- nor upper-case (most of CJK, Arabic, Hebrew) are a kind of their
// own, as in Active Directory's complexity rule.
func Classify(s string) Classes {
	var c Classes
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			c.Lower = true
		case unicode.IsUpper(r):
			c.Upper = true
		case unicode.IsLetter(r):
			c.Other = true
		case unicode.IsDigit(r):
			c.Digit = true
		case unicode.IsPunct(r), unicode.IsSymbol(r):
			c.Symbol = true
		}
	}
	return c
}

// Count is how many kinds there are.
func (c Classes) Count() int {
	n := 0
	for _, b := range [...]bool{c.Lower, c.Upper, c.Digit, c.Symbol, c.Other} {
		if b {
			n++
		}
	}
	return n
}

// The l33t substitutions undone, after zxcvbn's table. "1", "!" and "|"
// stand for "i" or for "l", so there are two replacers; "7" is read as "t"
// only. strings.Replacer is safe for concurrent use.
var (
	UnleetI = strings.NewReplacer(leet("i")...)
	UnleetL = strings.NewReplacer(leet("l")...)
)

func leet(one string) []string {
	return []string{
		"4", "a", "@", "a",
		"8", "b",
		"3", "e",
		"6", "g", "9", "g",
		"0", "o",
		"$", "s", "5", "s",
		"7", "t", "+", "t",
		"1", one, "!", one, "|", one,
	}
}
