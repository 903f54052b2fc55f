package sqlite_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sqlite"
)

func TestStore_Registration(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := MustOpen(t)
		h := newHasher()
		s := sqlite.NewStore(db)
		at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
		var answers []account.Answer
		for _, q := range []string{"first_job", "first_pet", "birth_town"} { // not in catalogue order
			hash, err := h.Hash(ctx, canon.Answer("Answer to "+q))
			if err != nil {
				t.Fatal(err)
			}
			answers = append(answers, account.Answer{QuestionID: q, Hash: hash})
		}
		want := account.Registration{
			UserID: "zoe@example.edu", Email: "zoe@example.net", EmailConfirmed: at,
			Phone: "+447700900999", PhoneConfirmed: at.Add(time.Second),
			Answers: answers, AnswersConfirmed: at.Add(time.Minute),
		}
		if err := s.PutRegistration(ctx, want); err != nil {
			t.Fatalf("PutRegistration: %v", err)
		}
		got, err := s.Registration(ctx, "zoe@example.edu")
		if err != nil || got == nil {
			t.Fatalf("Registration = %+v, %v", got, err)
		}
		// Times come back in UTC, the same instants.
		want.EmailConfirmed = want.EmailConfirmed.UTC()
		want.PhoneConfirmed = want.PhoneConfirmed.UTC()
		want.AnswersConfirmed = want.AnswersConfirmed.UTC()
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("Registration =\n%+v\nwant\n%+v", *got, want)
		}
		for _, a := range got.Answers {
			ok, err := h.Verify(ctx, a.Hash, canon.Answer("  ANSWER to  "+a.QuestionID+" "))
			if err != nil || !ok {
				t.Errorf("answer to %s does not verify: %v, %v", a.QuestionID, ok, err)
			}
		}
	})

	t.Run("absent", func(t *testing.T) {
		s := sqlite.NewStore(MustOpen(t))
		got, err := s.Registration(ctx, "nobody@example.edu")
		if err != nil || got != nil {
			t.Fatalf("Registration(unknown) = %+v, %v; want nil, nil", got, err)
		}
	})

	t.Run("replace", func(t *testing.T) {
		db, h := MustSeed(t)
		s := sqlite.NewStore(db)
		hash, err := h.Hash(ctx, canon.Answer("red kite"))
		if err != nil {
			t.Fatal(err)
		}
		want := account.Registration{
			UserID: "alice@example.edu", Email: "alice.new@example.net", EmailConfirmed: seedTime.Add(time.Hour),
			Answers:          []account.Answer{{QuestionID: "first_car", Hash: hash}},
			AnswersConfirmed: seedTime.Add(time.Hour),
		}
		if err := s.PutRegistration(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Registration(ctx, "alice@example.edu")
		if err != nil || got == nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("after replacing: %+v, %v; want %+v", got, err, want)
		}
		// Other users' registrations are untouched.
		if erin, err := s.Registration(ctx, "erin@example.edu"); err != nil || erin == nil || len(erin.Answers) != 5 {
			t.Fatalf("erin's registration after replacing alice's: %+v, %v", erin, err)
		}
	})

	t.Run("an empty registration removes it", func(t *testing.T) {
		db, _ := MustSeed(t)
		s := sqlite.NewStore(db)
		if err := s.PutRegistration(ctx, account.Registration{UserID: "alice@example.edu"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Registration(ctx, "alice@example.edu"); err != nil || got != nil {
			t.Fatalf("Registration after emptying = %+v, %v; want nil, nil", got, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		db, h := MustSeed(t)
		s := sqlite.NewStore(db)
		hash, err := h.Hash(ctx, "x")
		if err != nil {
			t.Fatal(err)
		}
		bad := map[string]account.Registration{
			"no user id":     {Email: "x@example.net"},
			"plain answer":   {UserID: "alice@example.edu", Answers: []account.Answer{{QuestionID: "first_pet", Hash: "blue fox"}}},
			"no question id": {UserID: "alice@example.edu", Answers: []account.Answer{{Hash: hash}}},
			"question twice": {UserID: "alice@example.edu", Answers: []account.Answer{{QuestionID: "first_pet", Hash: hash}, {QuestionID: "first_pet", Hash: hash}}},
		}
		for name, r := range bad {
			if err := s.PutRegistration(ctx, r); err == nil {
				t.Errorf("%s: PutRegistration succeeded", name)
			}
		}
		// A refused registration changed nothing.
		got, err := s.Registration(ctx, "alice@example.edu")
		if err != nil || got == nil || len(got.Answers) != 5 || got.Email != "alice.alt@example.net" {
			t.Fatalf("alice's registration after refusals: %+v, %v", got, err)
		}
	})
}

func TestStore_Events(t *testing.T) {
	ctx := context.Background()
	s := sqlite.NewStore(MustOpen(t))
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

	var alice []account.Event
	for i := range 5 {
		e := account.Event{
			At: base.Add(time.Duration(i) * time.Minute), Kind: account.EventPasswordReset, UserID: "alice@example.edu",
			ClientAddr: "192.0.2.1", UserAgent: "Firefox", Detail: fmt.Sprintf("methods=email,sms n=%d", i),
		}
		if err := s.Record(ctx, e); err != nil {
			t.Fatalf("Record: %v", err)
		}
		alice = append([]account.Event{e}, alice...) // newest first
	}
	bob := account.Event{At: base.Add(90 * time.Second), Kind: account.EventAccountUnlocked, UserID: "bob@example.edu"}
	if err := s.Record(ctx, bob); err != nil {
		t.Fatal(err)
	}
	// Two events in the same nanosecond: the later recorded comes first.
	same := []account.Event{
		{At: base.Add(time.Hour), Kind: account.EventBlocked, UserID: "carol@example.edu", Detail: "first"},
		{At: base.Add(time.Hour), Kind: account.EventBlocked, UserID: "carol@example.edu", Detail: "second"},
	}
	for _, e := range same {
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("OK", func(t *testing.T) {
		got, err := s.Events(ctx, "alice@example.edu", 10)
		if err != nil || !reflect.DeepEqual(got, alice) {
			t.Fatalf("Events = %+v, %v;\nwant %+v", got, err, alice)
		}
	})

	t.Run("limit", func(t *testing.T) {
		got, err := s.Events(ctx, "alice@example.edu", 2)
		if err != nil || !reflect.DeepEqual(got, alice[:2]) {
			t.Fatalf("Events(limit 2) = %+v, %v", got, err)
		}
	})

	t.Run("same time", func(t *testing.T) {
		got, err := s.Events(ctx, "carol@example.edu", 0)
		if err != nil || len(got) != 2 || got[0].Detail != "second" || got[1].Detail != "first" {
			t.Fatalf("Events = %+v, %v", got, err)
		}
	})

	t.Run("every user", func(t *testing.T) {
		got, err := s.Events(ctx, "", 0)
		if err != nil || len(got) != 8 {
			t.Fatalf("Events(all) = %d events, %v; want 8", len(got), err)
		}
		if got[0].UserID != "carol@example.edu" || got[7] != alice[4] {
			t.Fatalf("Events(all) not newest first: %+v", got)
		}
		// carol's two, alice's 4, 3, 2, then bob's, then alice's 1 and 0.
		if got[5] != bob {
			t.Fatalf("Events(all)[5] = %+v, want %+v", got[5], bob)
		}
	})

	t.Run("none", func(t *testing.T) {
		got, err := s.Events(ctx, "nobody@example.edu", 10)
		if err != nil || len(got) != 0 {
			t.Fatalf("Events(unknown) = %+v, %v", got, err)
		}
	})

	t.Run("an event without a time is stamped now", func(t *testing.T) {
		s := sqlite.NewStore(MustOpen(t))
		before := time.Now()
		if err := s.Record(ctx, account.Event{Kind: account.EventBlocked, UserID: "dave@example.edu"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Events(ctx, "dave@example.edu", 1)
		if err != nil || len(got) != 1 || got[0].At.Before(before.Add(-time.Second)) || got[0].At.After(time.Now()) {
			t.Fatalf("Events = %+v, %v", got, err)
		}
	})

	t.Run("ErrKindRequired", func(t *testing.T) {
		if err := s.Record(ctx, account.Event{UserID: "alice@example.edu"}); err == nil {
			t.Fatal("Record without a kind succeeded")
		}
	})
}
