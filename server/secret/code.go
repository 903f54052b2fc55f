package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// NewCode returns a uniformly random code of the given number of digits,
// read from src (crypto/rand.Reader in production).
func NewCode(src io.Reader, digits int) (string, error) {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	n, err := rand.Int(src, limit)
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%0*d", digits, n), nil
}

// NewPass returns n characters of alphabet drawn uniformly from src (no
// modulo bias), in groups of 4 joined by "-": a recovery pass.
func NewPass(src io.Reader, alphabet string, n int) (string, error) {
	var sb strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for i := range n {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		x, err := rand.Int(src, max)
		if err != nil {
			return "", fmt.Errorf("random pass: %w", err)
		}
		sb.WriteByte(alphabet[x.Int64()])
	}
	return sb.String(), nil
}

// MAC is HMAC-SHA256 under key of the parts, each followed by a zero byte
// so that no two lists of parts run together. Codes are stored only as such
// a keyed hash, bound to what they were sent for (docs/SECURITY.md#codes).
func MAC(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}
