package selfservice_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestAuditTimelineOfAReset: every step of a reset is an event of the
// flow, under one reference that is not the flow's id (which changes, and
// is a bearer secret), each with its request and client, never a secret.
func TestAuditTimelineOfAReset(t *testing.T) {
	h := newHarness(t)
	rctx := sspr.WithRequest(ctx, "req-42")
	f := ok(t)(h.e.Start(rctx, alice, client))
	f = ok(t)(h.e.ChooseIntent(rctx, f.ID, api.IntentReset, client))
	f = ok(t)(h.e.SendCode(rctx, f.ID, api.KindEmail, "", client))
	_, err := h.e.VerifyCode(rctx, f.ID, api.KindEmail, "00000000", client)
	wantCode(t, err, sspr.CodeCodeInvalid)
	f = ok(t)(h.e.VerifyCode(rctx, f.ID, api.KindEmail, h.out.lastCode(t, "alice.alt@example.net"), client))
	_, err = h.e.SendCode(rctx, f.ID, api.KindSMS, "07700 900999", client)
	wantCode(t, err, sspr.CodePhoneMismatch)
	f = h.passSMS(t, f, "07700 900123", "+447700900123")
	_, err = h.e.SetPassword(rctx, f.ID, "short", client)
	wantCode(t, err, sspr.CodePasswordPolicy)
	ok(t)(h.e.SetPassword(rctx, f.ID, "A-Brand-New-Password-9", client))

	ref := h.audit.last(sspr.EventFlowStarted).Flow
	if ref == "" || len(ref) > 16 {
		t.Fatalf("flow reference %q", ref)
	}
	want := []string{
		"flow_started/ok", "intent_chosen/ok",
		"code_sent/ok", "code_wrong/refused", "method_passed/ok",
		"phone_mismatch/refused", "code_sent/ok", "method_passed/ok",
		"password_refused/refused", "password_reset/started", "password_reset/ok",
	}
	if got := h.audit.timeline(ref); !slices.Equal(got, want) {
		t.Fatalf("timeline\n got %v\nwant %v", got, want)
	}
	for _, ev := range h.audit.events {
		if ev.Flow == ref && (ev.UserID != alice || ev.ClientAddr != client.Addr || ev.At.IsZero()) {
			t.Errorf("event %+v", ev)
		}
		if ev.Kind == sspr.EventFlowStarted && ev.Request != "req-42" {
			t.Errorf("request id %q", ev.Request)
		}
		all := fmt.Sprintf("%+v", ev)
		for _, secret := range []string{f.ID, "A-Brand-New-Password-9", h.out.lastCode(t, "+447700900123"),
			h.out.lastCode(t, "alice.alt@example.net"), "alice.alt@example.net", "+447700900123"} {
			if strings.Contains(all, secret) {
				t.Errorf("event %+v holds %q", ev, secret)
			}
		}
	}
	if d := h.audit.last(sspr.EventPasswordRefused).Detail; d != "rules=min_length" {
		t.Errorf("policy refusal detail %q", d)
	}
}

// TestNoChangeWithoutAudit: with the store down at the password step, the
// password is not changed, the answer is service_unavailable, and the flow
// is kept: once the store is back, the same password goes through.
func TestNoChangeWithoutAudit(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentReset)
	f = h.passEmail(t, f, "alice.alt@example.net")
	f = h.passQuestions(t, f, "blue fox")
	h.audit.setDown(true)
	_, err := h.e.SetPassword(ctx, f.ID, "A-Brand-New-Password-9", client)
	wantCode(t, err, sspr.CodeServiceUnavailable)
	if _, pw := h.dir.get(alice); pw != "" {
		t.Fatal("the password changed without an audit")
	}
	if got := ok(t)(h.e.Flow(ctx, f.ID)); got.State != api.StateNewPassword {
		t.Fatalf("flow after the refusal: %s", got.State)
	}
	h.audit.setDown(false)
	if got := ok(t)(h.e.SetPassword(ctx, f.ID, "A-Brand-New-Password-9", client)); got.State != api.StateDone {
		t.Fatalf("retry: %s", got.State)
	}
	if _, pw := h.dir.get(alice); pw != "A-Brand-New-Password-9" {
		t.Fatal("the retry did not set the password")
	}

	// An unlock alike.
	b := h.start(t, bob, api.IntentUnlock)
	b = h.passEmail(t, b, "bob.alt@example.net")
	h.audit.setDown(true)
	_, err = h.e.SendCode(ctx, b.ID, api.KindSMS, "07700 900456", client)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.e.VerifyCode(ctx, b.ID, api.KindSMS, h.out.lastCode(t, "+447700900456"), client)
	wantCode(t, err, sspr.CodeServiceUnavailable)
	if a, _ := h.dir.get(bob); !a.Locked {
		t.Fatal("unlocked without an audit")
	}
}
