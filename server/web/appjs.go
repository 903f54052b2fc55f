package web

import (
	"encoding/json"
	"strings"

	"github.com/sspr-portal/sspr/app/desk"
	"github.com/sspr-portal/sspr/app/ui"
)

// appJSTemplate replaces go-app's /app.js: it registers the service worker,
// gives the wasm side the globals go-app looks for (goappGetenv, and the
// update and install hooks it sets itself), and starts app.wasm. Unlike
// go-app's:
//
//   - it hands WebAssembly.instantiateStreaming a Response as the browser
//     made it. go-app copies the body through a ReadableStream to count
//     progress, and a Response made in the page has no URL, so Chromium
//     can't compile while downloading. Our loading bar shows no
//     percentage, so nothing is lost.
//   - a page the service worker controls reads app.wasm from the worker's
//     cache itself (caches.match) instead of asking the worker for it. The
//     8 MB then skip the trip through the worker's thread, which on the
//     2-core machine took 150-270 ms, against ~70 ms to read the cache in
//     the page: the warm visit became interactive ~100 ms sooner (median
//     ~480 ms against ~590, 6 runs each, interleaved). The address carries
//     the version, so the cache can only hold the right bytes; without a
//     match (no worker yet, or its cache evicted) it is fetched.
//
// The service worker is registered only once the wasm runs, when the page
// is idle. Its install downloads and stores the portal's files, app.wasm
// among them, and on a first visit that work competed with the page's own:
// interactive cold came ~200 ms sooner without it (medians 966 and
// 1,063 ms against 1,198 and 1,274, 7 runs each, interleaved).
//
// There is no <link rel=preload> for app.wasm: on a warm visit the preload
// goes through the worker, the slow way, and reads the 8 MB a second time;
// on a cold one it gained nothing measurable.
//
// The pages under desk.Prefix, the service desk's console, start desk.wasm,
// a bundle of their own, at once (staff need the wasm: the console has no
// pages without it); the registration pages (under /register) start
// reg.wasm, which has every page of app/ui; every other page starts
// app.wasm, the reset wizard alone, which people locked out load and which
// must stay smallest (docs/PERFORMANCE.md "Bundles").
//
// The student's pages carry no words of their own: app.js fetches the
// catalogue of the page's language (<html lang>, which the server set) at
// the same time as app.wasm, from the worker's cache when it has it, and
// hands it to the wasm as window.ssprCatalog (ui.LoadCatalog). Without it
// the wasm doesn't run: the prerendered page stays, and works.
//
// {{.Env}}, {{.Wasm}}, {{.Reg}}, {{.RegPath}}, {{.Desk}}, {{.DeskPath}},
// {{.Worker}} and {{.Catalogs}} (language -> address) are replaced with
// JSON values.
const appJSTemplate = `// sspr: start the service worker and app.wasm.
var goappNav = function () {};
var goappUpdatedBeforeWasmLoaded = false;
var goappOnUpdate = function () { goappUpdatedBeforeWasmLoaded = true; };
var goappAppInstallChangedBeforeWasmLoaded = false;
var goappOnAppInstallChange = function () { goappAppInstallChangedBeforeWasmLoaded = true; };

const goappEnv = {{.Env}};
function goappGetenv(k) { return goappEnv[k]; }

let goappServiceWorkerRegistration;

function goappTryUpdate() {
  if (goappServiceWorkerRegistration) goappServiceWorkerRegistration.update();
}

// registerWorker registers the service worker, which then caches the
// portal's files, app.wasm among them, for the next visit.
async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    const reg = await navigator.serviceWorker.register({{.Worker}});
    goappServiceWorkerRegistration = reg;
    reg.addEventListener("updatefound", () => {
      const sw = reg.installing;
      sw.addEventListener("statechange", () => {
        // A new version took over a page an older one controls.
        if (navigator.serviceWorker.controller && sw.state === "activated") goappOnUpdate();
      });
    });
  } catch (err) {
    console.error("service worker registration failed:", err);
  }
}

// A link marked data-native is followed by the browser, as a page load:
// the click stops here, in the capture phase on window, before go-app's
// handler (window.onclick), which would draw the page in place. The
// browser's default action is left alone.
addEventListener("click", (e) => {
  if (e.target.closest && e.target.closest("a[data-native]")) e.stopImmediatePropagation();
}, true);

// ssprPasskey is the wasm's way to passkeys (app/client: passkey): it
// runs navigator.credentials.create ("create") or .get ("get") with the
// options the portal gave, as JSON, and resolves to the credential as
// JSON. The browser's own parse and toJSON keep the wasm free of
// WebAuthn's binary plumbing.
async function ssprPasskey(kind, options) {
  const o = JSON.parse(options);
  if (kind === "create") {
    const c = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(o)});
    return JSON.stringify(c.toJSON());
  }
  const c = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(o)});
  return JSON.stringify(c.toJSON());
}

// registerWhenIdle registers the worker once the page has nothing better
// to do.
function registerWhenIdle() {
  if ("requestIdleCallback" in self) requestIdleCallback(registerWorker, {timeout: 2000});
  else setTimeout(registerWorker, 500);
}

// What was typed into the prerendered page, kept by ssprSnapshot just
// before the wasm replaces the page and put back by ssprRestore into the
// page it draws (app/ui: TakeOver, pageShown): text, the state of radios
// and checkboxes, the focus and the caret. Only what the person changed is
// kept, so nothing the page itself set is overwritten. The events are the
// ones typing sends, so that the page's own handlers see the values.
let ssprTyped = null;
function ssprSnapshot() {
  const fields = {};
  for (const el of document.querySelectorAll("input[id], select[id], textarea[id]")) {
    if (el.type === "hidden" || el.type === "submit" || el.type === "button") continue;
    if (el.type === "radio" || el.type === "checkbox") {
      if (el.checked !== el.defaultChecked) fields[el.id] = {checked: el.checked};
    } else if (el.value !== el.defaultValue) {
      fields[el.id] = {value: el.value};
    }
  }
  const captcha = document.querySelector("input[name=captcha-id]");
  const a = document.activeElement;
  let focus = null;
  if (a && a.id && a !== document.body) {
    focus = {id: a.id};
    try { focus.start = a.selectionStart; focus.end = a.selectionEnd; focus.dir = a.selectionDirection; } catch (e) {}
  }
  ssprTyped = {fields, focus, captcha: captcha ? captcha.value : ""};
}
function ssprRestore() {
  const t = ssprTyped;
  ssprTyped = null;
  if (!t) return;
  const captcha = document.querySelector("input[name=captcha-id]");
  for (const [id, v] of Object.entries(t.fields)) {
    // An answer to another picture than the one now shown is no answer.
    if (id === "captcha-answer" && (!captcha || captcha.value !== t.captcha)) continue;
    const el = document.getElementById(id);
    if (!el || el.disabled) continue;
    if ("checked" in v) {
      if (el.checked !== v.checked) {
        el.checked = v.checked;
        el.dispatchEvent(new Event("change", {bubbles: true}));
      }
    } else if (el.value !== v.value) {
      el.value = v.value;
      el.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }
  if (t.focus) {
    const el = document.getElementById(t.focus.id);
    if (el && !el.disabled) {
      el.focus({preventScroll: true});
      if (t.focus.start != null) {
        try { el.setSelectionRange(t.focus.start, t.focus.end, t.focus.dir); } catch (e) {}
      }
    }
  }
}

// untilNeeded resolves when the wasm should take the page over: at once
// when the page needs it (a form with no action, such as the registration
// pages') or when a service worker controls the page (a warm visit: the
// wasm is in its cache and takes the page over in a few hundred ms);
// otherwise when the person first does something with the page. Every
// form of the reset posts to the server without the wasm (docs/PAGES.md),
// so until then the page lacks nothing; the wasm's start-up, seconds of
// the main thread on a slow phone, then runs when it is of use instead of
// while the phone is still drawing the page (docs/PERFORMANCE.md). The
// download and compilation start at once all the same: they don't hold
// the main thread, and the wasm is ready when the person is.
//
// The run starts in a task of its own after the event, so that the key
// pressed lands in the prerendered page first and ssprSnapshot keeps it.
function untilNeeded() {
  const warm = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (warm || inDesk || document.querySelector("form:not([action])")) return Promise.resolve();
  const kinds = ["pointerdown", "keydown", "touchstart", "input", "wheel"];
  return new Promise((resolve) => {
    const now = () => {
      for (const k of kinds) removeEventListener(k, now, true);
      setTimeout(resolve, 0);
    };
    for (const k of kinds) addEventListener(k, now, {capture: true, passive: true});
  });
}

// wasmResponse is app.wasm (or a catalogue) from the service worker's
// cache when the worker controls this page and has it, else from the
// network.
async function wasmResponse(url) {
  if (navigator.serviceWorker && navigator.serviceWorker.controller && "caches" in self) {
    try {
      const cached = await caches.match(url);
      if (cached) return cached;
    } catch (err) {
      // Storage refused (a private window's policy, say): the network has it.
    }
  }
  return fetch(url);
}

// catalogText is the text of the page's language's catalogue (English on
// the console, whose words are in desk.wasm but whose dev banner is the
// students').
async function catalogText() {
  const url = {{.Catalogs}}[document.documentElement.lang];
  if (!url) throw new Error("no catalogue for " + document.documentElement.lang);
  const r = await wasmResponse(url);
  if (!r.ok) throw new Error("catalogue: " + r.status);
  return r.text();
}

// inDesk is true on the service desk's console, whose pages run desk.wasm;
// inReg on the registration pages, which run reg.wasm.
const inDesk = location.pathname === {{.DeskPath}} || location.pathname.startsWith({{.DeskPath}} + "/");
const inReg = location.pathname === {{.RegPath}} || location.pathname.startsWith({{.RegPath}} + "/");

(async () => {
  const loader = document.getElementById("app-wasm-loader");
  // A help page is text the server draws, and the wasm doesn't have it:
  // the wasm doesn't start there (app/ui/help.go).
  if (!("WebAssembly" in window) || new URLSearchParams(location.search).get("wasm") === "false" ||
      document.getElementById("static-page")) {
    if (loader) loader.remove();
    registerWhenIdle();
    return; // the prerendered page stays, as it is
  }
  try {
    const go = new Go();
    const response = wasmResponse(inDesk ? {{.Desk}} : inReg ? {{.Reg}} : {{.Wasm}});
    const catalog = catalogText();
    catalog.catch(() => {}); // awaited below, after the wasm: no "unhandled" warning meanwhile
    const compiled = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(response, go.importObject)
      : response.then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, go.importObject));
    // For the page benchmark; a failure is reported below, once awaited.
    compiled.then(() => performance.mark("sspr:wasm-compiled"), () => {});
    await untilNeeded();
    document.documentElement.classList.add("sspr-loading"); // shows the loader
    const result = await compiled;
    window.ssprCatalog = await catalog;
    go.run(result.instance);
    if (loader) loader.remove();
  } catch (err) {
    // The prerendered page works without the wasm: it stays, as it is.
    console.error("loading app.wasm failed:", err);
    if (loader) loader.remove();
  }
  registerWhenIdle();
})();
`

// appJSFiles are the addresses app.js loads: the three bundles, the
// service worker, and each language's catalogue.
type appJSFiles struct {
	Wasm, Reg, Desk, Worker string
	Catalogs                map[string]string
}

// makeAppJS fills appJSTemplate. env is what go-app's own app.js would
// hold: the handler's Env and the GOAPP_ keys go-app's wasm side reads.
func makeAppJS(env map[string]string, f appJSFiles) []byte {
	js := func(v any) string {
		b, _ := json.Marshal(v) // strings and a map of strings: can't fail
		return string(b)
	}
	return []byte(strings.NewReplacer("{{.Env}}", js(env), "{{.Wasm}}", js(f.Wasm), "{{.Reg}}", js(f.Reg),
		"{{.RegPath}}", js(ui.PathRegister), "{{.Desk}}", js(f.Desk), "{{.DeskPath}}", js(desk.Prefix),
		"{{.Worker}}", js(f.Worker), "{{.Catalogs}}", js(f.Catalogs)).Replace(appJSTemplate))
}
