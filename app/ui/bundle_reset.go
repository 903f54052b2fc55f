//go:build sspr_reset

package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// resetBundle is true in app.wasm, the reset wizard's bundle, which lacks
// the registration pages (bundle_reg.go).
const resetBundle = true

// registerRegistration sends every registration page to the browser: the
// page loads and app.js starts reg.wasm, which has it. Links to them are
// followed by the browser already (link); this catches a navigation the
// page makes itself.
func registerRegistration() {
	app.RouteWithRegexp("^"+PathRegister+"(/.*)?$", app.NewZeroComponentFactory(&elsewhere{}))
}

// elsewhere is a page of the other bundle: the browser loads it.
type elsewhere struct{ app.Compo }

// OnNav loads the page in place of the history entry go-app made for it.
func (e *elsewhere) OnNav(ctx app.Context) {
	if app.IsClient {
		app.Window().Get("location").Call("replace", ctx.Page().URL().String())
	}
}

// Render draws nothing: the page is being loaded.
func (e *elsewhere) Render() app.UI { return app.Div() }
