package selfservice_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// inLang is the test's client reading the pages in lang.
func inLang(lang string) sspr.Client {
	c := client
	c.Lang = lang
	return c
}

// stored is the language kept with user's registration.
func (h *harness) stored(t *testing.T, user string) string {
	t.Helper()
	reg, err := h.audit.Registration(ctx, user)
	if err != nil || reg == nil {
		t.Fatalf("Registration(%s) = %+v, %v", user, reg, err)
	}
	return reg.Lang
}

// langsOf lists the language of each message of kind, by recipient.
func langsOf(msgs []notify.Message, kind notify.Kind) map[string][]string {
	out := map[string][]string{}
	for _, m := range msgs {
		if m.Kind == kind {
			out[m.To] = append(out[m.To], m.Lang)
		}
	}
	return out
}

// TestRegisteringKeepsTheLanguage: each change the person makes on the
// registration pages keeps the language of the request with their
// registration; a request that names none leaves the one kept. The change
// notices themselves, sent in the person's own request, name none (the
// request's language writes them).
func TestRegisteringKeepsTheLanguage(t *testing.T) {
	// One method is enough, so that one can be removed.
	h := newSessionHarness(t, func(c *selfservice.Config) { c.Required = 1 })
	sid := h.signIn(t, "alice", "Alice-Old-Password-1")
	for _, step := range []struct {
		name string
		lang string // the request's
		kind api.Kind
		raw  string // as typed
		to   string // where the code goes
		want string // kept
	}{
		{"an address, in Welsh", "cy", api.KindEmail, "alice.alt@example.net", "alice.alt@example.net", "cy"},
		{"a number, in no language said", "", api.KindSMS, "07700 900123", "+447700900123", "cy"},
		{"another address, in Chinese", "zh-Hans", api.KindEmail, "alice.new@example.net", "alice.new@example.net", "zh-Hans"},
		{"another number, in Arabic", "ar", api.KindSMS, "07700 900456", "+447700900456", "ar"},
	} {
		t.Run(step.name, func(t *testing.T) {
			h.clock.Advance(2 * time.Minute) // past the cool-downs, within reauth_after
			c := inLang(step.lang)
			if _, err := h.e.Register(ctx, sid, step.kind, step.raw, c); err != nil {
				t.Fatalf("register: %v", err)
			}
			before := len(h.out.all())
			if _, err := h.e.Confirm(ctx, sid, step.kind, h.out.lastCode(t, step.to), c); err != nil {
				t.Fatalf("confirm: %v", err)
			}
			if got := h.stored(t, alice); got != step.want {
				t.Fatalf("language kept = %q, want %q", got, step.want)
			}
			notices := langsOf(h.out.all()[before:], notify.KindRegistrationChanged)
			if len(notices) == 0 {
				t.Fatal("no change notice")
			}
			for to, langs := range notices {
				for _, l := range langs {
					if l != "" {
						t.Errorf("the notice to %s, in the person's own request, is forced into %q", to, l)
					}
				}
			}
			// The steps wait out the cool-downs: keep the password
			// recent.
			if _, err := h.e.Reauth(ctx, sid, "Alice-Old-Password-1", client); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Removing a method is a change of the person's too.
	if _, err := h.e.Remove(ctx, sid, api.KindEmail, inLang("cy")); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if got := h.stored(t, alice); got != "cy" {
		t.Fatalf("language kept after a removal = %q, want cy", got)
	}
}

// reminders is sspr.Reminders in memory.
type reminders struct {
	mu  sync.Mutex
	all map[string]time.Time
}

func (r *reminders) ClaimReminder(_ context.Context, user string, at, since time.Time) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.all[user]; ok && last.After(since) {
		return false, nil
	}
	r.all[user] = at
	return true, nil
}

func (r *reminders) ReleaseReminder(_ context.Context, user string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.all[user].Equal(at) {
		delete(r.all, user)
	}
	return nil
}

// TestRemindersAreInTheRegistrationsLanguage: a reminder is sent outside
// any request of its reader's, so it is written in the language they
// registered in; for someone who never registered, in none (the
// templates' default).
func TestRemindersAreInTheRegistrationsLanguage(t *testing.T) {
	h := newSessionHarness(t)
	sid := h.signIn(t, "bob", "Bob-Old-Password-1")
	// One method of the two a reset needs: bob is still due a reminder.
	c := inLang("cy")
	if _, err := h.e.Register(ctx, sid, api.KindEmail, "bob.alt@example.net", c); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Confirm(ctx, sid, api.KindEmail, h.out.lastCode(t, "bob.alt@example.net"), c); err != nil {
		t.Fatal(err)
	}
	if got := h.stored(t, bob); got != "cy" {
		t.Fatalf("language kept = %q, want cy", got)
	}
	res, err := h.e.RemindUnregistered(context.Background(), selfservice.RemindOptions{
		Reminders: &reminders{all: map[string]time.Time{}}, Every: 30 * 24 * time.Hour,
		Link: "https://sspr.example.edu" + selfservice.RegisterPath,
	})
	if err != nil || res.Sent != 4 {
		t.Fatalf("RemindUnregistered = %+v, %v; want 4 sent", res, err)
	}
	got := langsOf(h.out.all(), notify.KindRemindRegister)
	for _, tc := range []struct {
		to   string
		want string
	}{
		{bob, "cy"},
		{alice, ""},
		{carol, ""},
		{dave, ""},
	} {
		if langs := got[tc.to]; len(langs) != 1 || langs[0] != tc.want {
			t.Errorf("the reminder to %s: languages %q, want [%q]", tc.to, langs, tc.want)
		}
	}
}

// TestDeskNoticesAreInTheRegistrationsLanguage: the service desk's notice
// of what it did is the desk's request, not the person's: it is written
// in the language the person registered in, never the staff member's.
// Clearing the registration is told in it too (read before it goes).
func TestDeskNoticesAreInTheRegistrationsLanguage(t *testing.T) {
	h := staffHarness(t)
	// bob registers a number in Arabic.
	sid := h.signIn(t, "bob", "Bob-Old-Password-1")
	c := inLang("ar")
	if _, err := h.e.Register(ctx, sid, api.KindSMS, "07700 900456", c); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Confirm(ctx, sid, api.KindSMS, h.out.lastCode(t, "+447700900456"), c); err != nil {
		t.Fatal(err)
	}
	// alice, on the service desk, reads the console in Welsh.
	staffC := inLang("cy")
	id, _, err := h.e.StaffSignIn(ctx, "alice", "Alice-Old-Password-1", staffC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.StaffSendCode(ctx, id, api.KindSMS, staffC); err != nil {
		t.Fatal(err)
	}
	if id, _, err = h.e.StaffVerify(ctx, id, api.KindSMS, h.out.lastCode(t, "+447700900123"), staffC); err != nil {
		t.Fatal(err)
	}
	in := deskapi.ActionRequest{User: "bob", Ticket: "INC0012345", Reason: "Called the desk"}
	for _, tc := range []struct {
		name string
		act  func(context.Context, string, deskapi.ActionRequest, sspr.Client) (deskapi.Person, error)
	}{
		{"unlock", h.e.DeskUnlock},
		{"lift the block", h.e.DeskLiftBlock},
		{"clear the registration", h.e.DeskClearRegistration},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.out.all())
			if _, err := tc.act(ctx, id, in, staffC); err != nil {
				t.Fatal(err)
			}
			got := langsOf(h.out.all()[before:], notify.KindDeskAction)
			for _, to := range []string{bob, "bob.alt@example.net"} {
				if langs := got[to]; len(langs) != 1 || langs[0] != "ar" {
					t.Errorf("the notice to %s: languages %q, want [ar]", to, langs)
				}
			}
		})
	}
}
