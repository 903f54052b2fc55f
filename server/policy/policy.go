// Package policy checks new passwords against the portal's password policy
// (docs/SECURITY.md#passwords, after NIST SP 800-63B-4 §3.1.1.2): a length
// counted in Unicode code points, any printable character but nothing
// invisible, a blocklist of common and breached passwords, nothing built
// from a pattern (repeats, sequences, keyboard walks: pwrule.Patterned),
// nothing containing the user's id, name or the organisation's name, and
// composition rules only where a directory demands them. Every refusal
// names the rule that failed, with a sentence the user can act on; Describe
// gives the same rules and sentences for the live checklist, so the page
// and the server never disagree.
//
// The checks are cheap on purpose: the length is checked first, and a
// password that is too long is refused before anything else looks at it.
// Nothing here hashes a password.
package policy

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/pwrule"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Defaults of Config (docs/SECURITY.md#passwords).
const (
	DefaultMinLength = 12
	DefaultMaxLength = 256
)

// Bounds that Config.Validate enforces.
const (
	// FloorMinLength is the shortest minimum allowed: NIST SP 800-63B-4
	// never permits fewer than 8 characters.
	FloorMinLength = 8
	// FloorMaxLength is the lowest maximum allowed: NIST requires at least
	// 64, so that passphrases fit.
	FloorMaxLength = 64
	// CeilMaxLength is the highest maximum allowed. Request bodies are
	// capped at api.MaxBodyBytes (16 KiB), which holds at most 4096
	// four-byte code points, so a larger maximum could never be reached.
	CeilMaxLength = api.MaxBodyBytes / utf8.UTFMax
	// maxClasses is the number of character classes MinClasses counts.
	maxClasses = 5
)

// Config is a password policy as the operator configures it. The zero value
// is the default policy: 12 to 256 code points, no composition rules.
type Config struct {
	// MinLength and MaxLength bound the length in Unicode code points.
	// Zero means the default (12 and 256). A password is never truncated:
	// one that is too long is refused.
	MinLength, MaxLength int
	// RequireLower, RequireUpper, RequireDigit and RequireSymbol each demand
	// at least one character of that kind. Off by default: NIST advises
	// against composition rules; turn them on only for a directory that
	// enforces them anyway, so users learn of it here and not from a
	// refusal at the last step.
	RequireLower, RequireUpper, RequireDigit, RequireSymbol bool
	// MinClasses demands characters of at least that many of the five kinds
	// lower-case letters, capital letters, digits, symbols, and letters
	// without case (such as CJK). Active Directory's complexity rule is 3.
	// Zero turns it off.
	MinClasses int
	// BannedWords are words a password may not contain, such as the
	// organisation's names and abbreviations (rule not_org). Matching is
	// case-insensitive; words shorter than 3 code points are ignored.
	BannedWords []string
}

// withDefaults fills in the zero fields.
func (c Config) withDefaults() Config {
	if c.MinLength == 0 {
		c.MinLength = DefaultMinLength
	}
	if c.MaxLength == 0 {
		c.MaxLength = DefaultMaxLength
	}
	return c
}

// Validate reports whether c, with its defaults filled in, is a policy the
// portal may enforce: a minimum of at least 8, a maximum of at least 64 and
// at most 4096, the minimum not above the maximum, and MinClasses from 0 to
// 5. Call it when loading configuration; New panics on what it refuses.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.MinLength < FloorMinLength {
		errs = append(errs, fmt.Errorf("policy: minimum length %d is below %d", c.MinLength, FloorMinLength))
	}
	if c.MaxLength < FloorMaxLength || c.MaxLength > CeilMaxLength {
		errs = append(errs, fmt.Errorf("policy: maximum length %d is not between %d and %d", c.MaxLength, FloorMaxLength, CeilMaxLength))
	}
	if c.MinLength > c.MaxLength {
		errs = append(errs, fmt.Errorf("policy: minimum length %d is above the maximum %d", c.MinLength, c.MaxLength))
	}
	if c.MinClasses < 0 || c.MinClasses > maxClasses {
		errs = append(errs, fmt.Errorf("policy: minimum character classes %d is not between 0 and %d", c.MinClasses, maxClasses))
	}
	return errors.Join(errs...)
}

// Policy checks passwords. It is immutable after New, so one Policy is safe
// for use by many goroutines.
type Policy struct {
	cfg Config
	bl  *Blocklist
	// banned are the folded BannedWords of at least pwrule.NameMinLen code
	// points.
	banned []pwrule.Needle
	// rules are the rules in checklist order; byCode indexes them.
	rules  []sspr.Rule
	byCode map[string]sspr.Rule
}

// New returns a Policy for cfg (zero lengths mean the defaults) that refuses
// the passwords bl contains. bl may be nil, for no blocklist; then the
// not_common rule is neither checked nor described. New panics if
// cfg.Validate fails: configuration loading should have called it.
func New(cfg Config, bl *Blocklist) *Policy {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	cfg.BannedWords = append([]string(nil), cfg.BannedWords...)
	p := &Policy{cfg: cfg, bl: bl, byCode: make(map[string]sspr.Rule)}
	p.banned = pwrule.Needles(fold, cfg.BannedWords...)

	add := func(r sspr.Rule) {
		p.rules = append(p.rules, r)
		p.byCode[r.Code] = r
	}
	add(sspr.NewRule(sspr.RuleMinLength, "Use at least %d characters.", cfg.MinLength))
	add(sspr.NewRule(sspr.RuleMaxLength, "Use at most %d characters.", cfg.MaxLength))
	add(sspr.NewRule(sspr.RuleCharacters, "Don't use invisible or control characters, such as zero-width spaces or tabs (ordinary spaces are fine)."))
	if cfg.RequireLower {
		add(sspr.NewRule(sspr.RuleLower, "Include a lower-case letter."))
	}
	if cfg.RequireUpper {
		add(sspr.NewRule(sspr.RuleUpper, "Include a capital letter."))
	}
	if cfg.RequireDigit {
		add(sspr.NewRule(sspr.RuleDigit, "Include a digit."))
	}
	if cfg.RequireSymbol {
		add(sspr.NewRule(sspr.RuleSymbol, "Include a symbol or punctuation mark, such as ! or #."))
	}
	if cfg.MinClasses > 0 {
		add(sspr.NewRule(sspr.RuleClasses, "Use at least %d of these kinds of character: lower-case letters, "+
			"capital letters, digits, symbols, and letters that have no case (such as 中).", cfg.MinClasses))
	}
	if bl != nil {
		add(sspr.NewRule(sspr.RuleCommon, "Don't use a common password, even with numbers or symbols added."))
	}
	add(sspr.NewRule(sspr.RulePattern, "Don't build it from a pattern, such as repeated letters or words (aaaa, abcabc), "+
		"sequences (1234, abcd) or rows of the keyboard (qwerty)."))
	add(sspr.NewRule(sspr.RuleUserID, "Don't use your user ID or your name."))
	if len(p.banned) > 0 {
		add(sspr.NewRule(sspr.RuleOrgName, "Don't use the name of the organisation."))
	}
	return p
}

// Rules are the rules Check applies, in the checklist's order, as the
// domain has them (for putting their sentences into other languages).
func (p *Policy) Rules() []sspr.Rule { return slices.Clone(p.rules) }

// Describe returns the policy for the live checklist, in the wire's terms
// (the browser runs the same rules: app/pwrule): the length bounds and
// every rule Check applies, in the order the checklist shows them, with the
// same messages Check returns.
func (p *Policy) Describe() api.Policy {
	rules := make([]api.Rule, len(p.rules))
	for i, r := range p.rules {
		rules[i] = api.Rule{Code: r.Code, Message: r.Message}
	}
	return api.Policy{MinLength: p.cfg.MinLength, MaxLength: p.cfg.MaxLength, Rules: rules}
}

// Check returns every rule that password breaks, in checklist order, or nil
// if it breaks none. acct is the account whose password is being set; if it
// is nil, the user's id and name are not checked.
//
// Length is counted in code points of the password exactly as received (the
// bytes that will reach the directory). A password over the maximum is
// refused with max_length alone, before anything else reads it, so a
// 100 KB input costs next to nothing.
func (p *Policy) Check(password string, acct *sspr.Account) []sspr.Rule {
	// More bytes than MaxLength four-byte code points is too long whatever
	// it holds: no need to count.
	if len(password) > p.cfg.MaxLength*utf8.UTFMax {
		return []sspr.Rule{p.byCode[sspr.RuleMaxLength]}
	}
	n := utf8.RuneCountInString(password)
	if n > p.cfg.MaxLength {
		return []sspr.Rule{p.byCode[sspr.RuleMaxLength]}
	}

	var broken []sspr.Rule
	fail := func(code string) { broken = append(broken, p.byCode[code]) }

	if n < p.cfg.MinLength {
		fail(sspr.RuleMinLength)
	}
	if !pwrule.AllowedChars(password) {
		fail(sspr.RuleCharacters)
	}

	cl := pwrule.Classify(password)
	if p.cfg.RequireLower && !cl.Lower {
		fail(sspr.RuleLower)
	}
	if p.cfg.RequireUpper && !cl.Upper {
		fail(sspr.RuleUpper)
	}
	if p.cfg.RequireDigit && !cl.Digit {
		fail(sspr.RuleDigit)
	}
	if p.cfg.RequireSymbol && !cl.Symbol {
		fail(sspr.RuleSymbol)
	}
	if p.cfg.MinClasses > 0 && cl.Count() < p.cfg.MinClasses {
		fail(sspr.RuleClasses)
	}

	if p.bl != nil && p.bl.Contains(password) {
		fail(sspr.RuleCommon)
	}
	// The browser's checklist runs the same function (app/ui's
	// checkPassword), on the password as typed: no folding here either.
	if pwrule.Patterned(password) {
		fail(sspr.RulePattern)
	}
	if acct != nil || len(p.banned) > 0 {
		forms := pwrule.NewForms(fold, password)
		if acct != nil && forms.ContainsAny(pwrule.UserNeedles(fold, acct.ID, acct.DisplayName)) {
			fail(sspr.RuleUserID)
		}
		if forms.ContainsAny(p.banned) {
			fail(sspr.RuleOrgName)
		}
	}
	return broken
}

// fold returns the canonical form in which passwords, names and list entries
// are compared: Unicode NFKC (so full-width and other compatibility forms
// match their plain letters), then case-folded ("ß" matches "ss"). A new
// Caser each time, because a Caser may keep state and must not be shared
// between goroutines.
func fold(s string) string {
	return cases.Fold().String(norm.NFKC.String(s))
}
