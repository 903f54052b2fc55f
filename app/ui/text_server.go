//go:build !wasm

package ui

import (
	"sync"

	"github.com/sspr-portal/sspr/app/i18n"
)

// prerender is held while the server prerenders a page: the page's words
// are one package variable (text.go), which is what a browser, with one
// language per page load, needs, and which costs app.wasm nothing. A
// whole GET of the start page takes ~1 ms on the 2-core test machine, so
// one server draws ~1,000 pages a second one after another: far more than
// people open pages (the API, where the load is, takes no lock). If that
// ever binds, the words can travel with each component instead.
var prerender sync.Mutex

// InLanguage runs draw, the server's prerender of a page, with the words
// of c. Server only.
func InLanguage(c *i18n.Catalog, draw func()) {
	prerender.Lock()
	defer prerender.Unlock()
	old := words
	words = c
	defer func() { words = old }()
	draw()
}
