package policy_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/policy"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/static"
)

// commonList is the path of the shipped list in static.FS.
const commonList = "passwords/common.txt"

// MustLoadBlocklist loads the shipped banned-password list.
func MustLoadBlocklist(tb testing.TB) *policy.Blocklist {
	tb.Helper()
	bl, err := policy.LoadBlocklist(static.FS, commonList)
	if err != nil {
		tb.Fatalf("LoadBlocklist: %v", err)
	}
	return bl
}

// alice is the account most tests set a password for.
var alice = &sspr.Account{ID: "alice.smith@example.edu", DisplayName: "Alice Smith-Jones"}

// org is a configuration with the organisation's names banned.
var org = policy.Config{BannedWords: []string{"Example University", "ExU", "ex"}}

// noise returns n lower-case letters with no pattern worth the name: a
// fixed pseudo-random sequence, so that the length tests test length only.
func noise(n int) string {
	b := make([]byte, n)
	x := uint32(1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = 'a' + byte(x>>24)%26
	}
	return string(b)
}

// emoji returns n different emoji (n at most 512), 4 bytes each.
func emoji(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(rune(0x1f300 + i))
	}
	return b.String()
}

// codes returns the codes of rules, in order: Check's (sspr.Rule) or
// Describe's (api.Rule).
func codes[R sspr.Rule | api.Rule](rules []R) []string {
	var cs []string
	for _, r := range rules {
		switch r := any(r).(type) {
		case sspr.Rule:
			cs = append(cs, r.Code)
		case api.Rule:
			cs = append(cs, r.Code)
		}
	}
	return cs
}

func TestShippedList(t *testing.T) {
	bl := MustLoadBlocklist(t)
	if got := bl.Len(); got < 10_000 {
		t.Fatalf("shipped list has %d entries, want at least 10,000", got)
	}
	raw, err := static.FS.ReadFile(commonList)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 400<<10 {
		t.Errorf("shipped list is %d bytes, want at most 400 KiB", len(raw))
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if line == "" || line != strings.ToLower(line) || strings.TrimSpace(line) != line {
			t.Fatalf("line %d is %q: want one lower-case password a line", i+1, line)
		}
		// Every entry is found (the list is searched, sorted, in one
		// string).
		if !strings.HasPrefix(line, "#") && !bl.Contains(line) {
			t.Errorf("line %d, %q, is not found in the list", i+1, line)
		}
	}
	// Nor is a string before the first, after the last, or between two.
	for _, pw := range []string{"\x01\x02", "\U0010ffff\U0010fffe", "zzzzzzzzzzzzq9w", "Xq7#mZ!pLw2@", "correct horse battery staple zebra"} {
		if bl.Contains(pw) {
			t.Errorf("%q is found in the list", pw)
		}
	}
	if _, err := static.FS.ReadFile("passwords/NOTICE"); err != nil {
		t.Errorf("the list ships without its NOTICE: %v", err)
	}
}

func TestLoadBlocklist(t *testing.T) {
	fsys := fstest.MapFS{
		"ok.txt":    {Data: []byte("# a comment\n\nHunter2\r\n  letmein  \nhunter2\n")},
		"empty.txt": {Data: []byte("# only a comment\n\n")},
		"bad.txt":   {Data: []byte("ok\n\xff\xfe\n")},
	}
	t.Run("OK", func(t *testing.T) {
		bl, err := policy.LoadBlocklist(fsys, "ok.txt")
		if err != nil {
			t.Fatal(err)
		}
		if got := bl.Len(); got != 2 {
			t.Errorf("Len() = %d, want 2 (comments and blank lines skipped, case folded)", got)
		}
		if !bl.Contains("HUNTER2") || !bl.Contains("letmein") {
			t.Error("entries not found after loading")
		}
	})
	for _, name := range []string{"missing.txt", "empty.txt", "bad.txt"} {
		t.Run("Err "+name, func(t *testing.T) {
			if bl, err := policy.LoadBlocklist(fsys, name); err == nil {
				t.Errorf("LoadBlocklist(%q) = %d entries, nil; want an error", name, bl.Len())
			}
		})
	}
	t.Run("Nil blocklist contains nothing", func(t *testing.T) {
		var bl *policy.Blocklist
		if bl.Contains("password") || bl.Len() != 0 {
			t.Error("nil Blocklist is not empty")
		}
	})
}

func TestBlocklistContains(t *testing.T) {
	bl := MustLoadBlocklist(t)
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"Password", true},
		{"ｐａｓｓｗｏｒｄ", true}, // full-width, NFKC
		{"password123", true},
		{"Password123!", true},
		{"Password2024!!", true},
		{"password 123", true},
		{"password🙂", true},
		{"2024password", true},
		{"!password!", true},
		{"P@ssw0rd", true},
		{"P@$$w0rd!", true},
		{"p455w0rd", true},
		{"@pple123", true},
		{"1l0v3y0u!", true},
		{"iloveyou", true},
		{"qwerty123456", true},
		{"123456", true},
		{"aaaaaaaaaaaa", true},
		{"111111111111", true},
		{"!!!!!!!!!!!!", true},
		{"", false},
		{"a", false},
		{"correct horse battery staple", false},
		{"password is not my password", false},
		{"my dog ate 3 pies in 2024", false},
		{"zq7!vT#p2xLm", false},
		{"密码是一个很长的句子吧", false},
		{"123456789012345678901234567890", false},
	}
	for _, tt := range tests {
		if got := bl.Contains(tt.pw); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	bl := MustLoadBlocklist(t)
	def := policy.New(policy.Config{}, bl)
	withOrg := policy.New(org, bl)
	composed := policy.New(policy.Config{
		RequireLower: true, RequireUpper: true, RequireDigit: true, RequireSymbol: true, MinClasses: 3,
	}, bl)
	classes3 := policy.New(policy.Config{MinClasses: 3}, bl)

	tests := []struct {
		name string
		p    *policy.Policy
		pw   string
		acct *sspr.Account
		want []string
	}{
		// Length, in code points.
		{"OK passphrase", def, "correct horse battery staple", alice, nil},
		{"OK 12 characters", def, "zq7!vT#p2xLm", alice, nil},
		{"ErrMinLength 11 characters", def, "zq7!vT#p2xL", alice, []string{api.RuleMinLength}},
		{"ErrMinLength empty", def, "", alice, []string{api.RuleMinLength}},
		{"OK 12 emoji", def, emoji(12), alice, nil},
		{"ErrMinLength 11 emoji (44 bytes)", def, emoji(11), alice, []string{api.RuleMinLength}},
		{"OK emoji ZWJ sequences", def, "👩‍💻👨‍👩‍👧🏳️‍🌈✨", alice, nil},
		{"ErrMinLength 11 CJK", def, "我的猫喜欢在窗台上睡觉", alice, []string{api.RuleMinLength}},
		{"OK 12 CJK exactly", def, "我的猫喜欢在窗台上睡觉呢", alice, nil},
		{"OK Japanese with ideographic space", def, "ねこが　すきです　とても", alice, nil},
		{"OK combining marks count as code points", def, "cafe\u0301 cre\u0300me bru\u0302le\u0301e", alice, nil},
		{"OK 64+ passphrase", def, "the quick brown fox jumps over the lazy dog while the cat sleeps on", alice, nil},
		{"OK exactly 256", def, noise(256), alice, nil},
		{"OK exactly 256 emoji (1024 bytes)", def, emoji(256), alice, nil},
		{"ErrMaxLength 257", def, noise(257), alice, []string{api.RuleMaxLength}},
		{"ErrMaxLength 257 emoji", def, emoji(257), alice, []string{api.RuleMaxLength}},
		{"ErrMaxLength alone, even with every other fault", def, strings.Repeat("\x00password", 30), alice, []string{api.RuleMaxLength}},

		// Characters.
		{"ErrCharacters NUL", def, "correct horse\x00battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters tab", def, "correct horse\tbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters newline", def, "correct horse\nbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters DEL", def, "correct horse\x7fbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters C1 control", def, "correct horse\u0085battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters bidi override", def, "correct horse\u202ebattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters zero-width space", def, "correct horse\u200bbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters line separator", def, "correct horse\u2028battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters private use", def, "correct horse\ue000battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters noncharacter", def, "correct horse\uffffbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters invalid UTF-8", def, "correct horse\xffbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters replacement character", def, "correct horse\ufffdbattery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters zero-width joiner hiding a common password", def, "pass\u200dword123456", alice, []string{api.RuleCharacters}},
		{"ErrCharacters zero-width non-joiner in Latin", def, "correct\u200chorse battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters Hangul filler", def, "correct\u3164horse battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters variation selector after a letter", def, "correct horse\ufe0f battery", alice, []string{api.RuleCharacters}},
		{"ErrCharacters Braille blank", def, "correct\u2800horse battery", alice, []string{api.RuleCharacters}},
		{"OK no-break space", def, "correct\u00a0horse\u00a0battery", alice, nil},
		{"OK Persian with its non-joiner", def, "می\u200cخواهم به خانه بروم", alice, nil},
		{"OK emoji with VS16", def, "coffee ☕\ufe0f at 7 with Maria", alice, nil},
		{"OK leading and trailing spaces", def, "  correct horse battery  ", alice, nil},

		// Common passwords.
		{"ErrCommon password", def, "password", alice, []string{api.RuleMinLength, api.RuleCommon}},
		{"ErrCommon Password123!", def, "Password123!", alice, []string{api.RuleCommon}},
		{"ErrCommon PASSWORD2024!!", def, "PASSWORD2024!!", alice, []string{api.RuleCommon}},
		{"ErrCommon P@ssw0rd with suffix", def, "P@ssw0rd2024!", alice, []string{api.RuleCommon}},
		{"ErrCommon one character repeated", def, "xxxxxxxxxxxxxxxx", alice, []string{api.RuleCommon, api.RulePattern}},
		{"ErrCommon without an account", def, "iloveyou1234", nil, []string{api.RuleCommon}},

		// Patterns: repeats, sequences, keyboard walks, and those padded
		// with too little else. Some are on the list too.
		{"ErrPattern digits wrapping round", def, "123456789012", alice, []string{api.RulePattern}},
		{"ErrPattern block repeated", def, "123123123123", alice, []string{api.RulePattern}},
		{"ErrPattern word repeated", def, "passwordpassword", alice, []string{api.RulePattern}},
		{"ErrPattern word repeated with a space", def, "password password", alice, []string{api.RulePattern}},
		{"ErrPattern alphabet", def, "abcdefghijkl", alice, []string{api.RulePattern}},
		{"ErrPattern run and one more", def, "aaaaaaaaaaab", alice, []string{api.RulePattern}},
		{"ErrPattern shifted number row", def, "!@#$%^&*()_+", alice, []string{api.RulePattern}},
		{"ErrPattern common word repeated", def, "letmeinletmein", alice, []string{api.RulePattern}},
		{"ErrPattern columns", def, "1qaz2wsx3edc", alice, []string{api.RuleCommon, api.RulePattern}},
		{"ErrPattern walk and sequence", def, "qwerty123456", alice, []string{api.RuleCommon, api.RulePattern}},
		{"ErrPattern walk padded", def, "qwertyKq2!vLm", alice, []string{api.RulePattern}},
		{"ErrPattern full-width walk", def, "ｑｗｅｒｔｙｕｉｏｐ１２", alice, []string{api.RuleCommon, api.RulePattern}},
		{"ErrPattern too short as well", def, "abcdefgh", alice, []string{api.RuleMinLength, api.RulePattern}},
		{"OK small pattern in a good password", def, "Summer-1234-Kq9x", alice, nil},
		{"OK repeat in a long passphrase", def, "the cat and the hat sat", alice, nil},
		{"OK keyboard run inside a word", def, "Liberty-Bell-1776", alice, nil},

		// The user's id and name.
		{"ErrUserID local part", def, "my id is alice.smith ok", alice, []string{api.RuleUserID}},
		{"ErrUserID first name", def, "Alice in Wonderland 1865", alice, []string{api.RuleUserID}},
		{"ErrUserID surname part", def, "keeping up with the JONES", alice, []string{api.RuleUserID}},
		{"ErrUserID hyphenated part", def, "xx smith xx yy zz", alice, []string{api.RuleUserID}},
		{"ErrUserID full-width", def, "ＡＬＩＣＥ ate the cake", alice, []string{api.RuleUserID}},
		{"ErrUserID l33t", def, "@l1ce ate the whole cake", alice, []string{api.RuleUserID}},
		{"ErrUserID and common", def, "alice1234567", alice, []string{api.RuleCommon, api.RulePattern, api.RuleUserID}},
		{"OK short name parts ignored", def, "jo and li went up the hill", &sspr.Account{ID: "jo@example.edu", DisplayName: "Jo Li"}, nil},
		{"OK no account, no user check", def, "alice.smith likes tea", nil, nil},
		{"OK account with empty fields", def, "alice.smith likes tea", &sspr.Account{}, nil},
		{"ErrUserID name with ß folds", def, "strauss waltzes all night", &sspr.Account{ID: "js@example.de", DisplayName: "Johann Strauß"}, []string{api.RuleUserID}},

		// The organisation's name.
		{"ErrOrgName phrase", withOrg, "I study at Example University", alice, []string{api.RuleOrgName}},
		{"ErrOrgName phrase without spaces", withOrg, "ExampleUniversity42!", alice, []string{api.RuleOrgName}},
		{"ErrOrgName abbreviation", withOrg, "go exu go team go", alice, []string{api.RuleOrgName}},
		{"OK short banned word ignored", withOrg, "an extra long walk", alice, nil},
		{"OK org words not checked unless configured", def, "I study at Example University", alice, nil},
		{"ErrOrgName without an account", withOrg, "example university", nil, []string{api.RuleOrgName}},

		// Composition, only when configured.
		{"OK no composition by default", def, "correct horse battery staple", alice, nil},
		{"ErrComposition all missing", composed, "correct horse battery staple", alice,
			[]string{api.RuleUpper, api.RuleDigit, api.RuleSymbol, api.RuleClasses}},
		{"ErrComposition lower only missing", composed, "CORRECT HORSE 4 STAPLE!", alice, []string{api.RuleLower}},
		{"OK composition met", composed, "Correct horse 4 staple!", alice, nil},
		{"OK emoji counts as a symbol", composed, "Correct horse 4 staple🐎", alice, nil},
		{"ErrClasses two kinds", classes3, "correct horse battery 42", alice, []string{api.RuleClasses}},
		{"OK classes with uncased letters", classes3, "correct horse 猫 staple 42", alice, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Check(tt.pw, tt.acct)
			if !slices.Equal(codes(got), tt.want) {
				t.Errorf("Check(%q) = %v, want %v", tt.pw, codes(got), tt.want)
			}
			if tt.want == nil && got != nil {
				t.Errorf("Check(%q) = %#v, want nil", tt.pw, got)
			}
			// Every refusal carries the message the checklist shows.
			desc := tt.p.Describe().Rules
			for _, r := range got {
				i := slices.IndexFunc(desc, func(d api.Rule) bool { return d.Code == r.Code })
				if i < 0 || desc[i].Message != r.Message || r.Message == "" {
					t.Errorf("rule %+v is not described as such by Describe", r)
				}
			}
		})
	}
}

func TestCheckHugeInput(t *testing.T) {
	p := policy.New(policy.Config{}, MustLoadBlocklist(t))
	for name, pw := range map[string]string{
		"letters":   strings.Repeat("a", 100<<10),
		"controls":  strings.Repeat("\x00", 100<<10),
		"emoji":     strings.Repeat("🦊", 25<<10),
		"common":    "password" + strings.Repeat("1", 100<<10),
		"user name": strings.Repeat("alice", 20<<10),
		"just over": strings.Repeat("🦊", 257),
	} {
		t.Run(name, func(t *testing.T) {
			const runs = 100
			start := time.Now()
			var got []sspr.Rule
			for range runs {
				got = p.Check(pw, alice)
			}
			// Generous bound: it is microseconds; an accidental hash, or
			// normalising 100 KB, would be far slower.
			if per := time.Since(start) / runs; per > 5*time.Millisecond {
				t.Errorf("Check of %d bytes took %v", len(pw), per)
			}
			if !slices.Equal(codes(got), []string{api.RuleMaxLength}) {
				t.Errorf("Check of %d bytes = %v, want only max_length", len(pw), codes(got))
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	bl := MustLoadBlocklist(t)
	t.Run("Defaults", func(t *testing.T) {
		d := policy.New(policy.Config{}, bl).Describe()
		if d.MinLength != 12 || d.MaxLength != 256 {
			t.Errorf("lengths = %d..%d, want 12..256", d.MinLength, d.MaxLength)
		}
		want := []string{api.RuleMinLength, api.RuleMaxLength, api.RuleCharacters, api.RuleCommon, api.RulePattern, api.RuleUserID}
		if !slices.Equal(codes(d.Rules), want) {
			t.Errorf("rules = %v, want %v", codes(d.Rules), want)
		}
		if d.Rules[0].Message != "Use at least 12 characters." {
			t.Errorf("min_length message = %q", d.Rules[0].Message)
		}
		if d.Rules[1].Message != "Use at most 256 characters." {
			t.Errorf("max_length message = %q", d.Rules[1].Message)
		}
	})
	t.Run("Everything configured", func(t *testing.T) {
		cfg := org
		cfg.MinLength, cfg.MaxLength = 15, 128
		cfg.RequireLower, cfg.RequireUpper, cfg.RequireDigit, cfg.RequireSymbol = true, true, true, true
		cfg.MinClasses = 3
		d := policy.New(cfg, bl).Describe()
		if d.MinLength != 15 || d.MaxLength != 128 {
			t.Errorf("lengths = %d..%d, want 15..128", d.MinLength, d.MaxLength)
		}
		want := []string{
			api.RuleMinLength, api.RuleMaxLength, api.RuleCharacters,
			api.RuleLower, api.RuleUpper, api.RuleDigit, api.RuleSymbol, api.RuleClasses,
			api.RuleCommon, api.RulePattern, api.RuleUserID, api.RuleOrgName,
		}
		if !slices.Equal(codes(d.Rules), want) {
			t.Errorf("rules = %v, want %v", codes(d.Rules), want)
		}
		if d.Rules[0].Message != "Use at least 15 characters." || !strings.Contains(d.Rules[7].Message, "at least 3") {
			t.Errorf("messages don't follow the configuration: %q, %q", d.Rules[0].Message, d.Rules[7].Message)
		}
		for _, r := range d.Rules {
			if r.Message == "" || !strings.HasSuffix(r.Message, ".") {
				t.Errorf("rule %s has message %q, want a sentence", r.Code, r.Message)
			}
		}
	})
	t.Run("No blocklist, no not_common", func(t *testing.T) {
		p := policy.New(policy.Config{}, nil)
		if slices.Contains(codes(p.Describe().Rules), api.RuleCommon) {
			t.Error("not_common described without a blocklist")
		}
		if !slices.Contains(codes(p.Describe().Rules), api.RulePattern) {
			t.Error("not_pattern not described without a blocklist: it needs none")
		}
		if got := p.Check("password1234", nil); got != nil {
			t.Errorf("Check = %v, want nil without a blocklist", codes(got))
		}
	})
	t.Run("Callers cannot change the policy", func(t *testing.T) {
		p := policy.New(policy.Config{}, bl)
		d := p.Describe()
		d.Rules[0].Message = "changed"
		if p.Describe().Rules[0].Message == "changed" {
			t.Error("Describe returned the policy's own slice")
		}
	})
}

func TestConfigValidate(t *testing.T) {
	ok := []policy.Config{
		{},
		{MinLength: 8, MaxLength: 64},
		{MinLength: 64, MaxLength: 64},
		{MaxLength: 4096},
		{MinClasses: 5},
	}
	for _, cfg := range ok {
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", cfg, err)
		}
	}
	bad := []policy.Config{
		{MinLength: 7},
		{MinLength: -1},
		{MaxLength: 63},
		{MaxLength: 4097},
		{MinLength: 100, MaxLength: 80},
		{MinClasses: 6},
		{MinClasses: -1},
	}
	for _, cfg := range bad {
		if err := cfg.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", cfg)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", cfg)
				}
			}()
			policy.New(cfg, nil)
		}()
	}
}

func TestCheckConcurrent(t *testing.T) {
	p := policy.New(org, MustLoadBlocklist(t))
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && slices.Equal(codes(p.Check("Password123!", alice)), []string{api.RuleCommon})
				ok = ok && p.Check("Straße und ÄRGER überall", alice) == nil
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("concurrent Check gave a wrong answer")
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	p := policy.New(org, MustLoadBlocklist(b))
	for _, bc := range []struct{ name, pw string }{
		{"typical", "correct horse battery staple"},
		{"common", "P@ssw0rd2024!"},
		{"pattern", "qwerty123456"},
		{"max length", strings.Repeat("kq8z ", 51) + "v"},
		{"100KB", strings.Repeat("a", 100<<10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Check(bc.pw, alice)
			}
		})
	}
}

func BenchmarkLoadBlocklist(b *testing.B) {
	for b.Loop() {
		MustLoadBlocklist(b)
	}
}
