package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The image's fixed facts: where things are, who runs them.
const (
	// UID and GID of the user the portal runs as: distroless's "nonroot"
	// number, named sspr here. Never root.
	UID = 65532
	GID = 65532

	BinaryPath = "/sspr"
	// WebPath is "web" beside BinaryPath: server.web_dir's default finds
	// it with no setting.
	WebPath    = "/web"
	CACertPath = "/etc/ssl/certs/ca-certificates.crt"
	ConfigDir  = "/etc/sspr"
	ConfigPath = ConfigDir + "/sspr.toml"
	DataDir    = "/var/lib/sspr"
	Port       = "8080/tcp"

	DefaultSource = "https://github.com/sspr-portal/sspr"
	License       = "Apache-2.0"
)

// Options are the image's inputs.
type Options struct {
	// Binary is the sspr executable: a static ELF (CGO_ENABLED=0). Its
	// machine is the image's architecture.
	Binary string
	// WebDir's files (dot files left out) go to WebPath.
	WebDir string
	// CACerts is the PEM bundle copied to CACertPath.
	CACerts string
	// Version labels and tags the image; empty: "dev".
	Version string
	// Source is the repository's address, for the source label.
	Source string
	// Created is the image's time and every file's (zero: 1970-01-01).
	Created time.Time
}

func (o Options) version() string {
	if o.Version == "" {
		return "dev"
	}
	return o.Version
}

// Entrypoint is what the image runs.
var Entrypoint = []string{BinaryPath, "serve", "--config", ConfigPath}

// passwd and group know root and sspr only; neither has a shell.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"sspr:x:65532:65532:sspr password reset portal:" + DataDir + ":/sbin/nologin\n"
	group       = "root:x:0:\nsspr:x:65532:\n"
	nsswitch    = "hosts: files dns\n"
	maxTagBytes = 128
)

// entry is one file or folder of a layer.
type entry struct {
	name     string // absolute, as in the image
	dir      bool
	mode     int64 // permission bits, and the sticky bit
	uid, gid int
	data     []byte // a file's contents
	src      string // or the file to read them from
}

// Build returns the image o describes.
func Build(o Options) (v1.Image, error) {
	arch, err := checkStatic(o.Binary)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA certificates: %s holds no PEM certificate", o.CACerts)
	}
	web, err := webEntries(o.WebDir)
	if err != nil {
		return nil, err
	}

	created := o.Created
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	base := []entry{
		dir("/etc", 0o755, 0),
		file("/etc/passwd", 0o644, []byte(passwd)),
		file("/etc/group", 0o644, []byte(group)),
		file("/etc/nsswitch.conf", 0o644, []byte(nsswitch)),
		dir("/etc/ssl", 0o755, 0),
		dir("/etc/ssl/certs", 0o755, 0),
		file(CACertPath, 0o644, ca),
		dir(ConfigDir, 0o755, 0),
		dir("/tmp", 0o1777, 0),
		dir("/var", 0o755, 0),
		dir("/var/lib", 0o755, 0),
		dir(DataDir, 0o700, UID),
	}
	app := append([]entry{{name: BinaryPath, mode: 0o755, src: o.Binary}, dir(WebPath, 0o755, 0)}, web...)

	version := o.version()
	source := o.Source
	if source == "" {
		source = DefaultSource
	}
	cf := &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: created},
		Config: v1.Config{
			Entrypoint:   Entrypoint,
			User:         fmt.Sprintf("%d:%d", UID, GID),
			WorkingDir:   DataDir,
			ExposedPorts: map[string]struct{}{Port: {}},
			Volumes:      map[string]struct{}{DataDir: {}},
			Env:          []string{"SSL_CERT_FILE=" + CACertPath},
			StopSignal:   "SIGTERM",
			Labels: map[string]string{
				"org.opencontainers.image.title":       "sspr",
				"org.opencontainers.image.description": "Self-service password reset portal",
				"org.opencontainers.image.version":     version,
				"org.opencontainers.image.source":      source,
				"org.opencontainers.image.url":         source,
				"org.opencontainers.image.documentation": strings.TrimSuffix(source, "/") +
					"/blob/main/docs/OPERATIONS.md",
				"org.opencontainers.image.licenses": License,
				"org.opencontainers.image.created":  created.Format(time.RFC3339),
			},
		},
	}
	img, err := mutate.ConfigFile(empty.Image, cf)
	if err != nil {
		return nil, err
	}
	for _, l := range []struct {
		what    string
		entries []entry
	}{
		{"the base: users, CA certificates, folders", base},
		{"sspr " + version + " and its web files", app},
	} {
		b, err := layerTar(l.entries, created)
		if err != nil {
			return nil, err
		}
		// Docker's media types: a `docker save` tarball has no room for
		// others (docker load and podman load take the layers as they
		// come), so these are also what reading it back gives.
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		})
		if err != nil {
			return nil, err
		}
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   layer,
			History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "mkimage: " + l.what, Comment: "sspr " + version},
		})
		if err != nil {
			return nil, err
		}
	}
	return img, nil
}

func dir(name string, mode int64, owner int) entry {
	return entry{name: name, dir: true, mode: mode, uid: owner, gid: owner}
}

func file(name string, mode int64, data []byte) entry {
	return entry{name: name, mode: mode, data: data}
}

// webEntries lists the files of root, for WebPath: regular files and
// folders only (a symbolic link or a device is an error, not something to
// copy blindly), dot files left out, each file 0644 and each folder 0755,
// owned by root.
func webEntries(root string) ([]entry, error) {
	var es []entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			if !d.IsDir() {
				return fmt.Errorf("%s is not a folder", root)
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := path.Join(WebPath, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			es = append(es, dir(name, 0o755, 0))
		case d.Type().IsRegular():
			es = append(es, entry{name: name, mode: 0o644, src: p})
		default:
			return fmt.Errorf("%s: not a regular file or a folder (%s)", p, d.Type())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web files: %w", err)
	}
	for _, want := range []string{"app.wasm", "reg.wasm", "desk.wasm"} {
		if _, err := os.Stat(filepath.Join(root, want)); err != nil {
			return nil, fmt.Errorf("web files: %w (run `make wasm` first)", err)
		}
	}
	return es, nil
}

// layerTar is the layer's tar: entries in name order (folders before
// what they hold), every time set to t, owners by number and name.
func layerTar(es []entry, t time.Time) ([]byte, error) {
	es = append([]entry(nil), es...)
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{
			Name:    strings.TrimPrefix(e.name, "/"),
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			Uname:   userName(e.uid),
			Gname:   userName(e.gid),
			ModTime: t,
			Format:  tar.FormatPAX,
		}
		data := e.data
		if e.dir {
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		} else {
			h.Typeflag = tar.TypeReg
			if e.src != "" {
				b, err := os.ReadFile(e.src)
				if err != nil {
					return nil, err
				}
				data = b
			}
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func userName(id int) string {
	if id == UID {
		return "sspr"
	}
	return "root"
}

// goarch is the GOARCH of each ELF machine Go builds for Linux.
var goarch = map[elf.Machine]string{
	elf.EM_X86_64:    "amd64",
	elf.EM_AARCH64:   "arm64",
	elf.EM_386:       "386",
	elf.EM_ARM:       "arm",
	elf.EM_RISCV:     "riscv64",
	elf.EM_PPC64:     "ppc64le",
	elf.EM_S390:      "s390x",
	elf.EM_LOONGARCH: "loong64",
}

// errDynamic is a binary that needs a dynamic loader or shared libraries,
// which an image from scratch doesn't have.
var errDynamic = errors.New("is dynamically linked: build it with CGO_ENABLED=0 (an image from scratch has no C library)")

// checkStatic checks that path is a static Linux executable and returns
// its GOARCH.
func checkStatic(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("binary: %w", err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return "", fmt.Errorf("binary: %s is not an executable (%s)", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("binary: %s %w", path, errDynamic)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return "", fmt.Errorf("binary: %s %w (it needs %s)", path, errDynamic, strings.Join(libs, ", "))
	}
	arch, ok := goarch[f.Machine]
	if !ok {
		return "", fmt.Errorf("binary: %s is for %s, which this tool doesn't know", path, f.Machine)
	}
	if arch == "ppc64le" && f.ByteOrder.String() != "LittleEndian" {
		arch = "ppc64"
	}
	return arch, nil
}

// unsafeTag is what a tag can't hold.
var unsafeTag = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Tag is version as an image tag: [A-Za-z0-9_.-], at most 128 bytes, not
// starting with "." or "-"; "dev" when nothing is left.
func Tag(version string) string {
	t := strings.TrimLeft(unsafeTag.ReplaceAllString(version, "-"), ".-")
	if len(t) > maxTagBytes {
		t = t[:maxTagBytes]
	}
	if t == "" {
		return "dev"
	}
	return t
}
