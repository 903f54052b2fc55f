package sqlite_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)
	s := sqlite.NewStore(db)

	want := map[string]struct {
		acct sspr.Account
		reg  *sspr.Registration // answers checked separately
		ans  string
	}{
		"alice@example.edu": {
			sspr.Account{ID: "alice@example.edu", DisplayName: "Alice Archer", Mail: "alice@example.edu", OU: "students/physics"},
			&sspr.Registration{UserID: "alice@example.edu", Email: "alice.alt@example.net", EmailConfirmed: seedTime,
				Phone: "+447700900123", PhoneConfirmed: seedTime, AnswersConfirmed: seedTime},
			"blue fox",
		},
		"bob@example.edu": {
			sspr.Account{ID: "bob@example.edu", DisplayName: "Bob Baker", Mail: "bob@example.edu", Locked: true, OU: "students/physics"},
			&sspr.Registration{UserID: "bob@example.edu", Email: "bob.alt@example.net", EmailConfirmed: seedTime,
				Phone: "+447700900456", PhoneConfirmed: seedTime},
			"",
		},
		"carol@example.edu": {
			sspr.Account{ID: "carol@example.edu", DisplayName: "Carol Clark", Mail: "carol@example.edu", OU: "students/history"},
			nil, "",
		},
		"dave@example.edu": {
			sspr.Account{ID: "dave@example.edu", DisplayName: "Dave Dunn", Mail: "dave@example.edu", OU: "students/history"},
			&sspr.Registration{UserID: "dave@example.edu", Email: "dave.alt@example.net", EmailConfirmed: seedTime},
			"",
		},
		"erin@example.edu": {
			sspr.Account{ID: "erin@example.edu", DisplayName: "Erin Evans", Mail: "erin@example.edu", OU: "staff/library"},
			&sspr.Registration{UserID: "erin@example.edu", Email: "erin.alt@example.net", EmailConfirmed: seedTime,
				Phone: "+447700900789", PhoneConfirmed: seedTime, AnswersConfirmed: seedTime},
			"green owl",
		},
		"helpdesk@example.edu": {
			sspr.Account{ID: "helpdesk@example.edu", DisplayName: "Hana Hughes (Service Desk)", Mail: "helpdesk@example.edu", OU: "staff/it"},
			&sspr.Registration{UserID: "helpdesk@example.edu", Email: "helpdesk.alt@example.net", EmailConfirmed: seedTime,
				Phone: "+447700900321", PhoneConfirmed: seedTime},
			"",
		},
		"auditor@example.edu": {
			sspr.Account{ID: "auditor@example.edu", DisplayName: "Ari Adams (Audit)", Mail: "auditor@example.edu", OU: "staff/finance"},
			&sspr.Registration{UserID: "auditor@example.edu", Email: "auditor.alt@example.net", EmailConfirmed: seedTime},
			"",
		},
	}
	if len(sqlite.DevAccounts) != len(want) {
		t.Fatalf("%d dev accounts, want %d", len(sqlite.DevAccounts), len(want))
	}

	seen := map[string]bool{} // every hash has its own salt
	for _, da := range sqlite.DevAccounts {
		w, ok := want[da.ID]
		if !ok {
			t.Fatalf("unexpected dev account %q", da.ID)
		}
		t.Run(da.ID, func(t *testing.T) {
			if c, err := canon.UserID(da.ID, ""); err != nil || c != da.ID {
				t.Errorf("id %q is not canonical (%q, %v)", da.ID, c, err)
			}
			w.acct.PasswordSetAt = seedTime
			got, err := d.Lookup(ctx, da.ID)
			if err != nil || got == nil || *got != w.acct {
				t.Fatalf("Lookup = %+v, %v; want %+v", got, err, w.acct)
			}
			checkPassword(t, d, da.ID, da.Password, true)

			reg, err := s.Registration(ctx, da.ID)
			if err != nil {
				t.Fatal(err)
			}
			if w.reg == nil {
				if reg != nil {
					t.Fatalf("Registration = %+v, want none", reg)
				}
				return
			}
			if reg == nil {
				t.Fatal("no registration")
			}
			answers := reg.Answers
			reg.Answers = nil
			if !reflect.DeepEqual(*reg, *w.reg) {
				t.Fatalf("Registration =\n%+v\nwant\n%+v", *reg, *w.reg)
			}
			if w.ans == "" {
				if len(answers) != 0 {
					t.Fatalf("answers = %+v, want none", answers)
				}
				return
			}
			var ids []string
			for _, a := range answers {
				ids = append(ids, a.QuestionID)
				if seen[a.Hash] {
					t.Errorf("answer hash to %s reused", a.QuestionID)
				}
				seen[a.Hash] = true
				for typed, want := range map[string]bool{w.ans: true, "  " + w.ans + " ": true, "wrong": false} {
					ok, err := h.Verify(ctx, a.Hash, canon.Answer(typed))
					if err != nil || ok != want {
						t.Errorf("answer to %s, typed %q: %v, %v; want %v", a.QuestionID, typed, ok, err, want)
					}
				}
			}
			if !reflect.DeepEqual(ids, sqlite.DevQuestions) {
				t.Errorf("questions = %v, want %v", ids, sqlite.DevQuestions)
			}
		})
	}

	t.Run("the five questions come first in the catalogue", func(t *testing.T) {
		b, err := os.ReadFile("../../static/questions/en.json")
		if err != nil {
			t.Fatal(err)
		}
		var cat struct {
			Questions []struct{ ID string } `json:"questions"`
		}
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatal(err)
		}
		if len(cat.Questions) < 5 {
			t.Fatalf("catalogue has %d questions", len(cat.Questions))
		}
		var first []string
		for _, q := range cat.Questions[:5] {
			first = append(first, q.ID)
		}
		if !reflect.DeepEqual(first, sqlite.DevQuestions) {
			t.Fatalf("first five questions = %v, DevQuestions = %v", first, sqlite.DevQuestions)
		}
	})

	t.Run("idempotent", func(t *testing.T) {
		if err := d.SetPassword(ctx, "alice@example.edu", "Alice-New-Password-2"); err != nil {
			t.Fatal(err)
		}
		if err := d.Unlock(ctx, "bob@example.edu"); err != nil {
			t.Fatal(err)
		}
		before, err := s.Registration(ctx, "erin@example.edu")
		if err != nil {
			t.Fatal(err)
		}
		if err := sqlite.Seed(ctx, db, h, seedTime.Add(time.Hour)); err != nil {
			t.Fatalf("second Seed: %v", err)
		}
		checkPassword(t, d, "alice@example.edu", "Alice-New-Password-2", true)
		checkLocked(t, d, "bob@example.edu", false)
		after, err := s.Registration(ctx, "erin@example.edu")
		if err != nil || !reflect.DeepEqual(before, after) {
			t.Fatalf("erin's registration changed by a second Seed:\n%+v\n%+v (%v)", before, after, err)
		}
	})
}

// BenchmarkSeed measures the dev seed at production argon2id cost: it runs
// on every dev start, so it should stay well under a second.
func BenchmarkSeed(b *testing.B) {
	ctx := context.Background()
	h := secret.NewArgon2(secret.DefaultParams, 0)
	for b.Loop() {
		b.StopTimer()
		db := MustOpen(b)
		b.StartTimer()
		if err := sqlite.Seed(ctx, db, h, seedTime); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMemberOf: the embedded directory's groups hold the demo staff, and
// no one else.
func TestMemberOf(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)
	for _, tt := range []struct {
		user, group string
		want        bool
	}{
		{"helpdesk@example.edu", sqlite.DevServiceDeskGroup, true},
		{"helpdesk@example.edu", sqlite.DevAuditorGroup, false},
		{"auditor@example.edu", sqlite.DevAuditorGroup, true},
		{"auditor@example.edu", sqlite.DevServiceDeskGroup, false},
		{"alice@example.edu", sqlite.DevServiceDeskGroup, false},
		{"nobody@example.edu", sqlite.DevServiceDeskGroup, false},
		{"helpdesk@example.edu", "Service-Desk", false}, // names are exact
	} {
		if got, err := d.MemberOf(ctx, tt.user, tt.group); err != nil || got != tt.want {
			t.Errorf("MemberOf(%s, %s) = %v, %v; want %v", tt.user, tt.group, got, err, tt.want)
		}
	}
}

// TestFind: accounts by a part of the id or the display name, case aside;
// LIKE's wildcards in the term are plain characters.
func TestFind(t *testing.T) {
	ctx := context.Background()
	db, h := MustSeed(t)
	d := sqlite.NewDirectory(db, h, 0)
	for _, tt := range []struct {
		term string
		want []string
	}{
		{"archer", []string{"alice@example.edu"}},
		{"ALI", []string{"alice@example.edu"}},
		{"service desk", []string{"helpdesk@example.edu"}},
		{"example.edu", []string{"alice@example.edu", "auditor@example.edu", "bob@example.edu"}}, // limit 3
		{"%", nil},
		{"_", nil},
		{"nobody", nil},
	} {
		got, err := d.Find(ctx, tt.term, 3)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if !reflect.DeepEqual(ids, tt.want) {
			t.Errorf("Find(%q) = %v, want %v", tt.term, ids, tt.want)
		}
	}
}
