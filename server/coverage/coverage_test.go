package coverage_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/coverage"
	"github.com/sspr-portal/sspr/server/sspr"
)

var now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func rules() coverage.Rules {
	return coverage.Rules{Methods: []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions}, Required: 2,
		QuestionsAsked: 3, ReconfirmAfter: 180 * 24 * time.Hour, Now: now}
}

func answers(n int) []sspr.Answer {
	out := make([]sspr.Answer, n)
	for i := range out {
		out[i] = sspr.Answer{QuestionID: string(rune('a' + i)), Hash: "$argon2id$x"}
	}
	return out
}

var (
	recent = now.Add(-24 * time.Hour)
	old    = now.Add(-200 * 24 * time.Hour)
)

func TestClassify(t *testing.T) {
	directory := func(acct sspr.Account, reg *sspr.Registration) *sspr.Registration {
		if acct.Mobile == "" {
			return reg
		}
		out := sspr.Registration{UserID: acct.ID}
		if reg != nil {
			out = *reg
		}
		if !out.HasPhone() {
			out.Phone, out.PhoneConfirmed = acct.Mobile, now
		}
		return &out
	}
	tests := []struct {
		name  string
		rules func(r *coverage.Rules)
		acct  sspr.Account
		reg   *sspr.Registration
		want  coverage.Status
		reset bool
	}{
		{name: "nothing registered", reg: nil, want: coverage.Status{}},
		{name: "an empty registration", reg: &sspr.Registration{}, want: coverage.Status{}},
		{name: "email only", reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent}, want: coverage.Status{Methods: 1}},
		{name: "an address not confirmed counts for nothing", reg: &sspr.Registration{Email: "a@x.net"}, want: coverage.Status{}},
		{name: "email and text", reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent, Phone: "+447700900123", PhoneConfirmed: recent},
			want: coverage.Status{Methods: 2}, reset: true},
		{name: "all three, one due", reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: old, Phone: "+447700900123",
			PhoneConfirmed: recent, Answers: answers(5), AnswersConfirmed: recent}, want: coverage.Status{Methods: 3, Due: true}, reset: true},
		{name: "fewer answers than a reset asks", reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent, Answers: answers(2),
			AnswersConfirmed: recent}, want: coverage.Status{Methods: 1}},
		{name: "a method not enabled doesn't count, nor its age",
			rules: func(r *coverage.Rules) { r.Methods = []api.Kind{api.KindEmail, api.KindQuestions} },
			reg:   &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent, Phone: "+447700900123", PhoneConfirmed: old},
			want:  coverage.Status{Methods: 1}},
		{name: "one method is enough when one is required", rules: func(r *coverage.Rules) { r.Required = 1 },
			reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent}, want: coverage.Status{Methods: 1}, reset: true},
		{name: "no re-confirmation rule: never due", rules: func(r *coverage.Rules) { r.ReconfirmAfter = 0 },
			reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: old}, want: coverage.Status{Methods: 1}},
		{name: "due exactly at the limit", reg: &sspr.Registration{Email: "a@x.net", EmailConfirmed: now.Add(-180 * 24 * time.Hour)},
			want: coverage.Status{Methods: 1, Due: true}},
		{name: "the directory's mobile counts", rules: func(r *coverage.Rules) { r.Merge = directory },
			acct: sspr.Account{ID: "a@example.edu", Mobile: "+447700900999"},
			reg:  &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent}, want: coverage.Status{Methods: 2}, reset: true},
		{name: "the directory's mobile alone", rules: func(r *coverage.Rules) { r.Merge = directory },
			acct: sspr.Account{ID: "a@example.edu", Mobile: "+447700900999"}, want: coverage.Status{Methods: 1}},
		{name: "the directory's own number is never due", rules: func(r *coverage.Rules) { r.Merge = directory },
			acct: sspr.Account{ID: "a@example.edu", Mobile: "+447700900999"},
			reg:  &sspr.Registration{Phone: "+447700900123", PhoneConfirmed: old}, want: coverage.Status{Methods: 1, Due: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rules()
			if tc.rules != nil {
				tc.rules(&r)
			}
			got := coverage.Classify(r, tc.acct, tc.reg)
			if got != tc.want || got.CanReset(r) != tc.reset {
				t.Fatalf("got %+v (can reset %v), want %+v (%v)", got, got.CanReset(r), tc.want, tc.reset)
			}
		})
	}
}

func TestCompute(t *testing.T) {
	full := &sspr.Registration{Email: "a@x.net", EmailConfirmed: recent, Phone: "+447700900123", PhoneConfirmed: recent}
	due := &sspr.Registration{Email: "a@x.net", EmailConfirmed: old, Phone: "+447700900123", PhoneConfirmed: recent}
	one := &sspr.Registration{Email: "a@x.net", EmailConfirmed: old}
	tests := []struct {
		name     string
		accounts []sspr.Account
		regs     map[string]*sspr.Registration
		want     deskapi.CoverageCounts
		ous      []deskapi.CoverageGroup
	}{
		{name: "no accounts", want: deskapi.CoverageCounts{}, ous: []deskapi.CoverageGroup{}},
		{
			name: "by OU, disabled apart",
			accounts: []sspr.Account{
				{ID: "a", OU: "students/physics"}, {ID: "b", OU: "students/physics"}, {ID: "c", OU: "students/physics"},
				{ID: "d", OU: "staff"}, {ID: "e", OU: "staff", Disabled: true}, {ID: "f"},
			},
			regs: map[string]*sspr.Registration{"a": full, "b": due, "c": one, "d": full, "e": full},
			want: deskapi.CoverageCounts{Accounts: 5, CanReset: 3, Partial: 1, None: 1, ReconfirmDue: 2, Disabled: 1, CanResetPercent: 60},
			ous: []deskapi.CoverageGroup{
				{OU: "", CoverageCounts: deskapi.CoverageCounts{Accounts: 1, None: 1}},
				{OU: "staff", CoverageCounts: deskapi.CoverageCounts{Accounts: 1, CanReset: 1, Disabled: 1, CanResetPercent: 100}},
				{OU: "students/physics", CoverageCounts: deskapi.CoverageCounts{Accounts: 3, CanReset: 2, Partial: 1, ReconfirmDue: 2, CanResetPercent: 66.7}},
			},
		},
		{
			name:     "only disabled accounts: no share",
			accounts: []sspr.Account{{ID: "a", Disabled: true}},
			regs:     map[string]*sspr.Registration{"a": full},
			want:     deskapi.CoverageCounts{Disabled: 1},
			ous:      []deskapi.CoverageGroup{{CoverageCounts: deskapi.CoverageCounts{Disabled: 1}}},
		},
		{
			name:     "a registration without an account isn't counted",
			accounts: []sspr.Account{{ID: "a"}},
			regs:     map[string]*sspr.Registration{"a": full, "gone": full},
			want:     deskapi.CoverageCounts{Accounts: 1, CanReset: 1, CanResetPercent: 100},
			ous:      []deskapi.CoverageGroup{{CoverageCounts: deskapi.CoverageCounts{Accounts: 1, CanReset: 1, CanResetPercent: 100}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := coverage.New(rules())
			for _, a := range tc.accounts {
				p.Add(a, tc.regs[a.ID])
			}
			got := p.Result()
			if got.CoverageCounts != tc.want {
				t.Errorf("overall: got %+v\nwant %+v", got.CoverageCounts, tc.want)
			}
			if !reflect.DeepEqual(got.OUs, tc.ous) {
				t.Errorf("by OU: got %+v\nwant %+v", got.OUs, tc.ous)
			}
			if got.Required != 2 || len(got.Methods) != 3 || !got.At.Equal(now) {
				t.Errorf("rules: %+v", got)
			}
		})
	}
}
