package pgstore_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

// planNode is a node of EXPLAIN (FORMAT JSON)'s plan.
type planNode struct {
	NodeType string     `json:"Node Type"`
	JoinType string     `json:"Join Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Loops    int        `json:"Actual Loops"`
	Plans    []planNode `json:"Plans"`
}

// executed runs Registration's statement for userID under EXPLAIN ANALYZE
// and lists each node of its plan with how many times it ran, leaving out
// what depends on the data found (rows, times).
func executed(t *testing.T, srv *pgtest.Server, db, userID string) []string {
	t.Helper()
	out := query[string](t, srv, db,
		`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) `+pgstore.RegistrationQuery, userID)
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(out[0]), &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN: %v: %s", err, out[0])
	}
	var nodes []string
	var walk func(n planNode, depth int)
	walk = func(n planNode, depth int) {
		nodes = append(nodes, fmt.Sprintf("%s%s %s %s %s: ran %d times", strings.Repeat("  ", depth), n.NodeType, n.JoinType, n.Relation, n.Index, n.Loops))
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(plans[0].Plan, 0)
	return nodes
}

// A reset's start reads the registration of the typed user id whether or
// not it exists, and what that costs must not tell which: Registration's
// statement runs the same plan, every node of it as many times, for a
// registered user, one without answers and an unknown one; in
// particular it searches both tables' indexes every time. (Joined through
// the registration found, the answers of an unknown id were never looked
// for.) What the searches find differs, as it must.
func TestRegistrationSameWork(t *testing.T) {
	s, srv, db := MustOpen(t)
	at := time.Now()
	for _, r := range []sspr.Registration{
		registration(t, "zoe@example.edu"),
		{UserID: "yan@example.edu", Email: "yan@example.net", EmailConfirmed: at},
	} {
		if err := s.PutRegistration(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	want := executed(t, srv, db, "zoe@example.edu")
	t.Logf("every Registration runs:\n%s", strings.Join(want, "\n"))
	for _, table := range []string{"registrations", "registration_answers"} {
		if !slices.ContainsFunc(want, func(n string) bool { return strings.Contains(n, " "+table+" ") && !strings.HasSuffix(n, " 0 times") }) {
			t.Fatalf("no search of %s in the plan", table)
		}
	}
	for _, id := range []string{"yan@example.edu", "nobody@example.edu"} {
		if got := executed(t, srv, db, id); !slices.Equal(got, want) {
			t.Errorf("Registration(%s) runs\n%s\nwhere Registration(zoe@example.edu) runs\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
