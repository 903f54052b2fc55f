//go:build !(js && wasm)

package client

// transport has no browser to send with: the server only prerenders pages,
// and the pages call the API only once mounted in a browser.
func transport(Request) (Response, error) { return Response{}, ErrNoBrowser }

// passkey needs a browser.
func passkey(string, string) (string, error) { return "", ErrNoBrowser }
