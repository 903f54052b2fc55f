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
