package main

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// compressible returns ~100 KiB that compress well but not
// trivially, like a wasm file's mix of code and strings.
func compressible() []byte {
	var b bytes.Buffer
	for i := range 2000 {
		fmt.Fprintf(&b, "func%d(x int) { return x*%d + %q }\n", i%977, i, strings.Repeat("ab", i%13))
	}
	return b.Bytes()
}

// mustWrite writes b to dir/name with modification time mod.
func mustWrite(tb testing.TB, dir, name string, b []byte, mod time.Time) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		tb.Fatal(err)
	}
	return p
}

// quick are the encodings with a fast brotli quality: quality 11 is slow
// (more so under -race) and only RoundTrip needs to show it works.
var quick = encodings(4)

// run runs compressFile with encs and returns each sibling's outcome by
// extension.
func run(tb testing.TB, name string, encs []encoding) map[string]outcome {
	tb.Helper()
	res, err := compressFile(name, encs)
	if err != nil {
		tb.Fatal(err)
	}
	got := map[string]outcome{}
	for _, r := range res {
		got[r.ext] = r.outcome
	}
	return got
}

func decodeFile(tb testing.TB, p string) []byte {
	tb.Helper()
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader
	switch filepath.Ext(p) {
	case ".br":
		r = brotli.NewReader(f)
	case ".gz":
		if r, err = gzip.NewReader(f); err != nil {
			tb.Fatal(err)
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("%s: %v", p, err)
	}
	return b
}

func modTime(tb testing.TB, p string) time.Time {
	tb.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.ModTime()
}

func TestCompressFile(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		dir := t.TempDir()
		src := compressible()
		mod := time.Now().Add(-time.Hour).Truncate(time.Second)
		p := mustWrite(t, dir, "app.wasm", src, mod)

		got := run(t, p, encodings(11))
		for _, ext := range []string{".br", ".gz"} {
			if got[ext] != written {
				t.Errorf("%s: %v, want written", ext, got[ext])
			}
			if !bytes.Equal(decodeFile(t, p+ext), src) {
				t.Errorf("%s does not decode to the source", ext)
			}
			// server/web serves a sibling only when it is at least as new.
			if m := modTime(t, p+ext); !m.Equal(mod) {
				t.Errorf("%s modified %v, want the source's %v", ext, m, mod)
			}
			fi, _ := os.Stat(p + ext)
			if fi.Size() >= int64(len(src)) || fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: %d bytes, mode %v; want fewer than %d, 0644", ext, fi.Size(), fi.Mode().Perm(), len(src))
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 3 {
			t.Errorf("folder holds %d files, want 3 (no temporary file left): %v", len(entries), entries)
		}
	})

	t.Run("SkipWhenFresh", func(t *testing.T) {
		dir := t.TempDir()
		src := compressible()
		mod := time.Now().Add(-time.Hour).Truncate(time.Second)
		p := mustWrite(t, dir, "app.wasm", src, mod)
		run(t, p, quick)

		// A sibling as new as the source is trusted, not even read: replace
		// one with junk and it must survive.
		mustWrite(t, dir, "app.wasm.br", []byte("junk"), mod)
		newer := mod.Add(time.Minute)
		mustWrite(t, dir, "app.wasm.gz", []byte("junk"), newer)
		got := run(t, p, quick)
		if got[".br"] != fresh || got[".gz"] != fresh {
			t.Fatalf("outcomes %v, want both fresh", got)
		}
		for _, ext := range []string{".br", ".gz"} {
			if b, _ := os.ReadFile(p + ext); string(b) != "junk" {
				t.Errorf("%s was rewritten", ext)
			}
		}

		// Made newer than its siblings, the source is compressed again.
		later := newer.Add(time.Minute)
		os.Chtimes(p, later, later)
		got = run(t, p, quick)
		if got[".br"] != written || got[".gz"] != written {
			t.Fatalf("outcomes %v, want both written", got)
		}
		for _, ext := range []string{".br", ".gz"} {
			if !bytes.Equal(decodeFile(t, p+ext), src) {
				t.Errorf("%s does not decode to the source", ext)
			}
		}
	})

	t.Run("UnchangedSourceOnlyTouched", func(t *testing.T) {
		// What `go build -o` does: rewrite the same bytes with a new time.
		dir := t.TempDir()
		src := compressible()
		mod := time.Now().Add(-time.Hour).Truncate(time.Second)
		p := mustWrite(t, dir, "app.wasm", src, mod)
		run(t, p, quick)
		before, _ := os.ReadFile(p + ".br")

		later := mod.Add(time.Minute)
		mustWrite(t, dir, "app.wasm", src, later)
		got := run(t, p, quick)
		if got[".br"] != touched || got[".gz"] != touched {
			t.Fatalf("outcomes %v, want both touched", got)
		}
		after, _ := os.ReadFile(p + ".br")
		if !bytes.Equal(before, after) {
			t.Error(".br rewritten, want only its time updated")
		}
		if m := modTime(t, p+".br"); !m.Equal(later) {
			t.Errorf(".br modified %v, want %v", m, later)
		}

		// Different bytes: compressed again, even when as long.
		changed := bytes.Clone(src)
		changed[len(changed)/2] ^= 1
		mustWrite(t, dir, "app.wasm", changed, later.Add(time.Minute))
		if got := run(t, p, quick); got[".br"] != written || got[".gz"] != written {
			t.Fatalf("outcomes %v, want both written", got)
		}
		if !bytes.Equal(decodeFile(t, p+".br"), changed) {
			t.Error(".br does not decode to the changed source")
		}
	})

	t.Run("IncompressibleHasNoSibling", func(t *testing.T) {
		dir := t.TempDir()
		noise := make([]byte, 64<<10)
		rand.Read(noise)
		mod := time.Now().Add(-time.Hour).Truncate(time.Second)
		p := mustWrite(t, dir, "icon.png", noise, mod)
		// A stale sibling from an earlier, compressible version goes.
		mustWrite(t, dir, "icon.png.br", []byte("stale"), mod.Add(-time.Minute))
		got := run(t, p, quick)
		if got[".br"] != notSmaller || got[".gz"] != notSmaller {
			t.Fatalf("outcomes %v, want both notSmaller", got)
		}
		for _, ext := range []string{".br", ".gz"} {
			if _, err := os.Stat(p + ext); !os.IsNotExist(err) {
				t.Errorf("%s exists (%v), want none", ext, err)
			}
		}
	})

	t.Run("ErrCompressedInput", func(t *testing.T) {
		dir := t.TempDir()
		p := mustWrite(t, dir, "app.wasm.br", []byte("x"), time.Now())
		if _, err := compressFile(p, quick); err == nil {
			t.Fatal("no error for a .br input")
		}
		if _, err := os.Stat(p + ".br"); !os.IsNotExist(err) {
			t.Error("wrote app.wasm.br.br")
		}
	})

	t.Run("ErrMissing", func(t *testing.T) {
		if _, err := compressFile(filepath.Join(t.TempDir(), "nope"), quick); err == nil {
			t.Fatal("no error for a missing file")
		}
	})
}
