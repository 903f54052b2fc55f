//go:build wasm

package ui

// registerHelp declares nothing in the wasm: the help pages are the
// server's alone (help.go).
func registerHelp() {}
