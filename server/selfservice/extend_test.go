package selfservice_test

import (
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// A flow's "Continue" (Extend) gives it Lifetime more from now, never past
// its absolute end; after that, it expires as any other.
func TestExtend(t *testing.T) {
	h := newHarness(t)
	start := h.clock.Now()
	f := h.start(t, alice, api.IntentReset)
	if !f.ExpiresAt.Equal(start.Add(h.cfg.Lifetime)) || !f.EndsBy.Equal(start.Add(h.cfg.MaxLifetime)) {
		t.Fatalf("a new flow expires at %v and ends by %v", f.ExpiresAt.Sub(start), f.EndsBy.Sub(start))
	}
	for _, tt := range []struct {
		at, want time.Duration // since the start: the call, and the expiry after it
	}{
		{14 * time.Minute, 29 * time.Minute},
		{28 * time.Minute, 43 * time.Minute},
		{27 * time.Minute, 43 * time.Minute}, // never shortened (a clock step back)
		{42 * time.Minute, 57 * time.Minute},
		{50 * time.Minute, time.Hour}, // not past the absolute end
		{59 * time.Minute, time.Hour},
	} {
		h.clock.Set(start.Add(tt.at))
		f := ok(t)(h.e.Extend(ctx, f.ID))
		if got := f.ExpiresAt.Sub(start); got != tt.want {
			t.Errorf("extended at %v: expires %v after the start, want %v", tt.at, got, tt.want)
		}
		if f.State != api.StateVerify || len(f.Methods) != 3 {
			t.Errorf("extending changed the flow: %+v", f)
		}
	}
	h.clock.Set(start.Add(time.Hour))
	_, err := h.e.Extend(ctx, f.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
	_, err = h.e.Flow(ctx, f.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
}

// An extended flow is still ended by a reset finished elsewhere, after its
// first lifetime has passed: the session index keeps it to its end.
func TestExtendedFlowStillRevoked(t *testing.T) {
	h := newHarness(t)
	start := h.clock.Now()
	old := h.start(t, alice, api.IntentReset)
	h.clock.Set(start.Add(10 * time.Minute))
	ok(t)(h.e.Extend(ctx, old.ID))
	h.clock.Set(start.Add(20 * time.Minute)) // past the first 15 minutes
	if _, err := h.e.Flow(ctx, old.ID); err != nil {
		t.Fatalf("the extended flow is gone at 20 minutes: %v", err)
	}
	f := h.start(t, alice, api.IntentReset)
	f = h.passEmail(t, f, "alice.alt@example.net")
	f = h.passSMS(t, f, "07700 900123", "+447700900123")
	ok(t)(h.e.SetPassword(ctx, f.ID, "Sturdy-Lantern-Harbour-77", client))
	_, err := h.e.Extend(ctx, old.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
}

// A flow whose first lifetime passed without a "Continue" is gone.
func TestExpiredFlowNotExtended(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentReset)
	h.clock.Advance(h.cfg.Lifetime)
	_, err := h.e.Extend(ctx, f.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
}
