// Package locale is the server's side of the portal's languages: it loads
// the catalogues of static/i18n, chooses the language of each request
// (the person's choice, remembered in a cookie, else the browser's
// Accept-Language, else the portal's default) and puts the server's own
// messages (the API's errors, the password rules) into it.
//
// Two kinds of catalogue, one file per language each:
//
//   - static/i18n/<lang>.json: the pages' words, by key (app/i18n). The
//     server prerenders every page with them, and sends the browser its
//     language's (BrowserCatalog), without the words only the server
//     writes (ServerOnly).
//   - static/i18n/messages/<lang>.json: the server's messages, keyed by
//     their English format as the Go code writes it (sspr.Errorf,
//     sspr.NewRule), in the manner of gettext. English needs no file. A
//     test lists every message of the code and checks each language has it.
//
// And the security questions of static/questions/<lang>.json, which keep
// their ids across languages: an answer registered in one language is
// checked the same in any other.
package locale

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/i18n"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/questions"
	"github.com/sspr-portal/sspr/static"
)

// Known are the languages the portal has catalogues for, in the order the
// language switch lists them. The first is the default and the source.
// The list is the configuration's, which checks [languages] against it.
var Known = config.KnownLanguages

// CookieName is the cookie that remembers the person's choice.
const CookieName = "sspr_lang"

// Set is the languages a portal offers and their catalogues.
type Set struct {
	offered   []string
	matcher   language.Matcher
	pages     map[string]*i18n.Catalog
	browser   map[string][]byte            // the browser's catalogue, as JSON
	messages  map[string]map[string]string // lang -> English format -> text
	questions map[string]*questions.Catalog
	version   string
}

// Load returns the languages offered (nil: every one in Known), the first
// of which is the default. The catalogues are the embedded ones, read and
// parsed once for every Set (All).
func Load(offered []string) (*Set, error) { return LoadWith(offered, nil) }

// LoadWith is Load with the organisation's own words in some languages
// (config.Texts.Catalogue, by language): keys added to those languages'
// catalogues, for the pages and for the browser, which read them in place
// of the configuration's words.
func LoadWith(offered []string, texts map[string]map[string]string) (*Set, error) {
	if len(offered) == 0 {
		offered = Known
	}
	all, err := loadAll()
	if err != nil {
		return nil, err
	}
	s := &Set{offered: slices.Clone(offered), pages: map[string]*i18n.Catalog{},
		browser: map[string][]byte{}, messages: map[string]map[string]string{},
		questions: map[string]*questions.Catalog{}}
	var tags []language.Tag
	sum := sha256.New()
	for _, lang := range s.offered {
		if !slices.Contains(Known, lang) {
			return nil, fmt.Errorf("locale: %q is not a language the portal has (it has %s)", lang, strings.Join(Known, ", "))
		}
		s.pages[lang], s.browser[lang], s.messages[lang], s.questions[lang] =
			all.pages[lang], all.browser[lang], all.messages[lang], all.questions[lang]
		if len(texts[lang]) > 0 {
			if s.pages[lang], s.browser[lang], err = withTexts(all.pages[lang], texts[lang]); err != nil {
				return nil, err
			}
		}
		sum.Write(s.browser[lang])
		tags = append(tags, language.Make(lang))
	}
	s.matcher = language.NewMatcher(tags)
	s.version = hex.EncodeToString(sum.Sum(nil))[:12]
	return s, nil
}

// withTexts is the catalogue c with the organisation's words added, for
// the pages and as the browser's JSON.
func withTexts(c *i18n.Catalog, texts map[string]string) (*i18n.Catalog, []byte, error) {
	all := map[string]string{}
	for _, k := range c.Keys() {
		all[k], _ = c.Raw(k)
	}
	maps.Copy(all, texts)
	browser := maps.Clone(all)
	maps.DeleteFunc(browser, func(k, _ string) bool { return ServerOnly(k) })
	b, err := json.Marshal(browser)
	if err != nil {
		return nil, nil, fmt.Errorf("locale: %s: %w", c.Lang(), err)
	}
	return i18n.New(c.Lang(), all), b, nil
}

// loadAll reads and parses every embedded catalogue, once per process.
var loadAll = sync.OnceValues(func() (*Set, error) {
	s := &Set{pages: map[string]*i18n.Catalog{}, browser: map[string][]byte{},
		messages: map[string]map[string]string{}, questions: map[string]*questions.Catalog{}}
	for _, lang := range Known {
		texts, err := readJSON("i18n/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		s.pages[lang] = i18n.New(lang, texts)
		browser := maps.Clone(texts)
		maps.DeleteFunc(browser, func(k, _ string) bool { return ServerOnly(k) })
		if s.browser[lang], err = json.Marshal(browser); err != nil {
			return nil, fmt.Errorf("locale: %s: %w", lang, err)
		}
		if lang != "en" {
			if s.messages[lang], err = readJSON("i18n/messages/" + lang + ".json"); err != nil {
				return nil, err
			}
		}
		if s.questions[lang], err = questions.Load(static.FS, lang); err != nil {
			return nil, fmt.Errorf("locale: %w", err)
		}
	}
	return s, nil
})

func readJSON(name string) (map[string]string, error) {
	b, err := fs.ReadFile(static.FS, name)
	if err != nil {
		return nil, fmt.Errorf("locale: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("locale: static/%s: %w", name, err)
	}
	return m, nil
}

// All is every language the portal has: for tests, tools and the parts
// that take no configuration (the templates' {{when}}, the CAPTCHA's
// voices).
var All = sync.OnceValue(func() *Set {
	s, err := Load(nil)
	if err != nil {
		panic(err) // the catalogues are embedded: a test catches this
	}
	return s
})

// ServerOnly reports whether the catalogue's key is a word of what only the
// server writes, which browsers are not sent: the help pages ("help."),
// the messages' templates ("mail."), the head of a prerendered page
// ("meta.") and the service worker's offline page ("offline.").
func ServerOnly(key string) bool {
	for _, p := range [...]string{"help.", "mail.", "meta.", "offline."} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// When is the moment t, in UTC, in lang's words: "14:05 UTC on Monday 23
// November 2026" (the catalogue's mail.when).
func (s *Set) When(lang string, t time.Time) string { return s.Pages(lang).Date("mail.when", t.UTC()) }

// Offered lists the languages offered, the default first.
func (s *Set) Offered() []string { return slices.Clone(s.offered) }

// Default is the portal's default language.
func (s *Set) Default() string { return s.offered[0] }

// Version changes whenever a browser catalogue does.
func (s *Set) Version() string { return s.version }

// Pages is the catalogue of the pages' words in lang (the default's for a
// language not offered).
func (s *Set) Pages(lang string) *i18n.Catalog {
	if c, ok := s.pages[lang]; ok {
		return c
	}
	return s.pages[s.Default()]
}

// BrowserCatalog is the JSON of lang's catalogue as the browser gets it:
// a language offered, or English, the service desk's console's.
func (s *Set) BrowserCatalog(lang string) ([]byte, bool) {
	if b, ok := s.browser[lang]; ok {
		return b, ok
	}
	if all, err := loadAll(); err == nil && lang == Console {
		return all.browser[lang], true
	}
	return nil, false
}

// Console is the language of the service desk's console, offered or not.
const Console = "en"

// ConsolePages is the console's catalogue: its pages share components
// (the dev banner, the configuration's defaults) with the students'.
func (s *Set) ConsolePages() *i18n.Catalog {
	all, _ := loadAll() // Load succeeded, so this did
	return all.pages[Console]
}

// Offers reports whether lang is one of the languages offered.
func (s *Set) Offers(lang string) bool { return slices.Contains(s.offered, lang) }

// Message is the English format with args in lang: the catalogue's
// translation of format, or format itself where it has none. A nil Set is
// All.
func (s *Set) Message(lang, format string, args ...any) string {
	if s == nil {
		s = All()
	}
	if t, ok := s.messages[lang][format]; ok && t != "" {
		format = t
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Question is the text of the security question id in lang (English's
// where lang's catalogue lacks it), and whether there is such a question.
func (s *Set) Question(lang, id string) (string, bool) {
	if s == nil {
		s = All()
	}
	if c, ok := s.questions[lang]; ok {
		if t, ok := c.Text(id); ok {
			return t, true
		}
	}
	if c, ok := s.questions["en"]; ok {
		return c.Text(id)
	}
	return "", false
}

// Choose is the language of a request: the cookie's, if it names a
// language offered; else the best match of Accept-Language; else the
// default.
func (s *Set) Choose(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil && s.Offers(c.Value) {
		return c.Value
	}
	return s.Match(r.Header.Get("Accept-Language"))
}

// Match is the language offered that best fits an Accept-Language value,
// or the default. Chinese in the traditional script (zh-TW, zh-Hant) is
// not taken for simplified: the default reads better to those readers
// than a script they may not.
func (s *Set) Match(acceptLanguage string) string {
	if acceptLanguage == "" || len(acceptLanguage) > 512 {
		return s.Default()
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return s.Default()
	}
	_, i, conf := s.matcher.Match(tags...)
	if conf < language.High {
		return s.Default()
	}
	return s.offered[i]
}

type ctxKey struct{}

// WithLang returns ctx carrying the request's language.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, lang)
}

// Lang is the language ctx carries ("" if none: the caller's default).
func Lang(ctx context.Context) string {
	l, _ := ctx.Value(ctxKey{}).(string)
	return l
}

// Middleware chooses every request's language (Choose) and puts it in the
// request's context (Lang). A GET or HEAD with ?lang=<offered> is a
// choice: it is remembered in a cookie for a year and the browser is sent
// to the same address without it, so the address shared or bookmarked
// never carries a language. secure marks the cookie Secure (a portal
// served over https).
func (s *Set) Middleware(secure bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Query().Has(api.LangParam) {
			if lang := r.URL.Query().Get(api.LangParam); s.Offers(lang) {
				http.SetCookie(w, &http.Cookie{Name: CookieName, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
					SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: secure})
				q := r.URL.Query()
				q.Del(api.LangParam)
				u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
				if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/\\") {
					u.Path = "/" // never another site's address
				}
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Vary", "Cookie")
				http.Redirect(w, r, u.String(), http.StatusSeeOther)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(WithLang(r.Context(), s.Choose(r))))
	})
}
