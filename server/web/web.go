// Package web serves the portal's pages: the HTML that go-app prerenders
// from the components in app/ui, go-app's own files (app.js, wasm_exec.js,
// app-worker.js, the manifest), and the files under /web/ (app.wasm, the
// icons, and the styles embedded from static/web).
//
// It wraps go-app's handler to close two holes in it
// (docs/SECURITY.md#go-app-fetch):
//
//   - go-app answers /robots.txt, /sitemap.xml and /ads.txt by fetching
//     scheme + Host + "/web/..." and caching the answer for every later
//     visitor, so one request with a forged Host would poison them for
//     everyone. We answer those paths ourselves, before go-app sees them,
//     also under the "/<version>/" prefix that go-app strips.
//   - go-app's default resource resolver serves /web/ from a folder
//     relative to the working directory and is what makes it build URLs from
//     the Host. Ours only maps paths; we serve /web/ ourselves, from the
//     configured folder, with no directory listings.
//
// And it sets every icon, so that go-app's defaults (icons on GitHub) never
// reach a page: no third party learns who visits a password reset portal.
package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/desk"
	"github.com/sspr-portal/sspr/app/ui"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/static"
)

// Options configure the pages.
type Options struct {
	// Name is the app's full name (PWA manifest, install prompts).
	Name string
	// ShortName is shown under the installed app's icon.
	ShortName string
	// Title is every page's <title>; empty means Name.
	Title string
	// Description is the pages' meta description.
	Description string
	// ThemeColour and BackgroundColour are "#rrggbb" colours for the
	// browser's and the installed app's frame; empty means the defaults.
	ThemeColour      string
	BackgroundColour string
	// WebDir is the folder served at /web/: app.wasm (the reset wizard),
	// reg.wasm (every page: the registration pages'), desk.wasm (the
	// service desk's console), and optionally
	// icon.svg, icon-192.png and icon-512.png to replace the drawn icon.
	WebDir string
	// Version is the build's version. The service worker's cache is keyed
	// on a version derived from it and from app.wasm, so browsers update
	// exactly when either changes.
	Version string
	// Dev shows the dev-mode banner on every page.
	Dev bool
	// PublicURL is the configured public address (server.public_url). When
	// set, /sitemap.xml lists it and, over https, the pages' og:url uses
	// its host. It never comes from a request.
	PublicURL string
	// Public is the public configuration, as GET /api/v1/config answers
	// it: the pages show its organisation, colours, user id hint and
	// help-desk block. It reaches the components through go-app's Env
	// (ui.EnvConfig), on the server for prerendering and in app.js for the
	// browser. go-app sets Env as the process's environment on the server:
	// one handler per process (tests that build several run one after
	// another).
	Public api.Config
	// Locale is the languages offered and their catalogues: each page is
	// drawn in its request's language (locale.Lang of its context, else
	// locale.Set.Choose), and the browser is sent that language's words.
	// Nil: every language the portal has.
	Locale *locale.Set
}

// OptionsFromConfig returns the Options for the configuration c.
//
// loc is the languages offered (nil: every one the portal has).
func OptionsFromConfig(c *config.Config, version string, dev bool, loc *locale.Set) Options {
	if loc == nil {
		loc = locale.All()
	}
	org := c.Organisation
	return Options{
		Name:             org.Name + " password reset",
		ShortName:        "Password reset",
		Title:            "Get back into your account – " + org.Name,
		Description:      "Reset a forgotten password or unlock your " + org.Name + " account yourself.",
		ThemeColour:      org.ThemeColour,
		BackgroundColour: "#ffffff",
		WebDir:           c.WebDir(),
		Version:          version,
		Dev:              dev,
		PublicURL:        c.PublicURL().String(),
		Public:           publicConfig(c, dev, loc),
		Locale:           loc,
	}
}

// publicConfig is the public configuration of c, the body of GET
// /api/v1/config, for OptionsFromConfig. The portal passes its own copy,
// the very value its API answers.
func publicConfig(c *config.Config, dev bool, loc *locale.Set) api.Config {
	o, hd := c.Organisation, c.HelpDesk
	var kinds []api.Kind
	for _, m := range c.Flow.Methods {
		kinds = append(kinds, api.Kind(m))
	}
	pc := api.Config{
		Organisation: api.Organisation{Name: o.Name, ShortName: o.ShortName, Logo: o.Logo,
			ThemeColour: o.ThemeColour, AccentColour: o.AccentColour, PasswordHelp: o.PasswordHelpURL},
		UserIDHint: c.Users.IDHint,
		HelpDesk: api.HelpDesk{Name: hd.Name, InPerson: hd.InPerson, TicketPortal: hd.TicketPortal,
			Phone: hd.Phone, Email: hd.Email, Hours: hd.Hours},
		Methods:            api.MethodsInfo{Enabled: kinds, Required: c.Flow.RequiredMethods},
		Languages:          loc.Offered(),
		Dev:                dev,
		RevealUnregistered: c.Flow.RevealUnregistered,
	}
	pc.Captcha.Audio = c.Captcha.Audio
	return pc
}

// The styles and icon files, under /web/.
const (
	stylesPath    = "/web/app.css"
	iconSVGPath   = "/web/icon.svg"
	icon192Path   = "/web/icon-192.png"
	icon512Path   = "/web/icon-512.png"
	defaultTheme  = "#1d3f72"
	defaultBg     = "#ffffff"
	robotsTxtBody = "User-agent: *\nDisallow: /api/\nDisallow: /dev/\n"
)

// handler is the pages' http.Handler.
type handler struct {
	goapp   *app.Handler
	version string
	webDir  string
	// embedded are the files of static/web, by name, served under /web/
	// when WebDir has none of that name.
	embedded map[string]embeddedFile
	// builtin are files served under /web/ when neither WebDir nor
	// static/web has one of that name: the drawn icons, drawn when first
	// asked for.
	builtin map[string]func() []byte
	started time.Time
	sitemap []byte // nil: 404
	// appJS replaces go-app's /app.js (see appJSTemplate).
	appJS  []byte
	dev    bool
	locale *locale.Set
}

// Site serves the pages, and prerenders a wizard page with the server's
// state of it (Render).
type Site interface {
	http.Handler
	Render(w http.ResponseWriter, r *http.Request, p api.Page, status int)
}

// New returns the handler for the pages. It declares the routes of app/ui
// (ui.Register, and the console's: desk.Register) so that go-app can
// prerender them.
func New(o Options) (Site, error) {
	ui.Register()
	desk.Register()

	if o.Name == "" {
		return nil, errors.New("web: Options.Name is empty")
	}
	if o.ShortName == "" {
		o.ShortName = o.Name
	}
	if o.Title == "" {
		o.Title = o.Name
	}
	if o.ThemeColour == "" {
		o.ThemeColour = defaultTheme
	}
	if o.BackgroundColour == "" {
		o.BackgroundColour = defaultBg
	}
	if o.Locale == nil {
		o.Locale = locale.All()
	}
	var publicURL *url.URL
	if o.PublicURL != "" {
		u, err := url.Parse(o.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("web: Options.PublicURL %q is not an http(s) address", o.PublicURL)
		}
		publicURL = u
	}

	theme := parseColour(o.ThemeColour, parseColour(defaultTheme, color.RGBA{}))
	embedded, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	public, err := json.Marshal(o.Public)
	if err != nil {
		return nil, fmt.Errorf("web: Options.Public: %w", err)
	}
	h := &handler{
		webDir:   o.WebDir,
		embedded: embedded,
		builtin: map[string]func() []byte{
			iconSVGPath: func() []byte { return iconSVG(fmt.Sprintf("#%02x%02x%02x", theme.R, theme.G, theme.B)) },
			icon192Path: func() []byte { return cachedIconPNG(theme, 192) },
			icon512Path: func() []byte { return cachedIconPNG(theme, 512) },
		},
		started: time.Now(),
		dev:     o.Dev,
		locale:  o.Locale,
	}
	if publicURL != nil {
		loc := (&url.URL{Scheme: publicURL.Scheme, Host: publicURL.Host, Path: "/"}).String()
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>`)
		_ = xmlEscape(&b, loc)
		b.WriteString("</loc></url></urlset>\n")
		h.sitemap = b.Bytes()
	}
	h.version = h.computeVersion(o, public)

	dev := "0"
	if o.Dev {
		dev = "1"
	}
	domain := ""
	if publicURL != nil && publicURL.Scheme == "https" {
		// go-app writes og:url as "https://" + Domain + path.
		domain = publicURL.Host
	}
	worker, err := workerJS(o.Locale)
	if err != nil {
		return nil, fmt.Errorf("web: the service worker: %w", err)
	}
	h.goapp = &app.Handler{
		Name:        o.Name,
		ShortName:   o.ShortName,
		Title:       o.Title,
		Description: o.Description,
		Lang:        "en",
		Domain:      domain,
		// og:image; with no domain go-app writes "https://" whatever this is.
		Image: icon512Path,
		// Every icon set: go-app fills an empty one with GitHub addresses.
		Icon: app.Icon{
			Default:  icon192Path,
			Large:    icon512Path,
			SVG:      iconSVGPath,
			Maskable: icon512Path,
		},
		// After go-app's own /app.css, so that ours wins (the loader).
		Styles:          []string{stylesPath},
		ThemeColor:      o.ThemeColour,
		BackgroundColor: o.BackgroundColour,
		LoadingLabel:    "Loading…",
		Version:         h.version,
		// /web/ addresses carry the version ("/<version>/web/app.wasm"),
		// so that they can be cached for good: a new build is a new address.
		Resources: resolver{prefix: "/" + h.version},
		// Ours: waits for its cache, never handles /api/, and says that
		// resetting needs a connection when a page can't be had offline.
		ServiceWorkerTemplate: worker,
		CacheableResources:    append([]string{iconSVGPath}, catalogPaths(o.Locale)...),
		Env:                   map[string]string{ui.EnvDev: dev, ui.EnvConfig: string(public)},
		// No preload of app.wasm: see appJSTemplate.
	}
	res := h.goapp.Resources
	env := maps.Clone(h.goapp.Env)
	// What go-app's own app.js adds for its wasm side.
	env["GOAPP_INTERNAL_URLS"] = "null"
	env["GOAPP_VERSION"] = h.version
	env["GOAPP_STATIC_RESOURCES_URL"] = res.Resolve("/web")
	env["GOAPP_ROOT_PREFIX"] = res.Resolve("/")
	catalogs := map[string]string{}
	for _, lang := range append(o.Locale.Offered(), locale.Console) {
		catalogs[lang] = res.Resolve(catalogPath(lang))
	}
	h.appJS = makeAppJS(env, appJSFiles{Wasm: res.Resolve("/web/app.wasm"), Reg: res.Resolve("/web/reg.wasm"),
		Desk: res.Resolve("/web/desk.wasm"), Worker: res.Resolve("/app-worker.js"), Catalogs: catalogs})
	return h, nil
}

// catalogPath is the address of lang's catalogue of words for the
// browser, under /web/ (so under the version's prefix, cached for good).
func catalogPath(lang string) string { return "/web/i18n/" + lang + ".json" }

// catalogPaths are the addresses of every language's catalogue, which the
// service worker keeps for the next visit.
func catalogPaths(s *locale.Set) []string {
	var paths []string
	for _, lang := range s.Offered() {
		paths = append(paths, catalogPath(lang))
	}
	return paths
}

// resolver puts the version in front of /web/ paths and leaves the others
// alone. Unlike go-app's LocalDir it is no http.Handler, so go-app never
// serves /web/ itself and never builds a URL from the request's Host to
// fetch a proxied resource.
type resolver struct{ prefix string }

// Resolve returns "/<version>/web/..." for "/web/..." and "/<version>/web"
// for "/web" (go-app's GOAPP_STATIC_RESOURCES_URL: the browser resolves
// the components' /web/ addresses against it, the same as here), and any
// other path unchanged ("" stays "": go-app then leaves the unset icon out
// of the manifest instead of listing "/").
func (r resolver) Resolve(p string) string {
	if p == "/web" || strings.HasPrefix(p, "/web/") {
		return r.prefix + p
	}
	return p
}

var unsafeVersion = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// computeVersion derives go-app's version from the build's version, the
// options (public is Options.Public as JSON), the embedded styles and the
// bytes of app.wasm: stable across restarts (a fresh value each restart
// would throw away every browser's cache), new whenever the wasm, the
// styles or the page settings change.
func (h *handler) computeVersion(o Options, public []byte) string {
	sum := sha256.New()
	fmt.Fprintf(sum, "%q %q %q %q %q %q %q %v %q %q %q\n", o.Version, o.Name, o.ShortName, o.Title,
		o.Description, o.ThemeColour, o.BackgroundColour, o.Dev, o.PublicURL, public, o.Locale.Version())
	for _, name := range slices.Sorted(maps.Keys(h.embedded)) {
		fmt.Fprintf(sum, "%q %s\n", name, h.embedded[name].etag)
	}
	// Every file of WebDir served under the version's address, which
	// browsers keep for good.
	for _, name := range []string{"app.wasm", "reg.wasm", "desk.wasm", "icon.svg", "icon-192.png", "icon-512.png"} {
		if f, err := os.OpenInRoot(h.webDir, name); err == nil {
			fmt.Fprintf(sum, "%q\n", name)
			_, _ = io.Copy(sum, f)
			f.Close()
		}
	}
	digest := hex.EncodeToString(sum.Sum(nil))[:16]
	base := strings.Trim(unsafeVersion.ReplaceAllString(o.Version, "-"), "-.")
	if base == "" {
		return digest
	}
	return base + "-" + digest
}

// ServeHTTP answers GET and HEAD.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	// go-app serves "/<version>/x" as "/x": do the same before choosing, so
	// that "/<version>/robots.txt" can't slip past us to go-app's proxy.
	versioned := false
	if rest, ok := strings.CutPrefix(p, "/"+h.version+"/"); ok {
		p, versioned = "/"+rest, true
	}
	switch {
	case p == "/robots.txt":
		serveBytes(w, r, "robots.txt", h.started, []byte(robotsTxtBody))
	case p == "/sitemap.xml" && h.sitemap != nil:
		serveBytes(w, r, "sitemap.xml", h.started, h.sitemap)
	case p == "/sitemap.xml", p == "/ads.txt":
		http.NotFound(w, r)
	case p == "/app.js" || p == "/goapp.js":
		w.Header().Set("Cache-Control", "no-cache")
		// The version covers everything app.js holds, as go-app's ETag does.
		w.Header().Set("ETag", `"`+h.version+`"`)
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		serveBytes(w, r, "app.js", h.started, h.appJS)
	case p == "/web" || strings.HasPrefix(p, "/web/"):
		h.serveWeb(w, r, p, versioned)
	default:
		if r.URL.Query().Has(ui.PageParam) {
			// The page's state is the server's to name, never a client's.
			r = r.Clone(r.Context())
			q := r.URL.Query()
			q.Del(ui.PageParam)
			r.URL.RawQuery = q.Encode()
		}
		h.page(w, r)
	}
}

// page has go-app prerender the page r asks for, in the request's
// language: its words, and lang and dir on <html>.
func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	lang := locale.Lang(r.Context())
	if !h.locale.Offers(lang) {
		lang = h.locale.Choose(r)
	}
	if r.URL.Path == desk.Prefix || strings.HasPrefix(r.URL.Path, desk.Prefix+"/") {
		// The service desk's console is in English (its words are in
		// desk.wasm).
		cat := h.locale.ConsolePages()
		lw := &langWriter{ResponseWriter: w, lang: cat.Lang(), dir: cat.Dir()}
		ui.InLanguage(cat, func() { h.goapp.ServeHTTP(lw, r) })
		lw.finish()
		return
	}
	cat := h.locale.Pages(lang)
	lw := &langWriter{ResponseWriter: w, lang: cat.Lang(), dir: cat.Dir()}
	ui.InLanguage(cat, func() { h.goapp.ServeHTTP(lw, r) })
	lw.finish()
}

// langWriter puts the page's language and the direction of its script on
// the <html> go-app writes (go-app's is the handler's, one for every
// page), and says which header values the page varies with.
type langWriter struct {
	http.ResponseWriter
	lang, dir string
	status    int
	done      bool
}

// WriteHeader keeps the status until the first write, which may change
// the headers (finish sends it for an answer with no body, a 304).
func (lw *langWriter) WriteHeader(code int) {
	if lw.status == 0 {
		lw.status = code
	}
}

// finish sends the status of an answer that wrote no body.
func (lw *langWriter) finish() {
	if !lw.done && lw.status != 0 {
		lw.done = true
		lw.ResponseWriter.WriteHeader(lw.status)
	}
}

// Write rewrites the first write, which go-app makes of the whole page,
// and its Content-Length.
func (lw *langWriter) Write(b []byte) (int, error) {
	if !lw.done {
		lw.done = true
		n := len(b)
		h := lw.Header()
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			b = bytes.Replace(b, []byte(`<html lang="en">`), []byte(`<html lang="`+lw.lang+`" dir="`+lw.dir+`">`), 1)
			if h.Get("Content-Length") != "" {
				h.Set("Content-Length", strconv.Itoa(len(b)))
			}
			h.Set("Content-Language", lw.lang)
			h.Add("Vary", "Cookie, Accept-Language")
		}
		if lw.status == 0 {
			lw.status = http.StatusOK
		}
		lw.ResponseWriter.WriteHeader(lw.status)
		if _, err := lw.ResponseWriter.Write(b); err != nil {
			return 0, err
		}
		return n, nil
	}
	return lw.ResponseWriter.Write(b)
}

// serveWeb serves /web/NAME from WebDir, or a built-in file, or 404. Never
// a directory listing, never a dot file, never outside WebDir (os.Root
// refuses "..", absolute paths and symlinks that leave the folder).
func (h *handler) serveWeb(w http.ResponseWriter, r *http.Request, p string, versioned bool) {
	name, ok := strings.CutPrefix(p, "/web/")
	if !ok || name == "" || strings.HasSuffix(name, "/") || path.Clean("/"+name) != "/"+name || strings.Contains(name, "/.") || strings.HasPrefix(name, ".") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Under the version's address a file never changes: cache it for good.
	// Under the bare one, revalidate every time (cheap with the ETag), so
	// that a rebuilt app.wasm is never hidden behind a stale cache; and in
	// dev mode always, where app.wasm may be rebuilt under a running server.
	if versioned && !h.dev {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}

	if lang, ok := strings.CutPrefix(name, "i18n/"); ok {
		if b, ok := h.locale.BrowserCatalog(strings.TrimSuffix(lang, ".json")); ok && strings.HasSuffix(lang, ".json") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("ETag", `"`+h.locale.Version()+`"`)
			serveBytes(w, r, name, h.started, b)
			return
		}
		http.NotFound(w, r)
		return
	}
	if h.webDir != "" && h.serveFile(w, r, name) {
		return
	}
	if f, ok := h.embedded[name]; ok {
		w.Header().Set("ETag", f.etag)
		serveBytes(w, r, name, h.started, f.body)
		return
	}
	if f, ok := h.builtin[p]; ok {
		b := f()
		sum := sha256.Sum256(b)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
		serveBytes(w, r, name, h.started, b)
		return
	}
	http.NotFound(w, r)
}

// embeddedFile is a file of static/web.
type embeddedFile struct {
	body []byte
	etag string
}

// loadEmbedded reads the files of static/web, by their names under it.
func loadEmbedded() (map[string]embeddedFile, error) {
	files := make(map[string]embeddedFile)
	err := fs.WalkDir(static.FS, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[strings.TrimPrefix(p, "web/")] = embeddedFile{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static/web: %w", err)
	}
	return files, nil
}

// serveFile serves WebDir/name, its precompressed .br or .gz sibling when
// the client accepts it, and reports false when there is no such file.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	root, err := os.OpenRoot(h.webDir)
	if err != nil {
		return false
	}
	defer root.Close()
	fi, err := root.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, fi, enc := openBest(root, name, fi, r.Header.Get("Accept-Encoding"))
	if f == nil {
		return false
	}
	defer f.Close()
	w.Header().Add("Vary", "Accept-Encoding")
	if enc != "" {
		w.Header().Set("Content-Encoding", enc)
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x%s"`, fi.ModTime().UnixNano(), fi.Size(), enc))
	// The name, not the .br file's, sets the Content-Type
	// (application/wasm for app.wasm, which instantiateStreaming requires).
	http.ServeContent(w, r, name, fi.ModTime(), f)
	return true
}

// openBest opens name's brotli or gzip sibling when the client accepts that
// encoding and the sibling is at least as new, and otherwise name itself.
func openBest(root *os.Root, name string, fi fs.FileInfo, acceptEncoding string) (*os.File, fs.FileInfo, string) {
	for _, c := range []struct{ enc, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !accepts(acceptEncoding, c.enc) {
			continue
		}
		cfi, err := root.Stat(name + c.ext)
		if err != nil || !cfi.Mode().IsRegular() || cfi.ModTime().Before(fi.ModTime()) {
			continue
		}
		if f, err := root.Open(name + c.ext); err == nil {
			return f, cfi, c.enc
		}
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, ""
	}
	return f, fi, ""
}

// accepts reports whether an Accept-Encoding header value allows enc.
func accepts(header, enc string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// serveBytes serves b as the file name, with conditional requests.
func serveBytes(w http.ResponseWriter, r *http.Request, name string, mod time.Time, b []byte) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, mod, bytes.NewReader(b))
}

func xmlEscape(w io.Writer, s string) error {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	_, err := r.WriteString(w, s)
	return err
}

// Render prerenders the page p.Path with the server's state p (see
// app/ui/prerender.go), answering status: the page is whole without the
// wasm, and the wasm takes over from it. The state reaches the page's
// components under a random token in the address go-app renders, never in
// the browser's; what is drawn is for this request alone, so nothing may
// keep it (no ETag, no cache) and no If-None-Match can turn it into
// go-app's 304.
func (h *handler) Render(w http.ResponseWriter, r *http.Request, p api.Page, status int) {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	token := hex.EncodeToString(b[:])
	ui.SetPage(token, p)
	defer ui.DropPage(token)
	r2 := r.Clone(r.Context())
	r2.Method, r2.Body, r2.ContentLength = http.MethodGet, http.NoBody, 0
	r2.Header.Del("If-None-Match")
	u := *r.URL
	u.Path, u.RawPath, u.RawQuery = p.Path, "", url.Values{ui.PageParam: {token}}.Encode()
	r2.URL = &u
	h.page(&pageWriter{ResponseWriter: w, status: status}, r2)
}

// pageWriter answers a prerendered page with its status, uncacheable.
type pageWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (pw *pageWriter) WriteHeader(code int) {
	if pw.written {
		return
	}
	pw.written = true
	if code == http.StatusOK && pw.status != 0 {
		code = pw.status
	}
	h := pw.Header()
	h.Del("ETag")
	h.Set("Cache-Control", "no-store")
	pw.ResponseWriter.WriteHeader(code)
}

func (pw *pageWriter) Write(b []byte) (int, error) {
	if !pw.written {
		pw.WriteHeader(http.StatusOK)
	}
	return pw.ResponseWriter.Write(b)
}
