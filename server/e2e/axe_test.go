package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/emulation"
)

// Every page a test photographs (shot, stepShot) is also checked with
// axe-core for what a machine can find of WCAG 2.2 A and AA and of axe's
// best practices: so every page and state the tests reach, in every
// language they reach it in, at the working viewport. axe-core comes from
// scripts/axe, which `make test` installs from the npm registry (its lock
// file pins the version and hash); without it the check is skipped, except
// under CI, where that is a failure.

// axeScript is axe-core's script, read once.
var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "axe", "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

// axeRunJS runs axe on the page and answers its faults, each with up to
// five of the elements at fault.
const axeRunJS = `axe.run(document, {
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
	resultTypes: ["violations"]
}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
	nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))`

type axeFault struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs axe-core on the page as it is now, and fails the test for
// each fault it finds.
func (b *browser) checkA11y(state string) {
	b.t.Helper()
	if b.noAxe {
		return
	}
	src, err := axeScript()
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.fatalf("axe-core is missing (make deps installs it): %v", err)
		}
		return
	}
	if b.scriptsOff {
		// The page's own scripts never ran, and turning scripts on
		// doesn't run them now: only axe does.
		b.run("turning JavaScript on for axe", emulation.SetScriptExecutionDisabled(false))
		defer b.run("turning JavaScript off again", emulation.SetScriptExecutionDisabled(true))
	}
	var loaded bool
	b.eval(`typeof window.axe !== "undefined"`, &loaded)
	if !loaded {
		b.eval(src+";true", &loaded)
	}
	var faults []axeFault
	b.await(axeRunJS, &faults)
	for _, f := range faults {
		b.t.Errorf("axe, %s at %s: %s (%s): %s: %s", state, b.path(), f.ID, f.Impact, f.Help, strings.Join(f.Nodes, "; "))
	}
}
