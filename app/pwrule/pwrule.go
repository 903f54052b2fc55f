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

// AllowedChars reports whether s has only printable characters and spaces.
// It refuses control characters, line and paragraph separators,
// surrogates, private-use characters, noncharacters and every invisible
// character: format characters (Cf: zero-width space, bidi controls, soft
// hyphen...), the rest of Unicode's Default_Ignorable_Code_Point (the
// Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, the combining grapheme
// joiner, variation selectors, tags) and U+2800 BRAILLE PATTERN BLANK. An
// invisible character can hide a common password from the blocklist
// ("pass\u200dword") and can't be typed again on another device.
//
// What real text needs is kept, and only where it does something:
//
//   - the zero-width joiner (U+200D) between two emoji, as in 👩‍💻 or
//     🏳️‍🌈 (after the first emoji's variation selector);
//   - the variation selectors VS15 and VS16 (U+FE0E, U+FE0F) right after
//     a symbol or emoji, or a keycap's "#", "*" or digit (#️⃣);
//   - the zero-width non-joiner (U+200C) and the joiner between two letters
//     (or a letter and a combining mark, such as a virama) of Arabic,
//     Syriac and the other joining scripts, or of the Indic scripts:
//     Persian "می‌خواهم" and Sinhala "ශ්‍රී" are spelt with them.
//
// Every space separator is allowed, and so are code points unassigned in
// Go's Unicode tables, so emoji newer than the toolchain are not refused.
//
// U+2800 is refused although it is not default-ignorable: it shows as
// blank but is not a space, so no one can type it again by looking, and
// braille displays send ordinary characters, never it. The flags of
// England, Scotland and Wales are refused too: they are spelt with tag
// characters, which can spell anything, invisibly.
func AllowedChars(s string) bool {
	// prev is the joinKind of the previous code point; need, after a
	// joiner, the kinds the next one may be.
	var prev, need uint8
	for _, r := range s {
		k := joinKind(r)
		if need != 0 && k&need == 0 {
			return false
		}
		need = 0
		if invisible(r) {
			switch r {
			case zwj:
				need = prev & (kEmoji | kJoins)
			case zwnj:
				need = prev & kJoins
			case vs15, vs16:
				need = prev & kVSBase
			}
			if need == 0 {
				return false
			}
			if r == vs15 || r == vs16 {
				need = 0 // it needs nothing after it
			}
		}
		prev = k
	}
	return need == 0
}

// The invisible characters that real text needs in some places.
const (
	zwnj = '\u200c'
	zwj  = '\u200d'
	vs15 = '\ufe0e'
	vs16 = '\ufe0f'
)

// The kinds of code point that an invisible one may join or follow.
const (
	// kEmoji can be part of an emoji ZWJ sequence: a symbol outside ASCII
	// (So covers the emoji; Sk their skin-tone modifiers), any code point
	// in the emoji planes' blocks, assigned in Go's tables or not, and
	// VS16, after which a sequence goes on (🏳️‍🌈). ASCII symbols ($ + < =
	// > ^ ` | ~) are not emoji.
	kEmoji = 1 << iota
	// kVSBase may take VS15 or VS16: the same symbols and emoji, a
	// keycap's "#", "*" or digit, and the few emoji Unicode files as
	// punctuation or letters (‼ ⁉ ℹ 〰 〽).
	kVSBase
	// kJoins is a letter or combining mark of a script that spells words
	// with the zero-width joiner and non-joiner: U+0600 to U+0DFF are
	// Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and the Indic
	// scripts from Devanagari to Sinhala.
	kJoins
)

// joinKind returns the kinds r is, of kEmoji, kVSBase and kJoins.
func joinKind(r rune) uint8 {
	switch {
	case r == vs16:
		return kEmoji
	case r > 0x7f && unicode.IsSymbol(r), r >= 0x1f000 && r <= 0x1fffd:
		return kEmoji | kVSBase
	case strings.ContainsRune("#*0123456789‼⁉ℹ〰〽", r):
		return kVSBase
	case r >= 0x0600 && r <= 0x0dff && (unicode.IsLetter(r) || unicode.Is(unicode.Mn, r)):
		return kJoins
	}
	return 0
}

// invisible reports whether r is never allowed, or allowed only in the
// places AllowedChars lists.
func invisible(r rune) bool {
	return r == utf8.RuneError || r == '\u2800' ||
		unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Cs, unicode.Co,
			unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) ||
		r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe
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
