// Command wasm is the portal's browser side, built with GOOS=js
// GOARCH=wasm into app.wasm. It declares the same routes as the server
// and hands the page to go-app. It imports nothing from server/: every
// package here ends up in the bundle the user downloads.
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/ui"
)

func main() {
	// When Go's own start-up is over: the page benchmark's "goMain".
	app.Window().Get("performance").Call("mark", "sspr:main")
	ui.Register()
	// The words of the page's language, which app.js fetched.
	ui.LoadCatalog()
	// The page the server prerendered, and what was typed into it, just
	// before go-app replaces it: nothing runs in between.
	ui.TakeOver()
	app.RunWhenOnBrowser()
}
