package dispatch

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sspr-portal/sspr/server/seal"
	"github.com/sspr-portal/sspr/server/sspr"
)

// A stored message holds a one-time code and a person's address, and the
// job's row stays in the database for a day after delivery (River's
// retention), where backups and anyone who reads the tables see it. So
// the message is sealed (server/seal) under a key derived from the
// portal's own, with the row's id and channel as associated data, so that
// a sealed message can't be moved to another row. Only the portal's
// servers, which share the key file, can open it.

// keyInfo separates the outbox's key from every other use of the base key.
const keyInfo = "sspr dispatch message seal v1"

// sealer seals and opens messages.
type sealer struct{ s *seal.Sealer }

// newSealer derives the sealing key from base, and the keys that also
// open from accepted (each at least 32 bytes).
func newSealer(base []byte, accepted ...[]byte) (*sealer, error) {
	s, err := seal.New(keyInfo, base, accepted...)
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	return &sealer{s}, nil
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
	b, err := s.s.Seal(plain, ad(id, ch))
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	return b, nil
}

// errUnopenable is a stored message the key can't open: the key file was
// replaced while it waited.
var errUnopenable = errors.New("the message can't be opened with this server's key (was the key file replaced?)")

func (s *sealer) open(id string, ch sspr.Channel, b []byte) (sealed, error) {
	// A message waits a day at most: one opened under an accepted key
	// needn't be sealed again.
	plain, _, err := s.s.Open(b, ad(id, ch))
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
