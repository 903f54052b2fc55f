package repotest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outside matches what points outside the repository: the design folder
// the project started from, and the numbered rules and rows of its first
// security document. docs/SECURITY.md is the project's own and names every
// rule and row by a name (docs/SECURITY.md#same-answer, #too-large...).
// The patterns are written so that this file matches none.
var outside = []*regexp.Regexp{
	regexp.MustCompile(`\.\./shared`),
	regexp.MustCompile(`shared[/]design`),
	regexp.MustCompile(`ARCHITECTURE\.md`),
	// The word "rule" or "rules" right before a number. A password rule,
	// a rule code and the like are fine.
	regexp.MustCompile(`(?i)\brules?\s+[0-9]+`),
	// "catalogue", or "catalogue row(s)", right before a number. The
	// security-question catalogue is fine.
	regexp.MustCompile(`(?i)\bcatalog(ue)?\s+(rows?\s+)?[0-9]+`),
	regexp.MustCompile(`(?i)\bbad-input\s+case\s+[0-9]+`),
	regexp.MustCompile(`(?i)\bissue\s+[0-9]+\s+item\b`),
}

// checked says which files are read: source, docs, scripts, settings.
func checked(path string) bool {
	switch filepath.Ext(path) {
	case ".go", ".md", ".sh", ".toml":
		return true
	}
	base := filepath.Base(path)
	return base == "Makefile" || filepath.ToSlash(path) == ".ci/run"
}

// skipped says which folders hold nothing of the project's own: git
// itself, and the build output and local state at the top (.gitignore).
func skipped(rel, name string) bool {
	return name == ".git" || name == "node_modules" || rel == "bin" || rel == "data"
}

// root is the repository's top folder: the nearest one up with go.mod.
func root(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = up
	}
}

// TestNothingPointsOutside: no source file, doc, script or setting cites a
// document the repository doesn't hold, or a security rule by its old
// number instead of its name in docs/SECURITY.md.
func TestNothingPointsOutside(t *testing.T) {
	top := root(t)
	seen := 0
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(top, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipped(rel, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !checked(rel) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen++
		for n, line := range strings.Split(string(b), "\n") {
			for _, re := range outside {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s:%d: %q points outside the repository, or at a security rule by number instead of its name in docs/SECURITY.md", rel, n+1, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("read only %d files under %s: is this the repository?", seen, top)
	}
}

// TestPatterns: what must be caught is, and what is fine is not.
func TestPatterns(t *testing.T) {
	bad := []string{
		"see ../" + "shared/" + "design/ARCHITECTURE" + ".md", "shared/" + "design/SECURITY.md",
		"(rule" + " 1)", "SECURITY rule" + " 20:", "SECURITY.md rules" + " 5 to 9",
		"(catalogue" + " 28)", "(catalogue row" + " 20)", "Catalogue rows" + " 1-4:",
		"bad-input case" + " 33", "Issue 11" + " item 12c",
	}
	fine := []string{
		"the question catalogue, the stylesheet", "Five questions of the catalogue, as many",
		"each password rule broken", "rule code", "rules := p.Describe().Rules",
		"docs/SECURITY.md#same-answer", "(first_pet, chosen in row 1, in row 2)",
		"cite rules and catalogue rows by these names",
	}
	match := func(s string) bool {
		for _, re := range outside {
			if re.MatchString(s) {
				return true
			}
		}
		return false
	}
	for _, s := range bad {
		if !match(s) {
			t.Errorf("%q not caught", s)
		}
	}
	for _, s := range fine {
		if match(s) {
			t.Errorf("%q caught", s)
		}
	}
}
