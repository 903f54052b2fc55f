package keys_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sspr-portal/sspr/server/keys"
)

// TestRotation: stage, promote and retire, each written to the file and
// read back: the staged set is accepted, then in use with the old one
// accepted, then alone; a step out of order is refused and leaves the file
// as it was; the file stays mode 0600.
func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	orig, err := keys.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, f func(*keys.Keys) error) *keys.Keys {
		t.Helper()
		if _, err := keys.Rewrite(path, f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k, err := keys.Load(path)
		if err != nil {
			t.Fatalf("%s: reading back: %v", name, err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v", name, fi.Mode(), err)
		}
		return k
	}
	refused := func(name string, f func(*keys.Keys) error) {
		t.Helper()
		before, _ := os.ReadFile(path)
		if _, err := keys.Rewrite(path, f); !errors.Is(err, keys.ErrRotation) {
			t.Fatalf("%s: %v, want ErrRotation", name, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatalf("%s: a refused step changed the file", name)
		}
	}

	refused("promote with nothing staged", (*keys.Keys).Promote)
	refused("retire with nothing accepted", (*keys.Keys).Retire)

	staged := step("stage", (*keys.Keys).Stage)
	if !bytes.Equal(staged.Code, orig.Code) || len(staged.Accepted) != 1 || bytes.Equal(staged.Accepted[0].Code, orig.Code) {
		t.Fatalf("after stage: the old set must stay in use and a new one be accepted")
	}
	if got := staged.All(); len(got) != 2 || !bytes.Equal(got[0].SessionAuth, orig.SessionAuth) {
		t.Fatalf("All(): the set in use first")
	}
	refused("a second stage", (*keys.Keys).Stage)

	promoted := step("promote", (*keys.Keys).Promote)
	if !bytes.Equal(promoted.SessionEnc, staged.Accepted[0].SessionEnc) || len(promoted.Accepted) != 1 ||
		!bytes.Equal(promoted.Accepted[0].SessionEnc, orig.SessionEnc) {
		t.Fatalf("after promote: the staged set must be in use, the old one accepted")
	}

	retired := step("retire", (*keys.Keys).Retire)
	if len(retired.Accepted) != 0 || !bytes.Equal(retired.Code, promoted.Code) {
		t.Fatalf("after retire: only the new set")
	}
}

// TestAcceptedParsed: an accepted set with a bad key is refused, named.
func TestAcceptedParsed(t *testing.T) {
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Stage(); err != nil {
		t.Fatal(err)
	}
	k.Accepted[0].Code = k.Accepted[0].Code[:5]
	if _, err := k.Encode(); err == nil {
		t.Fatal("encoded a short accepted key")
	}
	k.Accepted[0].Code = make([]byte, keys.CodeLen)
	b, err := k.Encode()
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"code": "0000`), []byte(`"code": "zz00`), 1)
	if _, err := keys.Parse(b); err == nil || !bytes.Contains([]byte(err.Error()), []byte("accepted[0].code")) {
		t.Fatalf("a bad accepted key: %v", err)
	}
}
