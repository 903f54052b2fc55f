package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/metrics"
)

const dashboardFile = "../../deploy/grafana/sspr.json"

// exprs collects every "expr" in a Grafana dashboard, at any depth.
func exprs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "expr" {
				*out = append(*out, s)
				continue
			}
			exprs(val, out)
		}
	case []any:
		for _, val := range x {
			exprs(val, out)
		}
	}
}

// The dashboard and the registry can't drift: every metric the dashboard
// queries exists, and every sspr_ metric is on the dashboard.
func TestDashboardUsesTheMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var es []string
	exprs(dash, &es)
	if len(es) < 10 {
		t.Fatalf("only %d queries", len(es))
	}

	m := metrics.New()
	exercise(m) // every family has a series, so Gather lists it
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{} // name: type
	for _, f := range fams {
		have[f.GetName()] = f.GetType().String()
	}

	name := regexp.MustCompile(`\b(?:sspr|go|process)_[a-z0-9_]+\b`)
	used := map[string]bool{}
	for _, e := range es {
		for _, n := range name.FindAllString(e, -1) {
			base := n
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(n, suffix); ok && have[b] == "HISTOGRAM" {
					base = b
				}
			}
			if _, ok := have[base]; !ok {
				t.Errorf("the dashboard queries %s, which the registry has not (in %q)", n, e)
			}
			used[base] = true
		}
	}
	var unused []string
	for n := range have {
		if strings.HasPrefix(n, "sspr_") && !used[n] {
			unused = append(unused, n)
		}
	}
	slices.Sort(unused)
	if len(unused) > 0 {
		t.Errorf("metrics no panel shows: %s", strings.Join(unused, ", "))
	}
}
