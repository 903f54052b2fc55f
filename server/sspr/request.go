package sspr

import "context"

type requestKey struct{}

// WithRequest returns ctx carrying the id of the HTTP request it serves,
// for the audit events and log lines made on its behalf.
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

// RequestOf is the id of the request ctx serves ("" for none).
func RequestOf(ctx context.Context) string {
	id, _ := ctx.Value(requestKey{}).(string)
	return id
}
