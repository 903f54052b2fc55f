package repotest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// testOnly are modules that only tests and benchmarks may use: a browser
// driver and an SMTP server. They are in go.mod, since tests of the
// product's own packages start them, but the programs shipped must not
// link them: a server that carried an SMTP server or a browser driver
// would carry their bugs too.
var testOnly = []string{
	"github.com/chromedp/",
	"github.com/emersion/go-smtp",
	"github.com/emersion/go-sasl",
}

// TestShippedProgramsLinkNoTestTool: the server and the browser bundle
// depend on no test-only module.
func TestShippedProgramsLinkNoTestTool(t *testing.T) {
	top := root(t)
	for _, tc := range []struct {
		pkg string
		env []string
	}{
		{"./server/cmd/sspr", nil},
		{"./app/cmd/wasm", []string{"GOOS=js", "GOARCH=wasm"}},
		{"./app/cmd/desk", []string{"GOOS=js", "GOARCH=wasm"}},
	} {
		cmd := exec.Command("go", "list", "-deps", tc.pkg)
		cmd.Dir = top
		cmd.Env = append(cmd.Environ(), tc.env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 {
			t.Fatalf("go list -deps %s listed only %d packages", tc.pkg, len(deps))
		}
		for _, d := range deps {
			for _, bad := range testOnly {
				if strings.HasPrefix(d, bad) {
					t.Errorf("%s depends on %s, a test-only module", tc.pkg, d)
				}
			}
		}
	}
}

// benchCommands are the programs that drive a browser or run an SMTP
// server on purpose, for `make bench`; they are not shipped.
var benchCommands = []string{
	"github.com/sspr-portal/sspr/server/cmd/pagebench",
	"github.com/sspr-portal/sspr/server/cmd/loadgen",
	"github.com/sspr-portal/sspr/server/cmd/flowbench",
}

// TestTestToolsStayInternal: the packages that use a test-only module are
// internal (server/internal/headless, server/internal/smtptest), so that
// nothing outside the project can build on them, or one of the benchmark
// commands; tests may use them freely.
func TestTestToolsStayInternal(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		if strings.Contains(pkg, "/internal/") || slices.Contains(benchCommands, pkg) {
			continue
		}
		for _, imp := range imports {
			for _, bad := range testOnly {
				if strings.HasPrefix(imp, bad) {
					t.Errorf("%s imports %s, a test-only module: move it under an internal/ folder", pkg, imp)
				}
			}
		}
	}
}

// TestStudentBundleCarriesNoConsole: the student's app.wasm links nothing
// of the service desk's console (app/desk), which is a bundle of its own,
// and neither bundle links the server.
func TestStudentBundleCarriesNoConsole(t *testing.T) {
	const module = "github.com/sspr-portal/sspr"
	top := root(t)
	for _, tc := range []struct {
		pkg string
		bad []string
	}{
		{"./app/cmd/wasm", []string{module + "/app/desk", module + "/server/"}},
		{"./app/cmd/desk", []string{module + "/server/"}},
	} {
		cmd := exec.Command("go", "list", "-deps", tc.pkg)
		cmd.Dir = top
		cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.pkg, err)
		}
		for _, d := range strings.Fields(string(out)) {
			for _, bad := range tc.bad {
				if d == bad || strings.HasPrefix(d, bad+"/") || strings.HasSuffix(bad, "/") && strings.HasPrefix(d, bad) {
					t.Errorf("%s links %s", tc.pkg, d)
				}
			}
		}
	}
}
