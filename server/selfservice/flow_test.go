package selfservice_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

var ctx = context.Background()

func TestReset(t *testing.T) {
	tests := []struct {
		name  string
		pass  func(h *harness, t *testing.T, f api.Flow) api.Flow
		kinds string
	}{
		{"EmailAndSMS", func(h *harness, t *testing.T, f api.Flow) api.Flow {
			f = h.passEmail(t, f, "alice.alt@example.net")
			return h.passSMS(t, f, "07700 900123", "+447700900123")
		}, "email,sms"},
		{"EmailAndQuestions", func(h *harness, t *testing.T, f api.Flow) api.Flow {
			f = h.passQuestions(t, f, "  Blue   FOX ")
			return h.passEmail(t, f, "alice.alt@example.net")
		}, "email,questions"},
		{"SMSAndQuestions", func(h *harness, t *testing.T, f api.Flow) api.Flow {
			f = h.passSMS(t, f, "+44 7700 900123", "+447700900123")
			return h.passQuestions(t, f, "blue fox")
		}, "sms,questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			f := h.start(t, " Alice ", api.IntentReset)
			if f.State != api.StateVerify || methodKinds(f) != "email,sms,questions" || f.Required != 2 {
				t.Fatalf("flow after intent = %+v", f)
			}
			first := f.ID
			f = tt.pass(h, t, f)
			if f.State != api.StateNewPassword {
				t.Fatalf("state = %s, want new_password", f.State)
			}
			if f.ID == first {
				t.Fatal("the flow id was not renewed when identity was proven")
			}
			if _, err := h.e.Flow(ctx, first); code(err) != sspr.CodeFlowMissing {
				t.Fatalf("old id still works: %v", err)
			}
			f = ok(t)(h.e.SetPassword(ctx, f.ID, "A-Brand-New-Password-9", client))
			if f.State != api.StateDone {
				t.Fatalf("state = %s, want done", f.State)
			}
			if _, pw := h.dir.get(alice); pw != "A-Brand-New-Password-9" {
				t.Fatalf("directory password = %q", pw)
			}
			// Notified at both addresses, without the password.
			var to []string
			for _, m := range h.out.all() {
				if m.Code == "" {
					to = append(to, m.To)
					if strings.Contains(m.Body, "A-Brand-New-Password-9") {
						t.Fatal("the notification contains the password")
					}
				}
			}
			if !slices.Equal(to, []string{alice, "alice.alt@example.net"}) {
				t.Fatalf("notified %v", to)
			}
			if got := h.audit.kinds(); !slices.Equal(got, []string{sspr.EventPasswordReset + ":" + alice}) {
				t.Fatalf("audit = %v", got)
			}
			if ev := h.audit.last(sspr.EventPasswordReset); ev.Detail != "methods="+tt.kinds || ev.ClientAddr != client.Addr || ev.UserAgent != client.UserAgent {
				t.Fatalf("audit event = %+v", ev)
			}
			// Double submit or Back after success: already done, no change.
			_, err := h.e.SetPassword(ctx, f.ID, "Another-New-Password-9", client)
			wantCode(t, err, sspr.CodeWrongState)
			if _, pw := h.dir.get(alice); pw != "A-Brand-New-Password-9" {
				t.Fatal("a second submit changed the password")
			}
			if f := ok(t)(h.e.Flow(ctx, f.ID)); f.State != api.StateDone {
				t.Fatalf("after done, current = %s", f.State)
			}
		})
	}
}

func TestUnlock(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, "bob", api.IntentUnlock)
	if methodKinds(f) != "email,sms" {
		t.Fatalf("methods = %s", methodKinds(f))
	}
	f = h.passEmail(t, f, "bob.alt@example.net")
	if f.State != api.StateVerify {
		t.Fatalf("unlocked after one method: %s", f.State)
	}
	if a, _ := h.dir.get(bob); !a.Locked {
		t.Fatal("unlocked after one method")
	}
	f = h.passSMS(t, f, "+447700900456", "+447700900456")
	if f.State != api.StateDone {
		t.Fatalf("state = %s, want done at once", f.State)
	}
	if a, pw := h.dir.get(bob); a.Locked || pw != "" {
		t.Fatalf("after unlock: locked=%v password changed=%v", a.Locked, pw != "")
	}
	if got := h.audit.kinds(); !slices.Equal(got, []string{sspr.EventAccountUnlocked + ":" + bob}) {
		t.Fatalf("audit = %v", got)
	}
}

// TestUnlockOfAnAccountThatIsNotLocked: until the methods pass, the same
// answers as for a locked account (docs/SECURITY.md#unlock-not-locked);
// then the truth: it wasn't locked, nothing was changed, and that is what
// is audited and told.
func TestUnlockOfAnAccountThatIsNotLocked(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentUnlock)
	f = h.passEmail(t, f, "alice.alt@example.net")
	if f.Outcome != "" {
		t.Fatalf("outcome %q before the methods passed", f.Outcome)
	}
	f = h.passQuestions(t, f, "blue fox")
	if f.State != api.StateDone || f.Outcome != api.OutcomeNotLocked {
		t.Fatalf("state = %s, outcome = %q; want done, %q", f.State, f.Outcome, api.OutcomeNotLocked)
	}
	if h.dir.unlocks != 0 {
		t.Fatalf("the directory was asked to unlock %d times", h.dir.unlocks)
	}
	if got := ok(t)(h.e.Flow(ctx, f.ID)); got.Outcome != api.OutcomeNotLocked {
		t.Fatalf("the finished flow's outcome = %q", got.Outcome)
	}
	if got := h.audit.kinds(); !slices.Equal(got, []string{sspr.EventUnlockNotNeeded + ":" + alice}) {
		t.Fatalf("audit = %v", got)
	}
	var kinds []notify.Kind
	for _, m := range h.out.all() {
		if m.Code == "" {
			kinds = append(kinds, m.Kind)
		}
	}
	if !slices.Equal(kinds, []notify.Kind{notify.KindUnlockNotLocked, notify.KindUnlockNotLocked}) {
		t.Fatalf("notifications = %v, want the not-locked notice at both addresses", kinds)
	}
}

// TestResetNoticesTogether: where the Sender stores several messages at
// once (the durable outbox), the notices of a reset to the account's two
// addresses are handed over together, one write.
func TestResetNoticesTogether(t *testing.T) {
	h := newHarness(t)
	out := &batchOutbox{outbox: h.out}
	h.deps.Sender = out
	e, err := selfservice.New(h.cfg, h.deps)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	f := h.start(t, alice, api.IntentReset)
	f = h.passEmail(t, f, "alice.alt@example.net")
	f = h.passQuestions(t, f, "blue fox")
	ok(t)(h.e.SetPassword(ctx, f.ID, "A-Brand-New-Password-9", client))
	if !slices.Equal(out.batches, []int{2}) {
		t.Fatalf("batches %v, want one of 2", out.batches)
	}
	var to []string
	for _, m := range out.all() {
		if m.Kind == notify.KindReset {
			to = append(to, m.To)
		}
	}
	if !slices.Equal(to, []string{alice, "alice.alt@example.net"}) {
		t.Errorf("reset notices to %v", to)
	}
}

func TestResetAlsoUnlocks(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, bob, api.IntentReset)
	f = h.passEmail(t, f, "bob.alt@example.net")
	f = h.passSMS(t, f, "07700900456", "+447700900456")
	ok(t)(h.e.SetPassword(ctx, f.ID, "Bobs-New-Password-22", client))
	if a, _ := h.dir.get(bob); a.Locked {
		t.Fatal("still locked after a reset")
	}
}

// TestStatesAndActions drives every action in every state and checks what
// each is allowed to do.
func TestStatesAndActions(t *testing.T) {
	type action struct {
		name string
		do   func(h *harness, id string) error
	}
	actions := []action{
		{"intent", func(h *harness, id string) error {
			_, err := h.e.ChooseIntent(ctx, id, api.IntentReset, client)
			return err
		}},
		{"email/send", func(h *harness, id string) error {
			_, err := h.e.SendCode(ctx, id, api.KindEmail, "", client)
			return err
		}},
		{"email/verify", func(h *harness, id string) error {
			_, err := h.e.VerifyCode(ctx, id, api.KindEmail, "12345678", client)
			return err
		}},
		{"sms/send", func(h *harness, id string) error {
			_, err := h.e.SendCode(ctx, id, api.KindSMS, "+447700900123", client)
			return err
		}},
		{"sms/verify", func(h *harness, id string) error {
			_, err := h.e.VerifyCode(ctx, id, api.KindSMS, "12345678", client)
			return err
		}},
		{"questions", func(h *harness, id string) error { _, err := h.e.Questions(ctx, id); return err }},
		{"questions/verify", func(h *harness, id string) error {
			_, err := h.e.VerifyAnswers(ctx, id, map[string]string{"q1": "x", "q2": "x", "q3": "x"}, client)
			return err
		}},
		{"password", func(h *harness, id string) error {
			_, err := h.e.SetPassword(ctx, id, "A-Brand-New-Password-9", client)
			return err
		}},
		{"current", func(h *harness, id string) error { _, err := h.e.Flow(ctx, id); return err }},
		{"cancel", func(h *harness, id string) error { return h.e.Cancel(ctx, id) }},
	}
	// Each state, reached for alice, and the code each action must give
	// ("" = allowed; "?" = allowed but the answer depends on the input,
	// so only "not wrong_state and not flow_missing" is checked).
	states := []struct {
		name  string
		reach func(h *harness, t *testing.T) string
		want  map[string]sspr.Code
	}{
		{"none", func(h *harness, t *testing.T) string { return "" }, map[string]sspr.Code{
			"intent": sspr.CodeFlowMissing, "email/send": sspr.CodeFlowMissing, "email/verify": sspr.CodeFlowMissing,
			"sms/send": sspr.CodeFlowMissing, "sms/verify": sspr.CodeFlowMissing, "questions": sspr.CodeFlowMissing,
			"questions/verify": sspr.CodeFlowMissing, "password": sspr.CodeFlowMissing, "current": sspr.CodeFlowMissing,
			"cancel": sspr.CodeFlowMissing}},
		{"choose_intent", func(h *harness, t *testing.T) string { return ok(t)(h.e.Start(ctx, alice, client)).ID }, map[string]sspr.Code{
			"intent": "", "email/send": sspr.CodeWrongState, "email/verify": sspr.CodeWrongState,
			"sms/send": sspr.CodeWrongState, "sms/verify": sspr.CodeWrongState, "questions": sspr.CodeWrongState,
			"questions/verify": sspr.CodeWrongState, "password": sspr.CodeWrongState, "current": "", "cancel": ""}},
		{"verify", func(h *harness, t *testing.T) string { return h.start(t, alice, api.IntentReset).ID }, map[string]sspr.Code{
			"intent": "", "email/send": "", "email/verify": sspr.CodeCodeExpired,
			"sms/send": "", "sms/verify": sspr.CodeCodeExpired, "questions": "",
			"questions/verify": "?", "password": sspr.CodeWrongState, "current": "", "cancel": ""}},
		{"verify, email passed", func(h *harness, t *testing.T) string {
			return h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net").ID
		}, map[string]sspr.Code{
			"intent": "", "email/send": sspr.CodeWrongState, "email/verify": sspr.CodeWrongState,
			"sms/send": "", "sms/verify": sspr.CodeCodeExpired, "questions": "",
			"questions/verify": "?", "password": sspr.CodeWrongState, "current": "", "cancel": ""}},
		{"new_password", func(h *harness, t *testing.T) string {
			f := h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net")
			return h.passQuestions(t, f, "blue fox").ID
		}, map[string]sspr.Code{
			"intent": sspr.CodeWrongState, "email/send": sspr.CodeWrongState, "email/verify": sspr.CodeWrongState,
			"sms/send": sspr.CodeWrongState, "sms/verify": sspr.CodeWrongState, "questions": sspr.CodeWrongState,
			"questions/verify": sspr.CodeWrongState, "password": "", "current": "", "cancel": ""}},
		{"done", func(h *harness, t *testing.T) string {
			f := h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net")
			f = h.passQuestions(t, f, "blue fox")
			return ok(t)(h.e.SetPassword(ctx, f.ID, "A-First-New-Password-1", client)).ID
		}, map[string]sspr.Code{
			"intent": sspr.CodeWrongState, "email/send": sspr.CodeWrongState, "email/verify": sspr.CodeWrongState,
			"sms/send": sspr.CodeWrongState, "sms/verify": sspr.CodeWrongState, "questions": sspr.CodeWrongState,
			"questions/verify": sspr.CodeWrongState, "password": sspr.CodeWrongState, "current": "", "cancel": ""}},
		{"expired", func(h *harness, t *testing.T) string {
			id := h.start(t, alice, api.IntentReset).ID
			h.clock.Advance(15 * time.Minute)
			return id
		}, map[string]sspr.Code{
			"intent": sspr.CodeFlowMissing, "email/send": sspr.CodeFlowMissing, "email/verify": sspr.CodeFlowMissing,
			"sms/send": sspr.CodeFlowMissing, "sms/verify": sspr.CodeFlowMissing, "questions": sspr.CodeFlowMissing,
			"questions/verify": sspr.CodeFlowMissing, "password": sspr.CodeFlowMissing, "current": sspr.CodeFlowMissing,
			"cancel": sspr.CodeFlowMissing}},
	}
	for _, st := range states {
		for _, a := range actions {
			t.Run(st.name+"/"+a.name, func(t *testing.T) {
				h := newHarness(t)
				id := st.reach(h, t)
				want, listed := st.want[a.name]
				if !listed {
					t.Fatalf("no expectation for %s in %s", a.name, st.name)
				}
				err := a.do(h, id)
				if want == "?" {
					if c := code(err); c == sspr.CodeWrongState || c == sspr.CodeFlowMissing {
						t.Fatalf("refused in this state: %v", err)
					}
					return
				}
				wantCode(t, err, want)
			})
		}
	}
}

func TestUnknownAndUnregisteredUsersLookLikeRegisteredOnes(t *testing.T) {
	for _, user := range []string{"nobody@example.edu", carol} {
		t.Run(user, func(t *testing.T) {
			h := newHarness(t)
			f := h.start(t, user, api.IntentReset)
			if methodKinds(f) != "email,sms,questions" || f.State != api.StateVerify || f.Required != 2 {
				t.Fatalf("decoy flow = %+v", f)
			}
			for _, m := range f.Methods[:2] {
				if m.Hint == "" || !strings.Contains(m.Hint, "•") {
					t.Fatalf("decoy hint %q", m.Hint)
				}
			}
			// The same hints every time, as for a real account.
			again := h.start(t, user, api.IntentReset)
			if again.Methods[0].Hint != f.Methods[0].Hint || again.Methods[1].Hint != f.Methods[1].Hint {
				t.Fatal("decoy hints change between flows")
			}
			f = ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
			if !f.Methods[0].CodeSent {
				t.Fatal("decoy email send does not look sent")
			}
			if n := len(h.out.all()); n != 0 {
				t.Fatalf("a decoy flow sent %d messages", n)
			}
			_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, "12345678", client)
			wantCode(t, err, sspr.CodeCodeInvalid)
			_, err = h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client)
			wantCode(t, err, sspr.CodePhoneMismatch)
			qs, err := h.e.Questions(ctx, f.ID)
			if err != nil || len(qs) != 3 {
				t.Fatalf("decoy questions = %v, %v", qs, err)
			}
			answers := map[string]string{}
			for _, q := range qs {
				answers[q.ID] = "blue fox"
			}
			_, err = h.e.VerifyAnswers(ctx, f.ID, answers, client)
			wantCode(t, err, sspr.CodeAnswersInvalid)
		})
	}
}

func TestDecoyQuestionsComeFromAStableFive(t *testing.T) {
	h := newHarness(t)
	seen := map[string]bool{}
	for range 30 {
		h.clock.Advance(h.cfg.QuestionsRedraw) // a new draw each time
		f := h.start(t, "nobody", api.IntentReset)
		qs, err := h.e.Questions(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			seen[q.ID] = true
		}
	}
	if len(seen) != 5 {
		t.Fatalf("a decoy showed %d distinct questions over 30 flows, a real account would show 5", len(seen))
	}
}

func TestRevealUnregistered(t *testing.T) {
	h := newHarness(t, func(c *selfservice.Config) { c.RevealUnregistered = true })
	_, err := h.e.Start(ctx, carol, client)
	wantCode(t, err, sspr.CodeNotRegistered)
	_, err = h.e.Start(ctx, "nobody", client)
	wantCode(t, err, sspr.CodeNotRegistered)
	ok(t)(h.e.Start(ctx, alice, client))
}

func TestStartRefusesBadUserIDs(t *testing.T) {
	h := newHarness(t)
	for _, u := range []string{"", "   ", "al\x00ice", "alice\r\nBcc: x", "al\u202eice", strings.Repeat("a", 257), "a@b@c"} {
		_, err := h.e.Start(ctx, u, client)
		wantCode(t, err, sspr.CodeBadRequest)
		if strings.TrimSpace(u) != "" && strings.Contains(err.Error(), u) {
			t.Fatalf("the error echoes the input: %v", err)
		}
	}
}

func TestDaveHasOneMethodAndCannotFinish(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, dave, api.IntentReset)
	if methodKinds(f) != "email" || f.Required != 2 {
		t.Fatalf("flow = %+v", f)
	}
	f = h.passEmail(t, f, "dave.alt@example.net")
	if f.State != api.StateVerify {
		t.Fatalf("one method was enough: %s", f.State)
	}
	_, err := h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client)
	wantCode(t, err, sspr.CodeMethodUnavailable)
	_, err = h.e.Questions(ctx, f.ID)
	wantCode(t, err, sspr.CodeMethodUnavailable)
}

func TestCodes(t *testing.T) {
	t.Run("EightDigitsOneUse", func(t *testing.T) {
		h := newHarness(t)
		f := h.start(t, alice, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		c := h.out.lastCode(t, "alice.alt@example.net")
		if len(c) != 8 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("code %q", c)
		}
		ok(t)(h.e.VerifyCode(ctx, f.ID, api.KindEmail, c[:4]+" "+c[4:], client))
		_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, c, client)
		wantCode(t, err, sspr.CodeWrongState) // replay: the method is done, nothing changes
	})
	t.Run("ExpiresAfterTenMinutes", func(t *testing.T) {
		h := newHarness(t)
		f := h.start(t, alice, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		h.clock.Advance(10 * time.Minute)
		_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, h.out.lastCode(t, "alice.alt@example.net"), client)
		wantCode(t, err, sspr.CodeCodeExpired)
	})
	t.Run("FiveTries", func(t *testing.T) {
		h := newHarness(t, func(c *selfservice.Config) { c.AccountFailures.Max = 100 })
		f := h.start(t, alice, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		good := h.out.lastCode(t, "alice.alt@example.net")
		bad := "00000000"
		if bad == good {
			bad = "11111111"
		}
		for i := 4; i >= 1; i-- {
			_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, bad, client)
			wantCode(t, err, sspr.CodeCodeInvalid)
			if left := *err.(*sspr.Error).TriesLeft; left != i {
				t.Fatalf("tries left = %d, want %d", left, i)
			}
		}
		_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, bad, client)
		wantCode(t, err, sspr.CodeCodeExpired)
		_, err = h.e.VerifyCode(ctx, f.ID, api.KindEmail, good, client)
		wantCode(t, err, sspr.CodeCodeExpired)
	})
	t.Run("ANewCodeReplacesTheOld", func(t *testing.T) {
		h := newHarness(t)
		f := h.start(t, alice, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		old := h.out.lastCode(t, "alice.alt@example.net")
		h.clock.Advance(time.Minute)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		if h.out.lastCode(t, "alice.alt@example.net") == old {
			t.Skip("the new code happened to equal the old one (1 in 10^8)")
		}
		_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, old, client)
		wantCode(t, err, sspr.CodeCodeInvalid)
	})
	t.Run("BoundToItsFlowAndUser", func(t *testing.T) {
		h := newHarness(t)
		fa := h.start(t, alice, api.IntentReset)
		fb := h.start(t, bob, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, fa.ID, api.KindEmail, "", client))
		ok(t)(h.e.SendCode(ctx, fb.ID, api.KindEmail, "", client))
		_, err := h.e.VerifyCode(ctx, fb.ID, api.KindEmail, h.out.lastCode(t, "alice.alt@example.net"), client)
		wantCode(t, err, sspr.CodeCodeInvalid)
	})
	t.Run("MalformedIsBadRequest", func(t *testing.T) {
		h := newHarness(t)
		f := h.start(t, alice, api.IntentReset)
		for _, c := range []string{"", "1234", "123456789", "abcdefgh", "１２３４５６７８"} {
			_, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, c, client)
			wantCode(t, err, sspr.CodeBadRequest)
		}
	})
}

func TestSMSNeedsTheFullNumber(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentReset)
	for _, typed := range []string{"+447700900124", "900123", "+15555550123"} {
		_, err := h.e.SendCode(ctx, f.ID, api.KindSMS, typed, client)
		wantCode(t, err, sspr.CodePhoneMismatch)
	}
	_, err := h.e.SendCode(ctx, f.ID, api.KindSMS, "not a number", client)
	wantCode(t, err, sspr.CodeBadRequest)
	if n := len(h.out.all()); n != 0 {
		t.Fatalf("%d texts sent before the number matched", n)
	}
	ok(t)(h.e.SendCode(ctx, f.ID, api.KindSMS, "(0)7700 900 123", client))
}

func TestCooldownsAndSendLimits(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentReset)
	ok(t)(h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client))
	h.clock.Advance(time.Minute)
	_, err := h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client)
	wantCode(t, err, sspr.CodeThrottled)
	if s := err.(*sspr.Error).RetryAfterSeconds; s != 60 {
		t.Fatalf("retry after %d s, want 60", s)
	}
	// The cool-down is the account's, not the flow's.
	g := h.start(t, alice, api.IntentReset)
	_, err = h.e.SendCode(ctx, g.ID, api.KindSMS, "+447700900123", client)
	wantCode(t, err, sspr.CodeThrottled)
	h.clock.Advance(time.Minute)
	f = ok(t)(h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client))
	if m := f.Methods[1]; !m.CodeSent || m.ResendAt == nil || !m.ResendAt.Equal(h.clock.Now().Add(2*time.Minute)) {
		t.Fatalf("sms method = %+v", m)
	}
	// Until when the code works: it is never given more time.
	if m := f.Methods[1]; m.CodeExpiresAt == nil || !m.CodeExpiresAt.Equal(h.clock.Now().Add(h.cfg.CodeLifetime)) {
		t.Errorf("sms code expires at %v, want %v", m.CodeExpiresAt, h.clock.Now().Add(h.cfg.CodeLifetime))
	}
	// At most five sends an hour per channel.
	for range 3 {
		h.clock.Advance(2 * time.Minute)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client))
	}
	h.clock.Advance(2 * time.Minute)
	_, err = h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client)
	wantCode(t, err, sspr.CodeThrottled)
}

func TestFailuresAcrossFlowsBlockTheAccount(t *testing.T) {
	h := newHarness(t)
	n := 0
	var err error
	for n < 5 {
		f := h.start(t, alice, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		h.clock.Advance(time.Minute) // past the e-mail cool-down
		for range 2 {
			if n == 5 {
				break
			}
			_, err = h.e.VerifyCode(ctx, f.ID, api.KindEmail, "00000001", client)
			n++
		}
	}
	wantCode(t, err, sspr.CodeThrottled) // the fifth failure starts the block
	if s := err.(*sspr.Error).RetryAfterSeconds; s != 24*3600 {
		t.Fatalf("blocked for %d s", s)
	}
	if got := h.audit.kinds(); !slices.Contains(got, sspr.EventBlocked+":"+alice) {
		t.Fatalf("audit = %v", got)
	}
	_, err = h.e.Start(ctx, "ALICE@example.edu", client)
	wantCode(t, err, sspr.CodeThrottled)
	h.clock.Advance(24 * time.Hour)
	h.start(t, alice, api.IntentReset)
}

func TestPhoneMismatchesBlockTheAccount(t *testing.T) {
	h := newHarness(t)
	var err error
	for i := range 5 {
		f := h.start(t, alice, api.IntentReset)
		_, err = h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900999", client)
		if i < 4 {
			wantCode(t, err, sspr.CodePhoneMismatch)
		}
		h.clock.Advance(time.Hour) // identity checks count over 24 hours
	}
	wantCode(t, err, sspr.CodeThrottled)
}

func TestUnknownUsersAreBlockedAlike(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, "nobody", api.IntentReset)
	ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
	var err error
	for range 5 {
		_, err = h.e.VerifyCode(ctx, f.ID, api.KindEmail, "12345678", client)
	}
	wantCode(t, err, sspr.CodeThrottled)
	_, err = h.e.Start(ctx, "nobody", client)
	wantCode(t, err, sspr.CodeThrottled)
}

func TestStartLimits(t *testing.T) {
	t.Run("PerAccount", func(t *testing.T) {
		h := newHarness(t)
		for range 20 {
			ok(t)(h.e.Start(ctx, alice, client))
		}
		_, err := h.e.Start(ctx, " Alice@Example.EDU ", client)
		wantCode(t, err, sspr.CodeThrottled)
		ok(t)(h.e.Start(ctx, bob, client))
	})
	t.Run("PerAddress", func(t *testing.T) {
		h := newHarness(t, func(c *selfservice.Config) { c.AddressStarts = selfservice.Limit{Max: 3, Window: 10 * time.Minute} })
		for _, u := range []string{alice, bob, carol} {
			ok(t)(h.e.Start(ctx, u, client))
		}
		_, err := h.e.Start(ctx, dave, client)
		wantCode(t, err, sspr.CodeThrottled)
		ok(t)(h.e.Start(ctx, dave, sspr.Client{Addr: "192.0.2.2"}))
		h.clock.Advance(10 * time.Minute) // the window slides: the last 10 minutes' 4 still count
		_, err = h.e.Start(ctx, dave, client)
		wantCode(t, err, sspr.CodeThrottled)
		h.clock.Advance(10 * time.Minute)
		ok(t)(h.e.Start(ctx, dave, client))
	})
}

func TestQuestionsAreThreeOfTheFiveAndFixed(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentReset)
	qs, err := h.e.Questions(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := h.e.Questions(ctx, f.ID)
	if len(qs) != 3 || !slices.Equal(qs, again) {
		t.Fatalf("questions %v then %v", qs, again)
	}
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q.ID] || !slices.Contains(questionIDs[:5], q.ID) || q.Text == "" {
			t.Fatalf("question %+v", q)
		}
		seen[q.ID] = true
	}
	// A wrong answer to one fails them all, and they stay the same.
	answers := map[string]string{qs[0].ID: "blue fox", qs[1].ID: "blue fox", qs[2].ID: "red fox"}
	_, err = h.e.VerifyAnswers(ctx, f.ID, answers, client)
	wantCode(t, err, sspr.CodeAnswersInvalid)
	after, _ := h.e.Questions(ctx, f.ID)
	if !slices.Equal(qs, after) {
		t.Fatal("the questions changed after a wrong answer")
	}
	// Missing or foreign ids are a bad request, not a guess.
	_, err = h.e.VerifyAnswers(ctx, f.ID, map[string]string{qs[0].ID: "blue fox", qs[1].ID: "blue fox", "q9": "x"}, client)
	wantCode(t, err, sspr.CodeBadRequest)
}

func TestPasswordRefusals(t *testing.T) {
	h := newHarness(t)
	f := h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net")
	f = h.passQuestions(t, f, "blue fox")
	_, err := h.e.SetPassword(ctx, f.ID, "short", client)
	wantCode(t, err, sspr.CodePasswordPolicy)
	if r := err.(*sspr.Error).Rules; len(r) != 1 || r[0].Code != sspr.RuleMinLength {
		t.Fatalf("rules = %v", r)
	}
	_, err = h.e.SetPassword(ctx, f.ID, "Refused-By-Directory-1", client)
	wantCode(t, err, sspr.CodePasswordPolicy)
	if r := err.(*sspr.Error).Rules; len(r) != 1 || r[0].Code != sspr.RuleHistory {
		t.Fatalf("rules = %v", r)
	}
	if got := ok(t)(h.e.Flow(ctx, f.ID)); got.State != api.StateNewPassword {
		t.Fatalf("state after refusals = %s", got.State)
	}
	h.dir.down = true
	_, err = h.e.SetPassword(ctx, f.ID, "A-Brand-New-Password-9", client)
	wantCode(t, err, sspr.CodeDirectoryUnavailable)
	h.dir.down = false
	if got := ok(t)(h.e.Flow(ctx, f.ID)); got.State != api.StateNewPassword {
		t.Fatalf("state after the directory failed = %s", got.State)
	}
	ok(t)(h.e.SetPassword(ctx, f.ID, "A-Brand-New-Password-9", client))
}

// TestParallelSubmissionsOfOneCode: of many submissions of one code at
// once, exactly one succeeds (docs/SECURITY.md#constant-time). Run with
// -race.
func TestParallelSubmissionsOfOneCode(t *testing.T) {
	for round := range 5 {
		h := newHarness(t)
		f := h.start(t, alice, api.IntentReset)
		ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
		c := h.out.lastCode(t, "alice.alt@example.net")
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 32 {
			wg.Go(func() {
				<-start
				if _, err := h.e.VerifyCode(ctx, f.ID, api.KindEmail, c, client); err == nil {
					wins.Add(1)
				} else if k := code(err); k != sspr.CodeWrongState && k != sspr.CodeThrottled && k != sspr.CodeCodeExpired {
					t.Errorf("round %d: unexpected %v", round, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d successes, want exactly 1", round, wins.Load())
		}
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, alice, api.IntentReset)
	if err := h.e.Cancel(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	_, err := h.e.Flow(ctx, f.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
}

func TestDirectoryDownAtStart(t *testing.T) {
	h := newHarness(t)
	h.dir.down = true
	_, err := h.e.Start(ctx, alice, client)
	wantCode(t, err, sspr.CodeDirectoryUnavailable)
}

func TestUnlockRetriedAfterTheDirectoryFailed(t *testing.T) {
	h := newHarness(t)
	f := h.start(t, bob, api.IntentUnlock)
	f = h.passEmail(t, f, "bob.alt@example.net")
	ok(t)(h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900456", client))
	h.dir.down = true
	_, err := h.e.VerifyCode(ctx, f.ID, api.KindSMS, h.out.lastCode(t, "+447700900456"), client)
	wantCode(t, err, sspr.CodeDirectoryUnavailable)
	f = ok(t)(h.e.Flow(ctx, f.ID))
	if f.State != api.StateVerify || !f.Methods[0].Verified || !f.Methods[1].Verified {
		t.Fatalf("after the directory failed: %+v", f)
	}
	h.dir.down = false
	f = ok(t)(h.e.ChooseIntent(ctx, f.ID, api.IntentUnlock, client))
	if a, _ := h.dir.get(bob); f.State != api.StateDone || a.Locked {
		t.Fatalf("retry: %s, locked %v", f.State, a.Locked)
	}
}
