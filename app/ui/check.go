package ui

import (
	"strconv"
	"strings"
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
// the characters allowed, the composition rules, patterns (with the very
// function the server uses, so the two always agree), the user id and the
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
		case api.RulePattern:
			res[r.Code] = !pwrule.Patterned(pw)
		case api.RuleClasses:
			// The policy says how many kinds only in its sentence ("Use at
			// least 3 of these kinds...").
			if min, ok := firstNumber(r.Message); ok {
				res[r.Code] = cl.Count() >= min
			}
		case api.RuleUserID:
			if strings.TrimSpace(user) != "" {
				res[r.Code] = !pwrule.NewForms(strings.ToLower, pw).ContainsAny(pwrule.UserNeedles(strings.ToLower, user, ""))
			}
		case api.RuleOrgName:
			res[r.Code] = !pwrule.NewForms(strings.ToLower, pw).ContainsAny(pwrule.Needles(strings.ToLower, org.Name, org.ShortName))
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
