package ui

import (
	"encoding/base64"
	"encoding/json"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// Pages without the wasm, and the wasm taking them over.
//
// The server prerenders every wizard page with what it knows (api.Page:
// the flow, the CAPTCHA, the refusal of the form just posted), and each
// form posts to the server, so the reset works as plain HTML before the
// wasm has arrived, or if it never does. The page state reaches a
// component in two ways:
//
//   - on the server, while go-app prerenders: the server keeps it under a
//     random token (SetPage), and the address go-app renders, never the
//     browser's, carries the token (PageParam). An address someone else
//     made can't name a state: tokens are random, used once, and the
//     server drops them from every request it is sent.
//   - in the browser, from div#page-state in the prerendered page, which
//     app/cmd/wasm reads with TakeOver just before go-app replaces the page.
//     The page then starts from it without asking the server, and what the
//     person typed meanwhile is put back (app.js: ssprSnapshot and
//     ssprRestore), caret and focus included.

// PageParam is the query parameter of the address go-app prerenders that
// names the page's state.
const PageParam = "_page"

var serverPages sync.Map // token -> api.Page, while the server prerenders

// SetPage keeps p for the prerender of an address carrying token. The
// server's page handler calls it, then DropPage once the page is written.
func SetPage(token string, p api.Page) { serverPages.Store(token, p) }

// DropPage forgets the state kept under token.
func DropPage(token string) { serverPages.Delete(token) }

// takenOver is the prerendered page's state in the browser, until the page
// it is for has taken it.
var takenOver *api.Page

// TakeOver reads the state of the prerendered page and what was typed into
// it. The wasm's main calls it just before go-app replaces the page: both
// happen in one go, with no event handled between them.
func TakeOver() {
	if app.IsServer {
		return
	}
	w := app.Window()
	if w.Get("ssprSnapshot").Truthy() {
		w.Call("ssprSnapshot")
	}
	el := w.GetElementByID("page-state")
	if !el.Truthy() {
		return
	}
	var p api.Page
	b, err := base64.RawURLEncoding.DecodeString(el.Call("getAttribute", "data-page").String())
	if err == nil && json.Unmarshal(b, &p) == nil {
		takenOver = &p
	}
}

// serverPage returns the state the server gave the page at path, while it
// prerenders the page (OnPreRender).
func serverPage(ctx app.Context, path string) (api.Page, bool) {
	if !app.IsServer {
		return api.Page{}, false
	}
	if v, ok := serverPages.Load(ctx.Page().URL().Query().Get(PageParam)); ok {
		p := v.(api.Page)
		return p, p.Path == path
	}
	return api.Page{}, false
}

// takenPage returns, once, the state of the prerendered page the wasm took
// over, if it was the page at path (OnInit, in the browser: before the
// page is first drawn, so that it is drawn whole at once). After that the
// page asks the server itself.
func takenPage(path string) (api.Page, bool) {
	if p := takenOver; p != nil && p.Path == path && app.IsClient {
		takenOver = nil
		return *p, true
	}
	return api.Page{}, false
}

// restoreTyped puts back what was typed into the prerendered page, once the
// page the wasm drew has its fields. Browser only.
func restoreTyped() {
	if w := app.Window(); w.Get("ssprRestore").Truthy() {
		w.Call("ssprRestore")
	}
}

// stateHolder carries the page's state in the prerendered page, for the
// wasm to take over from; nothing in the browser's own pages. The JSON is
// in base64: go-app writes attribute values with Go's quoting, not HTML's,
// so a value must never hold a quote.
func stateHolder(p *api.Page) app.UI {
	if !app.IsServer || p == nil {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	return app.Div().ID("page-state").Hidden(true).Attr("data-page", base64.RawURLEncoding.EncodeToString(b))
}

// postForm is a form that posts to action when there is no wasm, and that
// the page sends itself, by onSubmit, when there is.
func postForm(id, action string, onSubmit app.EventHandler, body ...app.UI) app.UI {
	return app.Form().ID(id).Method("post").Action(action).NoValidate(true).OnSubmit(onSubmit).Body(body...)
}

// hidden is a hidden field of a form.
func hidden(name, value string) app.UI {
	return app.Input().Type("hidden").Name(name).Value(value)
}
