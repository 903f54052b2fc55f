package web_test

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/ui"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/web"
)

// mustNew returns the pages' handler over a temporary web folder holding
// app.wasm.
func mustNew(tb testing.TB, mod func(*web.Options)) (http.Handler, string) {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm fake wasm"), 0o644); err != nil {
		tb.Fatal(err)
	}
	o := web.OptionsFromConfig(config.Default(), "v1.2.3", false, nil)
	o.WebDir = dir
	if mod != nil {
		mod(&o)
	}
	h, err := web.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return h, dir
}

// get runs one request through h.
func get(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	if host := header.Get("Host"); host != "" {
		r.Host = host
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestStartPagePrerendered(t *testing.T) {
	h, _ := mustNew(t, nil)
	w := get(h, "GET", "/", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	body := w.Body.String()
	for _, want := range []string{
		"<h1>Get back into your account</h1>",
		"Register for self-service password reset",
		"<title>Get back into your account – Example University</title>",
		`src="/wasm_exec.js"`,
		`lang="en"`,
		"Loading…",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Files under /web/ are addressed with the build's version, so they
	// can be cached for good.
	if !regexp.MustCompile(`href="/[^"/]+/web/icon\.svg"`).MatchString(body) {
		t.Error("the icon's address carries no version")
	}
	if strings.Contains(body, "Development mode") {
		t.Error("dev banner outside dev mode")
	}
}

// The pages carry the configuration: prerendered with the organisation's
// name, colours and user id hint, and passed to the browser in app.js.
func TestConfigReachesPages(t *testing.T) {
	h, _ := mustNew(t, func(o *web.Options) {
		o.Public.Organisation.Name = "Uni of Testing"
		o.Public.Organisation.ThemeColour = "#123456"
		o.Public.UserIDHint = "someone@test.example"
	})
	body := get(h, "GET", "/", nil).Body.String()
	for _, want := range []string{"Uni of Testing", "--theme:#123456", "For example, someone@test.example",
		`id="start-form"`, `id="user"`, `id="captcha-answer"`, `id="next"`, `/web/app.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	js := get(h, "GET", "/app.js", nil).Body.String()
	if !strings.Contains(js, "SSPR_CONFIG") || !strings.Contains(js, "Uni of Testing") {
		t.Error("app.js does not pass the configuration")
	}
}

func TestPages(t *testing.T) {
	h, _ := mustNew(t, nil)
	for _, p := range []string{"/choose", "/verify", "/verify/email", "/verify/sms", "/verify/questions",
		"/new-password", "/done", "/help/before-you-begin", "/help/faq", "/help/contact"} {
		w := get(h, "GET", p, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="main"`) {
			t.Errorf("GET %s = %d", p, w.Code)
		}
	}
}

// /web/app.css comes from static/web, unless the web folder has its own.
func TestStyles(t *testing.T) {
	h, dir := mustNew(t, nil)
	w := get(h, "GET", "/web/app.css", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") ||
		!strings.Contains(w.Body.String(), ".error-summary") {
		t.Fatalf("GET /web/app.css = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := get(h, "GET", "/web/app.css", http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", w.Code)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.css"), []byte("body{color:red}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if body := get(h, "GET", "/web/app.css", nil).Body.String(); body != "body{color:red}" {
		t.Errorf("app.css from the web folder not used: %q", body)
	}
}

func TestDevBanner(t *testing.T) {
	h, _ := mustNew(t, func(o *web.Options) { o.Dev = true })
	body := get(h, "GET", "/", nil).Body.String()
	if !strings.Contains(body, "Development mode") {
		t.Error("no dev banner in dev mode")
	}
}

func TestRoutes(t *testing.T) {
	h, _ := mustNew(t, nil)
	tests := []struct {
		method, path string
		code         int
	}{
		{"GET", "/register", http.StatusOK},
		{"HEAD", "/", http.StatusOK},
		{"GET", "/no-such-page", http.StatusNotFound},
		{"POST", "/", http.StatusMethodNotAllowed},
		{"DELETE", "/web/app.wasm", http.StatusMethodNotAllowed},
		{"GET", "/manifest.webmanifest", http.StatusOK},
		{"GET", "/app.js", http.StatusOK},
		{"GET", "/app-worker.js", http.StatusOK},
		{"GET", "/wasm_exec.js", http.StatusOK},
		{"GET", "/app.css", http.StatusOK},
	}
	for _, tt := range tests {
		if w := get(h, tt.method, tt.path, nil); w.Code != tt.code {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, w.Code, tt.code)
		}
	}
}

// No page or file go-app generates may point the browser at a third party:
// go-app's defaults put its icons on GitHub. The only other addresses are
// the links the operator configured (the help desk's ticket portal), which
// the browser follows only when the user clicks them.
func TestNoThirdPartyURLs(t *testing.T) {
	var configured string
	h, _ := mustNew(t, func(o *web.Options) {
		o.PublicURL = "https://password.example.edu"
		configured = o.Public.HelpDesk.TicketPortal
	})
	if configured == "" {
		t.Fatal("the test configuration has no ticket portal")
	}
	anyURL := regexp.MustCompile(`https?://[^\s"'<>)\\]*`)
	for _, p := range []string{"/", "/register", "/help/contact", "/manifest.webmanifest", "/app.js", "/app-worker.js", "/app.css", "/web/app.css"} {
		body := get(h, "GET", p, nil).Body.String()
		for _, m := range anyURL.FindAllString(body, -1) {
			u, err := url.Parse(m)
			if err != nil || (u.Host != "" && u.Host != "password.example.edu" && m != configured) {
				t.Errorf("%s refers to %q", p, m)
			}
		}
	}
}

// docs/SECURITY.md#go-app-fetch and #go-app-host: go-app would fetch these
// from the request's Host and cache the answer for everyone.
func TestProxiedPathsNeverFetchFromHost(t *testing.T) {
	var hits atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("User-agent: *\nAllow: /evil\n"))
	}))
	defer attacker.Close()
	evilHost := strings.TrimPrefix(attacker.URL, "http://")

	h, _ := mustNew(t, nil)
	version := strings.Trim(get(h, "GET", "/", nil).Header().Get("ETag"), `"`)
	if version == "" {
		t.Fatal("no version in the ETag")
	}
	forged := http.Header{"Host": {evilHost}, "X-Forwarded-Host": {evilHost}}
	tests := []struct {
		path string
		code int
		body string
	}{
		{"/robots.txt", http.StatusOK, "Disallow: /api/"},
		{"/" + version + "/robots.txt", http.StatusOK, "Disallow: /api/"},
		{"/sitemap.xml", http.StatusOK, "<loc>http://127.0.0.1:8080/</loc>"},
		{"/" + version + "/sitemap.xml", http.StatusOK, "<loc>http://127.0.0.1:8080/</loc>"},
		{"/ads.txt", http.StatusNotFound, ""},
		{"/" + version + "/ads.txt", http.StatusNotFound, ""},
		{"/" + version + "/web/app.wasm", http.StatusOK, "asm"},
	}
	for _, tt := range tests {
		// Twice: the second answer must not come from a poisoned cache.
		for range 2 {
			w := get(h, "GET", tt.path, forged)
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.body) || strings.Contains(w.Body.String(), "evil") {
				t.Errorf("GET %s with a forged Host = %d %q", tt.path, w.Code, w.Body.String())
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the forged host was asked %d times", n)
	}
	// An honest request afterwards still gets our robots.txt.
	if body := get(h, "GET", "/robots.txt", nil).Body.String(); body != "User-agent: *\nDisallow: /api/\nDisallow: /dev/\n" {
		t.Errorf("robots.txt = %q", body)
	}
}

func TestSitemap(t *testing.T) {
	h, _ := mustNew(t, func(o *web.Options) { o.PublicURL = "" })
	if w := get(h, "GET", "/sitemap.xml", nil); w.Code != http.StatusNotFound {
		t.Errorf("sitemap without a public URL = %d, want 404", w.Code)
	}
}

func TestSitemapFromConfiguredURL(t *testing.T) {
	h, _ := mustNew(t, func(o *web.Options) { o.PublicURL = "https://password.example.edu" })
	w := get(h, "GET", "/sitemap.xml", http.Header{"Host": {"evil.example"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<loc>https://password.example.edu/</loc>") || strings.Contains(w.Body.String(), "evil") {
		t.Fatalf("sitemap = %d %q", w.Code, w.Body.String())
	}
}

func TestWebFiles(t *testing.T) {
	h, dir := mustNew(t, nil)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sub", "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(dir, ".secret"), []byte("s"), 0o644)
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("outside"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}

	w := get(h, "GET", "/web/app.wasm", nil)
	if w.Code != http.StatusOK || w.Body.String() != "\x00asm fake wasm" {
		t.Fatalf("GET /web/app.wasm = %d %q", w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/wasm" {
		t.Errorf("app.wasm Content-Type %q", ct)
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Error("no ETag")
	}
	if w := get(h, "GET", "/web/app.wasm", http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", w.Code)
	}
	if w := get(h, "GET", "/web/sub/a.txt", nil); w.Code != http.StatusOK {
		t.Errorf("GET /web/sub/a.txt = %d", w.Code)
	}

	for _, p := range []string{
		"/web/missing.wasm",
		"/web/",
		"/web",
		"/web/sub",
		"/web/sub/",
		"/web/.secret",
		"/web/sub/../.secret",
		"/web/../web/app.wasm",
		"/web/link.txt",
	} {
		if w := get(h, "GET", p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d %q, want 404", p, w.Code, w.Body.String())
		}
	}
}

func TestWebDirMissing(t *testing.T) {
	h, _ := mustNew(t, func(o *web.Options) { o.WebDir = filepath.Join(t.TempDir(), "nope") })
	if w := get(h, "GET", "/web/app.wasm", nil); w.Code != http.StatusNotFound {
		t.Errorf("GET /web/app.wasm = %d, want 404", w.Code)
	}
	if w := get(h, "GET", "/", nil); w.Code != http.StatusOK {
		t.Errorf("GET / = %d without a web folder", w.Code)
	}
}

func TestPrecompressed(t *testing.T) {
	h, dir := mustNew(t, nil)
	if err := os.WriteFile(filepath.Join(dir, "app.wasm.br"), []byte("brotli bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := get(h, "GET", "/web/app.wasm", http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if w.Header().Get("Content-Encoding") != "br" || w.Body.String() != "brotli bytes" {
		t.Fatalf("with br: encoding %q body %q", w.Header().Get("Content-Encoding"), w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/wasm" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	w = get(h, "GET", "/web/app.wasm", http.Header{"Accept-Encoding": {"gzip, br;q=0"}})
	if w.Header().Get("Content-Encoding") != "" || w.Body.String() != "\x00asm fake wasm" {
		t.Fatalf("with br;q=0: encoding %q body %q", w.Header().Get("Content-Encoding"), w.Body.String())
	}
}

func TestIcons(t *testing.T) {
	h, dir := mustNew(t, nil)
	for path, size := range map[string]int{"/web/icon-192.png": 192, "/web/icon-512.png": 512} {
		w := get(h, "GET", path, nil)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("GET %s = %d %s", path, w.Code, w.Header().Get("Content-Type"))
		}
		img, err := png.Decode(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %v", path, b)
		}
	}
	w := get(h, "GET", "/web/icon.svg", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "image/svg+xml") || !strings.Contains(w.Body.String(), `fill="#1d3f72"`) {
		t.Fatalf("GET /web/icon.svg = %d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	// A file in the web folder replaces the drawn icon.
	os.WriteFile(filepath.Join(dir, "icon.svg"), []byte("<svg>ours</svg>"), 0o644)
	if body := get(h, "GET", "/web/icon.svg", nil).Body.String(); body != "<svg>ours</svg>" {
		t.Errorf("icon.svg from the web folder not used: %q", body)
	}
}

// The version is stable across restarts and changes with app.wasm (or
// desk.wasm), so
// browsers update exactly when there is something new.
func TestVersion(t *testing.T) {
	dir := t.TempDir()
	wasm := filepath.Join(dir, "app.wasm")
	os.WriteFile(wasm, []byte("one"), 0o644)
	version := func() string {
		o := web.OptionsFromConfig(config.Default(), "v1.2.3+dirty", false, nil)
		o.WebDir = dir
		h, err := web.New(o)
		if err != nil {
			t.Fatal(err)
		}
		w := get(h, "GET", "/app.js", nil)
		b, _ := io.ReadAll(w.Body)
		v := strings.Trim(w.Header().Get("ETag"), `"`)
		if !bytes.Contains(b, []byte(v)) {
			t.Fatalf("app.js does not carry version %q", v)
		}
		return v
	}
	v1, v2 := version(), version()
	if v1 != v2 {
		t.Fatalf("version changed across restarts: %q, %q", v1, v2)
	}
	if !regexp.MustCompile(`^v1\.2\.3-dirty-[0-9a-f]{16}$`).MatchString(v1) {
		t.Errorf("version %q", v1)
	}
	os.WriteFile(wasm, []byte("two"), 0o644)
	v3 := version()
	if v3 == v1 {
		t.Fatal("version unchanged after app.wasm changed")
	}
	os.WriteFile(filepath.Join(dir, "desk.wasm"), []byte("the console"), 0o644)
	if v4 := version(); v4 == v3 {
		t.Fatal("version unchanged after desk.wasm changed")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := web.New(web.Options{}); err == nil {
		t.Error("New without a name: no error")
	}
	if _, err := web.New(web.Options{Name: "x", PublicURL: "ftp://x"}); err == nil {
		t.Error("New with an ftp public URL: no error")
	}
}

// The wasm under its versioned address is cached for good; under the bare
// address it is revalidated, so an old copy never outlives a new build.
func TestVersionedFilesAreImmutable(t *testing.T) {
	h, _ := mustNew(t, nil)
	body := get(h, "GET", "/", nil).Body.String()
	m := regexp.MustCompile(`href="/([^"/]+)/web/icon\.svg"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no versioned address in the page")
	}
	if cc := get(h, "GET", "/"+m[1]+"/web/app.wasm", nil).Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned wasm: Cache-Control %q", cc)
	}
	if cc := get(h, "GET", "/web/app.wasm", nil).Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("bare wasm: Cache-Control %q", cc)
	}
}

// The service worker leaves the API alone and, offline, answers a page it
// doesn't have with one that says resetting needs a connection, in the
// language of the last page (each language offered has its page).
func TestServiceWorker(t *testing.T) {
	h, _ := mustNew(t, nil)
	js := get(h, "GET", "/app-worker.js", nil).Body.String()
	for _, want := range []string{"/api/", `You\u0026#39;re offline`, "Rydych all-lein", `lang=\"ar\" dir=\"rtl\"`,
		`offlineDefault = "en"`, `headers.get("Content-Language")`, "waitUntil"} {
		if !strings.Contains(js, want) {
			t.Errorf("app-worker.js lacks %q", want)
		}
	}
}

// app.js starts app.wasm from the service worker's cache when it has it,
// else from the network, and hands instantiateStreaming the Response as the
// browser made it, so the browser compiles while reading. The page itself
// doesn't preload app.wasm (see appJSTemplate). The browser test
// TestInstalledAndOffline checks that a warm visit asks the server for none
// of it.
func TestWasmLoading(t *testing.T) {
	h, _ := mustNew(t, nil)
	body := get(h, "GET", "/", nil).Body.String()
	if strings.Contains(body, `rel="preload"`) {
		t.Error("the page preloads something; a warm visit would read it twice")
	}
	m := regexp.MustCompile(`"(/[^"/]+/web/app\.wasm)"`).FindStringSubmatch(get(h, "GET", "/app-worker.js", nil).Body.String())
	if m == nil {
		t.Fatal("the service worker does not cache a versioned app.wasm")
	}
	w := get(h, "GET", "/app.js", nil)
	js := w.Body.String()
	for _, want := range []string{
		// the address the worker caches, exactly; the console's bundle
		// and the registration pages' on their pages alone
		`wasmResponse(inDesk ? "` + strings.TrimSuffix(m[1], "app.wasm") + `desk.wasm" : inReg ? "` +
			strings.TrimSuffix(m[1], "app.wasm") + `reg.wasm" : "` + m[1] + `")`,
		`const inReg = location.pathname === "/register" || location.pathname.startsWith("/register" + "/")`,
		// the words of the page's language, fetched with the wasm
		`"en":"` + strings.TrimSuffix(m[1], "app.wasm") + `i18n/en.json"`,
		"window.ssprCatalog = await catalog",
		"caches.match(url)",
		"return fetch(url)",
		"instantiateStreaming(response, go.importObject)",
		`register("/app-worker.js")`,
		`"GOAPP_STATIC_RESOURCES_URL":"` + strings.TrimSuffix(m[1], "/app.wasm") + `"`,
		`"SSPR_CONFIG":`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
}

// TestRenderWithTheServersState: Render draws a page with the state the
// server gives it, uncacheable and with the status asked for; an address a
// client sends can't name a state, even one the server holds.
func TestRenderWithTheServersState(t *testing.T) {
	h, _ := mustNew(t, nil)
	site := h.(web.Site)
	f := api.Flow{ID: "f", State: api.StateChooseIntent, Required: 2}
	p := api.Page{Path: api.PageChoose, Flow: &f, Error: &api.Error{Code: api.CodeBadRequest, Message: "Pick one, please."}}
	r := httptest.NewRequest("POST", "/choose", nil)
	r.Header.Set("If-None-Match", `"anything"`)
	w := httptest.NewRecorder()
	site.Render(w, r, p, http.StatusBadRequest)
	body := w.Body.String()
	if w.Code != http.StatusBadRequest || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("ETag") != "" {
		t.Fatalf("status %d, Cache-Control %q, ETag %q", w.Code, w.Header().Get("Cache-Control"), w.Header().Get("ETag"))
	}
	for _, want := range []string{"Pick one, please.", `id="choose-form"`, `data-page="`, "I&#39;ve forgotten my password"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// A state the server holds under a token a client names is not used.
	ui.SetPage("guessed", api.Page{Path: api.PageChoose, Flow: &f, Error: &api.Error{Code: api.CodeBadRequest, Message: "Call 0900 123 456 now"}})
	defer ui.DropPage("guessed")
	if body := get(h, "GET", "/choose?"+ui.PageParam+"=guessed", nil).Body.String(); strings.Contains(body, "0900") {
		t.Fatal("a client named the page's state")
	}
}

// TestDeskIsASecondBundle: the service desk's console is drawn by the same
// server under /desk, but app.js runs desk.wasm there (at once: the console
// needs it), and the service worker neither caches desk.wasm nor serves
// any of the console's pages. TestVersion: desk.wasm's bytes count in the
// version.
func TestDeskIsASecondBundle(t *testing.T) {
	h, _ := mustNew(t, nil)
	w := get(h, "GET", "/desk", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Sign in to the service desk console") {
		t.Fatalf("GET /desk = %d\n%s", w.Code, w.Body.String())
	}
	worker := get(h, "GET", "/app-worker.js", nil).Body.String()
	if strings.Contains(worker, "desk.wasm") {
		t.Error("the service worker caches the console's bundle for every student")
	}
	if !strings.Contains(worker, `url.pathname === "/desk" || url.pathname.startsWith("/desk/")`) {
		t.Error("the service worker may serve the console's pages")
	}
	js := get(h, "GET", "/app.js", nil).Body.String()
	for _, want := range []string{
		`const inDesk = location.pathname === "/desk" || location.pathname.startsWith("/desk" + "/");`,
		"if (warm || inDesk ||",
	} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
}
