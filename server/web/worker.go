package web

import (
	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/desk"
)

// appWorkerJS replaces go-app's service worker (app.Handler's
// ServiceWorkerTemplate; {{.Version}} and {{.ResourcesToCache}} are filled
// by go-app). Unlike go-app's:
//
//   - install and activate hold the worker back (event.waitUntil) until the
//     cache is filled and old caches are gone: go-app's returns at once, so
//     the new worker takes over with an empty cache, and one failed
//     download leaves it active with no cache at all.
//   - it never touches /api/, /dev/, the service desk's console (/desk) or
//     anything but GET: the browser sends those itself, so no API answer
//     and no page of the console can ever come from a cache, and a failed
//     call fails in the page, which says that it needs a connection.
//   - a page that is not cached and can't be fetched (offline, or the
//     portal unreachable) gets a small page saying so, instead of the
//     browser's error page.
//   - pages are asked of the network first, and the cache serves them only
//     when the network can't: a page is drawn for each visit (the start
//     page carries a CAPTCHA of its own, the others the flow as it is).
//     The start page's offline copy is asked for without a CAPTCHA
//     (api.OfflineCopyHeader), so that offline the page asks for one, and says
//     that it needs a connection.
const appWorkerJS = `// sspr service worker, version {{.Version}}
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};

const offlinePage = ` + "`" + `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>You're offline</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body><main id="main" data-offline="1">
<h1>You're offline</h1>
<p>Resetting your password needs an internet connection.</p>
<p>Connect, then <a href="">try again</a>.</p>
</main></body></html>` + "`" + `;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    await cache.addAll(resourcesToCache.map((u) => new Request(u, {cache: "no-cache",
      headers: u === "/" ? {"` + api.OfflineCopyHeader + `": "1"} : {}})));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== cacheName) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.startsWith("/api/") || url.pathname.startsWith("/dev/") ||
      url.pathname === "` + desk.Prefix + `" || url.pathname.startsWith("` + desk.Prefix + `/")) {
    return; // the browser fetches it, never from our cache
  }
  event.respondWith((async () => {
    if (request.mode !== "navigate") {
      const cached = await caches.match(request);
      if (cached) return cached;
    }
    try {
      return await fetch(request);
    } catch (err) {
      const cached = await caches.match(request);
      if (cached) return cached;
      if (request.mode === "navigate") {
        return new Response(offlinePage, {status: 503,
          headers: {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}});
      }
      throw err;
    }
  })());
});
`
