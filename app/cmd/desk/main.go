// Command desk is the service desk's console, built with GOOS=js
// GOARCH=wasm into desk.wasm: a bundle of its own, loaded only by the
// pages under /desk, so that the student's app.wasm never carries the
// console (docs/PAGES.md#the-service-desks-console). Like app/cmd/wasm, it
// imports nothing from server/.
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/desk"
	"github.com/sspr-portal/sspr/app/ui"
)

func main() {
	desk.Register()
	// The words of the components it shares with the students' pages
	// (the dev banner), which app.js fetched.
	ui.LoadCatalog()
	app.RunWhenOnBrowser()
}
