package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/web"
)

// TestPagesInLanguage: each page is drawn in its request's language, with
// lang and dir on <html>, and the browser is sent that language's words
// and no more.
func TestPagesInLanguage(t *testing.T) {
	h, _ := mustNew(t, nil)
	tests := []struct {
		accept, cookie, lang, dir string
	}{
		{"", "", "en", "ltr"},
		{"cy-GB,cy;q=0.9", "", "cy", "ltr"},
		{"ar-EG", "", "ar", "rtl"},
		{"zh-CN,zh;q=0.9", "", "zh-Hans", "ltr"},
		{"ar", "cy", "cy", "ltr"}, // the choice remembered wins
	}
	for _, tt := range tests {
		hdr := http.Header{}
		if tt.accept != "" {
			hdr.Set("Accept-Language", tt.accept)
		}
		if tt.cookie != "" {
			hdr.Set("Cookie", locale.CookieName+"="+tt.cookie)
		}
		w := get(h, "GET", "/", hdr)
		body := w.Body.String()
		if want := `<html lang="` + tt.lang + `" dir="` + tt.dir + `">`; !strings.Contains(body, want) {
			t.Errorf("%q: the page lacks %s", tt.accept, want)
		}
		if got := w.Header().Get("Content-Language"); got != tt.lang {
			t.Errorf("%q: Content-Language %q", tt.accept, got)
		}
		if n, _ := strconv.Atoi(w.Header().Get("Content-Length")); n != 0 && n != len(body) {
			t.Errorf("%q: Content-Length %d for %d bytes", tt.accept, n, len(body))
		}
		words := locale.All().Pages(tt.lang)
		heading := words.T("start.heading")
		if !strings.Contains(html.UnescapeString(body), heading) {
			t.Errorf("%q: the page lacks its heading %q", tt.accept, heading)
		}
		// The head, too: its description and the loader's label.
		for _, want := range []string{words.T("meta.description", "org", "Example University"), words.T("common.loading")} {
			if !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("%q: the page lacks %q", tt.accept, want)
			}
		}
		// The switch: every other language, named in its own.
		for _, l := range locale.Known {
			if l != tt.lang && !strings.Contains(body, `href="?lang=`+l+`"`) {
				t.Errorf("%q: no link to %s", tt.accept, l)
			}
		}
	}

	// The console is in English whatever the browser asks.
	if body := get(h, "GET", "/desk", http.Header{"Accept-Language": {"cy"}}).Body.String(); !strings.Contains(body, `<html lang="en" dir="ltr">`) {
		t.Error("the console is not marked English")
	}

	// The catalogues.
	for _, lang := range locale.Known {
		w := get(h, "GET", "/web/i18n/"+lang+".json", nil)
		var words map[string]string
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &words) != nil {
			t.Fatalf("%s: %d %q", lang, w.Code, w.Body.String())
		}
		if words["start.heading"] == "" {
			t.Errorf("%s: the catalogue lacks start.heading", lang)
		}
		for k := range words {
			if locale.ServerOnly(k) {
				t.Errorf("%s: the browser is sent %s, which only the server writes", lang, k)
			}
		}
	}
	for _, p := range []string{"/web/i18n/fr.json", "/web/i18n/en", "/web/i18n/../en.json"} {
		if w := get(h, "GET", p, nil); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}

// TestNotModifiedThroughLanguage: an answer with no body (go-app's 304 for
// a file the browser has) keeps its status through the page's language
// writer, and a page keeps its Content-Length.
func TestNotModifiedThroughLanguage(t *testing.T) {
	h, _ := mustNew(t, nil)
	w := get(h, "GET", "/wasm_exec.js", nil)
	if w.Code != http.StatusOK || w.Body.Len() == 0 {
		t.Fatalf("wasm_exec.js: %d, %d bytes", w.Code, w.Body.Len())
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("go-app sent no ETag for wasm_exec.js: this test no longer reaches its 304")
	}
	if w := get(h, "GET", "/wasm_exec.js", http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("wasm_exec.js again: %d, want 304", w.Code)
	}
}

// TestConsoleWords: the console's pages share the dev banner with the
// students': prerendered in English words, not keys, whatever the
// browser asks, and the browser can fetch them.
func TestConsoleWords(t *testing.T) {
	h, _ := mustNew(t, func(o *web.Options) { o.Dev = true })
	body := get(h, "GET", "/desk", http.Header{"Accept-Language": {"cy"}}).Body.String()
	if want := locale.All().Pages("en").T("dev.banner_title"); !strings.Contains(body, want) || strings.Contains(body, "dev.banner_title") {
		t.Errorf("the console's dev banner lacks %q", want)
	}
	if w := get(h, "GET", "/web/i18n/en.json", nil); w.Code != http.StatusOK {
		t.Errorf("the console's catalogue: %d", w.Code)
	}
}
