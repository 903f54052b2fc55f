// Package ui holds the portal's pages as go-app components. The same
// components run in the browser (compiled to app.wasm by app/cmd/wasm) and
// on the server, which prerenders each page's HTML so that it shows before
// the wasm has loaded.
//
// This package imports go-app and app/api only: never server/ packages,
// which would pull server code into the wasm bundle.
package ui

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// The paths of the pages.
const (
	PathStart    = "/"
	PathRegister = "/register"
)

// EnvDev is the go-app environment variable that is "1" in dev mode. The
// server's handler sets it (app.Handler.Env), and go-app passes it to the
// browser; components read it with app.Getenv.
const EnvDev = "SSPR_DEV"

var registerOnce sync.Once

// Register declares every page's route. Both binaries call it: the server,
// so that it prerenders the pages (its handler answers 404 for a path no
// route matches), and the wasm, so that it renders them. Calling it again
// does nothing.
func Register() {
	registerOnce.Do(func() {
		app.Route(PathStart, app.NewZeroComponentFactory(&StartPage{}))
		app.Route(PathRegister, app.NewZeroComponentFactory(&RegisterPage{}))
	})
}

// Dev reports whether the portal runs in dev mode.
func Dev() bool { return app.Getenv(EnvDev) == "1" }

// DevBanner warns, on every page, that this is a development server: demo
// accounts, and codes that anyone can read at /dev/outbox.
type DevBanner struct {
	app.Compo
}

// Render shows the banner in dev mode and nothing otherwise.
func (b *DevBanner) Render() app.UI {
	if !Dev() {
		return app.Div().Class("dev-banner").Hidden(true)
	}
	return app.Div().
		Class("dev-banner").
		Role("status").
		Body(
			app.Strong().Text("Development mode. "),
			app.Text("Demo accounts only; every code sent is shown in the "),
			app.A().Href(api.PathDevOutbox).Text("dev outbox"),
			app.Text(". Never use this server for real accounts."),
		)
}

// page lays out one page: the dev banner, then the content.
func page(content ...app.UI) app.UI {
	return app.Div().Class("page").Body(
		&DevBanner{},
		app.Main().ID("main").Body(content...),
	)
}
