// Command precompress writes the brotli and gzip versions of static files
// next to them, at build time, so that the server sends app.wasm compressed
// without compressing it on every request (docs/PERFORMANCE.md, "The
// budgets") and without any tool but Go installed (the brotli encoder is
// pure Go).
//
//	precompress FILE...
//
// For each FILE it writes FILE.br (brotli, quality 11, 16 MiB window) and
// FILE.gz (gzip -9), each atomically (a temporary file in the same folder,
// then a rename) and with FILE's modification time, which is what
// server/web checks: it serves a sibling only when it is at least as new as
// the file. A sibling already that new is left alone. Go rewrites its
// output on every build even when nothing changed, so a sibling that is
// older but still decodes to exactly FILE's bytes only gets its time
// updated: an unchanged app.wasm costs a decode, not a 20-second brotli
// run. When compression does not make a file smaller (a PNG, say), no
// sibling is written and a stale one is removed.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// An encoding is one kind of sibling: its file name suffix, how to write
// it and how to read it back.
type encoding struct {
	ext    string
	encode func(w io.Writer, src []byte) error
	decode func(r io.Reader) (io.Reader, error)
}

// encodings returns the siblings to write, brotli at quality brQuality.
func encodings(brQuality int) []encoding {
	return []encoding{{
		ext: ".br",
		encode: func(w io.Writer, src []byte) error {
			// LGWin 24 is the largest standard window, what the brotli CLI
			// uses; the library's default, 22, loses a little on app.wasm.
			bw := brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: brQuality, LGWin: 24})
			if _, err := bw.Write(src); err != nil {
				return err
			}
			return bw.Close()
		},
		decode: func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
	}, {
		ext: ".gz",
		encode: func(w io.Writer, src []byte) error {
			gw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
			if err != nil {
				return err
			}
			if _, err := gw.Write(src); err != nil {
				return err
			}
			return gw.Close()
		},
		decode: func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
	}}
}

// An outcome is what happened to one sibling.
type outcome int

const (
	fresh      outcome = iota // already at least as new as the source
	touched                   // older, same content: time updated
	written                   // (re)compressed
	notSmaller                // compression does not pay: no sibling
)

func (o outcome) String() string {
	return [...]string{"fresh", "unchanged, time updated", "written", "not smaller, none kept"}[o]
}

func main() {
	quiet := flag.Bool("q", false, "print nothing but errors")
	brQuality := flag.Int("brotli-quality", brotli.BestCompression,
		"brotli quality, 0 to 11 (11 takes ~20 s on app.wasm; a lower one is for quick dev builds only)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: precompress [-q] FILE...\n\nWrites FILE.br and FILE.gz next to each FILE when FILE is newer.")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *brQuality < brotli.BestSpeed || *brQuality > brotli.BestCompression {
		flag.Usage()
		os.Exit(2)
	}
	encs := encodings(*brQuality)

	type result struct {
		line string
		err  error
	}
	results := make([]result, flag.NArg())
	var wg sync.WaitGroup
	for i, name := range flag.Args() {
		wg.Go(func() {
			res, err := compressFile(name, encs)
			var b strings.Builder
			for _, r := range res {
				fmt.Fprintf(&b, "precompress: %s%s: %s", name, r.ext, r.outcome)
				if r.outcome == written || r.outcome == fresh || r.outcome == touched {
					fmt.Fprintf(&b, " (%d bytes)", r.size)
				}
				b.WriteByte('\n')
			}
			results[i] = result{b.String(), err}
		})
	}
	wg.Wait()

	failed := false
	for _, r := range results {
		if !*quiet {
			fmt.Print(r.line)
		}
		if r.err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", r.err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// siblingResult reports what compressFile did for one encoding.
type siblingResult struct {
	ext     string
	outcome outcome
	size    int64
}

// compressFile brings name's siblings up to date, the encodings in
// parallel.
func compressFile(name string, encs []encoding) ([]siblingResult, error) {
	if ext := filepath.Ext(name); ext == ".br" || ext == ".gz" {
		return nil, fmt.Errorf("%s: already compressed", name)
	}
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	var (
		src     []byte
		srcOnce sync.Once
		srcErr  error
	)
	load := func() ([]byte, error) {
		srcOnce.Do(func() { src, srcErr = os.ReadFile(name) })
		return src, srcErr
	}

	results := make([]siblingResult, len(encs))
	errs := make([]error, len(encs))
	var wg sync.WaitGroup
	for i, enc := range encs {
		wg.Go(func() {
			results[i].ext = enc.ext
			results[i].outcome, results[i].size, errs[i] = update(name, fi, enc, load)
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// update brings one sibling of name up to date.
func update(name string, fi fs.FileInfo, enc encoding, load func() ([]byte, error)) (outcome, int64, error) {
	dst := name + enc.ext
	dfi, err := os.Stat(dst)
	exists := err == nil
	switch {
	case exists && !dfi.ModTime().Before(fi.ModTime()):
		return fresh, dfi.Size(), nil
	case !exists && !errors.Is(err, fs.ErrNotExist):
		return 0, 0, err
	}
	// fi was taken before the read: if the file changes in between, the
	// sibling is stamped older than the file and is redone next time.
	src, err := load()
	if err != nil {
		return 0, 0, err
	}
	if exists && dfi.Mode().IsRegular() && sameContent(dst, enc, src) {
		if err := os.Chtimes(dst, fi.ModTime(), fi.ModTime()); err != nil {
			return 0, 0, err
		}
		return touched, dfi.Size(), nil
	}

	var buf bytes.Buffer
	buf.Grow(len(src) / 3)
	if err := enc.encode(&buf, src); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", dst, err)
	}
	if buf.Len() >= len(src) {
		// server/web would serve it; a larger "compressed" file helps no one.
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, 0, err
		}
		return notSmaller, 0, nil
	}
	if err := writeAtomic(dst, buf.Bytes(), fi); err != nil {
		return 0, 0, err
	}
	return written, int64(buf.Len()), nil
}

// sameContent reports whether the sibling dst decodes to exactly src.
func sameContent(dst string, enc encoding, src []byte) bool {
	f, err := os.Open(dst)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := enc.decode(f)
	if err != nil {
		return false
	}
	// Compare as it decodes, and never decode past len(src)+1 bytes: a
	// corrupt or hostile sibling can't make us allocate without bound.
	got, err := io.ReadAll(io.LimitReader(r, int64(len(src))+1))
	return err == nil && bytes.Equal(got, src)
}

// writeAtomic writes b to dst through a temporary file in dst's folder
// (hidden: server/web never serves a dot file), with the source's mode
// bits (minus execute) and modification time, then renames it into place,
// so that the server never sees half a file.
func writeAtomic(dst string, b []byte, src fs.FileInfo) (err error) {
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(src.Mode().Perm() &^ 0o111); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chtimes(tmp, src.ModTime(), src.ModTime()); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
