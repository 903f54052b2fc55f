package selfservice_test

// The holes an outside review found in the reset flow, each proved closed.

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestAResetEndsTheAccountsOtherFlows: someone who started a flow for
// alice (and perhaps passed a method) is out once alice resets.
func TestAResetEndsTheAccountsOtherFlows(t *testing.T) {
	h := newHarness(t)
	other := h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net")
	h.clock.Advance(time.Minute) // past the e-mail cool-down
	f := h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net")
	f = h.passQuestions(t, f, "blue fox")
	f = ok(t)(h.e.SetPassword(ctx, f.ID, "Alices-New-Password-1", client))
	if f.State != api.StateDone {
		t.Fatalf("state = %s", f.State)
	}
	_, err := h.e.Flow(ctx, other.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
	_, err = h.e.Questions(ctx, other.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
	// The finished flow still answers "already done", and bob's flows are
	// nobody's business but bob's.
	if got := ok(t)(h.e.Flow(ctx, f.ID)); got.State != api.StateDone {
		t.Fatalf("finished flow = %s", got.State)
	}
	bobs := h.start(t, bob, api.IntentReset)
	h.clock.Advance(time.Minute)
	f2 := h.passEmail(t, h.start(t, alice, api.IntentUnlock), "alice.alt@example.net")
	ok(t)(h.e.Flow(ctx, bobs.ID))
	h.passQuestions(t, f2, "blue fox") // an unlock ends them too
	_, err = h.e.Flow(ctx, f.ID)
	wantCode(t, err, sspr.CodeFlowMissing)
	ok(t)(h.e.Flow(ctx, bobs.ID))
}

// TestQuestionsStayTheSameUntilAnswered: restarting doesn't bring other
// questions (question shopping), for a real account or a decoy; passing
// them, or the redraw period, does.
func TestQuestionsStayTheSameUntilAnswered(t *testing.T) {
	h := newHarness(t, func(c *selfservice.Config) { c.AccountStarts.Max = 1000 })
	draw := func(user string) string {
		t.Helper()
		f := h.start(t, user, api.IntentReset)
		qs, err := h.e.Questions(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, q := range qs {
			ids = append(ids, q.ID)
		}
		return strings.Join(ids, ",")
	}
	for _, user := range []string{alice, "nobody"} {
		first := draw(user)
		for range 30 {
			if got := draw(user); got != first {
				t.Fatalf("%s: questions %s, then %s on starting again", user, first, got)
			}
		}
	}
	// Each pass redraws: over ten passes more than three questions come up.
	seen := map[string]bool{}
	for range 10 {
		for _, id := range strings.Split(draw(alice), ",") {
			seen[id] = true
		}
		h.passQuestions(t, h.start(t, alice, api.IntentReset), "blue fox")
	}
	if len(seen) <= 3 {
		t.Fatalf("passing the questions never redrew them: %v", slices.Sorted(maps.Keys(seen)))
	}
}

// population builds registrations of known proportions: what decoys must
// copy. Domains: 60% gmail.com, 30% outlook.com, and one each of ten rare
// ones; sets: 50% email+sms, 30% email only, 20% all three.
func population(t *testing.T, h *harness, n int) {
	t.Helper()
	confirmed := h.clock.Now().Add(-time.Hour)
	answers := h.regs[alice].Answers
	for i := range n {
		dom := "gmail.com"
		switch {
		case i < 10:
			dom = fmt.Sprintf("rare%d.co.uk", i)
		case i%10 < 3:
			dom = "outlook.com"
		}
		id := fmt.Sprintf("user%d@example.edu", i)
		r := &sspr.Registration{UserID: id, Email: fmt.Sprintf("%c%d@%s", 'a'+rune(i%7), i, dom), EmailConfirmed: confirmed}
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			r.Phone, r.PhoneConfirmed = fmt.Sprintf("+4477009%05d", i), confirmed
		case 5, 6:
			r.Phone, r.PhoneConfirmed = fmt.Sprintf("+4477009%05d", i), confirmed
			r.Answers, r.AnswersConfirmed = answers, confirmed
		}
		h.regs[id] = r
		h.dir.accounts[id] = &sspr.Account{ID: id, Mail: id}
	}
	if err := h.e.RefreshDecoys(ctx); err != nil {
		t.Fatal(err)
	}
}

// shown is what a flow shows before anything is proven: its methods and
// the e-mail hint.
func shown(f api.Flow) (set, hint string) {
	set = methodKinds(f)
	for _, m := range f.Methods {
		if m.Kind == api.KindEmail {
			hint = m.Hint
		}
	}
	return set, hint
}

// tvd is the total variation distance between two distributions of counts:
// 0 when they are the same, 1 when they share nothing.
func tvd(a, b map[string]int) float64 {
	na, nb := 0, 0
	for _, v := range a {
		na += v
	}
	for _, v := range b {
		nb += v
	}
	d := 0.0
	for k := range maps.All(a) {
		d += math.Abs(float64(a[k])/float64(na) - float64(b[k])/float64(nb))
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d += float64(b[k]) / float64(nb)
		}
	}
	return d / 2
}

// TestDecoysCopyTheRealProportions: what unknown ids are shown (sets of
// methods, hints' domains and first letters) is distributed as what real
// accounts are shown, so no test on it beats a coin toss; rare domains are
// hidden for everyone alike; and the masks say nothing of length.
func TestDecoysCopyTheRealProportions(t *testing.T) {
	h := newHarness(t, func(c *selfservice.Config) { c.AccountStarts.Max = 1000; c.AddressStarts.Max = 100000 })
	population(t, h, 400)
	realSets, realDomains, realInitials := map[string]int{}, map[string]int{}, map[string]int{}
	fakeSets, fakeDomains, fakeInitials := map[string]int{}, map[string]int{}, map[string]int{}
	count := func(f api.Flow, sets, domains, initials map[string]int) {
		set, hint := shown(f)
		sets[set]++
		if hint != "" {
			initial, dom, _ := strings.Cut(hint, "•••@")
			domains[dom]++
			initials[dom+"/"+initial]++
			if !strings.HasSuffix(hint, "@"+dom) || len([]rune(initial)) != 1 {
				t.Fatalf("hint %q", hint)
			}
		}
	}
	for i := range 400 {
		count(ok(t)(h.e.Start(ctx, fmt.Sprintf("user%d", i), client)), realSets, realDomains, realInitials)
	}
	for i := range 4000 {
		f := ok(t)(h.e.Start(ctx, fmt.Sprintf("nobody%d", i), client))
		count(f, fakeSets, fakeDomains, fakeInitials)
		if i < 50 { // the same decoy every time, as for a real account
			set, hint := shown(f)
			set2, hint2 := shown(ok(t)(h.e.Start(ctx, fmt.Sprintf("nobody%d", i), client)))
			if set != set2 || hint != hint2 {
				t.Fatalf("nobody%d shows %s %s, then %s %s", i, set, hint, set2, hint2)
			}
		}
	}
	for _, c := range []struct {
		what       string
		real, fake map[string]int
	}{{"sets of methods", realSets, fakeSets}, {"domains", realDomains, fakeDomains}, {"first letters", realInitials, fakeInitials}} {
		// 4,000 draws from the real distribution land this close to it
		// with overwhelming odds; today's decoys (every method, six
		// fixed domains) are ~0.6 to 1 away.
		if d := tvd(c.real, c.fake); d > 0.07 {
			t.Errorf("%s: decoys are %.2f away from real accounts (real %v, decoys %v)", c.what, d, c.real, c.fake)
		}
	}
	// The ten rare domains (one registration each) are shown as "•••.uk".
	for dom := range realDomains {
		if strings.HasPrefix(dom, "rare") {
			t.Errorf("a rare domain is shown: %s", dom)
		}
	}
	if realDomains["•••.uk"] != 10 || fakeDomains["•••.uk"] == 0 {
		t.Errorf("rare domains: real %d, decoys %d shown as •••.uk", realDomains["•••.uk"], fakeDomains["•••.uk"])
	}

	// One more registration moves almost no decoy (rendezvous draws).
	before := map[string]string{}
	for i := range 1000 {
		set, hint := shown(ok(t)(h.e.Start(ctx, fmt.Sprintf("stable%d", i), client)))
		before[fmt.Sprint(i)] = set + " " + hint
	}
	h.regs["new@example.edu"] = &sspr.Registration{UserID: "new@example.edu", Email: "z1@gmail.com", EmailConfirmed: h.clock.Now()}
	if err := h.e.RefreshDecoys(ctx); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i := range 1000 {
		set, hint := shown(ok(t)(h.e.Start(ctx, fmt.Sprintf("stable%d", i), client)))
		if before[fmt.Sprint(i)] != set+" "+hint {
			moved++
		}
	}
	if moved > 20 {
		t.Errorf("one new registration changed %d of 1,000 decoys", moved)
	}
}

func TestHintsDontTellLength(t *testing.T) {
	h := newHarness(t)
	h.regs[dave].Email = "d@example.net"
	f := h.start(t, dave, api.IntentReset)
	g := h.start(t, alice, api.IntentReset)
	if a, b := f.Methods[0].Hint, g.Methods[0].Hint; len(a) != len(b) {
		t.Fatalf("hints %q and %q differ in length", a, b)
	}
	if a, b := g.Methods[1].Hint, h.start(t, bob, api.IntentReset).Methods[1].Hint; len(a) != len(b) {
		t.Fatalf("hints %q and %q differ in length", a, b)
	}
}

// TestBlocksAreTold: whoever blocks alice's self-service, alice hears of it
// at both addresses, with the time it ends; an unknown id tells no one.
func TestBlocksAreTold(t *testing.T) {
	h := newHarness(t)
	for _, user := range []string{alice, "nobody"} {
		f := h.start(t, user, api.IntentReset)
		var err error
		for range 5 {
			_, err = h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900999", client)
		}
		wantCode(t, err, sspr.CodeThrottled)
	}
	var to []string
	for _, m := range h.out.all() {
		if m.Kind != notify.KindBlocked {
			t.Fatalf("unexpected message %s to %s", m.Kind, m.To)
		}
		if !strings.Contains(m.Body, "until 12:00 UTC on Tuesday 24 November 2026") || !strings.Contains(m.Body, "contact the service desk") {
			t.Errorf("the notice doesn't say until when, or whom to call:\n%s", m.Body)
		}
		to = append(to, m.To)
	}
	if !slices.Equal(to, []string{alice, "alice.alt@example.net"}) {
		t.Fatalf("notices went to %v", to)
	}
}

// TestSlowGuessingClosesSelfService: failures spread out so that no window
// ever blocks still close self-service after the cap, until the service
// desk opens it; a success ends the run.
func TestSlowGuessingClosesSelfService(t *testing.T) {
	h := newHarness(t, func(c *selfservice.Config) { c.ConsecutiveFailures = 12 })
	guess := func(n int) error {
		t.Helper()
		var err error
		for i := range n {
			h.clock.Advance(time.Minute) // past the e-mail cool-down
			if i%3 == 0 {
				h.clock.Advance(2 * time.Hour) // three an hour never reaches five
			}
			f := h.start(t, alice, api.IntentReset)
			ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
			_, err = h.e.VerifyCode(ctx, f.ID, api.KindEmail, "00000001", client)
		}
		return err
	}
	wantCode(t, guess(11), sspr.CodeCodeInvalid)
	// A whole reset ends the run.
	h.clock.Advance(time.Minute)
	f := h.passEmail(t, h.start(t, alice, api.IntentReset), "alice.alt@example.net")
	f = h.passQuestions(t, f, "blue fox")
	ok(t)(h.e.SetPassword(ctx, f.ID, "Alices-New-Password-1", client))
	wantCode(t, guess(11), sspr.CodeCodeInvalid)
	err := guess(1)
	wantCode(t, err, sspr.CodeThrottled)
	if !strings.Contains(err.Error(), "service desk") {
		t.Fatalf("closure = %v", err)
	}
	h.clock.Advance(30 * 24 * time.Hour) // no window lifts it
	_, err = h.e.Start(ctx, alice, client)
	wantCode(t, err, sspr.CodeThrottled)
	closed := 0
	for _, m := range h.out.all() {
		if m.Kind == notify.KindBlocked && strings.Contains(m.Subject, "closed") {
			closed++
		}
	}
	if closed != 2 {
		t.Fatalf("%d closure notices, want one at each address", closed)
	}
	if got := h.audit.kinds(); !slices.Contains(got, sspr.EventSelfServiceClosed+":"+alice) {
		t.Fatalf("audit = %v", got)
	}
}

// TestTextsGoOnlyToMobilesOfTheCountriesServed: SMS pumping. A registered
// number that can't receive a text (premium rate) or isn't of a country
// served gets no text, and each country's texts are capped per hour.
func TestTextsGoOnlyToMobilesOfTheCountriesServed(t *testing.T) {
	h := newHarness(t, func(c *selfservice.Config) { c.SMSPerCountry = 2 })
	h.regs[alice].Phone = "+449098790000" // premium rate, registered before the rule
	f := h.start(t, alice, api.IntentReset)
	_, err := h.e.SendCode(ctx, f.ID, api.KindSMS, "09098 790000", client)
	wantCode(t, err, sspr.CodeMethodUnavailable)
	if n := len(h.out.all()); n != 0 {
		t.Fatalf("%d messages sent to a premium-rate number", n)
	}
	h.regs[alice].Phone = "+447700900123"
	h.regs[dave].Phone, h.regs[dave].PhoneConfirmed = "+447700900999", h.clock.Now()
	h.passSMS(t, h.start(t, alice, api.IntentReset), "+447700900123", "+447700900123")
	h.passSMS(t, h.start(t, bob, api.IntentReset), "+447700900456", "+447700900456")
	f = h.start(t, dave, api.IntentReset)
	_, err = h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900999", client)
	wantCode(t, err, sspr.CodeThrottled)
	h.clock.Advance(2 * time.Hour)
	h.passSMS(t, h.start(t, dave, api.IntentReset), "+447700900999", "+447700900999")
}

// TestParallelWrongNumbersAreJudgedAtMostTheLimit: mobile numbers typed
// at once are judged one at a time, the block read under the same lock, so
// no more than the limit are ever compared, whatever the concurrency. What
// is judged is what the per-account count of wrong numbers counts (read
// from the State backend: the answers alone can't tell, since every one
// past the limit says "throttled" whether it was judged or not).
func TestParallelWrongNumbersAreJudgedAtMostTheLimit(t *testing.T) {
	h := newHarness(t)
	h.slow(t, time.Millisecond) // requests overlap, as over Redis
	f := h.start(t, alice, api.IntentReset)
	for round := range 6 {
		var wg sync.WaitGroup
		for i := range 15 {
			wg.Go(func() {
				_, err := h.e.SendCode(ctx, f.ID, api.KindSMS, fmt.Sprintf("+44770090%d%03d", round, i), client)
				if c := code(err); c != sspr.CodePhoneMismatch && c != sspr.CodeThrottled {
					t.Errorf("parallel number: %v", err)
				}
			})
		}
		wg.Wait()
	}
	w := h.cfg.AccountIdentityFailures.Window
	key := fmt.Sprintf("n:ident:user:%s:%d", alice, h.clock.Now().UnixNano()/int64(w))
	b, err := h.state.Get(ctx, key)
	if err != nil || b == nil {
		t.Fatalf("no count of wrong numbers at %s: %v", key, err)
	}
	if judged, _ := strconv.Atoi(string(b)); judged > h.cfg.AccountIdentityFailures.Max {
		t.Fatalf("%d wrong numbers judged, the limit is %d", judged, h.cfg.AccountIdentityFailures.Max)
	}
	_, err = h.e.SendCode(ctx, f.ID, api.KindSMS, "+447700900123", client)
	wantCode(t, err, sspr.CodeThrottled)
}
