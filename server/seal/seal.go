// Package seal encrypts what the portal must keep but nobody who reads its
// tables or backups may read: the messages waiting in the outbox (they
// hold codes and addresses) and the keys of authenticator apps.
//
// A Sealer is AES-256-GCM under a key derived (HKDF-SHA256) from one of
// the portal's own keys and a purpose of its own, so that the same base key
// seals each kind of thing under a different key. Every sealed value is
// bound to associated data its caller chooses (the row's id, the account),
// so that a sealed value copied to another row doesn't open.
//
// During a key rotation (server/keys: rotate.go) a Sealer also opens what
// was sealed under the keys still accepted, and never seals with them;
// Open says when that happened, so that a long-lived value can be sealed
// again under the key in use.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrUnopenable is a sealed value that none of the keys opens: it was
// sealed under a key that is no longer accepted, or changed.
var ErrUnopenable = errors.New("seal: the value can't be opened with this server's keys (was the key file replaced?)")

// MinKeyLen is the shortest base key accepted, in bytes.
const MinKeyLen = 32

// Sealer seals and opens values. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	// accepted open, never seal.
	accepted []cipher.AEAD
}

// New returns a Sealer for purpose (a fixed string naming the use and its
// version, such as "sspr dispatch message seal v1") under base, that also
// opens what was sealed under accepted.
func New(purpose string, base []byte, accepted ...[]byte) (*Sealer, error) {
	s := &Sealer{}
	for i, b := range append([][]byte{base}, accepted...) {
		aead, err := newAEAD(purpose, b)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			s.aead = aead
		} else {
			s.accepted = append(s.accepted, aead)
		}
	}
	return s, nil
}

func newAEAD(purpose string, base []byte) (cipher.AEAD, error) {
	if len(base) < MinKeyLen {
		return nil, fmt.Errorf("seal: the key must be at least %d bytes", MinKeyLen)
	}
	k, err := hkdf.Key(sha256.New, base, nil, purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead, nil
}

// Seal encrypts plain, bound to ad, under the key in use: a random nonce,
// then the ciphertext and its tag.
func (s *Sealer) Seal(plain, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, n, n+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return s.aead.Seal(out, out, plain, ad), nil
}

// Open decrypts what Seal made with the same ad. stale is true when only
// an accepted key opened it: seal it again to keep it past the rotation.
func (s *Sealer) Open(sealed, ad []byte) (plain []byte, stale bool, err error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, false, ErrUnopenable
	}
	nonce, body := sealed[:n], sealed[n:]
	if plain, err := s.aead.Open(nil, nonce, body, ad); err == nil {
		return plain, false, nil
	}
	for _, a := range s.accepted {
		if plain, err := a.Open(nil, nonce, body, ad); err == nil {
			return plain, true, nil
		}
	}
	return nil, false, ErrUnopenable
}
