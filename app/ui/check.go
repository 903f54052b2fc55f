package ui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/pwrule"
)

// ruleMatch is the checklist's last line, "Passwords match": the client's
// own rule, never the server's.
const ruleMatch = "match"

// checkPassword runs the checks the browser can make as the user types, and
// returns for each rule code whether the password meets it. A rule only the
// server can judge (not_common, history, directory, and a rule this client
// doesn't know) is absent: the checklist shows it neutral until the server
// has answered. The checks mirror server/policy: lengths in code points,
// the characters allowed, the composition rules, the user id and the
// organisation's names (case-insensitive, with l33t undone). user is the
// user id typed on the start page, or "" if this visit doesn't know it.
// "match" says whether confirm is pw.
func checkPassword(p api.Policy, org api.Organisation, user, pw, confirm string) map[string]bool {
	res := make(map[string]bool, len(p.Rules)+1)
	n := utf8.RuneCountInString(pw)
	cl := pwrule.Classify(pw)
	for _, r := range p.Rules {
		switch r.Code {
		case api.RuleMinLength:
			res[r.Code] = n >= p.MinLength
		case api.RuleMaxLength:
			res[r.Code] = p.MaxLength <= 0 || n <= p.MaxLength
		case api.RuleCharacters:
			res[r.Code] = pwrule.AllowedChars(pw)
		case api.RuleLower:
			res[r.Code] = cl.Lower
		case api.RuleUpper:
			res[r.Code] = cl.Upper
		case api.RuleDigit:
			res[r.Code] = cl.Digit
		case api.RuleSymbol:
			res[r.Code] = cl.Symbol
		case api.RuleClasses:
			// The policy says how many kinds only in its sentence ("Use at
			// least 3 of these kinds...").
			if min, ok := firstNumber(r.Message); ok {
				res[r.Code] = cl.Count() >= min
			}
		case api.RuleUserID:
			if strings.TrimSpace(user) != "" {
				res[r.Code] = !containsAny(pw, userNeedles(user))
			}
		case api.RuleOrgName:
			res[r.Code] = !containsAny(pw, orgNeedles(org))
		}
	}
	res[ruleMatch] = confirm != "" && pw == confirm
	return res
}

// firstNumber returns the first whole number in s.
func firstNumber(s string) (int, bool) {
	start := strings.IndexAny(s, "0123456789")
	if start < 0 {
		return 0, false
	}
	end := start
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[start:end])
	return n, err == nil
}

// nameMinLen is the shortest name part a password may not contain, as on
// the server: shorter parts ("Li") would refuse too many good passwords.
const nameMinLen = 3

// needle is a word a password may not contain, lower-cased; compact is the
// same without separators when that differs.
type needle struct{ word, compact string }

func newNeedle(w string) (needle, bool) {
	word := strings.TrimSpace(strings.ToLower(w))
	if utf8.RuneCountInString(word) < nameMinLen {
		return needle{}, false
	}
	n := needle{word: word}
	if c := compact(word); c != word && utf8.RuneCountInString(c) >= nameMinLen {
		n.compact = c
	}
	return n, true
}

// userNeedles are the local part of the user id and its parts.
func userNeedles(user string) []needle {
	local := strings.TrimSpace(user)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	var ns []needle
	if n, ok := newNeedle(local); ok {
		ns = append(ns, n)
	}
	for _, part := range strings.FieldsFunc(local, isSeparator) {
		if n, ok := newNeedle(part); ok {
			ns = append(ns, n)
		}
	}
	return ns
}

// orgNeedles are the organisation's names.
func orgNeedles(org api.Organisation) []needle {
	var ns []needle
	for _, name := range []string{org.Name, org.ShortName} {
		if n, ok := newNeedle(name); ok {
			ns = append(ns, n)
		}
	}
	return ns
}

// containsAny reports whether pw, lower-cased, with l33t undone or
// compacted, contains any of the needles.
func containsAny(pw string, ns []needle) bool {
	if len(ns) == 0 {
		return false
	}
	f := strings.ToLower(pw)
	forms := [...]string{f, pwrule.UnleetI.Replace(f), pwrule.UnleetL.Replace(f)}
	c := compact(f)
	for _, n := range ns {
		for _, s := range forms {
			if strings.Contains(s, n.word) {
				return true
			}
		}
		if n.compact != "" && strings.Contains(c, n.compact) {
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
