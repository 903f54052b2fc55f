package httpapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/outbox"
)

// apiDirs are the sources of the API's wire packages, from this package's
// folder, by the name their constants are qualified with: app/api, and
// app/deskapi (the service desk's console).
var apiDirs = map[string]string{"api": "../../app/api", "deskapi": "../../app/deskapi"}

// pathConstants returns every Path* constant of app/api and app/deskapi,
// by qualified name ("api.PathFlows"), read from their source so that a
// constant added later is checked too.
func pathConstants(t *testing.T) map[string]string {
	t.Helper()
	consts := map[string]string{}
	for pkg, dir := range apiDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s's source: %v", dir, err)
		}
		readPathConstants(t, pkg, files, consts)
	}
	if consts["api.PathFlows"] != api.PathFlows || consts["api.PathSessionReauth"] != api.PathSessionReauth ||
		consts["deskapi.PathSession"] != deskapi.PathSession {
		t.Fatalf("read the constants wrong: %v", consts)
	}
	return consts
}

// readPathConstants adds the Path* constants of files, the package pkg,
// to consts.
func readPathConstants(t *testing.T, pkg string, files []string, consts map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Path") {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s.%s is not a string literal", pkg, id.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					consts[pkg+"."+id.Name] = v
				}
			}
		}
	}
}

// TestRoutesAreThePathConstants: the server routes the API by app/api's
// path constants, the ones the client calls, so the two can't drift apart.
// Every Path* constant is served, every API route is a constant (or a
// constant followed by one wildcard segment), and routes() writes no API
// path as a literal.
func TestRoutesAreThePathConstants(t *testing.T) {
	consts := pathConstants(t)
	values := map[string]string{}
	for name, v := range consts {
		if other, ok := values[v]; ok {
			t.Errorf("%s and %s are both %q", name, other, v)
		}
		values[v] = name
	}
	routes := httpapi.APIRoutes()
	for _, p := range slices.Sorted(maps.Keys(routes)) {
		base := p
		if i := strings.LastIndex(p, "/{"); i >= 0 && strings.HasSuffix(p, "}") {
			base = p[:i]
		}
		if _, ok := values[base]; !ok {
			t.Errorf("route %v %s is no Path* constant of app/api or app/deskapi", routes[p], p)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(consts)) {
		if v := consts[name]; strings.HasPrefix(v, "/api/") && routes[v] == nil {
			t.Errorf("%s (%s) is not routed", name, v)
		}
	}

	// What routes() builds from, in the source: constants, no literals.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "server.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "routes" {
			found = true
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(lit.Value, "/api/v") {
					t.Errorf("%s: the path %s is a literal: use its Path* constant", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
	if !found {
		t.Fatal("no routes() in server.go")
	}

	// And the handler serves them: every API path answers a method it
	// doesn't serve with 405 and the methods it does; every other path
	// constant (health checks, the dev outbox) answers.
	r := newRig(t, rigConfig{options: func(o *httpapi.Options) {
		o.Outbox = outbox.New(10, nil, slog.New(slog.DiscardHandler))
	}})
	c := r.from("127.0.0.1:5555")
	for _, name := range slices.Sorted(maps.Keys(consts)) {
		v := consts[name]
		if !strings.HasPrefix(v, "/api/") {
			if res := c.do("GET", v, nil); res.status == http.StatusNotFound || res.status == http.StatusMethodNotAllowed {
				t.Errorf("GET %s (%s): %d", name, v, res.status)
			}
			continue
		}
		res := c.do("PATCH", v, nil)
		if res.status != http.StatusMethodNotAllowed {
			t.Errorf("PATCH %s (%s): %d, want 405", name, v, res.status)
			continue
		}
		if got, want := res.header.Get("Allow"), strings.Join(routes[v], ", "); got != want {
			t.Errorf("PATCH %s (%s): Allow %q, want %q", name, v, got, want)
		}
	}
}
