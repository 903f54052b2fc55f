package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
)

// The tests of this package drive the handler alone: with a hand-wired
// engine (rig_test.go) or with none (network_test.go, decode_test.go).
// The tests of the whole portal, built from its configuration on real
// backends, are in server/portal.

// devAnswer solves every CAPTCHA of the rig.
const devAnswer = "424242"

// response is what the handler answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// flow is the flow the response carries.
func (r response) flow(t *testing.T) api.Flow {
	t.Helper()
	var fr api.FlowResponse
	if err := json.Unmarshal(r.body, &fr); err != nil || fr.Flow.State == "" {
		t.Fatalf("not a flow (status %d): %s", r.status, r.body)
	}
	return fr.Flow
}

// err is the error the response carries.
func (r response) err(t *testing.T) *api.Error {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error == nil {
		t.Fatalf("not an error (status %d): %s", r.status, r.body)
	}
	return eb.Error
}
