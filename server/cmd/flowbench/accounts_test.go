package main

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/sspr"
)

// benchConfig is the configuration flowbench gives its servers, read back
// as the server reads it.
func benchConfig(t *testing.T, s settings) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sspr.toml")
	if err := os.WriteFile(path, []byte(configText(s)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the server would refuse flowbench's configuration: %v\n%s", err, configText(s))
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the server would refuse flowbench's configuration: %v\n%s", err, configText(s))
	}
	return cfg
}

func sinkSettings(h hashing, audio bool) settings {
	return settings{Hashing: h, Audio: audio, Delivery: "sinks", SMTPPort: 2525,
		SMSURL: "http://127.0.0.1:9999/sms", MetricsAddr: "127.0.0.1:9464"}
}

func TestConfigIsOneTheServerTakes(t *testing.T) {
	for _, s := range []settings{
		sinkSettings(hashings["default"], false),
		sinkSettings(hashings["cheapest"], true),
		{Hashing: hashings["cheapest"], Delivery: "outbox", MetricsAddr: "127.0.0.1:9464"},
	} {
		cfg := benchConfig(t, s)
		h := cfg.Hashing
		if h.Argon2MemoryKiB != int(s.Hashing.Params.Memory) || h.Argon2Time != int(s.Hashing.Params.Time) ||
			h.Argon2Threads != int(s.Hashing.Params.Threads) {
			t.Errorf("%s: [hashing] is %+v", s.Hashing.Name, h)
		}
		if cfg.Captcha.Audio != s.Audio {
			t.Errorf("captcha.audio = %v, want %v", cfg.Captcha.Audio, s.Audio)
		}
		// Every account may do perAccount flows a server.
		if cfg.Codes.MaxSendsPerHour < perAccount || cfg.Codes.EmailCooldown.D() != 0 || cfg.Codes.SMSCooldown.D() != 0 {
			t.Errorf("[codes] = %+v: an account can't do %d flows", cfg.Codes, perAccount)
		}
		if cfg.Throttle.AccountStarts < perAccount {
			t.Errorf("throttle.account_starts = %d", cfg.Throttle.AccountStarts)
		}
		if cfg.Metrics.Listen != s.MetricsAddr {
			t.Errorf("metrics.listen = %q", cfg.Metrics.Listen)
		}
		wantEmail, wantSMS := "outbox", "outbox"
		if s.Delivery == "sinks" {
			wantEmail, wantSMS = "smtp", "gateway"
		}
		if cfg.Email.Kind != wantEmail || cfg.SMS.Kind != wantSMS {
			t.Errorf("%s: email %s, sms %s", s.Delivery, cfg.Email.Kind, cfg.SMS.Kind)
		}
	}
	// The cheapest setting is the least server/config accepts.
	low := hashings["cheapest"].Params
	low.Memory--
	path := filepath.Join(t.TempDir(), "low.toml")
	if err := os.WriteFile(path, []byte(configText(sinkSettings(hashing{"lower", low}, false))), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := config.Load(path); err == nil && cfg.Validate() == nil {
		t.Errorf("argon2_memory_kib = %d is accepted: cheapest is not the cheapest", low.Memory)
	}
}

func testPasswords(t *testing.T) *passwords {
	t.Helper()
	p, err := newPasswords(benchConfig(t, sinkSettings(hashings["cheapest"], false)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPasswordsPassThePolicy(t *testing.T) {
	p := testPasswords(t)
	r := rand.New(rand.NewPCG(1, 2))
	a := &account{Typed: "flowbench-0001", ID: "flowbench-0001@example.edu", Name: "Flowbench Person 1", Mail: "flowbench-0001@example.edu"}
	acct := &sspr.Account{ID: a.ID, DisplayName: a.Name, Mail: a.Mail}
	seen := map[string]bool{}
	var recent []string
	for range 5000 {
		pw, err := p.next(r, a, recent)
		if err != nil {
			t.Fatal(err)
		}
		if broken := p.pol.Check(pw, acct); len(broken) > 0 {
			t.Fatalf("password breaks %v", broken)
		}
		if seen[pw] {
			t.Fatalf("a password came twice in 5000")
		}
		seen[pw] = true
		recent = append(recent, pw)
	}
}

func TestPasswordsAvoidRecentOnes(t *testing.T) {
	p := testPasswords(t)
	a := &account{ID: "x@example.edu", Name: "X"}
	// The same seed gives the same first candidate: asked to avoid it,
	// next must give another.
	first, err := p.next(rand.New(rand.NewPCG(7, 7)), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.next(rand.New(rand.NewPCG(7, 7)), a, []string{first})
	if err != nil {
		t.Fatal(err)
	}
	if again == first {
		t.Errorf("next gave %q, which it was to avoid", first)
	}
}

func TestPasswordsRefuseAPolicyTheyCantMeet(t *testing.T) {
	cfg := benchConfig(t, sinkSettings(hashings["cheapest"], false))
	cfg.Password.BannedWords = []string{"-"}
	cfg.Password.MinLength = 64
	p, err := newPasswords(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.next(rand.New(rand.NewPCG(1, 1)), &account{ID: "x@example.edu"}, nil); err == nil {
		t.Error("a password under a policy of 64 characters")
	}
}

func TestWordsAreSafe(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] {
			t.Errorf("%q twice", w)
		}
		seen[w] = true
		if len(w) < 3 || strings.ToLower(w) != w {
			t.Errorf("%q: lower-case words of 3 letters or more only", w)
		}
	}
	if len(words) < 200 {
		t.Errorf("%d words: too few for unique passwords", len(words))
	}
}

func TestAccountsAreValid(t *testing.T) {
	cfg := benchConfig(t, sinkSettings(hashings["cheapest"], false))
	n := 0
	accts, err := makeAccounts(maxAccounts, cfg.Users.DefaultDomain, cfg.Users.PhoneRegion, cfg.Users.PhoneCountries,
		func(*account) string { n++; return "Copper-Lantern-Meadow-7294" })
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != maxAccounts || n != maxAccounts {
		t.Fatalf("%d accounts, %d passwords", len(accts), n)
	}
	ids, phones := map[string]bool{}, map[string]bool{}
	for _, a := range accts {
		id, err := canon.UserID(a.Typed, cfg.Users.DefaultDomain)
		if err != nil || id != a.ID {
			t.Errorf("%s: canonical %q (%v), kept %q", a.Typed, id, err, a.ID)
		}
		e164, _, err := canon.Mobile(a.PhoneTyped, cfg.Users.PhoneRegion, cfg.Users.PhoneCountries)
		if err != nil || e164 != a.Phone || !strings.HasPrefix(a.Phone, "+447700900") {
			t.Errorf("%s: %q is %q (%v), kept %q", a.ID, a.PhoneTyped, e164, err, a.Phone)
		}
		if a.Alt == a.Mail || !strings.HasSuffix(a.Alt, "@example.net") {
			t.Errorf("%s: alternate address %q", a.ID, a.Alt)
		}
		if ids[a.ID] || phones[a.Phone] {
			t.Errorf("%s or %s twice", a.ID, a.Phone)
		}
		ids[a.ID], phones[a.Phone] = true, true
	}
	for _, n := range []int{0, maxAccounts + 1} {
		if _, err := makeAccounts(n, "example.edu", "GB", nil, func(*account) string { return "" }); err == nil {
			t.Errorf("makeAccounts(%d): no error", n)
		}
	}
	// Elsewhere, the number is typed with its country code.
	us, err := makeAccounts(1, "example.edu", "US", []string{"GB"}, func(*account) string { return "" })
	if err != nil || us[0].Phone != "+447700900000" {
		t.Errorf("with phone_region US: %+v, %v", us, err)
	}
}

// The files import without a line refused, by the importer's own rules.
func TestImportFilesAreAccepted(t *testing.T) {
	cfg := benchConfig(t, sinkSettings(hashings["cheapest"], false))
	p := testPasswords(t)
	r := rand.New(rand.NewPCG(3, 4))
	accts, err := makeAccounts(50, cfg.Users.DefaultDomain, cfg.Users.PhoneRegion, cfg.Users.PhoneCountries,
		func(a *account) string {
			pw, err := p.next(r, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			return pw
		})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := writeImportFiles(dir, accts)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{f.Accounts, f.Registrations} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v: want mode 0600 (it holds passwords)", path, st.Mode(), err)
		}
	}
	rules := importer.Rules{DefaultDomain: cfg.Users.DefaultDomain, PhoneRegion: cfg.Users.PhoneRegion,
		PhoneCountries: cfg.Users.PhoneCountries, Now: time.Now()}

	af, err := os.Open(f.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	ar, err := importer.NewAccountReader(af, importer.CSV, rules)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		a, rej, err := ar.Next()
		if errors.Is(err, io.EOF) {
			if i != len(accts) {
				t.Errorf("%d accounts read, want %d", i, len(accts))
			}
			break
		}
		if err != nil || rej != nil {
			t.Fatalf("accounts line %d: %v %v", i+2, rej, err)
		}
		if a.ID != accts[i].ID || string(a.InitialPassword) != accts[i].Initial || a.Mail != accts[i].Mail {
			t.Errorf("account %d read as %s, %s", i, a.ID, a.Mail)
		}
	}

	rf, err := os.Open(f.Registrations)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	rr, err := importer.NewRegistrationReader(rf, importer.CSV, rules)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		reg, rej, err := rr.Next()
		if errors.Is(err, io.EOF) {
			if i != len(accts) {
				t.Errorf("%d registrations read, want %d", i, len(accts))
			}
			break
		}
		if err != nil || rej != nil {
			t.Fatalf("registrations line %d: %v %v", i+2, rej, err)
		}
		if reg.ID != accts[i].ID || reg.Email != accts[i].Alt || reg.Phone != accts[i].Phone {
			t.Errorf("registration %d read as %+v", i, reg)
		}
	}
}

func TestPoolHandsEachAccountOnce(t *testing.T) {
	p := &pool{accts: make([]account, 3), perAccount: 2}
	for i := range 3 {
		a, err := p.take()
		if err != nil || a != &p.accts[i] {
			t.Fatalf("take %d: %p, %v", i, a, err)
		}
	}
	if _, err := p.take(); !errors.Is(err, errPoolEmpty) {
		t.Errorf("a fourth account from three: %v", err)
	}
	p.reset()
	if a, err := p.take(); err != nil || a != &p.accts[0] {
		t.Errorf("after reset: %p, %v", a, err)
	}
}
