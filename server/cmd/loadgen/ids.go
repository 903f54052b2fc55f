package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
)

// maxIDs bounds how many ids a source holds, so that the permutation's
// products (a*i, both under n) fit in 64 bits.
const maxIDs = 1 << 31

// idSource hands out user ids for the scenarios: each id once, in a random
// order, then the same order again once all have been used. A load test
// against a large directory must spread its flows over the whole of it (a
// few hot accounts would sit in every cache and hit their per-account
// limits), and no account may start two flows in one run.
//
// The order is the permutation i -> (a*i + b) mod n with a prime to n: it
// visits every index exactly once and needs no table, so a million ids
// made from a pattern cost no memory.
type idSource struct {
	n    uint64
	a, b uint64
	next atomic.Uint64
	at   func(i int) string
}

// newIDSource draws the permutation of the ids at(0) to at(n-1) from rng.
func newIDSource(n int, at func(i int) string, rng *rand.Rand) (*idSource, error) {
	if n < 1 || n > maxIDs {
		return nil, fmt.Errorf("user ids: %d: must be 1 to %d", n, maxIDs)
	}
	s := &idSource{n: uint64(n), at: at, b: rng.Uint64N(uint64(n))}
	s.a = 1
	if n > 2 {
		// A multiplier away from 1 and n-1, so that neighbours in the
		// order are far apart in the ids, and prime to n.
		for {
			s.a = 2 + rng.Uint64N(uint64(n)-2)
			if gcd(s.a, s.n) == 1 {
				break
			}
		}
	}
	return s, nil
}

// Next returns the next id; safe for concurrent use.
func (s *idSource) Next() string {
	i := (s.next.Add(1) - 1) % s.n
	return s.at(int((s.a*i + s.b) % s.n))
}

// Len is the number of distinct ids.
func (s *idSource) Len() int { return int(s.n) }

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// patternIDs are the ids fmt.Sprintf(pattern, k) for k = 1 to n, such as
// "million-%07d" for the accounts scripts/million.sh imports.
func patternIDs(pattern string, n int, rng *rand.Rand) (*idSource, error) {
	// One integer verb, no other: two numbers must give two ids.
	one, two := fmt.Sprintf(pattern, 1), fmt.Sprintf(pattern, 2)
	if strings.Contains(one, "%!") || one == two || strings.Count(pattern, "%")-2*strings.Count(pattern, "%%") != 1 {
		return nil, fmt.Errorf("user id pattern %q: want one integer verb, such as million-%%07d", pattern)
	}
	return newIDSource(n, func(i int) string { return fmt.Sprintf(pattern, i+1) }, rng)
}

// fileIDs are the ids in the file at path, one a line; blank lines and
// lines starting with # are skipped.
func fileIDs(path string, rng *rand.Rand) (*idSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("user ids: %w", err)
	}
	defer f.Close()
	ids, err := readIDs(f)
	if err != nil {
		return nil, fmt.Errorf("user ids: %s: %w", path, err)
	}
	return newIDSource(len(ids), func(i int) string { return ids[i] }, rng)
}

func readIDs(r io.Reader) ([]string, error) {
	var ids []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ids = append(ids, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("no ids")
	}
	return ids, nil
}
