package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// importInitial imports an account into the portal's embedded directory
// with an initial password, as `sspr accounts import` does: it must be
// changed at the next sign-in.
func (e *env) importInitial(t *testing.T, user, password string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, e.cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := sqlite.NewDirectory(db, secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0), 0)
	rd, err := importer.NewAccountReader(strings.NewReader("id,name,mail,initial_password\n"+user+",New Person,"+user+"@example.edu,"+password+"\n"),
		importer.CSV, importer.Rules{DefaultDomain: "example.edu"})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := importer.Run(ctx, rd, importer.Options[importer.Account]{Sink: d.ImportAccounts, Seen: importer.MemorySeen{}})
	if err != nil || sum.New+sum.Updated != 1 {
		t.Fatalf("import: %+v, %v", sum, err)
	}
}

// TestMustChangeOverHTTP: an account imported with an initial password
// signs in and is told must_change (at the sign-in and by GET
// /api/v1/session); every registration call is refused 403
// password_change_required; POST /api/v1/session/password takes the
// change, and signed in again with the new password, the account
// registers as anyone does.
func TestMustChangeOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.importInitial(t, "frank", "Franks-Initial-Password-1")
	c := e.client(t)
	var sr api.SessionResponse
	if err := json.Unmarshal(c.ok(http.StatusCreated, c.signIn("frank", "Franks-Initial-Password-1")).body, &sr); err != nil || !sr.Session.MustChange {
		t.Fatalf("sign in: %+v, %v", sr, err)
	}
	r := c.ok(http.StatusOK, c.call("GET", api.PathSession, nil))
	if !strings.Contains(string(r.body), `"must_change":true`) {
		t.Fatalf("session: %s", r.body)
	}
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"GET", api.PathRegistration, nil},
		{"POST", api.PathRegEmail, api.EmailRequest{Email: "frank.alt@example.net"}},
		{"POST", api.PathRegSMS, api.PhoneRequest{Phone: "07700 900321"}},
		{"POST", api.PathRegEmailConfirm, api.CodeRequest{Code: "12345678"}},
		{"PUT", api.PathRegQuestions, api.QuestionsRequest{}},
		{"DELETE", api.PathRegistration + "/email", nil},
	} {
		ae := c.wantError(c.call(call.method, call.path, call.body), http.StatusForbidden, api.CodePasswordChangeRequired)
		if !strings.Contains(ae.Message, "new password") {
			t.Errorf("%s %s: message %q", call.method, call.path, ae.Message)
		}
	}
	c.ok(http.StatusNoContent, c.call("POST", api.PathSessionPassword,
		api.ChangePasswordRequest{Current: "Franks-Initial-Password-1", New: "Tulip-Meadow-Lantern-42"}))
	c.wantError(c.call("GET", api.PathSession, nil), http.StatusUnauthorized, api.CodeUnauthenticated)

	r = c.ok(http.StatusCreated, c.signIn("frank", "Tulip-Meadow-Lantern-42"))
	if strings.Contains(string(r.body), "must_change") {
		t.Fatalf("sign in after the change: %s", r.body)
	}
	c.ok(http.StatusOK, c.call("GET", api.PathRegistration, nil))
	c.ok(http.StatusOK, c.call("POST", api.PathRegEmail, api.EmailRequest{Email: "frank.alt@example.net"}))
	// The initial password is gone.
	if e.checkPassword(t, "frank@example.edu", "Franks-Initial-Password-1") {
		t.Fatal("the initial password still works")
	}
	e.noSecretsLogged(t, "Franks-Initial-Password-1", "Tulip-Meadow-Lantern-42")
}
