// Package storetest is the behaviour every Store backend shares, as one
// table of tests: the SQLite store (package sqlite) and the PostgreSQL
// store (package pgstore) both run it, so that a portal behaves the same
// on either.
//
//	func TestStoreBehaviour(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store { return newEmptyStore(t) })
//	}
package storetest

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Store is a Store backend as the engines and the audit tools use it,
// and as `sspr remind unregistered` keeps its reminders in it.
type Store interface {
	sspr.Store
	sspr.Reminders
}

// fastParams make argon2id cheap: these tests are about storage, not cost.
var fastParams = secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

// Run runs the whole table; newStore returns an empty store of the test's
// own, closed when the test ends.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

var tests = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"Registration/OK", registrationOK},
	{"Registration/absent", registrationAbsent},
	{"Registration/only email", registrationOnlyEmail},
	{"Registration/only an authenticator app", registrationOnlyTOTP},
	{"Registration/passkeys", registrationPasskeys},
	{"Registration/replace", registrationReplace},
	{"Registration/an empty registration removes it", registrationEmpty},
	{"Registration/refusals change nothing", registrationRefusals},
	{"Registration/concurrent replacements: one wins whole", registrationConcurrent},
	{"Registration/text round trips", registrationText},
	{"Registration/language round trips", registrationLang},
	{"Population/empty", populationEmpty},
	{"Population/counts each shape", populationShapes},
	{"Population/follows replacements and removals", populationChanges},
	{"EachRegistration/empty", eachEmpty},
	{"EachRegistration/every registration whole, once", eachAll},
	{"EachRegistration/stops at fn's error", eachStops},
	{"EachRegistration/in id order, byte by byte", EachInIDOrder},
	{"Reminders/claim once a period", remindersOnce},
	{"Reminders/release undoes only its own claim", remindersRelease},
	{"Reminders/concurrent claims: one wins", remindersConcurrent},
	{"Events/OK", eventsOK},
	{"Events/an event without a time is stamped now", eventsStamped},
	{"Events/ErrKindRequired", eventsNoKind},
	{"Events/times keep the microsecond", eventsMicroseconds},
	{"Events/by flow, kind and time; every field kept", eventsQuery},
	{"Events/PurgeEvents deletes the older ones", eventsPurge},
}

var ctx = context.Background()

// base is a time with nanoseconds: a store keeps at least microseconds.
var base = time.Date(2026, 1, 2, 3, 4, 5, 6_007_008, time.FixedZone("CET", 3600))

func hashes(t *testing.T, ids ...string) []sspr.Answer {
	t.Helper()
	h := secret.NewArgon2(fastParams, 0)
	var out []sspr.Answer
	for _, q := range ids {
		hash, err := h.Hash(ctx, canon.Answer("Answer to "+q))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sspr.Answer{QuestionID: q, Hash: hash})
	}
	return out
}

// sameTime reports whether got is want's instant in UTC, to the
// microsecond: SQLite keeps nanoseconds, PostgreSQL microseconds.
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	return got.Location() == time.UTC && !got.Before(want.Truncate(time.Microsecond)) && !got.After(want)
}

// sameRegistration compares two registrations, times by sameTime.
func sameRegistration(got *sspr.Registration, want sspr.Registration) bool {
	if got == nil {
		return false
	}
	g, w := *got, want
	if !sameTime(g.EmailConfirmed, w.EmailConfirmed) || !sameTime(g.PhoneConfirmed, w.PhoneConfirmed) ||
		!sameTime(g.AnswersConfirmed, w.AnswersConfirmed) || !sameTime(g.TOTPConfirmed, w.TOTPConfirmed) {
		return false
	}
	g.EmailConfirmed, g.PhoneConfirmed, g.AnswersConfirmed, g.TOTPConfirmed = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	w.EmailConfirmed, w.PhoneConfirmed, w.AnswersConfirmed, w.TOTPConfirmed = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(g.Passkeys) != len(w.Passkeys) {
		return false
	}
	g.Passkeys, w.Passkeys = slices.Clone(g.Passkeys), slices.Clone(w.Passkeys)
	for i := range g.Passkeys {
		if !sameTime(g.Passkeys[i].Created, w.Passkeys[i].Created) || !sameTime(g.Passkeys[i].LastUsed, w.Passkeys[i].LastUsed) {
			return false
		}
		g.Passkeys[i].Created, g.Passkeys[i].LastUsed = time.Time{}, time.Time{}
		w.Passkeys[i].Created, w.Passkeys[i].LastUsed = time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(g, w)
}

func mustPut(t *testing.T, s Store, r sspr.Registration) {
	t.Helper()
	if err := s.PutRegistration(ctx, r); err != nil {
		t.Fatalf("PutRegistration(%s): %v", r.UserID, err)
	}
}

func mustGet(t *testing.T, s Store, id string) *sspr.Registration {
	t.Helper()
	r, err := s.Registration(ctx, id)
	if err != nil {
		t.Fatalf("Registration(%s): %v", id, err)
	}
	return r
}

func zoe(t *testing.T) sspr.Registration {
	return sspr.Registration{
		UserID: "zoe@example.edu", Email: "zoe@example.net", EmailConfirmed: base,
		Phone: "+447700900999", PhoneConfirmed: base.Add(time.Second),
		// Not in catalogue order: they come back in the order given.
		Answers:          hashes(t, "first_job", "first_pet", "birth_town"),
		AnswersConfirmed: base.Add(time.Minute),
		Lang:             "cy",
		TOTPKey:          SealedKey(1),
		TOTPConfirmed:    base.Add(2 * time.Minute),
		Passkeys: []sspr.Passkey{
			{ID: []byte("zoe-phone"), Name: "My phone", Credential: []byte(`{"id":"em9lLXBob25l"}`), Created: base.Add(3 * time.Minute),
				LastUsed: base.Add(time.Hour)},
			{ID: []byte{0, 1, 2, 0xff}, Name: "Clé USB", Credential: []byte(`{"id":"AAEC_w"}`), Created: base.Add(4 * time.Minute)},
		},
	}
}

// SealedKey stands for an authenticator key as server/seal leaves it:
// 48 bytes that are not base32 text, different for each n.
func SealedKey(n byte) []byte {
	b := make([]byte, 48)
	for i := range b {
		b[i] = byte(i*37) ^ n
	}
	b[0] = 0xff
	return b
}

func registrationPasskeys(t *testing.T, s Store) {
	want := sspr.Registration{UserID: "pat@example.edu", Passkeys: []sspr.Passkey{
		{ID: []byte("pat-key"), Name: "Laptop", Credential: []byte(`{}`), Created: base}}}
	mustPut(t, s, want)
	if got := mustGet(t, s, want.UserID); !sameRegistration(got, want) || !got.HasPasskey() {
		t.Fatalf("Registration = %+v; want %+v", got, want)
	}
	// A credential belongs to one account: another can't register it.
	other := sspr.Registration{UserID: "quin@example.edu", Email: "quin@example.net", EmailConfirmed: base,
		Passkeys: []sspr.Passkey{{ID: []byte("pat-key"), Name: "Stolen", Credential: []byte(`{}`), Created: base}}}
	if err := s.PutRegistration(ctx, other); err == nil {
		t.Fatal("a second account registered the same credential id")
	}
	if got := mustGet(t, s, other.UserID); got != nil {
		t.Fatalf("the refused registration was half written: %+v", got)
	}
	// Last used moves; removing one keeps the other.
	want.Passkeys = append(want.Passkeys, sspr.Passkey{ID: []byte("pat-phone"), Name: "Phone", Credential: []byte(`{"a":1}`), Created: base.Add(time.Minute)})
	want.Passkeys[0].LastUsed = base.Add(time.Hour)
	mustPut(t, s, want)
	want.Passkeys = want.Passkeys[1:]
	mustPut(t, s, want)
	if got := mustGet(t, s, want.UserID); !sameRegistration(got, want) {
		t.Fatalf("after removing one: %+v; want %+v", got, want)
	}
	if p := mustPopulation(t, s); p[sspr.Shape{Passkey: true}] != 1 {
		t.Fatalf("population %v: want one passkey-only registration", p)
	}
}

func registrationOnlyTOTP(t *testing.T, s Store) {
	want := sspr.Registration{UserID: "tam@example.edu", TOTPKey: SealedKey(2), TOTPConfirmed: base}
	mustPut(t, s, want)
	got := mustGet(t, s, want.UserID)
	if !sameRegistration(got, want) || !got.HasTOTP() || got.HasEmail() {
		t.Fatalf("Registration = %+v; want %+v", got, want)
	}
	// Removing the app leaves nothing.
	mustPut(t, s, sspr.Registration{UserID: want.UserID})
	if got := mustGet(t, s, want.UserID); got != nil {
		t.Fatalf("Registration after removing the app = %+v; want nil", got)
	}
}

func registrationOK(t *testing.T, s Store) {
	want := zoe(t)
	mustPut(t, s, want)
	got := mustGet(t, s, want.UserID)
	if !sameRegistration(got, want) {
		t.Fatalf("Registration =\n%+v\nwant\n%+v", got, want)
	}
	h := secret.NewArgon2(fastParams, 0)
	for _, a := range got.Answers {
		ok, err := h.Verify(ctx, a.Hash, canon.Answer("  ANSWER to  "+a.QuestionID+" "))
		if err != nil || !ok {
			t.Errorf("answer to %s does not verify: %v, %v", a.QuestionID, ok, err)
		}
	}
}

func registrationAbsent(t *testing.T, s Store) {
	if got := mustGet(t, s, "nobody@example.edu"); got != nil {
		t.Fatalf("Registration(unknown) = %+v; want nil", got)
	}
}

func registrationOnlyEmail(t *testing.T, s Store) {
	want := sspr.Registration{UserID: "yan@example.edu", Email: "yan@example.net", EmailConfirmed: base}
	mustPut(t, s, want)
	got := mustGet(t, s, want.UserID)
	if !sameRegistration(got, want) || got.Answers != nil || !got.PhoneConfirmed.IsZero() || got.HasPhone() || !got.HasEmail() {
		t.Fatalf("Registration = %+v; want %+v", got, want)
	}
	// An unconfirmed address is kept as such.
	want = sspr.Registration{UserID: "yan@example.edu", Email: "yan@example.net"}
	mustPut(t, s, want)
	if got := mustGet(t, s, want.UserID); !sameRegistration(got, want) || got.HasEmail() {
		t.Fatalf("Registration = %+v; want %+v", got, want)
	}
}

func registrationReplace(t *testing.T, s Store) {
	mustPut(t, s, zoe(t))
	other := sspr.Registration{UserID: "erin@example.edu", Email: "erin@example.net", EmailConfirmed: base,
		Answers: hashes(t, "a", "b", "c", "d", "e"), AnswersConfirmed: base}
	mustPut(t, s, other)
	want := sspr.Registration{
		UserID: "zoe@example.edu", Email: "zoe.new@example.net", EmailConfirmed: base.Add(time.Hour),
		Answers: hashes(t, "first_car"), AnswersConfirmed: base.Add(time.Hour),
	}
	mustPut(t, s, want)
	if got := mustGet(t, s, "zoe@example.edu"); !sameRegistration(got, want) || got.Phone != "" {
		t.Fatalf("after replacing: %+v; want %+v", got, want)
	}
	// Other users' registrations are untouched.
	if got := mustGet(t, s, "erin@example.edu"); !sameRegistration(got, other) {
		t.Fatalf("erin's registration after replacing zoe's: %+v", got)
	}
}

func registrationEmpty(t *testing.T, s Store) {
	mustPut(t, s, zoe(t))
	mustPut(t, s, sspr.Registration{UserID: "zoe@example.edu"})
	if got := mustGet(t, s, "zoe@example.edu"); got != nil {
		t.Fatalf("Registration after emptying = %+v; want nil", got)
	}
	// Registering again after that works.
	want := zoe(t)
	mustPut(t, s, want)
	if got := mustGet(t, s, "zoe@example.edu"); !sameRegistration(got, want) {
		t.Fatalf("Registration after registering again = %+v", got)
	}
	// Emptying someone who registered nothing is no error.
	mustPut(t, s, sspr.Registration{UserID: "nobody@example.edu"})
}

func registrationRefusals(t *testing.T, s Store) {
	want := zoe(t)
	mustPut(t, s, want)
	hash := want.Answers[0].Hash
	bad := map[string]sspr.Registration{
		"no user id":     {Email: "x@example.net"},
		"plain answer":   {UserID: want.UserID, Answers: []sspr.Answer{{QuestionID: "first_pet", Hash: "blue fox"}}},
		"no question id": {UserID: want.UserID, Answers: []sspr.Answer{{Hash: hash}}},
		"question twice": {UserID: want.UserID, Answers: []sspr.Answer{{QuestionID: "first_pet", Hash: hash}, {QuestionID: "first_pet", Hash: hash}}},
		"plain app key":  {UserID: want.UserID, TOTPKey: []byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), TOTPConfirmed: base},
		"passkey twice": {UserID: want.UserID, Passkeys: []sspr.Passkey{{ID: []byte("k"), Credential: []byte("{}"), Created: base},
			{ID: []byte("k"), Credential: []byte("{}"), Created: base}}},
	}
	for name, r := range bad {
		err := s.PutRegistration(ctx, r)
		if err == nil {
			t.Errorf("%s: PutRegistration succeeded", name)
			continue
		}
		// A refused answer is never quoted back (it may be the plain
		// answer), and the error names no hash.
		if strings.Contains(err.Error(), "blue fox") || strings.Contains(err.Error(), "$argon2id$") {
			t.Errorf("%s: the error quotes the answer: %v", name, err)
		}
	}
	if got := mustGet(t, s, want.UserID); !sameRegistration(got, want) {
		t.Fatalf("zoe's registration after refusals: %+v", got)
	}
}

// registrationConcurrent: several servers replacing one user's
// registration at once all succeed, and what is left is one of them whole,
// never a mix.
func registrationConcurrent(t *testing.T, s Store) {
	const n = 8
	regs := make([]sspr.Registration, n)
	for i := range regs {
		var ids []string
		for j := range 3 + i%3 {
			ids = append(ids, fmt.Sprintf("q%d_%d", i, j))
		}
		regs[i] = sspr.Registration{UserID: "zoe@example.edu", Email: fmt.Sprintf("zoe%d@example.net", i), EmailConfirmed: base,
			Answers: hashes(t, ids...), AnswersConfirmed: base}
	}
	mustPut(t, s, regs[0])
	var wg sync.WaitGroup
	errs := make(chan error, n*3)
	for round := range 3 {
		for i := range regs {
			wg.Go(func() {
				if err := s.PutRegistration(ctx, regs[(i+round)%n]); err != nil {
					errs <- err
				}
				if _, err := s.Registration(ctx, "zoe@example.edu"); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent PutRegistration: %v", err)
	}
	got := mustGet(t, s, "zoe@example.edu")
	for _, r := range regs {
		if sameRegistration(got, r) {
			return
		}
	}
	t.Fatalf("after concurrent replacements: %+v is none of them whole", got)
}

func registrationText(t *testing.T, s Store) {
	want := sspr.Registration{UserID: "zoë.o'brien@例え.jp", Email: "zoë+tag@例え.jp", EmailConfirmed: base,
		Answers: hashes(t, strings.Repeat("q", 200)), AnswersConfirmed: base}
	mustPut(t, s, want)
	if got := mustGet(t, s, want.UserID); !sameRegistration(got, want) {
		t.Fatalf("Registration = %+v; want %+v", got, want)
	}
	// User ids are compared exactly: canonicalising is package canon's job.
	if got := mustGet(t, s, strings.ToUpper(want.UserID)); got != nil {
		t.Fatalf("Registration(upper case) = %+v; want nil", got)
	}
}

// registrationLang: the language is kept as it is given, by Registration
// and EachRegistration alike, and replaced with the rest: "" (not known)
// too, for what to keep is the engine's to say.
func registrationLang(t *testing.T, s Store) {
	for _, tc := range []struct {
		name string
		put  []string // the languages put in turn; the last is kept
	}{
		{"none", []string{""}},
		{"Welsh", []string{"cy"}},
		{"Arabic", []string{"ar"}},
		{"a script subtag", []string{"zh-Hans"}},
		{"replaced", []string{"cy", "ar"}},
		{"replaced with none", []string{"zh-Hans", ""}},
		{"after removal", []string{"cy", "-", "en"}}, // "-": the registration emptied
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := strings.ReplaceAll(tc.name, " ", "-") + "@example.edu"
			want := sspr.Registration{UserID: user, Email: "x@example.net", EmailConfirmed: base}
			for _, lang := range tc.put {
				if lang == "-" {
					mustPut(t, s, sspr.Registration{UserID: user})
					continue
				}
				want.Lang = lang
				mustPut(t, s, want)
			}
			if got := mustGet(t, s, user); !sameRegistration(got, want) {
				t.Fatalf("Registration = %+v; want %+v", got, want)
			}
			if got, ok := every(t, s)[user]; !ok || !sameRegistration(&got, want) {
				t.Fatalf("EachRegistration: %+v, %t; want %+v", got, ok, want)
			}
		})
	}
}

func eventsOK(t *testing.T, s Store) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var alice []sspr.Event
	for i := range 5 {
		e := sspr.Event{
			At: at.Add(time.Duration(i) * time.Minute), Kind: sspr.EventPasswordReset, UserID: "alice@example.edu",
			ClientAddr: "192.0.2.1", UserAgent: "Firefox ☃", Detail: fmt.Sprintf("methods=email,sms n=%d", i),
		}
		if err := s.Record(ctx, e); err != nil {
			t.Fatalf("Record: %v", err)
		}
		alice = append([]sspr.Event{e}, alice...) // newest first
	}
	bob := sspr.Event{At: at.Add(90 * time.Second), Kind: sspr.EventAccountUnlocked, UserID: "bob@example.edu"}
	if err := s.Record(ctx, bob); err != nil {
		t.Fatal(err)
	}
	// Two events at the same time: the later recorded comes first.
	for _, d := range []string{"first", "second"} {
		if err := s.Record(ctx, sspr.Event{At: at.Add(time.Hour), Kind: sspr.EventBlocked, UserID: "carol@example.edu", Detail: d}); err != nil {
			t.Fatal(err)
		}
	}

	if got, err := s.Events(ctx, sspr.EventQuery{User: "alice@example.edu", Limit: 10}); err != nil || !reflect.DeepEqual(got, alice) {
		t.Fatalf("Events = %+v, %v;\nwant %+v", got, err, alice)
	}
	if got, err := s.Events(ctx, sspr.EventQuery{User: "alice@example.edu", Limit: 2}); err != nil || !reflect.DeepEqual(got, alice[:2]) {
		t.Fatalf("Events(limit 2) = %+v, %v", got, err)
	}
	if got, err := s.Events(ctx, sspr.EventQuery{User: "carol@example.edu"}); err != nil || len(got) != 2 || got[0].Detail != "second" || got[1].Detail != "first" {
		t.Fatalf("Events(same time) = %+v, %v", got, err)
	}
	got, err := s.Events(ctx, sspr.EventQuery{})
	if err != nil || len(got) != 8 {
		t.Fatalf("Events(all) = %d events, %v; want 8", len(got), err)
	}
	// carol's two, alice's 4, 3, 2, then bob's, then alice's 1 and 0.
	if got[0].UserID != "carol@example.edu" || got[5] != bob || got[7] != alice[4] {
		t.Fatalf("Events(all) not newest first: %+v", got)
	}
	if got, err := s.Events(ctx, sspr.EventQuery{Limit: 3}); err != nil || len(got) != 3 {
		t.Fatalf("Events(all, limit 3) = %d events, %v", len(got), err)
	}
	if got, err := s.Events(ctx, sspr.EventQuery{User: "nobody@example.edu", Limit: 10}); err != nil || len(got) != 0 {
		t.Fatalf("Events(unknown) = %+v, %v", got, err)
	}
}

func eventsStamped(t *testing.T, s Store) {
	before := time.Now()
	if err := s.Record(ctx, sspr.Event{Kind: sspr.EventBlocked, UserID: "dave@example.edu"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(ctx, sspr.EventQuery{User: "dave@example.edu", Limit: 1})
	if err != nil || len(got) != 1 || got[0].At.Before(before.Add(-time.Second)) || got[0].At.After(time.Now()) || got[0].At.Location() != time.UTC {
		t.Fatalf("Events = %+v, %v", got, err)
	}
}

func eventsNoKind(t *testing.T, s Store) {
	if err := s.Record(ctx, sspr.Event{UserID: "alice@example.edu"}); err == nil {
		t.Fatal("Record without a kind succeeded")
	}
	if got, err := s.Events(ctx, sspr.EventQuery{User: "alice@example.edu"}); err != nil || len(got) != 0 {
		t.Fatalf("Events after a refused event = %+v, %v", got, err)
	}
}

func eventsMicroseconds(t *testing.T, s Store) {
	e := sspr.Event{At: base, Kind: sspr.EventSignIn, UserID: "erin@example.edu"}
	if err := s.Record(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(ctx, sspr.EventQuery{User: "erin@example.edu"})
	if err != nil || len(got) != 1 || !sameTime(got[0].At, base) {
		t.Fatalf("Events = %+v, %v; want the time %s", got, err, base.UTC())
	}
}

// ShapeOf is the shape of r as Population counts it, the reference both
// stores are checked against. A confirmed address's Domain and Initial are
// canon.EmailDomain's and canon.EmailInitial's, as the hints of real
// addresses are made: what follows the last '@', and the first character
// (not byte) of the local part, in lower case by Go's rules rather than
// the database's.
func ShapeOf(r sspr.Registration) sspr.Shape {
	s := sspr.Shape{Email: r.HasEmail(), Phone: r.HasPhone(), TOTP: r.HasTOTP(), Passkey: r.HasPasskey()}
	if !r.AnswersConfirmed.IsZero() {
		s.Answers = len(r.Answers)
	}
	if s.Email {
		s.Domain, s.Initial = canon.EmailDomain(r.Email), canon.EmailInitial(r.Email)
	}
	return s
}

// PopulationOf counts the shapes of rs (by ShapeOf), as a store holding
// exactly rs must.
func PopulationOf(rs iter.Seq[sspr.Registration]) sspr.Population {
	p := sspr.Population{}
	for r := range rs {
		p[ShapeOf(r)]++
	}
	return p
}

// Synthetic yields n registrations of varied shapes for benchmarks: the
// same ones for the same n, user ids user0@example.edu, user1@..., each
// storable (Check passes, and each has an address, a number or answers).
// The answer "hashes" only look like argon2id encodings (of a realistic
// length): hashing millions of answers would take hours and prove nothing
// about counting them.
func Synthetic(n int) iter.Seq[sspr.Registration] {
	return func(yield func(sspr.Registration) bool) {
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := range n {
			// splitmix64: cheap, deterministic, well spread.
			x := uint64(i) + 0x9e3779b97f4a7c15
			x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
			x = (x ^ x>>27) * 0x94d049bb133111eb
			x ^= x >> 31
			pick := func(n uint64) uint64 { v := x % n; x /= n; return v }

			r := sspr.Registration{UserID: fmt.Sprintf("user%d@example.edu", i)}
			if pick(10) < 8 {
				r.Email = syntheticInitials[pick(uint64(len(syntheticInitials)))] + fmt.Sprint(i) + "@" +
					syntheticDomains[pick(uint64(len(syntheticDomains)))]
				if pick(10) < 9 {
					r.EmailConfirmed = at
				}
			}
			switch pick(20) {
			case 0: // started, never confirmed
				r.Phone = "+447700900123"
			case 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12:
				r.Phone, r.PhoneConfirmed = "+447700900123", at
			}
			if pick(2) == 0 {
				r.Answers = syntheticAnswers[3+pick(3)]
				if pick(10) < 9 {
					r.AnswersConfirmed = at
				}
			}
			if pick(10) == 0 {
				r.TOTPKey, r.TOTPConfirmed = syntheticKey, at
			}
			if r.Email == "" && r.Phone == "" && r.Answers == nil && r.TOTPKey == nil {
				r.Phone = "+447700900456" // registered nothing yet: still a row
			}
			if !yield(r) {
				return
			}
		}
	}
}

var (
	syntheticInitials = []string{"a", "B", "c", "d", "E", "f", "g", "m", "s", "z", "é", "Ø", "张"}
	syntheticDomains  = []string{"gmail.com", "Gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk",
		"icloud.com", "example.net", "ÉCOLE.fr", "例え.jp"}
	syntheticKey = SealedKey(0)
	// syntheticAnswers[n] is n answers sharing one look-alike hash.
	syntheticAnswers = func() [6][]sspr.Answer {
		hash := "$argon2id$v=19$m=65536,t=3,p=4$" + strings.Repeat("c2FsdA", 4) + "$" + strings.Repeat("aGFzaA", 7)
		var out [6][]sspr.Answer
		for n := range out {
			for q := range n {
				out[n] = append(out[n], sspr.Answer{QuestionID: fmt.Sprintf("q%d", q), Hash: hash})
			}
		}
		return out
	}()
)

func mustPopulation(t *testing.T, s Store) sspr.Population {
	t.Helper()
	p, err := s.Population(ctx)
	if err != nil {
		t.Fatalf("Population: %v", err)
	}
	return p
}

// samePopulation fails the test unless got is want, listing the
// differences.
func samePopulation(t *testing.T, got, want sspr.Population) {
	t.Helper()
	if got == nil {
		t.Fatalf("Population = nil; want %v", want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("Population[%+v] = %d; want %d", s, got[s], n)
		}
	}
	for s, n := range got {
		if _, ok := want[s]; !ok {
			t.Errorf("Population[%+v] = %d; want none", s, n)
		}
	}
}

func populationEmpty(t *testing.T, s Store) {
	samePopulation(t, mustPopulation(t, s), sspr.Population{})
}

func populationShapes(t *testing.T, s Store) {
	three, five := hashes(t, "a", "b", "c"), hashes(t, "a", "b", "c", "d", "e")
	regs := []sspr.Registration{
		// Everything confirmed, the domain in upper case.
		{UserID: "u1", Email: "alice.alt@Example.NET", EmailConfirmed: base, Phone: "+447700900001", PhoneConfirmed: base,
			Answers: three, AnswersConfirmed: base},
		// Three users of one shape: their counts add up; the initial
		// and the domain are compared in lower case.
		{UserID: "u2", Email: "bob@example.net", EmailConfirmed: base},
		{UserID: "u3", Email: "Bea@EXAMPLE.net", EmailConfirmed: base},
		{UserID: "u4", Email: "bill@example.net", EmailConfirmed: base},
		// An unconfirmed address shows nothing of itself; the phone does.
		{UserID: "u5", Email: "carol@example.org", Phone: "+447700900005", PhoneConfirmed: base},
		{UserID: "u6", Email: "dave@example.org", Phone: "+447700900006", PhoneConfirmed: base},
		// Unconfirmed answers count as none; confirmed ones by number.
		{UserID: "u7", Email: "erin@example.org", EmailConfirmed: base, Answers: five},
		{UserID: "u8", Answers: five, AnswersConfirmed: base},
		{UserID: "u9", Answers: three, AnswersConfirmed: base, Phone: "+447700900009", PhoneConfirmed: base},
		// A multi-byte initial and domain, in upper case: lowered as
		// characters, not bytes.
		{UserID: "u10", Email: "Élodie@ÉCOLE.fr", EmailConfirmed: base},
		{UserID: "u11", Email: "张伟@例え.jp", EmailConfirmed: base, Phone: "+447700900011", PhoneConfirmed: base},
		// The domain follows the last '@'.
		{UserID: "u12", Email: `"x@y"@Example.ORG`, EmailConfirmed: base},
		// No initial where a hint would show none: an empty local part,
		// a combining mark, an invisible character.
		{UserID: "u15", Email: "@example.net", EmailConfirmed: base},
		{UserID: "u16", Email: "\u0301x@example.net", EmailConfirmed: base},
		{UserID: "u17", Email: "\u200bx@example.net", EmailConfirmed: base},
		// No '@' at all: no domain, no initial.
		{UserID: "u18", Email: "x", EmailConfirmed: base},
		// A confirmation time without a value is no method.
		{UserID: "u13", EmailConfirmed: base, Phone: "+447700900013", PhoneConfirmed: base},
		// Nothing confirmed: a registration of the empty shape.
		{UserID: "u14", Email: "frank@example.com", Phone: "+447700900014", Answers: three},
	}
	for _, r := range regs {
		mustPut(t, s, r)
	}
	want := sspr.Population{
		{Email: true, Phone: true, Answers: 3, Domain: "example.net", Initial: "a"}: 1,
		{Email: true, Domain: "example.net", Initial: "b"}:                          3,
		{Phone: true}: 3, // u5, u6, u13
		{Email: true, Domain: "example.org", Initial: "e"}: 1,
		{Answers: 5}:              1,
		{Phone: true, Answers: 3}: 1,
		{Email: true, Domain: "école.fr", Initial: "é"}:           1,
		{Email: true, Phone: true, Domain: "例え.jp", Initial: "张"}: 1,
		{Email: true, Domain: "example.org", Initial: `"`}:        1,
		{Email: true, Domain: "example.net"}:                      3,
		{Email: true}:                                             1,
		{}:                                                        1,
	}
	got := mustPopulation(t, s)
	samePopulation(t, got, want)
	// The reference agrees (the benchmarks check the stores against it).
	samePopulation(t, PopulationOf(slices.Values(regs)), want)
}

func populationChanges(t *testing.T, s Store) {
	mustPut(t, s, zoe(t))
	mustPut(t, s, sspr.Registration{UserID: "yan@example.edu", Email: "yan@example.net", EmailConfirmed: base})
	zoeShape := sspr.Shape{Email: true, Phone: true, Answers: 3, TOTP: true, Passkey: true, Domain: "example.net", Initial: "z"}
	samePopulation(t, mustPopulation(t, s), sspr.Population{
		zoeShape: 1,
		{Email: true, Domain: "example.net", Initial: "y"}: 1,
	})
	// A replaced registration counts by its new shape only; a removed one
	// no more.
	mustPut(t, s, sspr.Registration{UserID: "yan@example.edu", Phone: "+447700900999", PhoneConfirmed: base})
	mustPut(t, s, sspr.Registration{UserID: "zoe@example.edu"})
	samePopulation(t, mustPopulation(t, s), sspr.Population{{Phone: true}: 1})
	mustPut(t, s, sspr.Registration{UserID: "yan@example.edu"})
	samePopulation(t, mustPopulation(t, s), sspr.Population{})
}

func eventsQuery(t *testing.T, s Store) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	full := sspr.Event{At: at, Kind: sspr.EventFlowStarted, UserID: "alice@example.edu", Flow: "f-one",
		Request: "r-1", Outcome: sspr.OutcomeOK, ClientAddr: "192.0.2.7", UserAgent: "Safari", Detail: "registered=true"}
	events := []sspr.Event{
		full,
		{At: at.Add(time.Minute), Kind: sspr.EventCodeSent, UserID: "alice@example.edu", Flow: "f-one", Outcome: sspr.OutcomeOK},
		{At: at.Add(2 * time.Minute), Kind: sspr.EventCodeWrong, UserID: "alice@example.edu", Flow: "f-one", Outcome: sspr.OutcomeRefused},
		{At: at.Add(3 * time.Minute), Kind: sspr.EventFlowStarted, UserID: "alice@example.edu", Flow: "f-two", Outcome: sspr.OutcomeOK},
		{At: at.Add(4 * time.Minute), Kind: sspr.EventCodeSent, UserID: "bob@example.edu", Flow: "f-three", Outcome: sspr.OutcomeOK},
	}
	for _, e := range events {
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		q    sspr.EventQuery
		want []int // indexes into events, newest first
	}{
		{"flow", sspr.EventQuery{Flow: "f-one"}, []int{2, 1, 0}},
		{"kinds", sspr.EventQuery{Kinds: []string{sspr.EventCodeSent, sspr.EventCodeWrong}}, []int{4, 2, 1}},
		{"user and kind", sspr.EventQuery{User: "alice@example.edu", Kinds: []string{sspr.EventFlowStarted}}, []int{3, 0}},
		{"since, until", sspr.EventQuery{Since: at.Add(time.Minute), Until: at.Add(3 * time.Minute)}, []int{2, 1}},
		{"user, since, limit", sspr.EventQuery{User: "alice@example.edu", Since: at.Add(time.Minute), Limit: 2}, []int{3, 2}},
	} {
		got, err := s.Events(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var want []sspr.Event
		for _, i := range tc.want {
			want = append(want, events[i])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Events = %+v\nwant %+v", tc.name, got, want)
		}
	}
}

func eventsPurge(t *testing.T, s Store) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 4 {
		if err := s.Record(ctx, sspr.Event{At: at.Add(time.Duration(i) * time.Hour), Kind: sspr.EventSignIn, UserID: "carol@example.edu"}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgeEvents(ctx, at.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PurgeEvents = %d, %v; want 2", n, err)
	}
	got, err := s.Events(ctx, sspr.EventQuery{User: "carol@example.edu"})
	if err != nil || len(got) != 2 || !got[1].At.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("after the purge: %+v, %v", got, err)
	}
}
