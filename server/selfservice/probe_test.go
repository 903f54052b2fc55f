package selfservice_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestStartProbe: the probe's token starts the canary's flow without a
// CAPTCHA, and nothing else: not another account's, not with another
// token, not when no probe is configured; refusals are audited and, past
// the limit, throttled.
func TestStartProbe(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	sum := sha256.Sum256([]byte(token))
	withProbe := func(c *selfservice.Config) {
		c.ProbeAccount, c.ProbeTokenHash = alice, sum[:]
		c.ProbeRefusals = selfservice.Limit{Max: 3, Window: time.Hour}
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name        string
		tweak       func(*selfservice.Config)
		user, token string
		want        sspr.Code
	}{
		{"TheCanary", withProbe, "alice", token, ""},
		{"AnotherAccount", withProbe, "bob", token, sspr.CodeForbidden},
		{"WrongToken", withProbe, "alice", token[:31] + "x", sspr.CodeForbidden},
		{"NoToken", withProbe, "alice", "", sspr.CodeForbidden},
		{"NoProbeConfigured", func(*selfservice.Config) {}, "alice", token, sspr.CodeForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.tweak)
			f, err := h.e.StartProbe(ctx, tt.user, tt.token, client)
			if got := code(err); got != tt.want {
				t.Fatalf("error %v, want code %q", err, tt.want)
			}
			if tt.want == "" && f.ID == "" {
				t.Fatal("no flow")
			}
		})
	}

	h := newHarness(t, withProbe)
	for range 3 {
		h.e.StartProbe(ctx, "alice", "wrong", client)
	}
	if _, err := h.e.StartProbe(ctx, "alice", "wrong", client); code(err) != sspr.CodeThrottled {
		t.Fatalf("the 4th refused probe from one address: %v, want throttled", err)
	}
}
