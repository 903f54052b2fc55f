package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/sspr"
)

// consts reads the string constants declared in the package in dir whose
// names start with prefix and, when typ is not "", whose declared type is
// typ: name to value. Reading the source finds every one, where a list
// kept by hand could miss a new code.
func consts(t *testing.T, dir, prefix, typ string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
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
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if typ != "" {
					if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
						continue
					}
				}
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[n.Name] = v
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s constants in %s", prefix, dir)
	}
	return out
}

// TestCodesAreOneList: the domain's error codes (sspr.Code) and the wire's
// (api.Code) are the same names with the same strings, each has its HTTP
// status here, and the table has no other; sspr.Codes lists them all. The
// same for the password rules' codes, which the directories set in
// sspr.Rule and the browser reads from api.Rule.
func TestCodesAreOneList(t *testing.T) {
	domain := consts(t, "../sspr", "Code", "Code")
	wire := consts(t, "../../app/api", "Code", "Code")
	if !maps.Equal(domain, wire) {
		t.Errorf("sspr's codes %v\n are not api's %v", domain, wire)
	}
	listed := map[string]bool{}
	for _, c := range sspr.Codes {
		listed[string(c)] = true
	}
	for name, v := range domain {
		if !listed[v] {
			t.Errorf("sspr.%s (%q) is not in sspr.Codes", name, v)
		}
	}
	if len(listed) != len(domain) || len(sspr.Codes) != len(domain) {
		t.Errorf("sspr.Codes has %d codes (%d distinct), sspr declares %d", len(sspr.Codes), len(listed), len(domain))
	}
	for name, v := range wire {
		if s, ok := statuses[api.Code(v)]; !ok || s < 400 {
			t.Errorf("api.%s (%q) has no error status", name, v)
		}
	}
	values := slices.Collect(maps.Values(wire))
	for c := range statuses {
		if !slices.Contains(values, string(c)) {
			t.Errorf("the status table has %q, which is no code", c)
		}
	}
	for _, c := range []sspr.Code{sspr.CodeDirectoryUnavailable, sspr.CodeServiceUnavailable} {
		if s := Status(api.Code(c)); s != http.StatusServiceUnavailable {
			t.Errorf("%s is %d, want 503", c, s)
		}
	}

	if dr, wr := consts(t, "../sspr", "Rule", ""), consts(t, "../../app/api", "Rule", ""); !maps.Equal(dr, wr) {
		t.Errorf("sspr's rule codes %v\n are not api's %v", dr, wr)
	}
}

// TestWire: a domain error reaches the wire whole, and the wire's copy
// shares nothing with it.
func TestWire(t *testing.T) {
	left := 3
	e := &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "m", RetryAfterSeconds: 7,
		Rules: []sspr.Rule{{Code: sspr.RuleHistory, Message: "used"}}, TriesLeft: &left}
	s := &server{Options: Options{Locale: locale.All()}}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := s.wire(r, e)
	if w.Code != api.CodePasswordPolicy || w.Message != "m" || w.RetryAfterSeconds != 7 ||
		len(w.Rules) != 1 || w.Rules[0] != (api.Rule{Code: api.RuleHistory, Message: "used"}) ||
		w.TriesLeft == nil || *w.TriesLeft != 3 {
		t.Fatalf("wire(%+v) = %+v", e, w)
	}
	*w.TriesLeft = 0
	if left != 3 {
		t.Fatal("the wire's error shares TriesLeft with the domain's")
	}
	if w := s.wire(r, &sspr.Error{Code: sspr.CodeThrottled}); w.Rules != nil || w.TriesLeft != nil {
		t.Fatalf("empty fields became %+v", w)
	}
}
