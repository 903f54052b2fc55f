package selfservice_test

import (
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestRemindExpiring: a person whose password expires soon is reminded
// once per threshold, whatever the runs' hours; the nearest threshold
// reached is the one reminded; a new password starts afresh; a disabled
// account, one whose password never expires or has expired, is left out.
func TestRemindExpiring(t *testing.T) {
	h := newHarness(t)
	start := h.clock.Now()
	const day = 24 * time.Hour
	expires := start.Add(20 * day)
	h.dir.set(alice, func(a *sspr.Account) { a.PasswordExpiresAt = expires })
	h.dir.set(bob, func(a *sspr.Account) { a.PasswordExpiresAt = start.Add(3 * day); a.Disabled = true })
	h.dir.set(carol, func(a *sspr.Account) { a.PasswordExpiresAt = start.Add(-day) }) // expired: no longer a reminder's
	h.dir.set(dave, func(a *sspr.Account) { a.PasswordExpiresAt = expires; a.Mail = "" })
	store := &reminders{all: map[string]time.Time{}}
	o := selfservice.ExpiringOptions{Reminders: store, Thresholds: selfservice.DefaultThresholds,
		Link: "https://sspr.example.edu" + selfservice.ChangePasswordPath}
	sent := func() int {
		n := 0
		for _, m := range h.out.all() {
			if m.Kind == notify.KindPasswordExpiring && m.To == alice {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		left time.Duration // before alice's password expires
		want int           // reminders sent to alice by then
	}{
		{15 * day, 0},
		{14*day - time.Hour, 1}, // 14 days
		{13 * day, 1},
		{10 * day, 1},
		{7 * day, 2}, // 7 days
		{6*day + 23*time.Hour, 2},
		{3 * day, 2},
		{12 * time.Hour, 3}, // 1 day
		{time.Hour, 3},
		{-time.Hour, 3}, // expired
	} {
		h.clock.Set(expires.Add(-tt.left))
		res, err := h.e.RemindExpiring(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := sent(); got != tt.want {
			t.Fatalf("%v before expiry: %d reminders, want %d (%+v)", tt.left, got, tt.want, res)
		}
		if tt.left == 12*time.Hour && (res.NoAddress != 1 || res.Due != 1) {
			t.Errorf("12 hours before: %+v, want alice due and dave without an address", res)
		}
	}
	m := h.out.all()[len(h.out.all())-1]
	if m.Kind != notify.KindPasswordExpiring || m.Account != alice || !m.Data.Expires.Equal(expires) ||
		m.Data.Link != "https://sspr.example.edu/register/password" {
		t.Errorf("the reminder: %+v %+v", m, m.Data)
	}
	// A new password, expiring later: its thresholds start afresh.
	expires = expires.Add(90 * day)
	h.dir.set(alice, func(a *sspr.Account) { a.PasswordExpiresAt = expires })
	h.clock.Set(expires.Add(-10 * day))
	if _, err := h.e.RemindExpiring(ctx, o); err != nil || sent() != 4 {
		t.Fatalf("the new password's first threshold: %d reminders, %v", sent(), err)
	}
	// A dry run counts and sends nothing.
	h.clock.Set(expires.Add(-5 * day))
	o.DryRun = true
	if res, err := h.e.RemindExpiring(ctx, o); err != nil || res.Due != 1 || res.Sent != 0 || sent() != 4 {
		t.Fatalf("dry run: %+v, %v, %d sent", res, err, sent())
	}
}

func TestParseThresholds(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []int
	}{
		{"14,7,1", []int{14, 7, 1}},
		{" 30 , 7,7", []int{30, 7}},
		{"0", nil},
		{"7,x", nil},
		{"", nil},
	} {
		got, err := selfservice.ParseThresholds(tt.in)
		if (err != nil) != (tt.want == nil) || len(got) != len(tt.want) {
			t.Errorf("ParseThresholds(%q) = %v, %v", tt.in, got, err)
		}
	}
}
