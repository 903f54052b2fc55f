package locale

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/i18n"
)

// TestPageCatalogues checks every language's catalogue of the pages'
// words against English's: the same keys (a plural's forms are those of
// the language's own rule), the same placeholders and the same tags.
func TestPageCatalogues(t *testing.T) {
	s := All()
	en := s.Pages("en")
	// English's keys, with a plural's forms folded into its base key.
	plural := func(k string) (string, bool) {
		for _, c := range []string{"zero", "one", "two", "few", "many", "other"} {
			if base, ok := strings.CutSuffix(k, "_"+c); ok {
				return base, true
			}
		}
		return k, false
	}
	for _, lang := range Known[1:] {
		c := s.Pages(lang)
		if c.Lang() != lang {
			t.Fatalf("no catalogue for %s", lang)
		}
		for _, k := range en.Keys() {
			base, isPlural := plural(k)
			want, _ := en.Raw(k)
			if isPlural {
				// Every form the language's rule needs, each with the
				// placeholders of both English forms, and no other
				// than English's plural: a form may leave out the
				// number that picks it ("un cwestiwn").
				if !strings.HasSuffix(k, "_other") {
					continue
				}
				one, _ := en.Raw(base + "_one")
				for _, cat := range i18n.PluralCategories(lang) {
					got, ok := c.Raw(base + "_" + cat)
					if !ok {
						t.Errorf("%s: %s_%s is missing", lang, base, cat)
						continue
					}
					checkPlural(t, lang, base+"_"+cat, one, want, got)
				}
				continue
			}
			got, ok := c.Raw(k)
			if !ok {
				t.Errorf("%s: %s is missing", lang, k)
				continue
			}
			checkSame(t, lang, k, want, got)
		}
		for _, k := range c.Keys() {
			base, isPlural := plural(k)
			if !en.Has(k) && !(isPlural && (en.Has(base+"_one") || en.Has(base+"_other"))) {
				t.Errorf("%s: %s is not a key of English's catalogue", lang, k)
			}
		}
	}
}

// names are the placeholders of s, sorted, each once.
func names(s string) []string {
	return slices.Compact(slices.Sorted(slices.Values(i18n.Placeholders(s))))
}

// dateParts are the placeholders a date's format may use, whichever the
// English one does ("2 January" or "1月2日").
var dateParts = []string{"day", "month", "month_number", "time", "weekday", "year"}

// checkPlural reports a plural form that lacks a placeholder both English
// forms have, or has one English's plural doesn't. A form other than
// "other" may leave out the number that picks it ({{count}}, or the
// {{number}} a page gives with it), as Welsh "un" or Arabic's dual say it
// in the word.
func checkPlural(t *testing.T, lang, key, one, other, tr string) {
	t.Helper()
	for _, n := range names(other) {
		if !strings.HasSuffix(key, "_other") && (n == "count" || n == "number") {
			continue
		}
		if slices.Contains(names(one), n) && !slices.Contains(names(tr), n) {
			t.Errorf("%s: %s lacks the placeholder %s", lang, key, n)
		}
	}
	for _, n := range names(tr) {
		if !slices.Contains(names(other), n) {
			t.Errorf("%s: %s has the placeholder %s, which English's doesn't", lang, key, n)
		}
	}
	checkTags(t, lang, key, other, tr)
}

// checkSame reports a translation that loses or adds a placeholder or a
// tag of the English.
func checkSame(t *testing.T, lang, key, en, tr string) {
	t.Helper()
	if strings.HasPrefix(key, "date.") || key == "mail.when" {
		for _, n := range names(tr) {
			if !slices.Contains(dateParts, n) {
				t.Errorf("%s: %s has the placeholder %s, which is not a part of a date", lang, key, n)
			}
		}
	} else if a, b := names(en), names(tr); !slices.Equal(a, b) {
		t.Errorf("%s: %s has the placeholders %q, English %q", lang, key, b, a)
	}
	checkTags(t, lang, key, en, tr)
}

// checkTags reports a translation that loses or adds a tag of the English.
func checkTags(t *testing.T, lang, key, en, tr string) {
	t.Helper()
	tags := func(s string) []int {
		var ts []int
		for _, p := range i18n.Parts(s) {
			if p.Tag >= 0 {
				ts = append(ts, p.Tag)
			}
		}
		slices.Sort(ts)
		return ts
	}
	if a, b := tags(en), tags(tr); !slices.Equal(a, b) {
		t.Errorf("%s: %s has the tags %v, English %v", lang, key, b, a)
	}
	if strings.TrimSpace(tr) == "" {
		t.Errorf("%s: %s is empty", lang, key)
	}
}

func TestMatch(t *testing.T) {
	s := All()
	tests := []struct{ accept, want string }{
		{"", "en"},
		{"cy", "cy"},
		{"cy-GB,cy;q=0.9,en;q=0.8", "cy"},
		{"en-GB,en;q=0.9,cy;q=0.5", "en"},
		{"ar-EG", "ar"},
		{"ar-SA,ar;q=0.9", "ar"},
		{"zh-CN,zh;q=0.9", "zh-Hans"},
		{"zh", "zh-Hans"},
		{"zh-Hans-SG", "zh-Hans"},
		{"zh-TW", "en"}, // traditional script: not simplified
		{"fr-FR,fr;q=0.9", "en"},
		{"fr-FR,fr;q=0.9,cy;q=0.5", "cy"},
		{"*", "en"},
		{"garbage;;;q=x", "en"},
	}
	for _, tt := range tests {
		if got := s.Match(tt.accept); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.accept, got, tt.want)
		}
	}
	only, err := Load([]string{"cy", "en"})
	if err != nil {
		t.Fatal(err)
	}
	if got := only.Match("ar"); got != "cy" {
		t.Errorf("with cy first, Match(ar) = %q, want the default cy", got)
	}
	if _, err := Load([]string{"en", "fr"}); err == nil {
		t.Error("Load took a language the portal has no catalogue for")
	}
}

func TestMessage(t *testing.T) {
	s := All()
	if got := s.Message("en", "Enter the %d-digit code we sent you.", 6); got != "Enter the 6-digit code we sent you." {
		t.Errorf("en: %q", got)
	}
	got := s.Message("cy", "Enter the %d-digit code we sent you.", 6)
	if got == "Enter the 6-digit code we sent you." || !strings.Contains(got, "6") {
		t.Errorf("cy: %q", got)
	}
	if got := s.Message("cy", "A message no catalogue has."); got != "A message no catalogue has." {
		t.Errorf("unknown: %q", got)
	}
}

func TestMiddleware(t *testing.T) {
	s := All()
	var seen string
	h := s.Middleware(true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = Lang(r.Context()) }))
	do := func(target string, hdr map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		seen = ""
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	// A choice: remembered, and the address without it.
	w := do("/verify?lang=cy&x=1", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/verify?x=1" {
		t.Fatalf("?lang=cy: %d %q", w.Code, w.Header().Get("Location"))
	}
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != CookieName || c[0].Value != "cy" || !c[0].Secure || !c[0].HttpOnly || c[0].MaxAge < 300*24*3600 {
		t.Fatalf("cookie: %+v", c)
	}
	// The cookie wins over the browser's languages.
	do("/", map[string]string{"Accept-Language": "ar"}, c[0])
	if seen != "cy" {
		t.Errorf("with the cookie: %q", seen)
	}
	do("/", map[string]string{"Accept-Language": "ar"})
	if seen != "ar" {
		t.Errorf("Accept-Language ar: %q", seen)
	}
	do("/", nil, &http.Cookie{Name: CookieName, Value: "xx"})
	if seen != "en" {
		t.Errorf("a cookie naming no language: %q", seen)
	}
	// A language not offered is no choice; the request goes on.
	if w := do("/?lang=fr", nil); w.Code != http.StatusOK || seen != "en" {
		t.Errorf("?lang=fr: %d %q", w.Code, seen)
	}
	// Never a redirect to another site.
	for _, target := range []string{"//evil.example/?lang=cy", "/\\evil.example/?lang=cy"} {
		w := do(target, nil)
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/" {
			t.Errorf("%s: %d %q", target, w.Code, loc)
		}
	}
}

// TestQuestionCatalogues: every language has the same questions, by id
// and in order, so that an answer registered in one language is checked
// the same in any other.
func TestQuestionCatalogues(t *testing.T) {
	s := All()
	en := s.questions["en"].IDs()
	for _, lang := range Known[1:] {
		if got := s.questions[lang].IDs(); !slices.Equal(got, en) {
			t.Errorf("%s's questions are %q, English's %q", lang, got, en)
		}
		for _, id := range en {
			txt, _ := s.Question(lang, id)
			if e, _ := s.Question("en", id); txt == e {
				t.Errorf("%s: the question %s is not translated", lang, id)
			}
		}
	}
}
