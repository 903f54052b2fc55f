package e2e_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// cachedWasmJS is the path of the app.wasm the service worker's cache
// holds, or "" while it holds none.
const cachedWasmJS = `(async () => {
	for (const name of await caches.keys()) {
		const cache = await caches.open(name);
		for (const req of await cache.keys()) {
			const p = new URL(req.url).pathname;
			if (p.endsWith("/web/app.wasm")) return p;
		}
	}
	return "";
})()`

// TestInstalledAndOffline: after the first visit the service worker holds
// the portal. The next visit reads app.wasm from its cache and asks the
// server for none of it. With the server gone, the start page still opens,
// runs, and says that resetting needs a connection, and a page never
// cached gets the worker's offline page instead of the browser's error.
func TestInstalledAndOffline(t *testing.T) {
	t.Parallel()
	e := newPortal(t)
	b := e.newBrowser(t)
	b.open("/")
	b.waitJS("the service worker to control the page", `navigator.serviceWorker.controller`)

	var wasm string
	for deadline := time.Now().Add(waitTimeout); wasm == ""; time.Sleep(pollEvery) {
		b.await(cachedWasmJS, &wasm)
		if wasm == "" && time.Now().After(deadline) {
			b.fatalf("the service worker never cached app.wasm")
		}
	}
	before := e.servedCount(wasm)
	if before == 0 {
		t.Errorf("%s never reached the server, yet the worker has it", wasm)
	}

	b.reload()
	if n := e.servedCount(wasm) - before; n != 0 {
		t.Errorf("the warm visit asked the server for %s %d times; want none (the worker's cache has it)", wasm, n)
	}
	// Read from the cache by the page itself: a fetch, even one the worker
	// answers, would leave a Resource Timing entry (see server/web's
	// appJSTemplate for why that way is slower).
	var fetched int
	b.eval(`performance.getEntriesByType("resource").filter((r) => r.name.endsWith("/web/app.wasm")).length`, &fetched)
	if fetched != 0 {
		t.Errorf("the warm visit fetched app.wasm %d times; want it read from the worker's cache in the page", fetched)
	}
	b.shot("warm")

	e.stop()
	b.open("/")
	b.waitText("#error-summary", "Resetting your password needs an internet connection")
	b.shot("offline-start")

	b.run("opening a page never cached", chromedp.Navigate(e.url+"/help/contact"))
	b.waitJS("the worker's offline page", `document.querySelector("main[data-offline]")`)
	b.waitText("main", "Resetting your password needs an internet connection")
	b.shot("offline-page")
}
