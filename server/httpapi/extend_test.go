package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
)

// TestExtend: the pages' "Continue" calls. A flow's gives it more time and
// sets its cookie again, so that the cookie's clock restarts with it; a
// CAPTCHA's keeps the same picture; neither works for what is gone.
func TestExtend(t *testing.T) {
	r := newRig(t, rigConfig{})
	c := r.from("192.0.2.10:1234")

	c.want(http.StatusNotFound, c.do("POST", api.PathFlowExtend, nil))
	f := c.startWith("alice", api.IntentReset)
	resp := c.want(http.StatusOK, c.do("POST", api.PathFlowExtend, nil))
	got := resp.flow(t)
	if got.State != f.State || got.EndsBy.IsZero() || got.ExpiresAt.Before(f.ExpiresAt) || got.ExpiresAt.After(got.EndsBy) {
		t.Errorf("extended flow %+v, was %+v", got, f)
	}
	if len(resp.header.Values("Set-Cookie")) == 0 {
		t.Error("extending the flow didn't set its cookie again")
	}
	c.want(http.StatusBadRequest, c.do("POST", api.PathFlowExtend, map[string]string{"x": "y"}))

	id := c.captcha()
	var ct api.CaptchaTime
	if err := json.Unmarshal(c.want(http.StatusOK, c.do("POST", api.PathCaptchaExtend, api.CaptchaExtendRequest{ID: id})).body, &ct); err != nil ||
		ct.ExpiresAt.IsZero() || ct.EndsBy.Before(ct.ExpiresAt) {
		t.Errorf("extended captcha: %+v %v", ct, err)
	}
	// The same picture still answers: the flow starts with it.
	start := api.StartRequest{User: "bob", Captcha: api.CaptchaRef{ID: id, Answer: devAnswer}}
	c.want(http.StatusCreated, c.do("POST", api.PathFlows, start))
	// Used: gone, as an unknown one.
	for _, id := range []string{id, "nope"} {
		if e := c.want(http.StatusNotFound, c.do("POST", api.PathCaptchaExtend, api.CaptchaExtendRequest{ID: id})).err(t); e.Code != api.CodeNotFound {
			t.Errorf("extending %q: %+v", id, e)
		}
	}
}
