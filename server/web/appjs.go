package web

import (
	"encoding/json"
	"strings"
)

// appJSTemplate replaces go-app's /app.js: it registers the service worker,
// gives the wasm side the globals go-app looks for (goappGetenv, and the
// update and install hooks it sets itself), and starts app.wasm. Unlike
// go-app's, it hands the fetch's own Response to
// WebAssembly.instantiateStreaming. go-app copies the body through a
// ReadableStream to count progress, and a Response made in the page has no
// URL, so Chromium can neither compile while downloading from the original
// nor keep the compiled code for the next visit: that alone cost each warm
// visit ~150 ms of compiling 8 MB on this machine's kind. Our loading bar
// shows no percentage, so nothing is lost.
//
// {{.Env}}, {{.Wasm}} and {{.Worker}} are replaced with JSON values.
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

(async () => {
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
})();

(async () => {
  const loader = document.getElementById("app-wasm-loader");
  if (!("WebAssembly" in window) || new URLSearchParams(location.search).get("wasm") === "false") {
    if (loader) loader.remove();
    return; // the prerendered page stays, as it is
  }
  try {
    const go = new Go();
    const response = fetch({{.Wasm}});
    let result;
    if (WebAssembly.instantiateStreaming) {
      result = await WebAssembly.instantiateStreaming(response, go.importObject);
    } else {
      result = await WebAssembly.instantiate(await (await response).arrayBuffer(), go.importObject);
    }
    performance.mark("sspr:wasm-compiled"); // for the page benchmark
    go.run(result.instance);
    if (loader) loader.remove();
  } catch (err) {
    console.error("loading app.wasm failed:", err);
    const label = document.getElementById("app-wasm-loader-label");
    if (label) label.innerText = String(err);
  }
})();
`

// makeAppJS fills appJSTemplate. env is what go-app's own app.js would
// hold: the handler's Env and the GOAPP_ keys go-app's wasm side reads.
func makeAppJS(env map[string]string, wasm, worker string) []byte {
	js := func(v any) string {
		b, _ := json.Marshal(v) // strings and a map of strings: can't fail
		return string(b)
	}
	return []byte(strings.NewReplacer("{{.Env}}", js(env), "{{.Wasm}}", js(wasm), "{{.Worker}}", js(worker)).Replace(appJSTemplate))
}
