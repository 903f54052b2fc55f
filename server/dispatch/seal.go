package dispatch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sspr-portal/sspr/server/sspr"
)

// A stored message holds a one-time code and a person's address, and the
// job's row stays in the database for a day after delivery (River's
// retention), where backups and anyone who reads the tables see it. So
// the message is sealed: AES-256-GCM under a key derived from the
// portal's own, with the row's id and channel as associated data, so that
// a sealed message can't be moved to another row. Only the portal's
// servers, which share the key file, can open it.

// keyInfo separates the outbox's key from every other use of the base key.
const keyInfo = "sspr dispatch message seal v1"

// sealer seals and opens messages.
type sealer struct {
	aead cipher.AEAD
	// accepted open what other servers sealed under keys still accepted
	// during a key rotation (server/keys: rotate.go); they never seal.
	accepted []cipher.AEAD
}

// newSealer derives the sealing key from base, and the keys that also
// open from accepted (each at least 32 bytes).
func newSealer(base []byte, accepted ...[]byte) (*sealer, error) {
	s := &sealer{}
	for i, b := range append([][]byte{base}, accepted...) {
		aead, err := newAEAD(b)
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

// newAEAD is AES-256-GCM under the key derived from base.
func newAEAD(base []byte) (cipher.AEAD, error) {
	if len(base) < 32 {
		return nil, errors.New("dispatch: the sealing key must be at least 32 bytes")
	}
	k, err := hkdf.Key(sha256.New, base, nil, keyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("dispatch: derive key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	return aead, nil
}

// sealed is what a stored message holds once opened.
type sealed struct {
	Message sspr.Message `json:"m"`
	// Decoy marks the stand-in a decoy flow stores: the same work on the
	// request's path as a real message, and nothing sent.
	Decoy bool `json:"d,omitempty"`
}

func (s *sealer) seal(id string, ch sspr.Channel, v sealed) ([]byte, error) {
	v.Message.Data = nil // already written by the router: not needed again
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("dispatch: encode message: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("dispatch: nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, ad(id, ch)), nil
}

// errUnopenable is a stored message the key can't open: the key file was
// replaced while it waited.
var errUnopenable = errors.New("the message can't be opened with this server's key (was the key file replaced?)")

func (s *sealer) open(id string, ch sspr.Channel, b []byte) (sealed, error) {
	n := s.aead.NonceSize()
	if len(b) < n {
		return sealed{}, errUnopenable
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], ad(id, ch))
	for _, a := range s.accepted {
		if err == nil {
			break
		}
		plain, err = a.Open(nil, b[:n], b[n:], ad(id, ch))
	}
	if err != nil {
		return sealed{}, errUnopenable
	}
	var v sealed
	if err := json.Unmarshal(plain, &v); err != nil {
		return sealed{}, fmt.Errorf("dispatch: decode message: %w", err)
	}
	return v, nil
}

func ad(id string, ch sspr.Channel) []byte { return []byte(string(ch) + "\x00" + id) }
