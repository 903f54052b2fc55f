package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/headless"
	"github.com/sspr-portal/sspr/server/internal/needs"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
)

const (
	chromiumPath = "/usr/bin/chromium"
	// devAnswer is every CAPTCHA's answer (dev mode only).
	devAnswer = "424242"

	// waitTimeout bounds one wait for an expected page, element or text:
	// generous for a loaded machine under -race, and short enough that a
	// missing element fails with a clear message long before the test's
	// own deadline.
	waitTimeout = 20 * time.Second
	// testTimeout bounds a whole test's browser work.
	testTimeout = 100 * time.Second
	// expectTimeout bounds the wait for a detail that follows at once from
	// what is already on the page, such as the focus moving to an error.
	expectTimeout = 3 * time.Second
	// pollEvery is how often a wait looks again.
	pollEvery = 25 * time.Millisecond
)

// The viewports every step is photographed at: a phone and a laptop.
var viewports = [][2]int64{{390, 844}, {1280, 800}}

// Set once by TestMain.
var (
	repoRoot  string
	webDir    string // holds app.wasm
	artefacts string // where screenshots go
	// browserCtx is the one Chromium of this test binary; nil when there is
	// none, and then noBrowser says why.
	browserCtx context.Context
	noBrowser  string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "sspr-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	if webDir, err = resolveWebDir(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	artefacts = os.Getenv("SSPR_ARTEFACTS")
	if artefacts == "" {
		artefacts = filepath.Join(repoRoot, "bin", "screenshots")
	}

	if _, err := os.Stat(chromiumPath); err != nil {
		noBrowser = chromiumPath + " is missing (scripts/deps.sh installs the chromium package)"
		return m.Run()
	}
	// The first Run starts the browser. On a loaded machine Chromium now
	// and then dies while starting ("chrome failed to start", seen twice in
	// some forty starts here while page benchmarks ran): try again, each
	// time with a fresh profile, before calling it a failure.
	var bctx context.Context
	for try := 1; ; try++ {
		profile := filepath.Join(tmp, fmt.Sprintf("chromium-profile-%d", try))
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), headless.Options(chromiumPath, profile)...)
		defer cancelAlloc()
		ctx, cancelBrowser := chromedp.NewContext(actx)
		defer cancelBrowser()
		err := chromedp.Run(ctx)
		if err == nil {
			bctx = ctx
			break
		}
		// Chromium is there but does not start: that is a failure, never a
		// reason to skip.
		fmt.Fprintf(os.Stderr, "e2e: starting %s (try %d): %v\n", chromiumPath, try, err)
		if try == 3 {
			return 1
		}
	}
	browserCtx = bctx
	code := m.Run()

	cctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	defer cancel()
	_ = chromedp.Cancel(cctx)
	return code
}

// findRepoRoot walks up from the working directory (the package's folder
// under go test) to the folder holding go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// resolveWebDir returns the repository's bin/web when `make build` left
// the three bundles there (app.wasm, the reset wizard's; reg.wasm, the
// registration pages'; desk.wasm, the console's), at least as new as the sources they are built from;
// otherwise it builds them into tmp, so that `go test ./server/e2e` works
// alone and never tests a stale wizard.
func resolveWebDir(tmp string) (string, error) {
	dir := filepath.Join(repoRoot, "bin", "web")
	newest, err := newestWasmSource()
	if err != nil {
		return "", err
	}
	fresh := true
	bundles := []struct{ name, pkg, tags string }{
		{"app.wasm", "./app/cmd/wasm", "sspr_reset"},
		{"reg.wasm", "./app/cmd/wasm", ""},
		{"desk.wasm", "./app/cmd/desk", ""},
	}
	for _, b := range bundles {
		fi, err := os.Stat(filepath.Join(dir, b.name))
		fresh = fresh && err == nil && !fi.ModTime().Before(newest)
	}
	if fresh {
		return dir, nil
	}
	out := filepath.Join(tmp, "web")
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building the wasm: %w", err)
	}
	var built []string
	for _, b := range bundles {
		cmd := exec.Command(goTool, "build", "-tags", b.tags, "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(out, b.name), b.pkg)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building %s: %v\n%s", b.name, err, msg)
		}
		built = append(built, filepath.Join(out, b.name))
	}
	// Sent as a server sends them, brotli: 8 MB raw would take the
	// throttled tests' slow link a minute.
	cmd := exec.Command(goTool, append([]string{"run", "./server/cmd/precompress"}, built...)...)
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("compressing the wasm: %v\n%s", err, b)
	}
	return out, nil
}

// newestWasmSource is the modification time of the newest file app.wasm is
// built from: the Go files under app/, go.mod and go.sum.
func newestWasmSource() (time.Time, error) {
	var newest time.Time
	see := func(path string) error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		return nil
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := see(filepath.Join(repoRoot, f)); err != nil {
			return newest, err
		}
	}
	err := filepath.WalkDir(filepath.Join(repoRoot, "app"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		return see(path)
	})
	return newest, err
}

// requireBrowser skips the test when there is no Chromium, except under
// CI, where a missing browser is a failure: CI must run these tests.
func requireBrowser(t *testing.T) {
	t.Helper()
	if browserCtx != nil {
		return
	}
	needs.Tool(t, errors.New(noBrowser))
}

// ---------------------------------------------------------------------------
// The portal
// ---------------------------------------------------------------------------

// env is one portal, in dev mode on its own data folder, served by a real
// http.Server on a loopback port.
type env struct {
	t    *testing.T
	url  string // http://127.0.0.1:PORT
	host string // 127.0.0.1:PORT
	cfg  *config.Config
	log  *testkit.LogBuffer // the server's log, shown when a test fails
	hc   *http.Client
	// stop shuts the server down: the portal is unreachable from then on,
	// as for a browser gone offline.
	stop func()

	mu sync.Mutex
	// served counts the requests that reached the server, by path.
	served map[string]int
}

// servedCount is how many requests for path have reached the server.
func (e *env) servedCount(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.served[path]
}

// newPortal starts a fresh portal: its own database (the demo accounts,
// freshly seeded), throttles, outbox and keys.
func newPortal(t *testing.T) *env {
	t.Helper()
	return newPortalWith(t, nil)
}

// newPortalWith is newPortal with the configuration changed by tweak.
// onLocalhost, as server.public_url in newPortalWith's tweak, serves the
// portal at http://localhost:<its port>.
const onLocalhost = "http://localhost"

func newPortalWith(t *testing.T, tweak func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.WebDir = webDir
	if tweak != nil {
		tweak(cfg)
	}

	// Listen first, as sspr serve does, so that the portal checks Host and
	// Origin against the address the browser really uses.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.Listen = ln.Addr().String()
	host := ln.Addr().String()
	if cfg.Server.PublicURL == onLocalhost {
		// Passkeys need a host name (browsers refuse an IP address as
		// the relying party): the browser goes to localhost, which it
		// resolves to the loopback address listened on.
		_, port, _ := net.SplitHostPort(host)
		host = "localhost:" + port
		cfg.Server.PublicURL = "http://" + host
	}
	if err := cfg.Validate(); err != nil {
		ln.Close()
		t.Fatal(err)
	}
	// Cheap hashing (below what the configuration allows, as in the API
	// tests): these tests are about behaviour.
	cfg.Hashing.Argon2MemoryKiB, cfg.Hashing.Argon2Time = 64, 1
	k, err := keys.Generate()
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	log, lb := testkit.NewLog()
	p, err := portal.New(context.Background(), portal.Options{
		Config: cfg, Keys: k, Dev: true, DevCaptchaAnswer: devAnswer, Log: log,
	})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	e := &env{t: t, url: "http://" + host, host: host, cfg: cfg, log: lb,
		hc: &http.Client{Timeout: 10 * time.Second}, served: make(map[string]int)}
	handler := p.Handler()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.mu.Lock()
			e.served[r.URL.Path]++
			e.mu.Unlock()
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	e.stop = sync.OnceFunc(func() {
		// Shutdown closes the listener and the idle connections at once, so
		// the portal is unreachable from here on, and waits for the
		// requests in flight: none may still run when the portal closes.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serving: %v", err)
		}
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.stop()
		if err := p.Close(ctx); err != nil {
			t.Errorf("closing the portal: %v", err)
		}
		if l := lb.String(); t.Failed() && l != "" {
			t.Logf("server log:\n%s", tail(l, 40))
		}
	})
	return e
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// getJSON GETs path from the portal over plain HTTP and decodes the answer.
func (e *env) getJSON(path string, v any) {
	e.t.Helper()
	res, err := e.hc.Get(e.url + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		e.t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// outbox is the dev outbox's messages, oldest first.
func (e *env) outbox() []api.OutboxMessage {
	e.t.Helper()
	var ob api.Outbox
	e.getJSON(api.PathDevOutbox, &ob)
	return ob.Messages
}

// waitCode waits for a message with a code to reach to among the messages
// after the first `after`, and returns the newest such code. Delivery is
// queued off the request path, so it may take a moment.
func (e *env) waitCode(to string, after int) string {
	e.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		msgs := e.outbox()
		for i := len(msgs) - 1; i >= after; i-- {
			if msgs[i].To == to && msgs[i].Code != "" {
				return msgs[i].Code
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no code reached %s within %s (outbox: %d messages)", to, waitTimeout, len(msgs))
		}
		time.Sleep(pollEvery)
	}
}

// withDirectory opens the portal's database a second time, as the
// directory, for fn.
func (e *env) withDirectory(fn func(context.Context, *sqlite.Directory)) {
	e.t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, e.cfg.DatabasePath())
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	fn(ctx, sqlite.NewDirectory(db, secret.NewArgon2(secret.DefaultParams, 0), 0))
}

// passwordWorks reports whether password is id's password in the directory.
func (e *env) passwordWorks(id, password string) bool {
	e.t.Helper()
	var ok bool
	e.withDirectory(func(ctx context.Context, d *sqlite.Directory) {
		var err error
		if ok, err = d.CheckPassword(ctx, id, password); err != nil {
			e.t.Fatal(err)
		}
	})
	return ok
}

// wantPasswordChanged fails the test unless id's password is now next and
// no longer old.
func (e *env) wantPasswordChanged(id, old, next string) {
	e.t.Helper()
	if e.passwordWorks(id, old) {
		e.t.Errorf("%s's old password still works", id)
	}
	if !e.passwordWorks(id, next) {
		e.t.Errorf("%s's new password doesn't work", id)
	}
}

// locked reports whether the directory shows id as locked out.
func (e *env) locked(id string) bool {
	e.t.Helper()
	var locked bool
	e.withDirectory(func(ctx context.Context, d *sqlite.Directory) {
		a, err := d.Lookup(ctx, id)
		if err != nil || a == nil {
			e.t.Fatalf("looking up %s: %v, %v", id, a, err)
		}
		locked = a.Locked
	})
	return locked
}

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

// browser is one tab in its own browser context (like an incognito window:
// no cookie, storage or cache shared with another test), watched for
// console errors, uncaught exceptions and requests to any other host.
type browser struct {
	t   *testing.T
	env *env
	ctx context.Context
	// width and height are the viewport the test works in.
	width, height int64
	step          int
	// everyStep: the wizard's helpers photograph every step (stepShot).
	everyStep bool
	// noAxe leaves out the accessibility check of each photograph
	// (checkA11y): for a test that breaks a page on purpose.
	noAxe bool
	// scriptsOff says the test turned the page's scripts off: checkA11y
	// turns them on for axe alone, and off again.
	scriptsOff bool
	// label tells apart the screenshots of two browsers in one test.
	label string
	// lang is the language the pages are expected in ("" is English):
	// the helpers read the words they wait for from its catalogue.
	lang string

	mu       sync.Mutex
	problems []string
}

// newBrowser opens a tab on env's portal, working at the laptop size.
func (e *env) newBrowser(t *testing.T) *browser {
	t.Helper()
	requireBrowser(t)
	cleanShots(t)
	// A new browser context, and a tab in it. chromedp's
	// WithNewBrowserContext asks for the tab without a window, which this
	// Chromium refuses in headless mode ("no browser is open"): ask for a
	// new window instead, then attach to it.
	bc := chromedp.FromContext(browserCtx).Browser
	cctx, ccancel := context.WithTimeout(browserCtx, waitTimeout)
	defer ccancel()
	bex := cdp.WithExecutor(cctx, bc)
	contextID, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(bex)
	if err != nil {
		t.Fatalf("creating a browser context: %v", err)
	}
	disposeContext := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = target.DisposeBrowserContext(contextID).Do(cdp.WithExecutor(ctx, bc))
	}
	targetID, err := target.CreateTarget("about:blank").WithBrowserContextID(contextID).WithNewWindow(true).Do(bex)
	if err != nil {
		disposeContext()
		t.Fatalf("opening a tab: %v", err)
	}
	tabCtx, closeTab := chromedp.NewContext(browserCtx, chromedp.WithTargetID(targetID))
	ctx, cancel := context.WithTimeout(tabCtx, testTimeout)
	b := &browser{t: t, env: e, ctx: ctx, width: 1280, height: 800}
	chromedp.ListenTarget(ctx, b.onEvent)
	t.Cleanup(func() {
		if t.Failed() {
			b.photoFailure()
		}
		cancel()
		closeTab()
		disposeContext()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("browser: %s", p)
		}
	})
	// The first Run attaches to the tab.
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(b.width, b.height)); err != nil {
		t.Fatalf("attaching to the tab: %v", err)
	}
	return b
}

// onEvent records what a page must never do. It runs on chromedp's event
// goroutine: it must not block or call the browser.
func (b *browser) onEvent(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.APITypeError && ev.Type != runtime.APITypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case a.Description != "":
				parts = append(parts, a.Description)
			case len(a.Value) > 0:
				var str string
				if json.Unmarshal(a.Value, &str) == nil {
					parts = append(parts, str)
				} else {
					parts = append(parts, string(a.Value))
				}
			default:
				parts = append(parts, string(a.Type))
			}
		}
		problem = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		problem = fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg)
	case *network.EventRequestWillBeSent:
		u, err := url.Parse(ev.Request.URL)
		if err != nil {
			problem = fmt.Sprintf("request to an unparsable address %q", ev.Request.URL)
			break
		}
		switch u.Scheme {
		case "data", "blob", "about":
			return
		}
		if (u.Scheme != "http" && u.Scheme != "ws") || u.Host != b.env.host {
			problem = fmt.Sprintf("request to another host: %s %s (from %s)",
				ev.Request.Method, ev.Request.URL, ev.DocumentURL)
		}
	}
	if problem == "" {
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, problem)
	b.mu.Unlock()
}

// run runs actions, failing the test with what the page shows when they
// don't finish in time.
func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression into res.
func (b *browser) eval(expr string, res any) {
	b.t.Helper()
	b.run("evaluating "+expr, chromedp.Evaluate(expr, res))
}

// await evaluates a JavaScript expression whose value is a promise, and
// puts what the promise resolves to into res.
func (b *browser) await(expr string, res any) {
	b.t.Helper()
	b.run("evaluating "+expr, chromedp.Evaluate(expr, res,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
}

// fatalf fails the test, with where the page is and what it shows.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	b.t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), b.describe())
}

// describe is the page's address, active element and visible text, for
// failure messages.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	var s string
	err := chromedp.Run(ctx, chromedp.Evaluate(`(() => {
		const m = document.querySelector("main") || document.body;
		const a = document.activeElement;
		return "page: " + location.pathname +
			"\nfocus: " + (a ? a.tagName.toLowerCase() + (a.id ? "#" + a.id : "") : "none") +
			"\nwasm: " + (document.getElementById("app-wasm-loader") ? "not running yet" : "running") +
			"\ntext: " + (m ? m.innerText.slice(0, 800) : "");
	})()`, &s))
	if err != nil {
		return "(page unavailable: " + err.Error() + ")"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		s += "\nbrowser problems so far:\n  " + strings.Join(b.problems, "\n  ")
	}
	return s
}

// waitJS waits until the expression is truthy. It asks again every
// pollEvery, so it survives a page being replaced meanwhile.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	b.waitJSTouching(what, expr, false)
}

// waitJSTouching is waitJS that, while the expression is false, also
// presses Shift in the page each time it asks, as a person would touch
// it: on a cold visit app.js holds the wasm back until then (server/web's
// untilNeeded). Shift types nothing into a focused field.
func (b *browser) waitJSTouching(what, expr string, touch bool) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		var ok bool
		lastErr = chromedp.Run(ctx, chromedp.Evaluate("!!("+expr+")", &ok))
		if lastErr == nil && !ok && touch {
			_ = chromedp.Run(ctx, chromedp.KeyEvent(kb.Shift)) // a page being replaced may miss it: asked again
		}
		cancel()
		if lastErr == nil && ok {
			return
		}
		if b.ctx.Err() != nil || time.Now().After(deadline) {
			if lastErr != nil {
				b.fatalf("waiting for %s: %v", what, lastErr)
			}
			b.fatalf("waiting for %s: not after %s", what, waitTimeout)
		}
		time.Sleep(pollEvery)
	}
}

// expectJS waits a short while for a detail that the test can go on
// without (a focus, a class): when it doesn't come, the test fails but
// goes on, so that one run shows every difference from the contract.
func (b *browser) expectJS(what, expr string) bool {
	b.t.Helper()
	deadline := time.Now().Add(expectTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		var ok bool
		err := chromedp.Run(ctx, chromedp.Evaluate("!!("+expr+")", &ok))
		cancel()
		if err == nil && ok {
			return true
		}
		if b.ctx.Err() != nil || time.Now().After(deadline) {
			b.t.Errorf("expected %s, not there after %s\n%s", what, expectTimeout, b.describe())
			return false
		}
		time.Sleep(pollEvery)
	}
}

// js quotes s as a JavaScript string.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// readyJS is true once the wasm has taken over the prerendered page: go-app
// removes its loader right after starting the program. If the wizard marks
// readiness with a data-ready attribute, that must say so too.
const readyJS = `document.readyState === "complete" &&
	!document.getElementById("app-wasm-loader") &&
	!!document.querySelector("main#main") &&
	(() => { const r = document.querySelector("[data-ready]");
		return !r || ["", "true", "1"].includes(r.getAttribute("data-ready")); })()`

// visibleJS is true when the selector matches a rendered element.
func visibleJS(sel string) string {
	return `(() => { const e = document.querySelector(` + js(sel) + `);
		return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"; })()`
}

// open loads path as a fresh page (like typing the address) and waits for
// the wasm.
func (b *browser) open(path string) {
	b.t.Helper()
	b.run("opening "+path, chromedp.Navigate(b.env.url+path))
	b.waitReady()
}

// reload reloads the page and waits for the wasm.
func (b *browser) reload() {
	b.t.Helper()
	b.run("reloading", chromedp.Reload())
	b.waitReady()
}

func (b *browser) waitReady() {
	b.t.Helper()
	b.waitJSTouching("the wasm to take over the page", readyJS, true)
}

// waitPage waits for the wizard to show path, running.
func (b *browser) waitPage(path string) {
	b.t.Helper()
	b.waitJSTouching("page "+path, `location.pathname === `+js(path)+` && `+readyJS, true)
}

// path is the page's path.
func (b *browser) path() string {
	b.t.Helper()
	var p string
	b.eval(`location.pathname`, &p)
	return p
}

func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.waitJS(sel+" to show", visibleJS(sel))
}

// waitText waits for sel to show and contain text.
func (b *browser) waitText(sel, text string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf("%s to say %q", sel, text), visibleJS(sel)+` &&
		document.querySelector(`+js(sel)+`).textContent.replace(/\s+/g, " ").includes(`+js(text)+`)`)
}

// visible reports whether sel is shown now.
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	var ok bool
	b.eval(visibleJS(sel), &ok)
	return ok
}

// exists reports whether sel matches an element now.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	var ok bool
	b.eval(`!!document.querySelector(`+js(sel)+`)`, &ok)
	return ok
}

// text is sel's visible text, whitespace collapsed.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(`(() => { const e = document.querySelector(`+js(sel)+`);
		return e ? e.innerText.replace(/\s+/g, " ").trim() : ""; })()`, &s)
	return s
}

// attr is sel's attribute name ("" when absent).
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	var s string
	b.eval(`(() => { const e = document.querySelector(`+js(sel)+`);
		return (e && e.getAttribute(`+js(name)+`)) || ""; })()`, &s)
	return s
}

// value is the value of the form field sel.
func (b *browser) value(sel string) string {
	b.t.Helper()
	var s string
	b.eval(`(() => { const e = document.querySelector(`+js(sel)+`); return e ? e.value : ""; })()`, &s)
	return s
}

// click clicks sel with the mouse once it shows and is enabled.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.waitJS(sel+" to show, enabled", visibleJS(sel)+` && !document.querySelector(`+js(sel)+`).disabled`)
	b.run("clicking "+sel, chromedp.Click(sel, chromedp.ByQuery))
}

// typeInto replaces the text of the field sel by typing text into it, key
// by key, as a user does (go-app sees real input events).
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.waitJS(sel+" to show, enabled", visibleJS(sel)+` && !document.querySelector(`+js(sel)+`).disabled`)
	b.run("typing into "+sel,
		chromedp.Focus(sel, chromedp.ByQuery),
		// Select what is there, so that typing replaces it.
		chromedp.Evaluate(`(() => { const e = document.querySelector(`+js(sel)+`);
			try { e.select(); } catch (_) {} return true; })()`, nil),
		chromedp.KeyEvent(text))
	if got := b.value(sel); squash(got) != squash(text) {
		b.fatalf("typed %q into %s, and it holds %q", text, sel, got)
	}
}

// squash drops spaces and dashes, which fields may add to format a code or
// a phone number.
func squash(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(s)
}

// key presses keys (kb constants or text) on whatever has the focus.
func (b *browser) key(keys string) {
	b.t.Helper()
	b.run(fmt.Sprintf("pressing %q", keys), chromedp.KeyEvent(keys))
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// testFileName is the test's name as the start of a file name.
func testFileName(t *testing.T) string {
	return unsafeName.ReplaceAllString(t.Name(), "_")
}

// cleaned holds the tests whose screenshots of earlier runs are gone.
var cleaned sync.Map

// cleanShots removes the screenshots an earlier run of t left, so that the
// folder shows this run only.
func cleanShots(t *testing.T) {
	if _, done := cleaned.LoadOrStore(t.Name(), true); done {
		return
	}
	old, _ := filepath.Glob(filepath.Join(artefacts, testFileName(t)+"-*.png"))
	for _, f := range old {
		_ = os.Remove(f)
	}
}

// stepShot photographs a step of the wizard in the tests that walk the
// whole way for the record (everyStep); the others photograph only what
// they alone show, which keeps the package's run time down.
func (b *browser) stepShot(step string) {
	b.t.Helper()
	switch {
	case b.everyStep:
		b.shot(step)
	case b.lang != "":
		// A page in another language is checked at every step, as
		// English is by the tests that photograph every step.
		b.checkA11y(step)
	}
}

// shot photographs the page at every viewport, as
// <test>-<nn>-<step>-<width>.png, then returns to the working viewport.
func (b *browser) shot(step string) {
	b.t.Helper()
	b.step++
	if b.label != "" {
		step = b.label + "-" + step
	}
	name := fmt.Sprintf("%s-%02d-%s", testFileName(b.t), b.step, step)
	if err := b.photograph(b.ctx, name); err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	b.checkA11y(step)
}

func (b *browser) photograph(ctx context.Context, name string) error {
	if err := os.MkdirAll(artefacts, 0o755); err != nil {
		return err
	}
	for _, vp := range viewports {
		var png []byte
		cctx, cancel := context.WithTimeout(ctx, waitTimeout)
		err := chromedp.Run(cctx, chromedp.EmulateViewport(vp[0], vp[1]), chromedp.FullScreenshot(&png, 100))
		cancel()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(artefacts, fmt.Sprintf("%s-%d.png", name, vp[0])), png, 0o644); err != nil {
			return err
		}
	}
	if last := viewports[len(viewports)-1]; last == [2]int64{b.width, b.height} {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	return chromedp.Run(cctx, chromedp.EmulateViewport(b.width, b.height))
}

// photoFailure photographs the page as the test failed, best effort.
func (b *browser) photoFailure() {
	if b.ctx.Err() != nil {
		return
	}
	name := testFileName(b.t) + "-failed"
	if b.label != "" {
		name += "-" + b.label
	}
	if err := b.photograph(b.ctx, name); err != nil {
		b.t.Logf("no failure screenshot: %v", err)
		return
	}
	b.t.Logf("failure screenshots: %s-*.png", filepath.Join(artefacts, name))
}
