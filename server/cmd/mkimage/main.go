// Command mkimage writes the portal's container image without a container
// engine, a registry or a base image: the image is built from scratch out
// of files on this machine, so it needs nothing but Go (`make image`).
//
//	mkimage --binary bin/image/sspr --web bin/web --version v1.2.3 --out bin/sspr-image.tar
//
// The image holds, and nothing else:
//
//	/sspr                                 the static binary (CGO_ENABLED=0; refused otherwise)
//	/web/...                              app.wasm, reg.wasm, desk.wasm and their .br and .gz (web_dir's default: "web" beside the binary)
//	/etc/ssl/certs/ca-certificates.crt    the CA certificates (Debian's ca-certificates)
//	/etc/passwd, /etc/group               root, and the user sspr (65532) the portal runs as
//	/etc/nsswitch.conf                    "hosts: files dns", for Go's resolver
//	/etc/sspr/                            where the configuration is mounted (sspr.toml)
//	/var/lib/sspr/                        the data folder: a volume, owned by 65532, mode 0700
//	/tmp/                                 mode 1777 (SQLite's temporary files)
//
// and runs `/sspr serve --config /etc/sspr/sspr.toml` as 65532:65532 in
// /var/lib/sspr, port 8080 exposed. The output is a `docker save` tarball
// (manifest.json, the config, one gzip'd tar per layer), which `docker
// load` and `podman load` read, tagged NAME:VERSION and NAME:latest
// (NAME: localhost/sspr by default). Every file's time is
// SOURCE_DATE_EPOCH (0 when unset), so the same inputs make the same
// image. docs/OPERATIONS.md says how to run it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	fs.StringVar(&o.Binary, "binary", "bin/image/sspr", "the static sspr `file` (built with CGO_ENABLED=0)")
	fs.StringVar(&o.WebDir, "web", "bin/web", "the `folder` of app.wasm, reg.wasm, desk.wasm and their .br and .gz")
	fs.StringVar(&o.CACerts, "ca", "/etc/ssl/certs/ca-certificates.crt", "the CA certificates `file` (PEM)")
	fs.StringVar(&o.Version, "version", "", "the image's version label and tag (git describe); empty: \"dev\"")
	fs.StringVar(&o.Source, "source", DefaultSource, "the source repository's `URL` (org.opencontainers.image.source)")
	repo := fs.String("name", "localhost/sspr", "the image's `repository`, tagged name:version and name:latest (localhost/: never pulled from a registry by mistake)")
	out := fs.String("out", "bin/sspr-image.tar", "write the image to this `file`")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mkimage: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "mkimage: SOURCE_DATE_EPOCH %q is not a number of seconds\n", s)
			return 2
		}
		o.Created = time.Unix(sec, 0).UTC()
	}

	img, err := Build(o)
	if err != nil {
		fmt.Fprintf(stderr, "mkimage: %v\n", err)
		return 1
	}
	if err := write(*out, *repo, o.version(), img); err != nil {
		fmt.Fprintf(stderr, "mkimage: %v\n", err)
		return 1
	}
	st, err := os.Stat(*out)
	if err != nil {
		fmt.Fprintf(stderr, "mkimage: %v\n", err)
		return 1
	}
	d, _ := img.Digest()
	fmt.Fprintf(stdout, "wrote %s (%.1f MiB): %s:%s, %s\n", *out, float64(st.Size())/(1<<20), *repo, Tag(o.version()), d)
	return 0
}

// write writes img to path as a `docker save` tarball tagged
// repo:version and repo:latest, atomically: a temporary file in the same
// folder, then a rename.
func write(path, repo, version string, img v1.Image) error {
	refs := map[name.Reference]v1.Image{}
	for _, t := range []string{Tag(version), "latest"} {
		ref, err := name.NewTag(repo+":"+t, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("tag: %w", err)
		}
		refs[ref] = img
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mkimage-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tarball.MultiRefWrite(refs, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
