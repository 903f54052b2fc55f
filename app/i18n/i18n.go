// Package i18n holds a language's catalogue of the portal's words and the
// rules to use it: placeholders, plural forms by the language's own rules
// (CLDR), text with marked-up parts, and the direction of the script.
//
// A catalogue is a flat JSON object of keys to texts, in the manner of
// i18next's JSON v4, which translation tools (Weblate, Crowdin, Lokalise)
// read and write:
//
//	"code.sent": "We've sent a code to {{address}}.",
//	"code.left_one": "{{count}} try left",
//	"code.left_other": "{{count}} tries left",
//	"start.not_registered": "If you haven't, <0>register</0> first."
//
// The catalogues live in static/i18n (docs/TRANSLATING.md says how to add
// a language). The browser is sent only its own language's, as data: the
// words are never compiled into app.wasm, so a language costs the bundle
// nothing.
//
// This package is linked into app.wasm: it imports only what the bundle
// already carries (encoding/json, strconv, strings, time).
package i18n

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Catalog is one language's words. Its zero value, and a nil *Catalog,
// have no words: T answers every key with the key itself, which a test
// would catch.
type Catalog struct {
	lang  string
	texts map[string]string
}

// Parse reads the catalogue of the language tag lang from its JSON.
func Parse(lang string, b []byte) (*Catalog, error) {
	var texts map[string]string
	if err := json.Unmarshal(b, &texts); err != nil {
		return nil, fmt.Errorf("i18n: the %s catalogue: %w", lang, err)
	}
	return &Catalog{lang: lang, texts: texts}, nil
}

// New returns the catalogue of lang holding texts (tests, and the server's
// merged catalogues).
func New(lang string, texts map[string]string) *Catalog {
	return &Catalog{lang: lang, texts: texts}
}

// Lang is the catalogue's language tag, such as "cy" or "zh-Hans".
func (c *Catalog) Lang() string {
	if c == nil {
		return ""
	}
	return c.lang
}

// Dir is the direction of the language's script: "rtl" or "ltr".
func (c *Catalog) Dir() string { return Dir(c.Lang()) }

// Has reports whether the catalogue holds key.
func (c *Catalog) Has(key string) bool {
	if c == nil {
		return false
	}
	_, ok := c.texts[key]
	return ok
}

// Keys returns every key of the catalogue, in no order.
func (c *Catalog) Keys() []string {
	if c == nil {
		return nil
	}
	keys := make([]string, 0, len(c.texts))
	for k := range c.texts {
		keys = append(keys, k)
	}
	return keys
}

// Raw returns the text of key as written, placeholders and all.
func (c *Catalog) Raw(key string) (string, bool) {
	if c == nil {
		return "", false
	}
	s, ok := c.texts[key]
	return s, ok
}

// T returns the text of key with its placeholders filled: args are pairs
// of a placeholder's name and its value ("address", a). A key the
// catalogue lacks comes back as itself.
func (c *Catalog) T(key string, args ...string) string {
	s, ok := c.Raw(key)
	if !ok {
		return key
	}
	return Fill(s, args...)
}

// N returns the plural form of key for the count n ("key_one",
// "key_other"...: the categories of the language's rule, PluralCategory),
// with {{count}} and args filled. A form the catalogue lacks falls back on
// "key_other".
func (c *Catalog) N(key string, n int, args ...string) string {
	args = append(args, "count", strconv.Itoa(n))
	if s, ok := c.Raw(key + "_" + PluralCategory(c.Lang(), n)); ok {
		return Fill(s, args...)
	}
	return c.T(key+"_other", args...)
}

// Date is the catalogue's date format key filled with the parts of d, as
// d's location has them: {{weekday}}, {{day}}, {{month}} (the name),
// {{month_number}}, {{year}} and {{time}} ("14:05"). The names are the
// catalogue's date.weekday_0-6 and date.month_1-12.
func (c *Catalog) Date(key string, d time.Time) string {
	y, m, day := d.Date()
	month := strconv.Itoa(int(m))
	return c.T(key, "weekday", c.T("date.weekday_"+strconv.Itoa(int(d.Weekday()))), "day", strconv.Itoa(day),
		"month", c.T("date.month_"+month), "month_number", month, "year", strconv.Itoa(y), "time", d.Format("15:04"))
}

// Fill replaces each {{name}} of s with its value in args (pairs of name
// and value). A placeholder with no value is left as it is.
func Fill(s string, args ...string) string {
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{{"+args[i]+"}}", args[i+1])
	}
	return s
}

// Placeholders returns the names of s's {{placeholders}}, in order, for
// the check that a translation keeps them. A name is as written: "{{ x }}"
// is not "{{x}}", which Fill would not fill.
func Placeholders(s string) []string {
	var names []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		names = append(names, s[i+2:i+j])
		s = s[i+j+2:]
	}
	return names
}

// Part is a piece of a text with marked-up parts: plain text (Tag -1) or
// the text inside <n>…</n> (Tag n). A page draws each tagged part as the
// element it stands for: a link, say, whose words the translator places.
type Part struct {
	Text string
	Tag  int
}

// Parts splits s at its tags <0>…</0> to <9>…</9>; tags don't nest. A
// tag with no end, or any other "<", is plain text.
func Parts(s string) []Part {
	var parts []Part
	plain := 0 // where the plain text not yet kept starts
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '<' || s[i+1] < '0' || s[i+1] > '9' || s[i+2] != '>' {
			continue
		}
		end := "</" + s[i+1:i+2] + ">"
		j := strings.Index(s[i+3:], end)
		if j < 0 {
			continue
		}
		if i > plain {
			parts = append(parts, Part{Text: s[plain:i], Tag: -1})
		}
		parts = append(parts, Part{Text: s[i+3 : i+3+j], Tag: int(s[i+1] - '0')})
		plain = i + 3 + j + len(end)
		i = plain - 1
	}
	if plain < len(s) {
		parts = append(parts, Part{Text: s[plain:], Tag: -1})
	}
	return parts
}

// Dir is the direction of the script of the language tag lang: "rtl" for
// Arabic, Hebrew, Persian, Urdu and the like, else "ltr".
func Dir(lang string) string {
	base, _, _ := strings.Cut(lang, "-")
	switch base {
	case "ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb":
		return "rtl"
	}
	return "ltr"
}

// PluralCategory is the CLDR plural category of the whole number n in the
// language lang: "zero", "one", "two", "few", "many" or "other". The rules
// are CLDR's for integers, for the languages the portal has catalogues
// for; any other has English's (add its rule with its catalogue).
func PluralCategory(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	switch m := n % 100; lang {
	case "zh-Hans":
		return "other"
	case "cy":
		switch n {
		case 0:
			return "zero"
		case 1:
			return "one"
		case 2:
			return "two"
		case 3:
			return "few"
		case 6:
			return "many"
		}
		return "other"
	case "ar":
		switch {
		case n == 0:
			return "zero"
		case n == 1:
			return "one"
		case n == 2:
			return "two"
		case m >= 3 && m <= 10:
			return "few"
		case m >= 11:
			return "many"
		}
		return "other"
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// PluralCategories lists the categories lang's rule can give, for the
// check that a catalogue has every form its language needs.
func PluralCategories(lang string) []string {
	seen := map[string]bool{}
	var cats []string
	for n := range 200 {
		if c := PluralCategory(lang, n); !seen[c] {
			seen[c] = true
			cats = append(cats, c)
		}
	}
	return cats
}
