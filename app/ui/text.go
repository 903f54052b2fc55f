package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/i18n"
)

// The page's words come from the catalogue of the person's language
// (app/i18n; the catalogues are static/i18n). In the browser it is the one
// catalogue app.js fetched with app.wasm, for the language the server drew
// the page in (LoadCatalog): a page load has one language, and choosing
// another loads the page again. On the server each prerender sets it
// (text_server.go).
var words *i18n.Catalog

// t is the text of key in the page's language, with args (pairs of a
// placeholder's name and its value) filled in.
func t(key string, args ...string) string { return words.T(key, args...) }

// tn is the plural form of key for n, with {{count}} and args filled in.
func tn(key string, n int, args ...string) string { return words.N(key, n, args...) }

// rich draws text, a catalogue's text with its placeholders filled (t),
// with its tagged parts (<0>…</0>, <1>…</1>) made by tags[0], tags[1]: a
// link, say, whose words and place in the sentence are the translator's.
func rich(text string, tags ...func(text string) app.UI) []app.UI {
	var ui []app.UI
	for _, p := range i18n.Parts(text) {
		if p.Tag >= 0 && p.Tag < len(tags) {
			ui = append(ui, tags[p.Tag](p.Text))
		} else {
			ui = append(ui, app.Text(p.Text))
		}
	}
	return ui
}

// Lang is the language tag of the page's words.
func Lang() string { return words.Lang() }

// LoadCatalog reads the catalogue app.js fetched for the page's language
// (window.ssprCatalog, with the language in <html lang>). Browser only: the
// wasm's main calls it before go-app draws a page.
func LoadCatalog() {
	if app.IsServer {
		return
	}
	w := app.Window()
	raw := w.Get("ssprCatalog")
	lang := w.Get("document").Get("documentElement").Call("getAttribute", "lang")
	if !raw.Truthy() || !lang.Truthy() {
		return
	}
	if c, err := i18n.Parse(lang.String(), []byte(raw.String())); err == nil {
		words = c
	}
}

// dayText is a day of the coming week in the page's language, such as
// "Monday 2 January".
func dayText(d time.Time) string { return words.Date("date.weekday_day", d) }

// clockText is a time of day, such as "14:05".
func clockText(d time.Time) string { return d.Format("15:04") }

// numberWord is n as a word ("two") where the catalogue has one, for the
// small numbers that read better spelt out, else in digits.
func numberWord(n int) string {
	key := "number." + strconv.Itoa(n)
	if words.Has(key) {
		return t(key)
	}
	return strconv.Itoa(n)
}
