package repotest

import (
	"os/exec"
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
