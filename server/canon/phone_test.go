package canon_test

import (
	"regexp"
	"testing"

	"github.com/sspr-portal/sspr/server/canon"
)

func TestMobile(t *testing.T) {
	tests := []struct {
		name, in, region string
		countries        []string
		want, wantRegion string
		err              error
	}{
		{"UK mobile", "+44 7400 123456", "GB", nil, "+447400123456", "GB", nil},
		{"UK mobile, national", "07400 123456", "GB", nil, "+447400123456", "GB", nil},
		{"UK mobile, 07700 outside the drama range", "07700 123456", "GB", nil, "+447700123456", "GB", nil},
		{"countries any case", "+44 7400 123456", "GB", []string{"gb"}, "+447400123456", "GB", nil},
		{"region any case", "07400 123456", "gb", nil, "+447400123456", "GB", nil},
		// libphonenumber leaves Ofcom's drama range (07700 900000-900999)
		// out of its GB mobile patterns; Mobile takes them as UK mobiles
		// (never allocated: texting one reaches and pays no one).
		{"drama number", "+44 7700 900123", "GB", nil, "+447700900123", "GB", nil},
		{"drama number, national", "07700 900456", "GB", nil, "+447700900456", "GB", nil},
		{"drama number, E.164", "+447700900789", "GB", nil, "+447700900789", "GB", nil},
		{"drama number, not a GB portal", "+447700900789", "US", nil, "", "", canon.ErrPhoneCountry},
		{"next to the drama range", "+44 7700 901123", "GB", nil, "", "", canon.ErrPhoneInvalid},
		{"premium rate", "+44 909 8790000", "GB", nil, "", "", canon.ErrPhoneNotMobile},
		{"UK fixed line", "+44 20 7946 0000", "GB", nil, "", "", canon.ErrPhoneNotMobile},
		{"UK freephone", "0800 123 4567", "GB", nil, "", "", canon.ErrPhoneNotMobile},
		{"US from a GB portal", "+1 201 555 0123", "GB", nil, "", "", canon.ErrPhoneCountry},
		{"US, allowed", "+1 201 555 0123", "GB", []string{"GB", "US"}, "+12015550123", "US", nil},
		{"US, FIXED_LINE_OR_MOBILE", "(201) 555-0123", "US", nil, "+12015550123", "US", nil},
		// +44 is shared: a Guernsey mobile is GG, not GB.
		{"Guernsey mobile, GB only", "+44 7781 123456", "GB", nil, "", "", canon.ErrPhoneCountry},
		{"Guernsey mobile, GG allowed", "+44 7781 123456", "GB", []string{"GB", "GG"}, "+447781123456", "GG", nil},
		// The country is checked first: a foreign premium number is told
		// about its country.
		{"foreign premium rate", "+1 900 555 0123", "GB", nil, "", "", canon.ErrPhoneCountry},
		{"international freephone (region 001)", "+800 1234 5678", "GB", nil, "", "", canon.ErrPhoneCountry},
		{"unstable", "00000000000", "GB", nil, "", "", canon.ErrPhoneInvalid},
		{"not a number", "call me", "GB", nil, "", "", canon.ErrPhoneInvalid},
		{"empty", "", "GB", nil, "", "", canon.ErrPhoneInvalid},
		{"possible but unallocated", "+44 7000 000000", "GB", nil, "", "", canon.ErrPhoneNotMobile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, region, err := canon.Mobile(tt.in, tt.region, tt.countries)
			if err != tt.err || got != tt.want || region != tt.wantRegion {
				t.Fatalf("Mobile(%q, %q, %q) = %q, %q, %v; want %q, %q, %v", tt.in, tt.region, tt.countries, got, region, err, tt.want, tt.wantRegion, tt.err)
			}
		})
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,16}$`)

// FuzzPhoneIdempotent: whatever is typed, with whatever default region, a
// number Phone accepts is in E.164 form and is its own canonical form, in
// any region; an error is ErrPhoneInvalid; and Mobile agrees with Phone.
// The seeds run as ordinary tests.
func FuzzPhoneIdempotent(f *testing.F) {
	for _, s := range []struct{ in, region string }{
		{"00000000000", "GB"},
		{"+440000000000", "GB"},
		{"0000000000", "GB"},
		{"+44 7700 900123", "GB"},
		{"07700 900456", "GB"},
		{"(0)7700-900-123", "GB"},
		{"0044 7700 900123", "GB"},
		{"+1 415 555 2671", "US"},
		{"0612345678", "IT"},
		{"+39 06 1234 5678", "IT"},
		{"030 123456", "DE"},
		{"0 0 0 0 0", "FR"},
		{"+800 1234 5678", ""},
		{"tel:+44-7700-900123;ext=5", "GB"},
		{"＋４４ ７７００ ９００１２３", "GB"},
		{"011 44 7700 900123", "US"},
		{"8 800 555 3535", "RU"},
		{"*123#", "GB"},
		{"+", "zz"},
	} {
		f.Add(s.in, s.region)
	}
	f.Fuzz(func(t *testing.T, in, region string) {
		got, err := canon.Phone(in, region)
		mobile, _, merr := canon.Mobile(in, region, []string{region})
		if err != nil {
			if err != canon.ErrPhoneInvalid || got != "" {
				t.Fatalf("Phone(%q, %q) = %q, %v", in, region, got, err)
			}
			if merr != canon.ErrPhoneInvalid {
				t.Fatalf("Phone(%q, %q) refused; Mobile = %q, %v", in, region, mobile, merr)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("Phone(%q, %q) = %q: not E.164", in, region, got)
		}
		for _, r := range []string{region, "GB", "US", "ZZ", ""} {
			if again, err := canon.Phone(got, r); err != nil || again != got {
				t.Fatalf("not idempotent: Phone(%q, %q) = %q; Phone(%q, %q) = %q, %v", in, region, got, got, r, again, err)
			}
		}
		if merr == nil && mobile != got {
			t.Fatalf("Phone(%q, %q) = %q but Mobile = %q", in, region, got, mobile)
		}
	})
}
