package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sspr-portal/sspr/server/seal"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealOpen(t *testing.T) {
	const purpose = "sspr test seal v1"
	old, next := key(1), key(2)
	before, err := seal.New(purpose, old)
	if err != nil {
		t.Fatal(err)
	}
	during, err := seal.New(purpose, next, old)
	if err != nil {
		t.Fatal(err)
	}
	after, err := seal.New(purpose, next)
	if err != nil {
		t.Fatal(err)
	}
	other, err := seal.New("sspr other seal v1", old)
	if err != nil {
		t.Fatal(err)
	}
	plain, ad := []byte("JBSWY3DPEHPK3PXP"), []byte("alice")
	sealedOld, err := before.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealedOld, plain) {
		t.Fatal("the sealed value holds the plain text")
	}
	again, _ := before.Seal(plain, ad)
	if bytes.Equal(again, sealedOld) {
		t.Fatal("two seals of one value are equal: the nonce isn't random")
	}
	tampered := bytes.Clone(sealedOld)
	tampered[len(tampered)-1] ^= 1

	for _, tc := range []struct {
		name      string
		s         *seal.Sealer
		sealed    []byte
		ad        string
		wantStale bool
		wantErr   bool
	}{
		{"same key", before, sealedOld, "alice", false, false},
		{"accepted key during a rotation", during, sealedOld, "alice", true, false},
		{"retired key", after, sealedOld, "alice", false, true},
		{"another account", before, sealedOld, "bob", false, true},
		{"another purpose", other, sealedOld, "alice", false, true},
		{"changed", before, tampered, "alice", false, true},
		{"too short", before, sealedOld[:10], "alice", false, true},
		{"empty", before, nil, "alice", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, stale, err := tc.s.Open(tc.sealed, []byte(tc.ad))
			if tc.wantErr {
				if !errors.Is(err, seal.ErrUnopenable) {
					t.Fatalf("Open = %q, %v; want ErrUnopenable", got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, plain) || stale != tc.wantStale {
				t.Fatalf("Open = %q, stale %v, %v; want %q, stale %v", got, stale, err, plain, tc.wantStale)
			}
		})
	}
	if _, err := seal.New(purpose, key(1)[:31]); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
}
