package dispatch

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sspr-portal/sspr/server/sspr"
)

// TestSealAcrossARotation: a message sealed under the old key opens on a
// server that uses the new key and still accepts the old one (a key
// rotation, server/keys), and only there; what that server seals, it
// seals under the new key.
func TestSealAcrossARotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	before, err := newSealer(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	during, err := newSealer(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	after, err := newSealer(newKey)
	if err != nil {
		t.Fatal(err)
	}
	msg := sealed{Message: sspr.Message{To: "alice.alt@example.net", Body: "123456"}}
	b, err := before.seal("m1", sspr.Email, msg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := during.open("m1", sspr.Email, b); err != nil || got.Message.Body != "123456" {
		t.Fatalf("the old key's message during the rotation: %+v, %v", got, err)
	}
	if _, err := after.open("m1", sspr.Email, b); !errors.Is(err, errUnopenable) {
		t.Fatalf("the old key's message after it was retired: %v", err)
	}
	nb, err := during.seal("m2", sspr.Email, msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.open("m2", sspr.Email, nb); err != nil {
		t.Fatalf("sealed during the rotation, opened after: %v", err)
	}
	if _, err := before.open("m2", sspr.Email, nb); !errors.Is(err, errUnopenable) {
		t.Fatal("sealed during the rotation under the old key")
	}
}
