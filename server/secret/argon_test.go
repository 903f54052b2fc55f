package secret_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/secret"
)

var ctx = context.Background()

func TestHashAndVerify(t *testing.T) {
	h := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0)
	a, err := h.Hash(ctx, "blue fox")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Hash(ctx, "blue fox")
	if a == b || !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(a, "blue") {
		t.Fatalf("hashes %q %q", a, b)
	}
	for plain, want := range map[string]bool{"blue fox": true, "blue fox ": false, "Blue fox": false, "": false} {
		if ok, err := h.Verify(ctx, a, plain); err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v", plain, ok, err)
		}
	}
	// Hashes made with other parameters still verify: they are read from
	// the encoding.
	other := secret.NewArgon2(secret.Params{Time: 2, Memory: 128, Threads: 1, KeyLen: 32, SaltLen: 16}, 0)
	if ok, _ := other.Verify(ctx, a, "blue fox"); !ok {
		t.Fatal("a hash with other parameters did not verify")
	}
}

func TestVerifyRefusesBadEncodings(t *testing.T) {
	h := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0)
	for _, enc := range []string{
		"", "plain text", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // gigabytes: refused
		"$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$c2hvcnQ",
	} {
		if ok, err := h.Verify(ctx, enc, "x"); ok || err == nil {
			t.Errorf("Verify accepted %q", enc)
		}
	}
}

// BenchmarkVerifyDefault is the cost of one answer or password check with
// the default parameters (OWASP's m=19 MiB, t=2, p=1).
func BenchmarkVerifyDefault(b *testing.B) {
	h := secret.NewArgon2(secret.DefaultParams, 1)
	enc, _ := h.Hash(ctx, "blue fox")
	b.ResetTimer()
	for b.Loop() {
		h.Verify(ctx, enc, "blue fox")
	}
}
