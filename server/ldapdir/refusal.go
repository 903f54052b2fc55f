package ldapdir

import (
	"strings"
	"unicode"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/sspr"
)

// The sentences users read when the directory refuses a password. The
// complaint users raise most against other portals is a bare "constraint
// violation": each known reason becomes a sentence that says what to do.
var (
	ruleHistory = sspr.Rule{Code: sspr.RuleHistory,
		Message: "You have used this password before. Choose one you haven't used."}
	ruleTooShort = sspr.Rule{Code: sspr.RuleMinLength,
		Message: "The directory needs a longer password. Add more characters or words."}
	ruleQuality = sspr.Rule{Code: sspr.RuleDirectory,
		Message: "The directory found this password too easy to guess. Choose a longer, less predictable one."}
	ruleTooYoung = sspr.Rule{Code: sspr.RuleDirectory,
		Message: "Your password was changed too recently to change it again. Try again later, or contact the service desk."}
	ruleSame = sspr.Rule{Code: sspr.RuleHistory,
		Message: "That is your current password. Choose a new one."}
	ruleAD = sspr.Rule{Code: sspr.RuleDirectory,
		Message: "The directory refused this password: it may be too short, too simple, too like your name, or one you have used before. Choose a different one."}
)

// policyError turns a refusal of a new password into a password_policy
// error, or returns nil when err is no such refusal. ppolicy's response
// control is the surest reason; the diagnostic text is the fallback, and
// an unknown reason keeps the directory's own words (a diagnostic never
// holds the password).
func policyError(err error) *sspr.Error {
	if !ldap.IsErrorAnyOf(err, ldap.LDAPResultConstraintViolation) {
		return nil
	}
	var rule sspr.Rule
	if pp := ppolicyControl(err); pp != nil {
		switch pp.Error {
		case ldap.BeheraPasswordInHistory:
			rule = ruleHistory
		case ldap.BeheraPasswordTooShort:
			rule = ruleTooShort
		case ldap.BeheraInsufficientPasswordQuality:
			rule = ruleQuality
		case ldap.BeheraPasswordTooYoung:
			rule = ruleTooYoung
		}
	}
	diag := diagnostic(err)
	if rule.Code == "" {
		rule = ruleFromText(diag)
	}
	return &sspr.Error{Code: sspr.CodePasswordPolicy,
		Message: "The directory did not accept this password.", Rules: []sspr.Rule{rule}}
}

// ruleFromText reads a reason from a diagnostic message: OpenLDAP's
// ppolicy wording, Samba's, and Active Directory's 0000052D.
func ruleFromText(diag string) sspr.Rule {
	l := strings.ToLower(diag)
	switch {
	case strings.Contains(l, "not being changed from existing value"):
		return ruleSame
	case strings.Contains(l, "history"):
		return ruleHistory
	case strings.Contains(l, "too short"):
		return ruleTooShort
	case strings.Contains(l, "too young"), strings.Contains(l, "changed too recently"):
		return ruleTooYoung
	case strings.Contains(l, "quality"), strings.Contains(l, "complexity"), strings.Contains(l, "too simple"):
		return ruleQuality
	case strings.Contains(l, "0000052d"):
		return ruleAD
	}
	text := safeText(diag)
	if text == "" {
		return sspr.Rule{Code: sspr.RuleDirectory, Message: "The directory refused this password. Choose a different one."}
	}
	return sspr.Rule{Code: sspr.RuleDirectory, Message: "The directory refused this password (it said: " + text + "). Choose a different one."}
}

// safeText keeps a diagnostic fit to show: one line of printable text, at
// most 200 characters.
func safeText(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimRight(strings.TrimSpace(s), ".")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
