package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// A tiny static program stands in for sspr: built once, with
// CGO_ENABLED=0 like the real one.
var (
	fakeOnce sync.Once
	fakeBin  string
	fakeErr  error
)

func fakeBinary(t *testing.T) string {
	t.Helper()
	fakeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mkimage-fake-")
		if err != nil {
			fakeErr = err
			return
		}
		for name, body := range map[string]string{
			"go.mod":  "module fake\n\ngo 1.22\n",
			"main.go": "package main\n\nfunc main() { println(\"fake sspr\") }\n",
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				fakeErr = err
				return
			}
		}
		fakeBin = filepath.Join(dir, "sspr")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", fakeBin, ".")
		cmd.Dir = dir
		// A module of its own, whatever GOFLAGS or a go.work around says.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GO111MODULE=on", "GOWORK=off",
			"GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			fakeErr = errors.New("go build of the fake binary: " + err.Error() + "\n" + string(out))
		}
	})
	if fakeErr != nil {
		t.Fatal(fakeErr)
	}
	return fakeBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fakeBin != "" {
		os.RemoveAll(filepath.Dir(fakeBin))
	}
	os.Exit(code)
}

const fakePEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"

// inputs makes a web folder and a CA bundle in a temporary folder, and
// returns Options for them and the fake binary.
func inputs(t *testing.T) Options {
	t.Helper()
	dir := t.TempDir()
	web := filepath.Join(dir, "web")
	files := map[string]string{
		"app.wasm": "wasm", "app.wasm.br": "br", "app.wasm.gz": "gz",
		"reg.wasm": "reg", "reg.wasm.br": "rbr", "reg.wasm.gz": "rgz",
		"desk.wasm": "desk", "desk.wasm.br": "dbr", "desk.wasm.gz": "dgz",
		".precompress-tmp": "never shipped", ".git/HEAD": "never shipped",
		"fonts/a.woff2": "font",
	}
	for n, body := range files {
		p := filepath.Join(web, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// Modes on disk are not the image's: 0600 and 0755 come out 0644.
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(web, "app.wasm"), 0o755); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, []byte(fakePEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return Options{
		Binary: fakeBinary(t), WebDir: web, CACerts: ca,
		Version: "v1.2.3-4-gabcdef0-dirty",
		Created: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

// want is one file or folder the image must hold, and nothing else may.
type want struct {
	dir      bool
	mode     int64
	uid, gid int
	body     string // "" for folders and for files checked otherwise
}

func wantFiles() map[string]want {
	root := func(mode int64) want { return want{dir: true, mode: mode} }
	f := func(body string) want { return want{mode: 0o644, body: body} }
	return map[string]want{
		"etc/":                              root(0o755),
		"etc/passwd":                        f(passwd),
		"etc/group":                         f(group),
		"etc/nsswitch.conf":                 f("hosts: files dns\n"),
		"etc/ssl/":                          root(0o755),
		"etc/ssl/certs/":                    root(0o755),
		"etc/ssl/certs/ca-certificates.crt": f(fakePEM),
		"etc/sspr/":                         root(0o755),
		"tmp/":                              root(0o1777),
		"var/":                              root(0o755),
		"var/lib/":                          root(0o755),
		"var/lib/sspr/":                     {dir: true, mode: 0o700, uid: UID, gid: GID},
		"sspr":                              {mode: 0o755},
		"web/":                              root(0o755),
		"web/app.wasm":                      f("wasm"),
		"web/app.wasm.br":                   f("br"),
		"web/app.wasm.gz":                   f("gz"),
		"web/reg.wasm":                      f("reg"),
		"web/reg.wasm.br":                   f("rbr"),
		"web/reg.wasm.gz":                   f("rgz"),
		"web/desk.wasm":                     f("desk"),
		"web/desk.wasm.br":                  f("dbr"),
		"web/desk.wasm.gz":                  f("dgz"),
		"web/fonts/":                        root(0o755),
		"web/fonts/a.woff2":                 f("font"),
	}
}

// TestImage builds an image, writes it as `make image` does, reads it back
// as `docker load` would (manifest.json, the config, the layers) and
// checks every fact of it.
func TestImage(t *testing.T) {
	o := inputs(t)
	img, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out", "image.tar")
	if err := write(out, "localhost/sspr", o.Version, img); err != nil {
		t.Fatal(err)
	}

	// manifest.json: what docker load reads first.
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(out) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 {
		t.Fatalf("manifest.json has %d images, want 1", len(m))
	}
	tags := slices.Sorted(slices.Values(m[0].RepoTags))
	if want := []string{"localhost/sspr:latest", "localhost/sspr:v1.2.3-4-gabcdef0-dirty"}; !slices.Equal(tags, want) {
		t.Errorf("RepoTags = %q, want %q", tags, want)
	}
	if len(m[0].Layers) != 2 {
		t.Errorf("%d layers, want 2", len(m[0].Layers))
	}

	tag, err := name.NewTag("localhost/sspr:latest")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, err := got.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Errorf("digest read back %s, built %s", d2, d1)
	}
	if mt, _ := got.MediaType(); mt != types.DockerManifestSchema2 {
		t.Errorf("manifest media type %s, want %s", mt, types.DockerManifestSchema2)
	}

	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/sspr", "serve", "--config", "/etc/sspr/sspr.toml"}) {
		t.Errorf("Entrypoint = %q", c.Entrypoint)
	}
	if len(c.Cmd) != 0 {
		t.Errorf("Cmd = %q, want none", c.Cmd)
	}
	if c.User != "65532:65532" {
		t.Errorf("User = %q, want 65532:65532", c.User)
	}
	if c.WorkingDir != "/var/lib/sspr" {
		t.Errorf("WorkingDir = %q", c.WorkingDir)
	}
	if ports := slices.Collect(maps.Keys(c.ExposedPorts)); !slices.Equal(ports, []string{"8080/tcp"}) {
		t.Errorf("ExposedPorts = %q", ports)
	}
	if vols := slices.Collect(maps.Keys(c.Volumes)); !slices.Equal(vols, []string{"/var/lib/sspr"}) {
		t.Errorf("Volumes = %q", vols)
	}
	if !slices.Contains(c.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("Env = %q", c.Env)
	}
	if c.StopSignal != "SIGTERM" {
		t.Errorf("StopSignal = %q", c.StopSignal)
	}
	for k, v := range map[string]string{
		"org.opencontainers.image.version":  "v1.2.3-4-gabcdef0-dirty",
		"org.opencontainers.image.source":   "https://github.com/sspr-portal/sspr",
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.created":  "2026-03-04T05:06:07Z",
	} {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if !cf.Created.Time.Equal(o.Created) {
		t.Errorf("Created = %v, want %v", cf.Created, o.Created)
	}
	if len(cf.RootFS.DiffIDs) != 2 || len(cf.History) != 2 {
		t.Errorf("%d diff ids and %d history entries, want 2 and 2", len(cf.RootFS.DiffIDs), len(cf.History))
	}

	// The files: exactly these, with these modes, owners and contents.
	binary, err := os.ReadFile(o.Binary)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range mustLayers(t, got) {
		if mt, _ := l.MediaType(); mt != types.DockerLayer {
			t.Errorf("layer media type %s, want %s", mt, types.DockerLayer)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if seen[h.Name] {
				t.Errorf("%s is in the image twice", h.Name)
			}
			seen[h.Name] = true
			w, ok := wantFiles()[h.Name]
			if !ok {
				t.Errorf("unexpected file in the image: %s", h.Name)
				continue
			}
			if isDir := h.Typeflag == tar.TypeDir; isDir != w.dir {
				t.Errorf("%s: type %c, want a folder: %v", h.Name, h.Typeflag, w.dir)
			}
			if h.Mode != w.mode {
				t.Errorf("%s: mode %#o, want %#o", h.Name, h.Mode, w.mode)
			}
			if h.Uid != w.uid || h.Gid != w.gid {
				t.Errorf("%s: owner %d:%d, want %d:%d", h.Name, h.Uid, h.Gid, w.uid, w.gid)
			}
			if !h.ModTime.Equal(o.Created) {
				t.Errorf("%s: time %v, want %v", h.Name, h.ModTime, o.Created)
			}
			switch {
			case h.Name == "sspr":
				if !bytes.Equal(body, binary) {
					t.Errorf("/sspr is not the binary given")
				}
			case w.body != "" && string(body) != w.body:
				t.Errorf("%s holds %q, want %q", h.Name, body, w.body)
			}
		}
		rc.Close()
	}
	for n := range wantFiles() {
		if !seen[n] {
			t.Errorf("%s is missing from the image", n)
		}
	}

	// The user the image runs as is in its /etc/passwd, not root.
	if !strings.Contains(passwd, "\nsspr:x:65532:65532:") {
		t.Errorf("/etc/passwd has no sspr user with 65532: %q", passwd)
	}

	// The same inputs make the same image.
	again, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := again.Digest(); d3 != d1 {
		t.Errorf("a second build made %s, the first %s: the image is not reproducible", d3, d1)
	}
}

func mustLayers(t *testing.T, img v1.Image) []v1.Layer {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestImageFlattened checks the image as a container sees it: the layers
// applied in order.
func TestImageFlattened(t *testing.T) {
	img, err := Build(inputs(t))
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name+map[bool]string{true: "/"}[h.Typeflag == tar.TypeDir && !strings.HasSuffix(h.Name, "/")])
	}
	slices.Sort(names)
	want := slices.Sorted(maps.Keys(wantFiles()))
	if !slices.Equal(names, want) {
		t.Errorf("the container's files:\n%q\nwant\n%q", names, want)
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, o *Options)
		want   string
	}{
		{"dynamic binary", func(t *testing.T, o *Options) {
			// Debian's /bin/true needs the C library.
			if _, err := os.Stat("/bin/true"); err != nil {
				t.Skip("no /bin/true")
			}
			o.Binary = "/bin/true"
		}, "dynamically linked"},
		{"not an executable", func(t *testing.T, o *Options) {
			o.Binary = o.CACerts
		}, "binary:"},
		{"no app.wasm", func(t *testing.T, o *Options) {
			if err := os.Remove(filepath.Join(o.WebDir, "app.wasm")); err != nil {
				t.Fatal(err)
			}
		}, "make wasm"},
		{"a symbolic link in web", func(t *testing.T, o *Options) {
			if err := os.Symlink("/etc/shadow", filepath.Join(o.WebDir, "x")); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"no certificates", func(t *testing.T, o *Options) {
			if err := os.WriteFile(o.CACerts, []byte("nothing"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := inputs(t)
			tc.change(t, &o)
			_, err := Build(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestTag(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":                  "v1.2.3",
		"v1.2.3-4-gabcdef0-dirty": "v1.2.3-4-gabcdef0-dirty",
		"1568a4f":                 "1568a4f",
		"":                        "dev",
		"dev+abc/def":             "dev-abc-def",
		"-.x":                     "x",
		strings.Repeat("a", 200):  strings.Repeat("a", 128),
	} {
		if got := Tag(in); got != want {
			t.Errorf("Tag(%q) = %q, want %q", in, got, want)
		}
		if _, err := name.NewTag("localhost/sspr:" + Tag(in)); err != nil {
			t.Errorf("Tag(%q) = %q is not a valid tag: %v", in, Tag(in), err)
		}
	}
}

// TestRun drives the command as `make image` does.
func TestRun(t *testing.T) {
	o := inputs(t)
	out := filepath.Join(t.TempDir(), "sspr-image.tar")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--binary", o.Binary, "--web", o.WebDir, "--ca", o.CACerts, "--version", "v9.9.9", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "localhost/sspr:v9.9.9") {
		t.Errorf("stdout %q names no tag", stdout.String())
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Time.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("Created = %v, want SOURCE_DATE_EPOCH's", cf.Created)
	}
	if cf.Config.Labels["org.opencontainers.image.version"] != "v9.9.9" {
		t.Errorf("version label %q", cf.Config.Labels["org.opencontainers.image.version"])
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the image file: %v, %v", fi, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".mkimage-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %q", leftovers)
	}

	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if code := run([]string{"--binary", o.Binary, "--out", out}, &stdout, &stderr); code != 2 {
		t.Errorf("a bad SOURCE_DATE_EPOCH: exit %d, want 2", code)
	}
}
