package pwrule_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/app/pwrule"
)

// goodPasswords must never be refused as patterns: passphrases in several
// scripts, emoji, random strings, and good passwords that happen to hold a
// small pattern ("erty" in "Liberty", "1234", "abc", a repeated word).
var goodPasswords = []string{
	"Correct-Horse-Battery-42",
	"correct horse battery staple",
	"tr0ub4dor&3-staple",
	"blue fox jumps over 9 logs",
	"x7#Kq2!vLm9@",
	"zq7!vT#p2xLm",
	"kq8z v9pw 3mtx",
	"我的猫喜欢在窗台上睡觉呢",
	"ねこが　すきです　とても",
	"القطة تحب النوم في الشمس",
	"می\u200cخواهم به خانه بروم",
	"Мой кот спит на окне",
	"सूरज पूरब से उगता है",
	"ශ්\u200dරී ලංකා මගේ රට",
	"Straße und ÄRGER überall",
	"cafe\u0301 cre\u0300me bru\u0302le\u0301e",
	"🦊 狐狸 is a very long and quite memorable passphrase",
	"👩‍💻 codes at 3am ☕️",
	"🌵🦊🎉🐙🍕🚲🌈🐢🎸🍩🦉🌻",
	"🏳️‍🌈 pride in june 🌞",
	"Liberty-Bell-1776",
	"mississippi-river-bend",
	"banana bread 4 breakfast",
	"coffee at 7 with Maria",
	"Summer-1234-Kq9x",
	"abc-Kq9x!vT7#mZ",
	"Kq9x!vT7#m123",
	"qwer-Kq9x!vT7#m",
	"J4ne-Austen-1813!",
	"the cat and the hat sat",
	"9 lives 4 cats 2 dogs",
	"P@risInTheSpring2019",
	"hunter2 is not my pw",
	"my dog ate 3 pies in 2024",
	"Ωμέγα σημαίνει τέλος",
	"password is not my password", // a repeat, but long enough
	"the quick brown fox jumps over the lazy dog while the cat sleeps on",
}

// badPasswords must be refused: each is a pattern, or a pattern padded
// with too little else.
var badPasswords = []string{
	// Repeats.
	"aaaaaaaaaaab",
	"aaaaaaaaaaaa",
	"!!!!!!!!!!!!",
	"123123123123",
	"abcabcabcabc",
	"abc123abc123",
	"passwordpassword",
	"PasswordPassword",
	"password password",
	"letmeinletmein",
	"iloveyouiloveyou",
	"monkey monkey monkey",
	"aaaa bbbb cccc",
	"🦊🦊🦊🦊🦊🦊🌵🌵🌵🌵🌵🌵",
	// Sequences.
	"123456789012",
	"abcdefghijkl",
	"ABCDEFGHIJKL",
	"987654321098",
	"78901234567890",
	"2468246824682468",
	"αβγδεζηθικλμ",
	"あいうえおかきくけこ",
	// Keyboard walks.
	"!@#$%^&*()_+",
	"qwertyuiop[]",
	"QwErTyUiOp!!",
	"asdfghjkl123",
	"zxcvbnm,./12",
	"poiuytrewq12",
	"1qaz2wsx3edc",
	"zaq12wsxcde3",
	"1q2w3e4r5t6y",
	"ｑｗｅｒｔｙｕｉｏｐ１２",
	// A pattern and a little else.
	"qwertyKq2!vLm",
	"abcdefgh1234!x",
	"Xy7!aaaaaaaaaaaa",
	"Property1234",
	"qwerty123456",
}

func TestPatternedGood(t *testing.T) {
	if len(goodPasswords) < 25 {
		t.Fatalf("only %d good passwords", len(goodPasswords))
	}
	for _, pw := range goodPasswords {
		if pwrule.Patterned(pw) {
			t.Errorf("Patterned(%q) = true (effective length %d), want false", pw, pwrule.EffectiveLength(pw))
		}
		if !pwrule.AllowedChars(pw) {
			t.Errorf("AllowedChars(%q) = false", pw)
		}
	}
}

func TestPatternedBad(t *testing.T) {
	for _, pw := range badPasswords {
		if !pwrule.Patterned(pw) {
			t.Errorf("Patterned(%q) = false (effective length %d), want true", pw, pwrule.EffectiveLength(pw))
		}
	}
}

func TestEffectiveLength(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"x", 1},
		{"aaa", 3},  // a repeat is 3 or more, after the first "a"
		{"aaaa", 2}, // "a", then a repeat of it
		{"ab", 2},
		{"abc", 2},  // a sequence
		{"aceg", 2}, // stepping by 2
		{"ace", 3},  // too short at that step: a word
		{"qwe", 3},  // too short for a walk
		{"qwer", 2},
		{"were", 4}, // turns back: not a walk
		{"1qaz", 2}, // a column
		{"xdr5", 2}, // the other diagonal
		{"1q2w3e", 3},
		{"7890", 2}, // wraps round
		{"9012", 2},
		{"3210987", 2},
		{"ｑｗｅｒ", 2}, // full-width
		{"passwordpassword", 9},
		{"password password", 9},
		{"password-password-password", 9},
		{"x7#Kq2!vLm9@", 12},
		{"Correct-Horse-Battery-42", 24},
		{"Liberty-1776", 10},   // "erty" is a walk
		{"qwertyKq2!vLm9", 10}, // a walk and 8 more: passes
		{"qwertyKq2!vLm", 9},   // and 7: refused
		{strings.Repeat("a", 256), 2},
		{strings.Repeat("kq8z ", 51) + "v", 6},
	} {
		if got := pwrule.EffectiveLength(tt.s); got != tt.want {
			t.Errorf("EffectiveLength(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

// TestPatternedShort: a password without a pattern is never refused as
// one, however short (that is min_length's rule), and one with a pattern
// is refused below MinEffectiveLength.
func TestPatternedShort(t *testing.T) {
	for s, want := range map[string]bool{
		"": false, "x": false, "Kq9x!vT": false, "aaa": false,
		"abc": true, "Kq9x!vT7#abc": false, "Kq9x!vTabc": true,
	} {
		if got := pwrule.Patterned(s); got != want {
			t.Errorf("Patterned(%q) = %v (effective length %d), want %v", s, got, pwrule.EffectiveLength(s), want)
		}
	}
}

// TestEffectiveLengthAllocs: up to the default maximum of 256 code points
// nothing is allocated, whatever the password holds.
func TestEffectiveLengthAllocs(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("a", 256),
		strings.Repeat("🦊", 256),
		strings.Repeat("qwertyuiop", 25) + "123456",
		strings.Repeat("kq8z ", 51) + "v",
	} {
		if n := testing.AllocsPerRun(10, func() { pwrule.EffectiveLength(s) }); n != 0 {
			t.Errorf("EffectiveLength of %d code points: %v allocations", utf8.RuneCountInString(s), n)
		}
	}
	// Longer is fine too, with one allocation.
	if got := pwrule.EffectiveLength(strings.Repeat("abc", 1000)); got != 3 {
		t.Errorf("EffectiveLength of 3000 code points = %d, want 3", got)
	}
}

func FuzzEffectiveLength(f *testing.F) {
	for _, s := range append(goodPasswords, badPasswords...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		e := pwrule.EffectiveLength(s)
		if e < 0 || e > n || (n > 0 && e == 0) {
			t.Fatalf("EffectiveLength(%q) = %d for %d code points", s, e, n)
		}
		if pwrule.Patterned(s) != (e < n && e < pwrule.MinEffectiveLength) {
			t.Fatalf("Patterned(%q) disagrees with EffectiveLength %d", s, e)
		}
	})
}

func BenchmarkEffectiveLength(b *testing.B) {
	for _, bc := range []struct{ name, pw string }{
		{"typical", "correct horse battery staple"},
		{"random 12", "x7#Kq2!vLm9@"},
		{"pattern", "qwerty123456"},
		{"256 random", strings.Repeat("kq8z v9pw 3mtx 7bnd ", 12) + "ab9r3e7u1234xyzw"},
		{"256 same", strings.Repeat("a", 256)},
		{"256 walk", strings.Repeat("1qaz2wsx3edc4rfv", 16)},
		{"256 emoji", strings.Repeat("🦊🌵", 128)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pwrule.EffectiveLength(bc.pw)
			}
		})
	}
}
