package web

import (
	"encoding/json"
	"html"
	"strings"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/desk"
	"github.com/sspr-portal/sspr/app/i18n"
	"github.com/sspr-portal/sspr/server/locale"
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

// The offline page in each language offered (offlinePages), and the
// language of the last page the network answered, which the offline page
// is shown in: a worker can't read the page's cookie, but it sees the
// pages go by. Before any, the browser's languages choose.
const offlinePages = __OFFLINE_PAGES__;
const offlineDefault = "__OFFLINE_DEFAULT__";
let pageLang = "";

function offlinePage() {
  if (offlinePages[pageLang]) return offlinePages[pageLang];
  for (const l of self.navigator.languages || []) {
    const base = l.split("-")[0];
    for (const k of Object.keys(offlinePages)) {
      if (k === l || k === base || k.split("-")[0] === base) return offlinePages[k];
    }
  }
  return offlinePages[offlineDefault];
}

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
      const response = await fetch(request);
      const lang = response.headers.get("Content-Language");
      if (request.mode === "navigate" && lang && offlinePages[lang]) pageLang = lang;
      return response;
    } catch (err) {
      const cached = await caches.match(request);
      if (cached) return cached;
      if (request.mode === "navigate") {
        return new Response(offlinePage(), {status: 503,
          headers: {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}});
      }
      throw err;
    }
  })());
});
`

// workerJS is appWorkerJS with the offline page in each language loc
// offers.
func workerJS(loc *locale.Set) (string, error) {
	pages := map[string]string{}
	for _, lang := range loc.Offered() {
		pages[lang] = offlineHTML(loc.Pages(lang))
	}
	b, err := json.Marshal(pages) // escapes <, > and &: safe in a script
	if err != nil {
		return "", err
	}
	// go-app reads the worker as a template: no "{{" may come in with
	// the words.
	js := strings.ReplaceAll(string(b), "{{", `{\u007b`)
	r := strings.NewReplacer("__OFFLINE_PAGES__", js, "__OFFLINE_DEFAULT__", loc.Default())
	return r.Replace(appWorkerJS), nil
}

// offlineHTML is the offline page in c's language.
func offlineHTML(c *i18n.Catalog) string {
	var retry strings.Builder
	for _, p := range i18n.Parts(c.T("offline.retry")) {
		if p.Tag == 0 {
			retry.WriteString(`<a href="">` + html.EscapeString(p.Text) + `</a>`)
		} else {
			retry.WriteString(html.EscapeString(p.Text))
		}
	}
	title := html.EscapeString(c.T("offline.title"))
	return `<!doctype html>
<html lang="` + c.Lang() + `" dir="` + c.Dir() + `"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + title + `</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body><main id="main" data-offline="1">
<h1>` + title + `</h1>
<p>` + html.EscapeString(c.T("offline.needs")) + `</p>
<p>` + retry.String() + `</p>
</main></body></html>`
}
