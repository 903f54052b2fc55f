package selfservice_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// adminsNeedAnApp: the admins group needs two methods, one of them an
// authenticator app; security questions are still offered, to show they
// can't be one of only two.
func adminsNeedAnApp(c *selfservice.Config) {
	withTOTP(c)
	c.Policies = []selfservice.Policy{{Name: "Admins", Group: "admins",
		Methods:  []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions, api.KindTOTP},
		Required: 2, Strong: 1, StrongMethods: []api.Kind{api.KindTOTP}}}
}

// animals are the answers registerAnswers gives, to questionIDs in order.
var animals = []string{"zebrafish", "quokka", "axolotl", "narwhal", "capybara"}

// registerAnswers sets five answers for the signed-in session.
func (h *sessionHarness) registerAnswers(t *testing.T, sid string) {
	t.Helper()
	var in []api.AnswerInput
	for i, a := range animals {
		in = append(in, api.AnswerInput{ID: questionIDs[i], Answer: a})
	}
	must[api.Registration](t)(h.e.SetAnswers(ctx, sid, in, client))
}

// TestPolicyByGroup: alice, an admin, passes email and her security
// questions and is not through: her policy needs an authenticator app.
// The app and email are enough. Bob, in no group, needs any two.
func TestPolicyByGroup(t *testing.T) {
	h := newSessionHarness(t, adminsNeedAnApp)
	h.dir.groups = map[string][]string{"admins": {alice}}
	sid := h.signIn(t, alice, "Alice-Old-Password-1")
	h.registerEmail(t, sid, "alice.alt@example.net")
	h.registerAnswers(t, sid)
	reg := must[api.Registration](t)(h.e.Registration(ctx, sid))
	if reg.Complete || reg.Required != 2 || reg.Strong != 1 || !reg.TOTP.Strong || reg.Email.Strong {
		t.Fatalf("an admin with email and questions: %+v", reg)
	}
	key := h.registerTOTP(t, sid)
	if reg = must[api.Registration](t)(h.e.Registration(ctx, sid)); !reg.Complete {
		t.Fatalf("an admin with the app too: %+v", reg)
	}
	// The app can't go: it is her only strong method.
	_, err := h.e.Remove(ctx, sid, api.KindTOTP, client)
	wantCode(t, err, sspr.CodeWrongState)
	if !strings.Contains(err.Error(), "strong") {
		t.Errorf("refusal %q doesn't say why", err)
	}

	h.clock.Advance(time.Minute)
	f := h.start(t, alice, api.IntentReset)
	if f.Strong != 1 || !f.CanFinish() {
		t.Fatalf("the flow: %+v", f)
	}
	for _, m := range f.Methods {
		if m.Strong != (m.Kind == api.KindTOTP) {
			t.Errorf("method %s strong = %v", m.Kind, m.Strong)
		}
	}
	f = h.passEmail(t, f, "alice.alt@example.net")
	qs, err := h.e.Questions(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{}
	for _, q := range qs {
		answers[q.ID] = animals[slices.Index(questionIDs, q.ID)]
	}
	f = ok(t)(h.e.VerifyAnswers(ctx, f.ID, answers, client))
	if f.State == api.StateNewPassword {
		t.Fatal("email and questions were enough for an admin")
	}
	f = ok(t)(h.e.VerifyTOTP(ctx, f.ID, appCode(t, key, h.clock.Now()), client))
	if f.State != api.StateNewPassword {
		t.Fatalf("after email and the app: %s", f.State)
	}

	// Bob, in no group: any two.
	sid = h.signIn(t, bob, "Bob-Old-Password-1")
	h.registerEmail(t, sid, "bob.alt@example.net")
	h.registerAnswers(t, sid)
	if reg := must[api.Registration](t)(h.e.Registration(ctx, sid)); !reg.Complete || reg.Strong != 0 {
		t.Fatalf("bob: %+v", reg)
	}
}

// TestPolicyWithoutTheStrongMethod: an admin who has registered no
// authenticator app is told at once that the flow can't finish.
func TestPolicyWithoutTheStrongMethod(t *testing.T) {
	h := newHarness(t, adminsNeedAnApp)
	h.dir.groups = map[string][]string{"admins": {alice}}
	f := h.start(t, alice, api.IntentReset)
	if f.CanFinish() || f.Strong != 1 || len(f.Methods) != 3 {
		t.Fatalf("alice without an app: %+v", f)
	}
	f = h.passEmail(t, f, "alice.alt@example.net")
	f = h.passSMS(t, f, "07700 900123", "+447700900123")
	if f.State != api.StateVerify {
		t.Fatalf("email and a text were enough for an admin: %s", f.State)
	}
}
