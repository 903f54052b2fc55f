// Command pagebench measures how fast a running portal's start page loads
// in a real Chromium, against the budgets docs/PERFORMANCE.md states: first
// contentful paint cold under 200 ms over the floor (below), interactive
// under 1.5 s cold and under 0.5 s warm, app.wasm sent with brotli.
//
//	pagebench -url http://127.0.0.1:8097 [-runs 5] [-chromium /usr/bin/chromium]
//
// Each run starts a headless Chromium with a fresh profile and shows two
// pages of one paragraph from another site, each in a new tab (a browser in
// use has shown pages before):
//
//   - the plain floor: no CSS, no script, no header of note: the least any
//     page needs in this browser.
//   - the floor with the portal's headers: the same page, sent with the
//     security headers of the portal's own start page. Its
//     Cross-Origin-Opener-Policy puts a page opened in a new tab into a
//     browsing context group of its own, so its renderer process is
//     started for it after the answer has come (~150 ms here); a page
//     without it takes over the tab's own. That is the least the portal's
//     page can need, and the cold budget is counted from it.
//
// Then it visits the page twice:
//
//   - cold: empty HTTP cache, no service worker, no compiled wasm. After
//     measuring, it waits until go-app's service worker is active and has
//     cached /web/app.wasm (its install handler does not hold the install
//     back until the cache is filled, so "ready" alone is not enough).
//   - warm: a new tab in the same browser: the service worker answers from
//     its cache.
//
// Figures, all from the page's own clock (milliseconds since the navigation
// started), recorded in the page by a script added before any of its own
// runs, so that polling from here adds nothing to them:
//
//   - FCP: the first-contentful-paint entry of the Paint Timing API; for
//     the cold visit also how far it is over the floor with the portal's
//     headers of the same run.
//   - interactive: the person touches the page (a key pressed) at its
//     first paint, once app.js has run: on a cold visit app.js holds the
//     wasm back until then (server/web's untilNeeded). Then the wasm has
//     taken over: the component is mounted
//     (main#main carries data-ready, which the start page sets from
//     OnMount) and go-app has removed its loading screen
//     (#app-wasm-loader), which covers the whole page until then. If no
//     data-ready appears within 3 s of the loading screen going, the first
//     run falls back to the loading screen alone, and says so.
//
// And the Resource Timing entry of app.wasm: transferSize and
// encodedBodySize far below decodedBodySize show it came compressed. A warm
// visit has none: app.js reads app.wasm from the service worker's cache
// itself (see server/web's appJSTemplate).
//
// A figure passes its budget on its median; a max over it is shown.
// Exit status: 0 when it measured (budgets exceeded are printed as such;
// with -strict they exit 2), 1 when it could not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sspr-portal/sspr/server/internal/headless"
)

// settle is the pause between the floor visit and the cold one.
const settle = time.Second

// The budgets of docs/PERFORMANCE.md.
const (
	budgetFCPCold         = 200 * time.Millisecond
	budgetInteractiveCold = 1500 * time.Millisecond
	budgetInteractiveWarm = 500 * time.Millisecond
	budgetBrotliBytes     = 1_600_000
)

// probeJS runs in every document before the page's own scripts. It records
// when main#main[data-ready] appears and when #app-wasm-loader, once seen,
// is removed or hidden.
const probeJS = `(() => {
  const pb = window.__pagebench = {ready: null, loaderGone: null, sawLoader: false, touched: null};
  const check = () => {
    const now = performance.now();
    if (pb.ready === null && document.querySelector("main#main[data-ready]")) pb.ready = now;
    const l = document.getElementById("app-wasm-loader");
    if (l && !l.hidden && l.style.display !== "none") pb.sawLoader = true;
    else if (pb.sawLoader && pb.loaderGone === null) pb.loaderGone = now;
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true, attributes: true,
    attributeFilter: ["data-ready", "hidden", "style"]});
  // The person touches the page as soon as it shows: app.js holds the
  // wasm back on a cold visit until then (server/web's untilNeeded). Not
  // before app.js has run (deferred, it has by DOMContentLoaded).
  const touch = () => { pb.touched = performance.now(); dispatchEvent(new KeyboardEvent("keydown", {key: "Shift"})); };
  new PerformanceObserver((list, obs) => {
    if (!list.getEntriesByName("first-contentful-paint").length) return;
    obs.disconnect();
    if (document.readyState === "loading") addEventListener("DOMContentLoaded", touch, {once: true});
    else touch();
  }).observe({type: "paint", buffered: true});
})();`

// waitJS waits, in the page, for the signals and returns what was
// recorded. %d is the timeout in ms; %q the mode: "auto" (wait for
// data-ready up to 3 s after the loading screen went), "ready" (wait for
// both), "loader" (the loading screen only).
const waitJS = `(async (timeout, mode) => {
  const pb = window.__pagebench;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const t0 = performance.now();
  const late = () => performance.now() - t0 > timeout;
  if (!pb) return {error: "probe missing"};
  while (pb.loaderGone === null && !late()) await sleep(5);
  if (mode === "ready") while (pb.ready === null && !late()) await sleep(5);
  if (mode === "auto") { const g = performance.now(); while (pb.ready === null && performance.now() - g < 3000) await sleep(5); }
  let fcp = null;
  while (!late()) {
    const e = performance.getEntriesByName("first-contentful-paint")[0];
    if (e) { fcp = e.startTime; break; }
    await sleep(5);
  }
  const wasm = performance.getEntriesByType("resource")
    .filter((e) => new URL(e.name).pathname.endsWith("/app.wasm"))
    .map((e) => ({name: e.name, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
      decodedBodySize: e.decodedBodySize, fromWorker: e.workerStart > 0, deliveryType: e.deliveryType || ""}));
  const n = performance.getEntriesByType("navigation")[0] || {};
  const css = performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname.endsWith(".css")).map((e) => e.responseEnd);
  const nav = {requestStart: n.requestStart, responseStart: n.responseStart, responseEnd: n.responseEnd,
    cssEnd: css.length ? Math.max(...css) : null, domInteractive: n.domInteractive,
    domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd, touched: pb.touched,
    wasmCompiled: (performance.getEntriesByName("sspr:wasm-compiled")[0] || {}).startTime,
    goMain: (performance.getEntriesByName("sspr:main")[0] || {}).startTime};
  const resources = performance.getEntriesByType("resource").map((e) =>
    new URL(e.name).pathname + " " + Math.round(e.startTime) + "-" + Math.round(e.responseEnd));
  return {ready: pb.ready, loaderGone: pb.loaderGone, sawLoader: pb.sawLoader, fcp, wasm, nav, resources,
    controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller)};
})(%d, %q)`

// swReadyJS waits until the service worker is active and its cache holds
// app.wasm under the address the page loaded it from (go-app's resource
// resolver may put the version in it) (cache.addAll stores all of its list
// or nothing).
const swReadyJS = `(async (timeout, wasm) => {
  if (!("serviceWorker" in navigator)) return "no service worker support";
  const t0 = performance.now();
  const late = () => performance.now() - t0 > timeout;
  const reg = await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, timeout))]);
  if (!reg) return "navigator.serviceWorker.ready did not resolve";
  while (!late()) {
    if (await caches.match(wasm)) return "";
    await new Promise((r) => setTimeout(r, 20));
  }
  return "the service worker never cached " + wasm;
})(%d, %q)`

type wasmEntry struct {
	Name            string `json:"name"`
	TransferSize    int64  `json:"transferSize"`
	EncodedBodySize int64  `json:"encodedBodySize"`
	DecodedBodySize int64  `json:"decodedBodySize"`
	FromWorker      bool   `json:"fromWorker"`
	DeliveryType    string `json:"deliveryType"`
}

// probe is what waitJS returns.
type probe struct {
	Error      string      `json:"error"`
	Ready      *float64    `json:"ready"`
	LoaderGone *float64    `json:"loaderGone"`
	SawLoader  bool        `json:"sawLoader"`
	FCP        *float64    `json:"fcp"`
	Wasm       []wasmEntry `json:"wasm"`
	Controlled bool        `json:"controlled"`
	// Nav is the Navigation Timing of the page, for -v.
	Nav       map[string]*float64 `json:"nav"`
	Resources []string            `json:"resources"`
}

// visit is one page load's figures.
type visit struct {
	fcp, interactive time.Duration
	wasm             *wasmEntry
	controlled       bool
	nav              map[string]*float64
	resources        []string
	// pwa is, on a cold visit, Chromium's manifest errors and
	// installability errors; empty: none.
	pwa []string
	// floor is, on a cold visit, the first contentful paint of the page
	// of one paragraph shown before it on another site: what this
	// browser on this machine needs for any page.
	floor time.Duration
	// headersFloor is the same page's, sent with the portal's security
	// headers: the least the portal's page can need.
	headersFloor time.Duration
}

// The interactive signals.
const (
	signalAuto   = "auto"
	signalReady  = "ready"
	signalLoader = "loader"
)

func main() {
	base := flag.String("url", "", "the portal's address, e.g. http://127.0.0.1:8097 (required)")
	pagePath := flag.String("path", "/", "the page to load")
	runs := flag.Int("runs", 5, "runs, each with a fresh profile: one cold and one warm visit")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the Chromium to drive")
	timeout := flag.Duration("timeout", 60*time.Second, "the longest one visit may take")
	strict := flag.Bool("strict", false, "exit 2 when a median is over its budget or app.wasm is not sent with brotli within its budget")
	prime := flag.Bool("prime", true, "before the cold visit, show a one-paragraph page from the other loopback name "+
		"(localhost for 127.0.0.1 and back), so that cold means a running browser new to the portal, not a browser starting")
	flag.BoolVar(&verbose, "v", false, "print each visit's timeline (Navigation Timing)")
	flag.Parse()
	if *base == "" || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	target := strings.TrimRight(*base, "/") + *pagePath
	primeURL := ""
	if *prime {
		var err error
		if primeURL, err = otherOrigin(*base); err != nil {
			fmt.Fprintln(os.Stderr, "pagebench:", err)
			os.Exit(2)
		}
	}
	if err := run(target, strings.TrimRight(*base, "/"), primeURL, *runs, *chromium, *timeout, *strict); err != nil {
		fmt.Fprintln(os.Stderr, "pagebench:", err)
		var o overBudget
		if errors.As(err, &o) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// verbose prints each visit's timeline.
var verbose bool

type overBudget struct{ n int }

func (o overBudget) Error() string { return fmt.Sprintf("%d figures over budget", o.n) }

func run(target, base, prime string, runs int, chromium string, timeout time.Duration, strict bool) error {
	if _, err := os.Stat(chromium); err != nil {
		return fmt.Errorf("no Chromium at %s (scripts/deps.sh /usr/bin/chromium:chromium installs it): %w", chromium, err)
	}
	floorURL, stopFloor, err := floorServer(prime, nil)
	if err != nil {
		return err
	}
	defer stopFloor()
	var headersFloorURL string
	if floorURL != "" {
		h, err := securityHeaders(target)
		if err != nil {
			return err
		}
		var stop func()
		if headersFloorURL, stop, err = floorServer(prime, h); err != nil {
			return err
		}
		defer stop()
	}
	loadBefore := loadAverage()
	var cold, warm []visit
	signal := signalAuto
	var product string
	for i := range runs {
		c, w, p, err := oneRun(target, floorURL, headersFloorURL, chromium, timeout, &signal)
		// On a loaded machine Chromium now and then dies while starting:
		// that run measured nothing, so start it again, twice at most.
		for try := 2; err != nil && strings.Contains(err.Error(), "chrome failed to start") && try <= 3; try++ {
			fmt.Fprintf(os.Stderr, "pagebench: run %d: Chromium did not start; try %d\n", i+1, try)
			c, w, p, err = oneRun(target, floorURL, headersFloorURL, chromium, timeout, &signal)
		}
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		product = p
		if verbose {
			fmt.Printf("run %d cold: %s\n", i+1, c.timeline())
			fmt.Printf("run %d warm: %s\n", i+1, w.timeline())
		}
		cold = append(cold, c)
		warm = append(warm, w)
	}

	// app.wasm as the page asked for it: go-app's resolver may have put
	// the version in its address, and the caching headers with it.
	wasmURL := base + "/web/app.wasm"
	if e := cold[len(cold)-1].wasm; e != nil {
		wasmURL = e.Name
	}
	served, err := checkServed(wasmURL)
	if err != nil {
		return err
	}

	fmt.Printf("%s, %d runs, each with a fresh profile: %s\n", product, runs, target)
	if after := loadAverage(); after != "" {
		// Chromium alone keeps two cores busy: anything else running makes
		// every figure worse, so say how busy the machine was.
		fmt.Printf("machine: %d CPUs, 1-minute load average %s before, %s after\n", goruntime.NumCPU(), loadBefore, after)
	}
	switch signal {
	case signalReady:
		fmt.Println("interactive = main#main[data-ready] set (OnMount) and #app-wasm-loader removed")
	default:
		fmt.Println("interactive = #app-wasm-loader removed (fallback: main#main[data-ready] never appeared; " +
			"the start page should set it from OnMount)")
	}
	if floorURL != "" {
		fmt.Printf("cold = fresh profile, browser already running: it first showed %s and %s, another site;\n"+
			"FCP floor = the first's first paint: one paragraph of HTML, no CSS, no script, this browser's least;\n"+
			"FCP floor, headers = the second's: the same page with the portal's security headers, the least the portal's page can need\n",
			floorURL, headersFloorURL)
	}
	over := 0
	row := func(name string, vs []visit, get func(visit) time.Duration, budget time.Duration) {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = get(v)
		}
		med, maxi := median(ds), slices.Max(ds)
		verdict := ""
		if budget > 0 {
			verdict = fmt.Sprintf("budget < %4d ms  ", budget.Milliseconds())
			switch {
			case med >= budget:
				verdict += "OVER"
				over++
			case maxi >= budget:
				verdict += "ok (max over)"
			default:
				verdict += "ok"
			}
		}
		var each []string
		for _, d := range ds {
			each = append(each, fmt.Sprint(d.Milliseconds()))
		}
		fmt.Printf("  %-18s median %5d ms  max %5d ms  %-24s runs: %s\n", name, med.Milliseconds(), maxi.Milliseconds(),
			verdict, strings.Join(each, " "))
	}
	if cold[0].floor > 0 {
		row("FCP cold", cold, func(v visit) time.Duration { return v.fcp }, 0)
		row("FCP floor", cold, func(v visit) time.Duration { return v.floor }, 0)
		row("FCP floor, headers", cold, func(v visit) time.Duration { return v.headersFloor }, 0)
		row("FCP cold over floor", cold, func(v visit) time.Duration { return v.fcp - v.headersFloor }, budgetFCPCold)
	} else {
		// No floor to count from (-prime=false): the absolute figure.
		row("FCP cold", cold, func(v visit) time.Duration { return v.fcp }, budgetFCPCold)
	}
	row("FCP warm", warm, func(v visit) time.Duration { return v.fcp }, 0)
	row("interactive cold", cold, func(v visit) time.Duration { return v.interactive }, budgetInteractiveCold)
	row("interactive warm", warm, func(v visit) time.Duration { return v.interactive }, budgetInteractiveWarm)

	fmt.Printf("  %s to Accept-Encoding: gzip, deflate, br, zstd: Content-Encoding %s, %d bytes, Content-Type %s\n",
		strings.TrimPrefix(wasmURL, base), orNone(served.encoding), served.size, served.contentType)
	fmt.Printf("      ETag %s, Cache-Control %s, Vary %s\n", orNone(served.etag), orNone(served.cacheControl), orNone(served.vary))
	for _, c := range []struct {
		name string
		v    visit
	}{{"cold", cold[len(cold)-1]}, {"warm", warm[len(warm)-1]}} {
		e := c.v.wasm
		if e == nil && c.v.controlled {
			fmt.Printf("  app.wasm as the browser got it (%s, last run): read from the service worker's cache by the page (no fetch, so no Resource Timing entry)\n", c.name)
			continue
		}
		if e == nil {
			fmt.Printf("  app.wasm as the browser got it (%s): no Resource Timing entry\n", c.name)
			continue
		}
		how := "from the network"
		switch {
		case e.FromWorker && e.TransferSize == 0:
			how = "through the service worker"
		case e.TransferSize == 0:
			how = "from a cache"
		}
		fmt.Printf("  app.wasm as the browser got it (%s, last run): transferSize %d, encodedBodySize %d, decodedBodySize %d (%s; page controlled by the service worker: %v)\n",
			c.name, e.TransferSize, e.EncodedBodySize, e.DecodedBodySize, how, c.v.controlled)
	}
	if last := cold[len(cold)-1]; last.pwa != nil {
		if len(last.pwa) == 0 {
			fmt.Println("  web manifest and service worker: no manifest errors; installable")
		} else {
			fmt.Printf("  web manifest and service worker: %s\n", strings.Join(last.pwa, "; "))
		}
	}
	if served.encoding != "br" {
		fmt.Println("  brotli: NOT SERVED (run precompress on bin/web/app.wasm: make wasm)")
		over++
	} else if served.size > budgetBrotliBytes {
		fmt.Printf("  brotli: %d bytes, OVER budget %d\n", served.size, budgetBrotliBytes)
		over++
	} else {
		fmt.Printf("  brotli: %d bytes, budget %d: ok\n", served.size, budgetBrotliBytes)
	}
	if strict && over > 0 {
		return overBudget{over}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// served is what the server answers for app.wasm to a browser-like
// Accept-Encoding.
type served struct {
	encoding, contentType, etag, cacheControl, vary string
	size                                            int64
}

func checkServed(u string) (served, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return served{}, err
	}
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	// No transparent decompression: we want the bytes on the wire.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return served{}, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return served{}, err
	}
	if res.StatusCode != http.StatusOK {
		return served{}, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	h := res.Header
	return served{encoding: h.Get("Content-Encoding"), contentType: h.Get("Content-Type"), etag: h.Get("ETag"),
		cacheControl: h.Get("Cache-Control"), vary: strings.Join(h.Values("Vary"), ", "), size: n}, nil
}

// oneRun starts a browser with a fresh profile, visits target cold, waits
// for the service worker's cache, then visits it warm in a new tab.
func oneRun(target, floorURL, headersFloorURL, chromium string, timeout time.Duration, signal *string) (cold, warm visit, product string, err error) {
	profile, err := os.MkdirTemp("", "pagebench-profile-")
	if err != nil {
		return visit{}, visit{}, "", err
	}
	defer removeProfile(profile)

	// Started exactly as the browser tests start it.
	opts := headless.Options(chromium, profile)
	ctx, cancel := context.WithTimeout(context.Background(), 3*timeout)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// Close the browser properly (Browser.close) before the profile goes.
	defer chromedp.Cancel(bctx)
	// Start the browser on its about:blank tab, which stays open: closing
	// it would end the browser.
	if err := chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, p, _, _, _, err := browser.GetVersion().Do(ctx)
		product = p
		return err
	})); err != nil {
		return visit{}, visit{}, "", fmt.Errorf("starting %s: %w", chromium, err)
	}

	if floorURL != "" {
		// A user's browser is already running, and has shown pages, when
		// they open the portal: show one, on another site (nothing of it
		// is shared with the portal's), and take its first paint as the
		// floor: the least any page needs in this browser on this machine.
		if cold.floor, err = fcpOnly(bctx, floorURL, timeout); err != nil {
			return visit{}, visit{}, "", fmt.Errorf("floor visit: %w", err)
		}
		// Then the same page with the portal's headers, after the same
		// pause as the cold visit gets.
		time.Sleep(settle)
		if cold.headersFloor, err = fcpOnly(bctx, headersFloorURL, timeout); err != nil {
			return visit{}, visit{}, "", fmt.Errorf("floor visit with the portal's headers: %w", err)
		}
	}
	// Nobody opens the portal within milliseconds of the last page: let
	// the browser settle as it would (it starts a spare renderer for the
	// next site in the background; without it, a visit waits ~250 ms on
	// this machine for a process to start).
	time.Sleep(settle)
	floors := cold
	cold, err = load(bctx, target, timeout, signal, true)
	cold.floor, cold.headersFloor = floors.floor, floors.headersFloor
	if err != nil {
		return visit{}, visit{}, "", fmt.Errorf("cold visit: %w", err)
	}
	warm, err = load(bctx, target, timeout, signal, false)
	if err != nil {
		return visit{}, visit{}, "", fmt.Errorf("warm visit: %w", err)
	}
	return cold, warm, strings.Replace(product, "/", " ", 1), nil
}

// removeProfile removes a profile folder once Chromium is done with it:
// its helper processes outlive the browser by a moment and may write a
// file after a first removal.
func removeProfile(dir string) {
	for range 30 {
		os.RemoveAll(dir)
		time.Sleep(100 * time.Millisecond)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return
		}
	}
	fmt.Fprintf(os.Stderr, "pagebench: could not remove %s\n", dir)
}

// fcpOnly loads u in a new tab and returns its first contentful paint.
func fcpOnly(bctx context.Context, u string, timeout time.Duration) (time.Duration, error) {
	tctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	tctx, cancelT := context.WithTimeout(tctx, timeout)
	defer cancelT()
	var fcp float64
	err := chromedp.Run(tctx, chromedp.Navigate(u), chromedp.Evaluate(`(async () => {
  for (;;) {
    const e = performance.getEntriesByName("first-contentful-paint")[0];
    if (e) return e.startTime;
    await new Promise((r) => setTimeout(r, 5));
  }
})()`, &fcp, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return ms(fcp), err
}

// load opens target in a new tab of the browser bctx and measures it.
// With waitWorker, it then waits for the service worker's cache before
// closing the tab.
func load(bctx context.Context, target string, timeout time.Duration, signal *string, waitWorker bool) (visit, error) {
	tctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	tctx, cancelT := context.WithTimeout(tctx, timeout)
	defer cancelT()

	var p probe
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	err := chromedp.Run(tctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(probeJS).Do(ctx)
			return err
		}),
		chromedp.Navigate(target),
		chromedp.Evaluate(fmt.Sprintf(waitJS, timeout.Milliseconds()-1000, *signal), &p, await),
	)
	if err != nil {
		return visit{}, err
	}
	if p.Error != "" {
		return visit{}, errors.New(p.Error)
	}
	if p.FCP == nil {
		return visit{}, errors.New("no first-contentful-paint entry")
	}
	if p.LoaderGone == nil {
		if !p.SawLoader {
			return visit{}, errors.New("#app-wasm-loader never seen: is this a go-app page?")
		}
		return visit{}, errors.New("the wasm never took over: #app-wasm-loader is still there")
	}
	if *signal == signalAuto {
		*signal = signalLoader
		if p.Ready != nil {
			*signal = signalReady
		}
	}
	interactive := *p.LoaderGone
	if *signal == signalReady {
		if p.Ready == nil {
			return visit{}, errors.New("main#main[data-ready] never appeared (it did in an earlier visit)")
		}
		interactive = max(interactive, *p.Ready)
	}
	v := visit{fcp: ms(*p.FCP), interactive: ms(interactive), controlled: p.Controlled, nav: p.Nav, resources: p.Resources}
	if len(p.Wasm) > 0 {
		v.wasm = &p.Wasm[len(p.Wasm)-1]
	}

	if waitWorker {
		var msg string
		wasm := "/web/app.wasm"
		if v.wasm != nil {
			wasm = v.wasm.Name
		}
		if err := chromedp.Run(tctx, chromedp.Evaluate(fmt.Sprintf(swReadyJS, timeout.Milliseconds()/2, wasm), &msg, await)); err != nil {
			return visit{}, err
		}
		if msg != "" {
			return visit{}, errors.New(msg)
		}
		// What Chromium makes of the web manifest, with the worker in
		// place: parse errors, and what stops it offering to install.
		err := chromedp.Run(tctx, chromedp.ActionFunc(func(ctx context.Context) error {
			_, merrs, _, _, err := page.GetAppManifest().Do(ctx)
			if err != nil {
				return err
			}
			v.pwa = []string{}
			for _, e := range merrs {
				v.pwa = append(v.pwa, "manifest: "+e.Message)
			}
			ierrs, err := page.GetInstallabilityErrors().Do(ctx)
			for _, e := range ierrs {
				v.pwa = append(v.pwa, "not installable: "+e.ErrorID)
			}
			return err
		}))
		if err != nil {
			return visit{}, fmt.Errorf("manifest: %w", err)
		}
	}
	return v, nil
}

// timeline is the visit's milestones in ms since the navigation started.
func (v visit) timeline() string {
	var b strings.Builder
	for _, k := range []string{"requestStart", "responseStart", "responseEnd", "cssEnd", "domInteractive", "domContentLoaded", "load", "touched", "wasmCompiled", "goMain"} {
		if f := v.nav[k]; f != nil {
			fmt.Fprintf(&b, "%s %.0f, ", k, *f)
		}
	}
	fmt.Fprintf(&b, "FCP %d, interactive %d (ms)", v.fcp.Milliseconds(), v.interactive.Milliseconds())
	if len(v.resources) > 0 {
		fmt.Fprintf(&b, "\n    resources (start-end ms): %s", strings.Join(v.resources, ", "))
	}
	return b.String()
}

// otherOrigin returns base's /healthz under the other name of loopback: a
// different origin and site, so nothing loaded there serves the portal.
func otherOrigin(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	switch u.Hostname() {
	case "127.0.0.1":
		u.Host = net.JoinHostPort("localhost", u.Port())
	case "localhost":
		u.Host = net.JoinHostPort("127.0.0.1", u.Port())
	default:
		return "", fmt.Errorf("-prime needs a -url on 127.0.0.1 or localhost, not %s (or -prime=false)", u.Host)
	}
	u.Path, u.RawQuery = "/", ""
	return u.String(), nil
}

// floorPage is the least a page can be: what the floor visit loads.
const floorPage = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Floor</title><p>Get back into your account</p>`

// floorServer serves floorPage on the prime URL's host (a site other than
// the portal's), on a port of its own, with the headers h besides its own,
// and returns its address. With no prime, it serves nothing.
func floorServer(prime string, h http.Header) (string, func(), error) {
	if prime == "" {
		return "", func() {}, nil
	}
	u, err := url.Parse(prime)
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		maps.Copy(w.Header(), h)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, floorPage)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	u.Host, u.Path = net.JoinHostPort(u.Hostname(), port), "/"
	return u.String(), func() { srv.Close() }, nil
}

// securityHeaders are the headers that decide how a browser isolates and
// guards a page, as the portal sends them with u.
func securityHeaders(u string) (http.Header, error) {
	res, err := (&http.Client{Timeout: 30 * time.Second}).Get(u)
	if err != nil {
		return nil, fmt.Errorf("reading the portal's headers: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	h := http.Header{}
	for _, k := range []string{"Content-Security-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy",
		"Cross-Origin-Resource-Policy", "Permissions-Policy", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if v := res.Header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	return h, nil
}

// loadAverage returns the 1-minute load average, or "" where there is no
// /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// median of ds (the lower middle one for an even count: no figure that
// was never measured).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
