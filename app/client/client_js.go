//go:build js && wasm

package client

import (
	"syscall/js"
	"time"
)

// timeout bounds every call, so that a request lost on a bad network ends
// with a message instead of a page that waits for ever.
const timeout = 30 * time.Second

// transport sends r with the browser's fetch. Same origin, so the session
// cookie goes along; nothing cached, nothing followed.
func transport(r Request) (Response, error) {
	headers := map[string]any{"Accept": "application/json"}
	if r.Method != get {
		headers["Content-Type"] = "application/json"
	}
	opts := map[string]any{
		"method":      r.Method,
		"headers":     headers,
		"credentials": "same-origin",
		"cache":       "no-store",
		"redirect":    "error",
	}
	if r.Body != nil {
		opts["body"] = string(r.Body)
	}
	if as := js.Global().Get("AbortSignal"); as.Truthy() && as.Get("timeout").Truthy() {
		opts["signal"] = as.Call("timeout", int(timeout/time.Millisecond))
	}
	res, err := await(js.Global().Call("fetch", r.Path, opts))
	if err != nil {
		return Response{}, err
	}
	text, err := await(res.Call("text"))
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: res.Get("status").Int(), Body: []byte(text.String())}
	if d := res.Get("headers").Call("get", "Date"); d.Type() == js.TypeString {
		if t, err := time.Parse(time.RFC1123, d.String()); err == nil {
			out.Date = t
		}
	}
	return out, nil
}

// await waits for a promise. It must run off the UI goroutine: the
// callbacks only hand the result over a channel and never block.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v  js.Value
		ok bool
	}
	ch := make(chan result, 1)
	first := func(args []js.Value) js.Value {
		if len(args) == 0 {
			return js.Undefined()
		}
		return args[0]
	}
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{first(args), true}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{first(args), false}
		return nil
	})
	p.Call("then", then, catch)
	r := <-ch
	then.Release()
	catch.Release()
	if r.ok {
		return r.v, nil
	}
	// fetch rejects with a TypeError when the network fails, and with a
	// TimeoutError when AbortSignal.timeout fires.
	if r.v.Type() == js.TypeObject && r.v.Get("name").String() == "TimeoutError" {
		return r.v, ErrTimeout
	}
	return r.v, ErrOffline
}

// passkey runs navigator.credentials.create ("create") or .get ("get")
// with options, through app.js's ssprPasskey, and returns the credential
// as JSON. The person's refusal (or the browser's: no passkey here) is
// ErrPasskey.
func passkey(kind, options string) (string, error) {
	v, err := await(js.Global().Call("ssprPasskey", kind, options))
	if err != nil {
		return "", ErrPasskey
	}
	return v.String(), nil
}
