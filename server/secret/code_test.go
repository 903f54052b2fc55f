package secret_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/secret"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c, err := secret.NewCode(rand.Reader, 8)
		if err != nil || len(c) != 8 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("code %q, %v", c, err)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Fatalf("only %d distinct codes in 200", len(seen))
	}
	// Leading zeros are kept: the code is always eight digits.
	if c, _ := secret.NewCode(bytes.NewReader(make([]byte, 64)), 8); c != "00000000" {
		t.Fatalf("zero code %q", c)
	}
}

func TestMAC(t *testing.T) {
	k := []byte("0123456789abcdef0123456789abcdef")
	if bytes.Equal(secret.MAC(k, "ab", "c"), secret.MAC(k, "a", "bc")) {
		t.Fatal("parts run together")
	}
	if bytes.Equal(secret.MAC(k, "a"), secret.MAC([]byte("another key, another key, 32 by"), "a")) {
		t.Fatal("the key makes no difference")
	}
}

// TestNewPass: the length, the groups of 4, only the alphabet's letters,
// and every letter drawn (no letter left out by a bias).
func TestNewPass(t *testing.T) {
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	seen := map[rune]bool{}
	for range 200 {
		p, err := secret.NewPass(rand.Reader, alphabet, 12)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 14 || p[4] != '-' || p[9] != '-' {
			t.Fatalf("pass %q: want XXXX-XXXX-XXXX", p)
		}
		for _, r := range strings.ReplaceAll(p, "-", "") {
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("pass %q has %q, not of the alphabet", p, r)
			}
			seen[r] = true
		}
	}
	if len(seen) != len(alphabet) {
		t.Errorf("200 passes used %d of the %d letters", len(seen), len(alphabet))
	}
}
