package deploy

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
)

const (
	unitFile     = "systemd/sspr.service"
	sysusersFile = "systemd/sspr.sysusers.conf"
	nginxFile    = "nginx/sspr.conf"
	nginxTOML    = "nginx/sspr.toml"
	mainGo       = "../server/cmd/sspr/main.go"
)

// tool is the path of a command. Without it the test is skipped, but
// fails under CI (CI=true), as server/internal/needs has it (which this
// package, outside server/, can't import).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing := fmt.Errorf("%s is not installed (Debian: apt-get install systemd; scripts/deps.sh does)", name)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: a missing tool fails the test)", missing)
		}
		t.Skip(missing)
	}
	return p
}

// unit reads a systemd unit: each key's values, in order, by section.
func unit(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: not a key=value line: %q", path, line)
			}
			key := section + "." + strings.TrimSpace(k)
			kv[key] = append(kv[key], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return kv
}

func one(t *testing.T, kv map[string][]string, key string) string {
	t.Helper()
	v := kv[key]
	if len(v) != 1 {
		t.Fatalf("%s: %d values %q, want one", key, len(v), v)
	}
	return v[0]
}

// TestSystemdUnitVerifies runs `systemd-analyze verify` on the unit (with
// ExecStart pointed at an executable that exists here: verify checks it),
// and fails on any complaint about it, warnings included; then asks
// `systemd-analyze security` for the hardening's exposure.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable() // this test binary: it exists and runs
	if err != nil {
		t.Fatal(err)
	}
	start := one(t, unit(t, unitFile), "Service.ExecStart")
	bin := strings.Fields(start)[0]
	body := strings.Replace(string(b), "ExecStart="+bin, "ExecStart="+exe, 1)
	path := filepath.Join(t.TempDir(), "sspr.service")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	var complaints []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "sspr") {
			complaints = append(complaints, l)
		}
	}
	if err != nil || len(complaints) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}

	// 0 is a unit that can do nothing, 10 one that can do anything; this
	// one is ~1.2. More than 2 means some hardening was lost.
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", path).CombinedOutput()
	if err != nil {
		m := regexp.MustCompile(`Overall exposure level for \S+: [0-9.]+`).Find(out)
		t.Errorf("systemd-analyze security: %v (%s): the unit lost some of its hardening\n%s", err, m, out)
	}
}

// TestSystemdUnitSettings checks what the unit says against sspr itself.
func TestSystemdUnitSettings(t *testing.T) {
	kv := unit(t, unitFile)

	// The service type: sspr doesn't speak sd_notify.
	if got := one(t, kv, "Service.Type"); got != "exec" {
		t.Errorf("Type=%s, want exec: sspr doesn't notify", got)
	}

	// ExecStart: sspr serve, with flags serve has.
	args := strings.Fields(one(t, kv, "Service.ExecStart"))
	if len(args) < 2 || filepath.Base(args[0]) != "sspr" || args[1] != "serve" {
		t.Fatalf("ExecStart=%q, want sspr serve ...", args)
	}
	flags := serveFlags(t)
	bools := map[string]bool{"dev": true, "dev-allow-remote": true}
	for i := 2; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("ExecStart: argument %q: serve takes no arguments", a)
			continue
		}
		n, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(flags, n) {
			t.Errorf("ExecStart: %s is not a flag of sspr serve (%q)", a, flags)
		}
		if strings.HasPrefix(n, "dev") {
			t.Errorf("ExecStart: %s is a development flag", a)
		}
		if !hasValue && !bools[n] {
			i++ // its value
		}
	}
	cfg := ""
	for i, a := range args {
		if (a == "--config" || a == "-config") && i+1 < len(args) {
			cfg = args[i+1]
		}
	}
	if cfg != "/etc/sspr/sspr.toml" {
		t.Errorf("ExecStart's --config is %q, want /etc/sspr/sspr.toml (ConfigurationDirectory=sspr)", cfg)
	}

	for key, want := range map[string]string{
		"Service.User":                    "sspr",
		"Service.ConfigurationDirectory":  "sspr",
		"Service.StateDirectory":          "sspr",
		"Service.StateDirectoryMode":      "0700",
		"Service.WorkingDirectory":        "/var/lib/sspr",
		"Service.UMask":                   "0077",
		"Service.KillSignal":              "SIGTERM",
		"Service.Restart":                 "on-failure",
		"Service.NoNewPrivileges":         "yes",
		"Service.ProtectSystem":           "strict",
		"Service.MemoryDenyWriteExecute":  "yes",
		"Service.CapabilityBoundingSet":   "",
		"Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	} {
		if got := one(t, kv, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	if !slices.Contains(kv["Service.SystemCallFilter"], "@system-service") {
		t.Errorf("SystemCallFilter=%q, want @system-service", kv["Service.SystemCallFilter"])
	}
	if _, ok := kv["Service.ExecReload"]; ok {
		t.Errorf("ExecReload: sspr reads its configuration at start only (SIGHUP is ignored)")
	}

	// Stopping: SIGTERM drains for drain_period, then sspr waits for the
	// requests in flight and then for its backends to close, each for at
	// most shutdownTimeout. systemd must not kill it before.
	stop, err := time.ParseDuration(one(t, kv, "Service.TimeoutStopSec"))
	if err != nil {
		t.Fatal(err)
	}
	drain := config.Default().Server.DrainPeriod.D()
	grace := shutdownTimeout(t)
	if need := drain + 2*grace + 5*time.Second; stop < need {
		t.Errorf("TimeoutStopSec=%s: sspr may take %s (drain %s, then twice %s) and more", stop, need, drain, grace)
	}
}

// serveFlags are the flag names parseServe in server/cmd/sspr defines.
func serveFlags(t *testing.T) []string {
	t.Helper()
	f := parseMain(t)
	var names []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "parseServe" {
			continue
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !strings.HasSuffix(sel.Sel.Name, "Var") || len(call.Args) < 2 {
				return true
			}
			if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				if err == nil {
					names = append(names, s)
				}
			}
			return true
		})
	}
	if !slices.Contains(names, "config") || !slices.Contains(names, "listen") {
		t.Fatalf("found the flags %q in %s's parseServe: has it moved?", names, mainGo)
	}
	return names
}

// shutdownTimeout is main.go's shutdownTimeout.
func shutdownTimeout(t *testing.T) time.Duration {
	t.Helper()
	f := parseMain(t)
	var d time.Duration
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "shutdownTimeout" || len(vs.Values) != 1 {
			return true
		}
		// N * time.Second
		if b, ok := vs.Values[0].(*ast.BinaryExpr); ok && b.Op == token.MUL {
			lit, ok1 := b.X.(*ast.BasicLit)
			sel, ok2 := b.Y.(*ast.SelectorExpr)
			if ok1 && ok2 && sel.Sel.Name == "Second" {
				if n, err := strconv.Atoi(lit.Value); err == nil {
					d = time.Duration(n) * time.Second
				}
			}
		}
		return false
	})
	if d == 0 {
		t.Fatalf("no shutdownTimeout = N * time.Second in %s: has it moved?", mainGo)
	}
	return d
}

func parseMain(t *testing.T) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), mainGo, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSysusers makes the user in an empty root with systemd-sysusers.
func TestSysusers(t *testing.T) {
	sysusers := tool(t, "systemd-sysusers")
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(sysusersFile)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sysusers, "--root="+root, abs).CombinedOutput(); err != nil {
		t.Fatalf("systemd-sysusers: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "sspr:") {
			line = l
		}
	}
	f := strings.Split(line, ":")
	if len(f) != 7 || f[5] != "/var/lib/sspr" || !strings.HasSuffix(f[6], "nologin") {
		t.Errorf("the sspr user: %q, want home /var/lib/sspr and no shell", line)
	}
	if uid, err := strconv.Atoi(f[2]); err != nil || uid == 0 || uid >= 1000 {
		t.Errorf("the sspr user's uid %s: want a system user", f[2])
	}
	if user := one(t, unit(t, unitFile), "Service.User"); user != f[0] {
		t.Errorf("the unit runs as %s, sysusers makes %s", user, f[0])
	}
}

// nginxDirectives are the conf's simple directives, name to values,
// comments left out.
func nginxDirectives(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(nginxFile)
	if err != nil {
		t.Fatal(err)
	}
	d := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		l, _, _ = strings.Cut(l, "#")
		l = strings.TrimSpace(l)
		l, ok := strings.CutSuffix(l, ";")
		if !ok {
			continue
		}
		name, rest, _ := strings.Cut(l, " ")
		d[name] = append(d[name], strings.TrimSpace(rest))
	}
	return d
}

// TestNginx checks the nginx site against the sspr settings that go with
// it, and both against sspr: the settings load, the proxy is trusted, the
// Host it sends is public_url's, no body an API call takes is refused.
// (nginx itself isn't installed by the tests: Debian's package starts a
// server on port 80 for good; docs/OPERATIONS.md has the `nginx -t`
// command.)
func TestNginx(t *testing.T) {
	cfg, err := config.Load(nginxTOML)
	if err != nil {
		t.Fatalf("%s: %v", nginxTOML, err)
	}
	d := nginxDirectives(t)

	u, err := url.Parse(cfg.Server.PublicURL)
	if err != nil || u.Scheme != "https" {
		t.Fatalf("public_url %q: want https", cfg.Server.PublicURL)
	}
	names := d["server_name"]
	if len(names) == 0 {
		t.Fatal("no server_name")
	}
	for _, n := range names {
		if n != u.Host {
			t.Errorf("server_name %s, public_url's host %s: sspr refuses any other Host", n, u.Host)
		}
	}

	upstream := d["server"]
	if !slices.Contains(upstream, cfg.Server.Listen) {
		t.Errorf("the upstream servers %q don't include server.listen %s", upstream, cfg.Server.Listen)
	}
	host, _, _ := strings.Cut(cfg.Server.Listen, ":")
	trusted := false
	for _, p := range cfg.TrustedProxies() {
		trusted = trusted || p.Addr().String() == host && p.IsSingleIP()
	}
	if !trusted {
		t.Errorf("trusted_proxies %q lacks %s, the address nginx reaches sspr from", cfg.Server.TrustedProxies, host)
	}

	for _, h := range []string{
		"Host $host",
		"X-Forwarded-For $proxy_add_x_forwarded_for",
		"X-Forwarded-Proto $scheme",
		"X-Request-ID $request_id",
	} {
		want := strings.Join(strings.Fields(h), " ")
		found := false
		for _, v := range d["proxy_set_header"] {
			found = found || strings.Join(strings.Fields(v), " ") == want
		}
		if !found {
			t.Errorf("no proxy_set_header %s", h)
		}
	}
	if got := d["proxy_pass"]; !slices.Equal(got, []string{"http://sspr"}) {
		t.Errorf("proxy_pass %q", got)
	}
	if got := d["gzip"]; !slices.Equal(got, []string{"off"}) {
		t.Errorf("gzip %q, want off: sspr sends the wasm already compressed", got)
	}
	if !slices.ContainsFunc(d["add_header"], func(v string) bool { return strings.HasPrefix(v, "Strict-Transport-Security ") }) {
		t.Error("no Strict-Transport-Security header")
	}

	size, err := nginxSize(one(t, d, "client_max_body_size"))
	if err != nil {
		t.Fatal(err)
	}
	if size < api.MaxBodyBytes || size > 1<<20 {
		t.Errorf("client_max_body_size %d: want at least the API's %d, and not much more", size, api.MaxBodyBytes)
	}
}

// nginxSize reads "32k", "1m" or "512".
func nginxSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, strings.TrimSuffix(s, "m")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("client_max_body_size: " + err.Error())
	}
	return n * mult, nil
}

// TestDockerfile checks that the Dockerfile makes the image `make image`
// makes, as far as its text says: it can't be built here (its base images
// come from a registry).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`ENTRYPOINT ["/sspr", "serve", "--config", "/etc/sspr/sspr.toml"]`,
		"USER 65532:65532",
		"WORKDIR /var/lib/sspr",
		`VOLUME ["/var/lib/sspr"]`,
		"EXPOSE 8080/tcp",
		"COPY --from=build /out/sspr /sspr",
		"COPY --from=build /out/web/ /web/",
		"CGO_ENABLED=0 go build",
		`org.opencontainers.image.licenses="Apache-2.0"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}
