package pwrule

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NameMinLen is the shortest name or name part a password may not contain:
// shorter parts ("Li") would refuse too many good passwords.
const NameMinLen = 3

// Fold puts a string in the form names are compared in. The server folds
// case after NFKC; the browser, which can't carry the Unicode tables for
// that in its bundle, lower-cases. The server is the judge either way.
type Fold func(string) string

// Needle is a word a password may not contain, folded; compact is the same
// without spaces and punctuation when that differs (so that "Example
// University" also catches "exampleuniversity"), else "".
type Needle struct{ word, compact string }

// Needles returns the words as needles, each whole, leaving out those
// shorter than NameMinLen once folded.
func Needles(fold Fold, words ...string) []Needle {
	var ns []Needle
	for _, w := range words {
		if n, ok := newNeedle(fold, w); ok {
			ns = append(ns, n)
		}
	}
	return ns
}

// UserNeedles returns what a password for a user may not contain: the
// local part of the user id (before the "@") and each part of it and of
// the display name, split at spaces and punctuation, that has at least
// NameMinLen code points. For "a.smith@example.edu", "Alice Smith":
// "a.smith", "smith", "alice".
func UserNeedles(fold Fold, id, displayName string) []Needle {
	local := strings.TrimSpace(id)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	return Needles(fold, append([]string{local}, strings.FieldsFunc(local+" "+displayName, isSeparator)...)...)
}

func newNeedle(fold Fold, w string) (Needle, bool) {
	word := strings.TrimSpace(fold(w))
	if utf8.RuneCountInString(word) < NameMinLen {
		return Needle{}, false
	}
	n := Needle{word: word}
	if c := compact(word); c != word && utf8.RuneCountInString(c) >= NameMinLen {
		n.compact = c
	}
	return n, true
}

// Forms are the forms of a password that names are looked for in: folded,
// with l33t undone both ways, and compacted.
type Forms struct {
	folded  [3]string
	compact string
}

// NewForms returns the forms of password.
func NewForms(fold Fold, password string) Forms {
	f := fold(password)
	return Forms{
		folded:  [3]string{f, UnleetI.Replace(f), UnleetL.Replace(f)},
		compact: compact(f),
	}
}

// ContainsAny reports whether any of the forms contains any of the needles.
func (f Forms) ContainsAny(ns []Needle) bool {
	for _, n := range ns {
		for _, s := range f.folded {
			if strings.Contains(s, n.word) {
				return true
			}
		}
		if n.compact != "" && strings.Contains(f.compact, n.compact) {
			return true
		}
	}
	return false
}

// isSeparator reports whether r separates the parts of a name.
func isSeparator(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
}

// compact removes every separator from s.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if isSeparator(r) {
			return -1
		}
		return r
	}, s)
}
