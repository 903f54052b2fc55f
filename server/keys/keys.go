// Package keys keeps the portal's secret keys in a file in the data folder:
// the session cookie keys and the key of the one-time codes' keyed hash.
//
// The file is JSON, each key hex-encoded (base64 is accepted too), with
// mode 0600:
//
//	{
//	  "session_auth": "…128 hex digits…",
//	  "session_enc": "…64 hex digits…",
//	  "code": "…64 hex digits…",
//	  "accepted": [{"session_auth": "…", "session_enc": "…", "code": "…"}]
//	}
//
// The top three are the keys in use: they sign and encrypt cookies, seal
// stored messages and key the hash of codes. "accepted" (optional) holds
// key sets that are only ever accepted, never used: the next set while a
// rotation is staged, or the last one once it is promoted, until it is
// retired (rotate.go), so that servers on either side of a rolling
// restart read each other's cookies, codes and messages.
//
// A production server only ever loads the file (Load), so that a missing
// file is an operator's error to fix, not a silent new set of keys that
// signs everyone out. Dev mode creates it on first run (LoadOrCreate).
package keys

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The length of each key, in bytes (docs/SECURITY.md#cookies: a 64-byte
// authentication key and a 32-byte encryption key, AES-256).
const (
	SessionAuthLen = 64
	SessionEncLen  = 32
	CodeLen        = 32
)

// Set is one set of the portal's secret keys.
type Set struct {
	// SessionAuth authenticates the session cookie (HMAC-SHA256), 64 bytes.
	SessionAuth []byte
	// SessionEnc encrypts the session cookie (AES-256), 32 bytes.
	SessionEnc []byte
	// Code is the HMAC key under which one-time codes are stored, 32 bytes.
	Code []byte
}

// Keys are the portal's secret keys: the set in use, and the sets it
// still accepts during a rotation.
type Keys struct {
	Set
	// Accepted are sets that are never used to sign, seal or hash, but
	// whose cookies, sealed messages and codes are still accepted: at
	// most one, the next set (staged) or the last one (promoted).
	Accepted []Set
}

// All returns the set in use, then every accepted set: the order in
// which to try them when checking.
func (k *Keys) All() []Set { return append([]Set{k.Set}, k.Accepted...) }

// ErrMissing is wrapped by Load's error when there is no key file.
var ErrMissing = errors.New("keys: no key file")

// file is the JSON form.
type file struct {
	fileSet
	Accepted []fileSet `json:"accepted,omitempty"`
}

type fileSet struct {
	SessionAuth string `json:"session_auth"`
	SessionEnc  string `json:"session_enc"`
	Code        string `json:"code"`
}

// Generate returns new keys from crypto/rand.
func Generate() (*Keys, error) {
	s, err := newSet()
	if err != nil {
		return nil, err
	}
	return &Keys{Set: s}, nil
}

// newSet returns a new set of keys from crypto/rand.
func newSet() (Set, error) {
	s := Set{
		SessionAuth: make([]byte, SessionAuthLen),
		SessionEnc:  make([]byte, SessionEncLen),
		Code:        make([]byte, CodeLen),
	}
	for _, b := range [][]byte{s.SessionAuth, s.SessionEnc, s.Code} {
		if _, err := rand.Read(b); err != nil {
			return Set{}, fmt.Errorf("keys: %w", err)
		}
	}
	return s, nil
}

// Validate checks the length of every key, in use and accepted.
func (k *Keys) Validate() error {
	var errs []error
	for i, s := range k.All() {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("accepted[%d].", i-1)
		}
		for _, c := range []struct {
			name string
			b    []byte
			n    int
		}{
			{"session_auth", s.SessionAuth, SessionAuthLen},
			{"session_enc", s.SessionEnc, SessionEncLen},
			{"code", s.Code, CodeLen},
		} {
			if len(c.b) != c.n {
				errs = append(errs, fmt.Errorf("%s%s must be %d bytes, not %d", prefix, c.name, c.n, len(c.b)))
			}
		}
	}
	return errors.Join(errs...)
}

// String never shows the keys, so a stray %v can't log them.
func (k *Keys) String() string { return "keys.Keys{…}" }

// GoString never shows the keys either (%#v).
func (k *Keys) GoString() string { return k.String() }

// Load reads the key file at path. A missing file is an error wrapping
// ErrMissing that says how to create one.
func Load(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: create one with `sspr keygen --out %s` (or the same --config as serve), "+
			"or start with --dev for a development server", ErrMissing, path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	return k, nil
}

// Parse reads keys from the contents of a key file.
func Parse(b []byte) (*Keys, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a key file: %w", err)
	}
	var k Keys
	var errs []error
	k.Set, errs = parseSet(f.fileSet, "")
	for i, fs := range f.Accepted {
		s, serrs := parseSet(fs, fmt.Sprintf("accepted[%d].", i))
		k.Accepted = append(k.Accepted, s)
		errs = append(errs, serrs...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &k, nil
}

// parseSet reads one set of keys; prefix names it in errors.
func parseSet(f fileSet, prefix string) (Set, []error) {
	var s Set
	var errs []error
	for _, c := range []struct {
		name string
		s    string
		n    int
		dst  *[]byte
	}{
		{"session_auth", f.SessionAuth, SessionAuthLen, &s.SessionAuth},
		{"session_enc", f.SessionEnc, SessionEncLen, &s.SessionEnc},
		{"code", f.Code, CodeLen, &s.Code},
	} {
		v, err := decodeKey(c.s, c.n)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %w", prefix, c.name, err))
			continue
		}
		*c.dst = v
	}
	return s, errs
}

// decodeKey reads a key of n bytes written in hex or in base64 (standard
// or URL alphabet, padded or not); the length tells which.
func decodeKey(s string, n int) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("missing: must be %d bytes in hex or base64", n)
	}
	hb, herr := hex.DecodeString(s)
	if herr == nil && len(hb) == n {
		return hb, nil
	}
	var bb []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) == n {
				return b, nil
			}
			bb = b
		}
	}
	switch {
	case herr == nil: // hex of the wrong length
		return nil, fmt.Errorf("must be %d bytes, not %d", n, len(hb))
	case bb != nil:
		return nil, fmt.Errorf("must be %d bytes, not %d", n, len(bb))
	}
	return nil, fmt.Errorf("must be %d bytes in hex or base64", n)
}

// Encode returns the key file's contents.
func (k *Keys) Encode() ([]byte, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	enc := func(s Set) fileSet {
		return fileSet{SessionAuth: hex.EncodeToString(s.SessionAuth), SessionEnc: hex.EncodeToString(s.SessionEnc),
			Code: hex.EncodeToString(s.Code)}
	}
	f := file{fileSet: enc(k.Set)}
	for _, s := range k.Accepted {
		f.Accepted = append(f.Accepted, enc(s))
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// LoadOrCreate loads the key file at path, or, when there is none, creates
// it with new keys (its folder with mode 0700, the file with mode 0600,
// written atomically) and reports true. It is for dev mode: in production a
// missing key file must stop the server rather than sign everyone out.
func LoadOrCreate(path string) (*Keys, bool, error) {
	k, err := Load(path)
	if err == nil || !errors.Is(err, ErrMissing) {
		return k, false, err
	}
	k, err = Create(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our two looks: use theirs.
		k, err = Load(path)
		return k, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// Create writes new keys to a new file at path, creating its folder with
// mode 0700. The file appears whole or not at all, with mode 0600, and an
// existing file is never replaced (the error wraps fs.ErrExist): replacing
// keys signs every user out and loses every code in flight.
func Create(path string) (*Keys, error) {
	k, err := Generate()
	if err != nil {
		return nil, err
	}
	b, err := k.Encode()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	tmp, err := writeTemp(dir, b)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	// A hard link puts the whole file in place atomically and, unlike
	// rename, fails if a file is already there.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("keys: %s already exists: %w", path, fs.ErrExist)
		}
		// A file system without hard links: check, then rename.
		if _, serr := os.Lstat(path); serr == nil {
			return nil, fmt.Errorf("keys: %s already exists: %w", path, fs.ErrExist)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
	}
	syncDir(dir)
	return k, nil
}

// syncDir makes the new directory entry durable where the platform allows.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
