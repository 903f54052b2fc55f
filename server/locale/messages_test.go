package locale

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// serverMessages lists the English formats of every message the server's
// code gives people, read from its source:
//
//   - the format of sspr.Errorf, sspr.NewRule and throttle.Throttled;
//   - the Message of an sspr.Error or sspr.Rule literal;
//   - a string constant used in one of those places, or named …Msg or
//     …Message (a message passed on through a variable);
//   - the text of errors.New in server/canon, whose errors the engine
//     passes on as its messages.
//
// A message built any other way is not translated: the test of each
// catalogue can't see it, so don't.
func serverMessages(t *testing.T) map[string]string {
	t.Helper()
	root := "../../server"
	fset := token.NewFileSet()
	found := map[string]string{} // format -> where
	type pkgConsts map[string]string
	consts := map[string]pkgConsts{} // dir -> const name -> value
	var files []*ast.File
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, f)
		dirs = append(dirs, filepath.Dir(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// str is the value of a string literal, a sum of them, or a constant
	// of the package.
	var str func(dir string, e ast.Expr) (string, bool)
	str = func(dir string, e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			}
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				a, ok1 := str(dir, e.X)
				b, ok2 := str(dir, e.Y)
				return a + b, ok1 && ok2
			}
		case *ast.ParenExpr:
			return str(dir, e.X)
		case *ast.Ident:
			s, ok := consts[dir][e.Name]
			return s, ok
		}
		return "", false
	}
	// Constants first, in two rounds so that one made of others resolves.
	for range 2 {
		for i, f := range files {
			if consts[dirs[i]] == nil {
				consts[dirs[i]] = pkgConsts{}
			}
			for _, decl := range f.Decls {
				g, ok := decl.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for j, name := range vs.Names {
						if j < len(vs.Values) {
							if s, ok := str(dirs[i], vs.Values[j]); ok {
								consts[dirs[i]][name.Name] = s
							}
						}
					}
				}
			}
		}
	}
	add := func(dir string, e ast.Expr) {
		if s, ok := str(dir, e); ok && s != "" {
			found[s] = fset.Position(e.Pos()).String()
		}
	}
	name := func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.Ident:
			return e.Name
		case *ast.SelectorExpr:
			return e.Sel.Name
		}
		return ""
	}
	for i, f := range files {
		dir := dirs[i]
		for n, v := range consts[dir] {
			if strings.HasSuffix(n, "Msg") || strings.HasSuffix(n, "Message") {
				found[v] = dir + ": const " + n
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				switch name(n.Fun) {
				case "New":
					if filepath.Base(dir) == "canon" && name(n.Fun.(*ast.SelectorExpr).X) == "errors" && len(n.Args) == 1 {
						add(dir, n.Args[0])
					}
				case "Errorf", "NewRule", "Throttled":
					if len(n.Args) >= 2 {
						if fn := name(n.Fun); fn != "Errorf" || strings.HasPrefix(name(n.Args[0]), "Code") {
							add(dir, n.Args[1])
						}
					}
				}
			case *ast.CompositeLit:
				if tn := name(n.Type); tn == "Error" || tn == "Rule" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok && name(kv.Key) == "Message" {
							add(dir, kv.Value)
						}
					}
				}
			}
			return true
		})
	}
	return found
}

// TestMessageCatalogues checks that every language's catalogue of the
// server's messages has every message of the code, with the same
// placeholders (%d, %s...) in the same order, and nothing else.
func TestMessageCatalogues(t *testing.T) {
	want := serverMessages(t)
	if len(want) < 50 {
		t.Fatalf("found only %d messages in the server's code: the extractor is broken", len(want))
	}
	for _, lang := range Known[1:] {
		b, err := os.ReadFile("../../static/i18n/messages/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		var missing []string
		for _, m := range slices.Sorted(maps.Keys(want)) {
			tr, ok := got[m]
			switch {
			case !ok || tr == "":
				missing = append(missing, m)
			case !slices.Equal(verbs(m), verbs(tr)):
				t.Errorf("%s: %q has the placeholders %q, its translation %q has %q", lang, m, verbs(m), tr, verbs(tr))
			}
		}
		if len(missing) > 0 {
			b, _ := json.MarshalIndent(missing, "", "  ")
			t.Errorf("static/i18n/messages/%s.json lacks %d messages of the server's code:\n%s", lang, len(missing), b)
		}
		for m := range got {
			if _, ok := want[m]; !ok {
				t.Errorf("static/i18n/messages/%s.json has %q, which the code no longer says", lang, m)
			}
		}
	}
}

// verbs are the fmt verbs of s, in order.
func verbs(s string) []string {
	var vs []string
	for i := 0; i < len(s)-1; i++ {
		if s[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(s) && strings.ContainsRune("+-# 0123456789.", rune(s[j])) {
			j++
		}
		if j < len(s) {
			vs = append(vs, s[i:j+1])
		}
		i = j
	}
	return vs
}
