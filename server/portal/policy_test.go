package portal_test

import (
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// TestPolicyByGroupOverHTTP: [[policy]] for the service desk's group
// (the embedded directory's demo staff) needs an authenticator app; the
// helpdesk account, with an alternate address and a mobile, passes both
// and is still asked for a strong method, and the flow says it can't
// finish without one.
func TestPolicyByGroupOverHTTP(t *testing.T) {
	e := newEnv(t, offerTOTP, func(c *config.Config) {
		c.Policies = []config.Policy{{Name: "Service desk", Group: sqlite.DevServiceDeskGroup,
			Methods: []string{config.MethodEmail, config.MethodSMS, config.MethodTOTP}, StrongRequired: 1}}
	})
	c := e.client(t)
	f := c.startWith("helpdesk", api.IntentReset)
	if f.Strong != 1 || f.CanFinish() {
		t.Fatalf("helpdesk's flow: %+v", f)
	}
	c.passEmail("helpdesk.alt@example.net")
	if f = c.passSMS("07700 900321", "+447700900321"); f.State != api.StateVerify || !f.StrongShort() {
		t.Fatalf("email and a text were enough under the policy: %+v", f)
	}
	// Alice, in no group, is through with the same two.
	a := e.client(t)
	a.startWith("alice", api.IntentReset)
	a.passEmail("alice.alt@example.net")
	if f := a.passSMS("07700 900123", "+447700900123"); f.State != api.StateNewPassword {
		t.Fatalf("alice: %s", f.State)
	}
}
