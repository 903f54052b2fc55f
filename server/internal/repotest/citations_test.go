package repotest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A document that cites a file, a test or a section that has since moved
// sends the next engineer looking for something that is not there. The
// security document in particular proves each promise by naming the test
// that shows it; these tests keep every such name true.

var (
	// citedTest is `pkg/file_test.go: TestName` (the path from server/ or
	// from the top), optionally followed by more `TestName`s of that file.
	citedTest = regexp.MustCompile("`([a-z0-9_./-]+_test\\.go): (Test\\w+|Fuzz\\w+|Benchmark\\w+)`")
	// bareTest is any other test named in backquotes.
	bareTest = regexp.MustCompile("`((Test|Fuzz)[A-Z]\\w*)`")
	// citedPath is a repository path in backquotes or a link.
	citedPath = regexp.MustCompile("[`(]((app|server|static|scripts|docs)/[A-Za-z0-9_./-]*)[`)#]")
	// anchor is a link to a section of a document.
	anchor = regexp.MustCompile(`((?:docs/)?[A-Z]+\.md)#([a-z0-9-]+)`)
)

// markdown is every document of the repository: name and text.
func markdown(t *testing.T, top string) map[string]string {
	t.Helper()
	docs := map[string]string{}
	names, err := filepath.Glob(filepath.Join(top, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, filepath.Join(top, "README.md"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(top, name)
		docs[filepath.ToSlash(rel)] = string(b)
	}
	return docs
}

// testFuncs are the names of every test, fuzz test and benchmark, with
// the files (from the top) that declare each.
func testFuncs(t *testing.T, top string) map[string][]string {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func ((Test|Fuzz|Benchmark)\w+)\(`)
	funcs := map[string][]string{}
	for _, dir := range []string{"app", "server"} {
		err := filepath.WalkDir(filepath.Join(top, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(top, path)
			for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
				funcs[m[1]] = append(funcs[m[1]], filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return funcs
}

// TestCitedTestsExist: every test a document names exists, in the file it
// names.
func TestCitedTestsExist(t *testing.T) {
	top := root(t)
	funcs := testFuncs(t, top)
	cited := 0
	for name, text := range markdown(t, top) {
		for _, m := range citedTest.FindAllStringSubmatch(text, -1) {
			cited++
			file, fn := m[1], m[2]
			found := false
			for _, f := range funcs[fn] {
				if f == file || f == "server/"+file || f == "app/"+file {
					found = true
				}
			}
			if !found {
				t.Errorf("%s cites %s: %s, which is not there (declared in %q)", name, file, fn, funcs[fn])
			}
		}
		for _, m := range bareTest.FindAllStringSubmatch(text, -1) {
			if len(funcs[m[1]]) == 0 {
				t.Errorf("%s names %s, and no test file declares it", name, m[1])
			}
		}
	}
	if cited < 50 {
		t.Errorf("only %d tests cited as file: name: is the pattern still right?", cited)
	}
}

// TestCitedPathsExist: every file or folder of the repository a document
// names is there, and every section a link points at.
func TestCitedPathsExist(t *testing.T) {
	top := root(t)
	docs := markdown(t, top)
	for name, text := range docs {
		for _, m := range citedPath.FindAllStringSubmatch(text, -1) {
			p := strings.TrimSuffix(m[1], ".")
			if _, err := os.Stat(filepath.Join(top, p)); err != nil {
				t.Errorf("%s names %s, which is not in the repository", name, p)
			}
		}
		for _, m := range anchor.FindAllStringSubmatch(text, -1) {
			doc := m[1]
			if !strings.HasPrefix(doc, "docs/") && doc != "README.md" {
				doc = "docs/" + doc
			}
			target, ok := docs[doc]
			if !ok {
				continue // a missing document is TestNothingPointsOutside's, or the path check's
			}
			if !hasSection(target, m[2]) {
				t.Errorf("%s links to %s#%s, which has no such section", name, doc, m[2])
			}
		}
	}
}

// hasSection is whether a document has a section called id: a heading
// whose GitHub anchor is id, or an explicit <a id="...">.
func hasSection(text, id string) bool {
	if strings.Contains(text, `id="`+id+`"`) {
		return true
	}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		if githubAnchor(strings.TrimLeft(line, "# ")) == id {
			return true
		}
	}
	return false
}

// githubAnchor is the anchor GitHub gives a heading: lower case, spaces
// to hyphens, punctuation dropped.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
