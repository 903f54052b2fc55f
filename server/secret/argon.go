// Package secret hashes and checks secrets: security-question answers and
// the embedded directory's passwords with argon2id, and one-time codes with
// a keyed hash. The argon2id work is bounded by a semaphore, so a flood of
// guesses queues instead of exhausting the CPU.
package secret

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultParams are OWASP's second recommended argon2id configuration
// (m=19 MiB, t=2, p=1).
var DefaultParams = Params{Time: 2, Memory: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// Argon2 hashes with argon2id, at most Concurrency at once.
type Argon2 struct {
	params Params
	sem    chan struct{}
	// OnWait, when set (before the first hash), is told how long each
	// hash waited for a slot: the metrics' hashing-slot wait. Every user
	// of this hasher is counted, the embedded directory's password checks
	// with the engine's hashes.
	OnWait func(time.Duration)
}

// NewArgon2 returns a hasher that computes at most concurrency hashes at
// once; 0 means the number of CPUs.
func NewArgon2(p Params, concurrency int) *Argon2 {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	return &Argon2{params: p, sem: make(chan struct{}, concurrency)}
}

func (a *Argon2) acquire(ctx context.Context) error {
	if a.OnWait != nil {
		began := time.Now()
		defer func() { a.OnWait(time.Since(began)) }()
	}
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to hash: %w", ctx.Err())
	}
}

func (a *Argon2) release() { <-a.sem }

// Hash returns the PHC-style encoding of an argon2id hash of plain with a
// fresh random salt.
func (a *Argon2) Hash(ctx context.Context, plain string) (string, error) {
	salt := make([]byte, a.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()
	p := a.params
	key := argon2.IDKey([]byte(plain), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether plain matches the encoded hash, comparing in
// constant time. The parameters are read from the encoding, so hashes made
// with older parameters still verify.
func (a *Argon2) Verify(ctx context.Context, encoded, plain string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := a.acquire(ctx); err != nil {
		return false, err
	}
	defer a.release()
	got := argon2.IDKey([]byte(plain), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var b64 = base64.RawStdEncoding

// ErrBadHash is returned for an encoding Verify can't read.
var ErrBadHash = errors.New("not an argon2id hash")

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrBadHash
	}
	// Bounds keep a corrupted or hostile row from asking for gigabytes.
	if p.Memory == 0 || p.Memory > 1<<20 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return Params{}, nil, nil, ErrBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, ErrBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}
