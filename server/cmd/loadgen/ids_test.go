package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func testRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// TestIDSourceVisitsEachOnce: n draws give every id exactly once, in an
// order that is not the ids' own, and the next n draws the same order
// again; for every size, primes and powers of two included.
func TestIDSourceVisitsEachOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 64, 97, 1000, 4096} {
		s, err := newIDSource(n, func(i int) string { return fmt.Sprint(i) }, testRand())
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var first []string
		inOrder := true
		for k := range n {
			id := s.Next()
			if seen[id] {
				t.Fatalf("n=%d: %s drawn twice in the first %d", n, id, k+1)
			}
			seen[id] = true
			first = append(first, id)
			inOrder = inOrder && id == fmt.Sprint(k)
		}
		if n >= 64 && inOrder {
			t.Errorf("n=%d: the ids came in their own order", n)
		}
		for k := range n {
			if id := s.Next(); id != first[k] {
				t.Fatalf("n=%d: second round, draw %d: %s, want %s", n, k, id, first[k])
			}
		}
	}
}

// TestIDSourceConcurrent: draws from many goroutines still give each id
// once (the load generator's scenarios run at once).
func TestIDSourceConcurrent(t *testing.T) {
	const n = 10000
	s, err := newIDSource(n, func(i int) string { return fmt.Sprint(i) }, testRand())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range n / 8 {
				id := s.Next()
				mu.Lock()
				seen[id]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d distinct ids in %d draws", len(seen), n)
	}
}

func TestPatternIDs(t *testing.T) {
	s, err := patternIDs("million-%07d", 1000000, testRand())
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		id := s.Next()
		var k int
		if _, err := fmt.Sscanf(id, "million-%07d", &k); err != nil || k < 1 || k > 1000000 || len(id) != len("million-0000001") {
			t.Fatalf("id %q is not one of million-0000001 to million-1000000", id)
		}
	}
	for _, bad := range []string{"million", "million-%s", "%d-%d", "million-%07d-%q"} {
		if _, err := patternIDs(bad, 10, testRand()); err == nil {
			t.Errorf("pattern %q: no error", bad)
		}
	}
	if _, err := patternIDs("million-%07d", 0, testRand()); err == nil {
		t.Error("-user-count 0: no error")
	}
}

func TestFileIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.txt")
	if err := os.WriteFile(path, []byte("# the accounts\nalice\n\n  bob  \ncarol@example.edu\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := fileIDs(path, testRand())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range s.Len() {
		got = append(got, s.Next())
	}
	slices.Sort(got)
	if strings.Join(got, " ") != "alice bob carol@example.edu" {
		t.Errorf("ids %q, want alice, bob and carol@example.edu once each", got)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, []byte("# nothing\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fileIDs(empty, testRand()); err == nil || !strings.Contains(err.Error(), "no ids") {
		t.Errorf("a file without ids: %v, want an error saying so", err)
	}
}

func TestParseMemStatus(t *testing.T) {
	status := "Name:\tsspr\nVmPeak:\t 2000000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   51200 kB\nThreads:\t12\n"
	m, err := parseMemStatus(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 51200<<10 || m.HWM != 81234<<10 {
		t.Errorf("got %+v, want RSS 51200 kB and HWM 81234 kB", m)
	}
	if _, err := parseMemStatus(strings.NewReader("Name:\tkthreadd\n")); err == nil {
		t.Error("no VmRSS: no error")
	}
	if _, err := parseMemStatus(strings.NewReader("VmHWM:\t1 MB\nVmRSS:\t1 kB\n")); err == nil {
		t.Error("a size not in kB: no error")
	}
}

// TestWatchRSS samples this test's own process.
func TestWatchRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc: not Linux")
	}
	w := watchRSS(os.Getpid(), 10*time.Millisecond)
	w.Stop()
	s := w.summary()
	if !strings.Contains(s, "start ") || !strings.Contains(s, "VmHWM") || strings.Contains(s, "not read") {
		t.Errorf("summary %q", s)
	}
}
