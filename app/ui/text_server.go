//go:build !wasm

package ui

import (
	"sync"

	"github.com/sspr-portal/sspr/app/i18n"
)

// prerender is held while the server prerenders a page: the page's words
// are one package variable (text.go), which is what a browser, with one
// language per page load, needs, and which costs app.wasm nothing. A
// prerender takes well under a millisecond, so pages drawn one after
// another are no queue a person would notice.
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
