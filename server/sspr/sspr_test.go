package sspr_test

import (
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/sspr"
)

func TestRegistrationCheck(t *testing.T) {
	hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
	for _, tc := range []struct {
		name string
		r    sspr.Registration
		err  string // "" for none
	}{
		{"nothing registered", sspr.Registration{UserID: "alice@example.edu"}, ""},
		{"answers", sspr.Registration{UserID: "alice@example.edu", Answers: []sspr.Answer{{"pet", hash}, {"street", hash}}}, ""},
		{"no user", sspr.Registration{}, "no user id"},
		{"no question", sspr.Registration{UserID: "a", Answers: []sspr.Answer{{"", hash}}}, "no question id"},
		{"twice", sspr.Registration{UserID: "a", Answers: []sspr.Answer{{"pet", hash}, {"pet", hash}}}, "answered twice"},
		{"plain answer", sspr.Registration{UserID: "a", Answers: []sspr.Answer{{"pet", "blue fox"}}}, "not an argon2id hash"},
	} {
		err := tc.r.Check()
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "blue fox") {
			t.Errorf("%s: the error quotes the answer", tc.name)
		}
	}
}
