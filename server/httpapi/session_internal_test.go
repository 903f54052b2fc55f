package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"
)

// TestCookiesAcrossARotation: a cookie made under the old keys is read by
// a server that uses new keys and still accepts the old ones (a key
// rotation, server/keys), and by no other; what that server makes, the
// old keys don't read.
func TestCookiesAcrossARotation(t *testing.T) {
	oldAuth, oldEnc := bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 32)
	newAuth, newEnc := bytes.Repeat([]byte{3}, 64), bytes.Repeat([]byte{4}, 32)
	before := newCookieStore(oldAuth, oldEnc, nil, time.Hour)
	during := newCookieStore(newAuth, newEnc, [][]byte{oldAuth, oldEnc}, time.Hour)
	after := newCookieStore(newAuth, newEnc, nil, time.Hour)

	made := func(store *sessions.CookieStore) *http.Cookie {
		t.Helper()
		r := httptest.NewRequest("GET", "/", nil)
		w := httptest.NewRecorder()
		sess, _ := store.New(r, "sspr_flow")
		sess.Values[flowIDKey] = "flow-1"
		if err := sess.Save(r, w); err != nil {
			t.Fatal(err)
		}
		return w.Result().Cookies()[0]
	}
	reads := func(store *sessions.CookieStore, c *http.Cookie) bool {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(c)
		sess, err := store.Get(r, "sspr_flow")
		return err == nil && sess.Values[flowIDKey] == "flow-1"
	}
	old := made(before)
	if !reads(during, old) {
		t.Error("during the rotation, a cookie made under the old keys isn't read")
	}
	if reads(after, old) {
		t.Error("after the rotation, a cookie made under the old keys is still read")
	}
	fresh := made(during)
	if !reads(after, fresh) || reads(before, fresh) {
		t.Error("during the rotation, cookies must be made under the new keys")
	}
}
