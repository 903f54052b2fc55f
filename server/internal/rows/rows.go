// Package rows reads what both stores (server/sqlite, server/pgstore)
// hand back in the same shape, so that the two read it one way.
package rows

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sspr-portal/sspr/server/sspr"
)

// Passkeys reads a registration's passkeys as the stores' registration
// queries aggregate them into one column, so that a registration is still
// read in one statement: a JSON array of [id, name, credential,
// created, last_used] arrays, the bytes in hex and the times in RFC 3339
// (last_used null when never used). NULL or "" is none.
func Passkeys(b []byte) ([]sspr.Passkey, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var raw [][5]*string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	out := make([]sspr.Passkey, 0, len(raw))
	for _, r := range raw {
		if r[0] == nil || r[1] == nil || r[2] == nil || r[3] == nil {
			continue // the one all-NULL row of an aggregate over nothing
		}
		id, err := hex.DecodeString(*r[0])
		if err != nil {
			return nil, fmt.Errorf("passkey id: %w", err)
		}
		cred, err := hex.DecodeString(*r[2])
		if err != nil {
			return nil, fmt.Errorf("passkey credential: %w", err)
		}
		p := sspr.Passkey{ID: id, Name: *r[1], Credential: cred}
		if p.Created, err = parse(*r[3]); err != nil {
			return nil, err
		}
		if r[4] != nil {
			if p.LastUsed, err = parse(*r[4]); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func parse(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("passkey time %q: %w", s, err)
	}
	return t.UTC(), nil
}
