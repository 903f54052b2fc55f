package portal_test

import (
	"context"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestDemoStaff: the dev server's demo staff are staff, in their roles,
// through the configuration's defaults, the embedded directory's groups
// and their seeded methods; a demo student is not.
func TestDemoStaff(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ctx := context.Background()
	eng := e.portal.Engine
	client := sspr.Client{Addr: "127.0.0.1"}
	for _, tt := range []struct {
		user, password, alt string
		role                api.StaffRole
	}{
		{"helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net", api.RoleServiceDesk},
		{"auditor", "Auditor-Old-Password-1", "auditor.alt@example.net", api.RoleAuditor},
	} {
		id, s, err := eng.StaffSignIn(ctx, tt.user, tt.password, client)
		if err != nil || s.Role != tt.role {
			t.Fatalf("%s: %+v %v", tt.user, s, err)
		}
		n := len(c.outbox())
		if _, err := eng.StaffSendCode(ctx, id, api.KindEmail, client); err != nil {
			t.Fatal(err)
		}
		code, _ := c.waitCode(tt.alt, n)
		id, s, err = eng.StaffVerify(ctx, id, api.KindEmail, code, client)
		if err != nil || !s.Verified {
			t.Fatalf("%s verify: %+v %v", tt.user, s, err)
		}
		if got, err := eng.Staff(ctx, id); err != nil || got.Role != tt.role {
			t.Fatalf("%s: %+v %v", tt.user, got, err)
		}
	}
	if _, _, err := eng.StaffSignIn(ctx, "alice", "Alice-Old-Password-1", client); sspr.CodeOf(err) != sspr.CodeUnauthenticated {
		t.Fatalf("alice, not staff: %v", err)
	}
}
