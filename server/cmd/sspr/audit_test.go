package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// TestAuditCommand: `sspr audit` prints the events selected from the
// store the configuration names, oldest first, as a table or JSON lines.
func TestAuditCommand(t *testing.T) {
	data := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	st := sqlite.NewStore(db)
	for i, ev := range []sspr.Event{
		{Kind: sspr.EventFlowStarted, UserID: "alice@example.edu", Flow: "FlowA", Outcome: "ok", Detail: "self_service=true", ClientAddr: "192.0.2.1", Request: "req1"},
		{Kind: sspr.EventCodeWrong, UserID: "alice@example.edu", Flow: "FlowA", Outcome: "refused", Detail: "method=email result=wrong tries_left=4"},
		{Kind: sspr.EventFlowStarted, UserID: "bob@example.edu", Flow: "FlowB", Outcome: "ok"},
		{Kind: sspr.EventPasswordReset, UserID: "alice@example.edu", Flow: "FlowA", Outcome: "ok", Detail: "methods=email,sms"},
	} {
		ev.At = at.Add(time.Duration(i) * time.Minute)
		if err := st.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, errOut := runOnce(t, "audit", "--data", data, "--user", "alice", "--since", "2026-12-01")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME (UTC)") ||
		!strings.Contains(lines[1], "flow_started") || !strings.Contains(lines[2], "code_wrong") || !strings.Contains(lines[3], "password_reset") {
		t.Fatalf("timeline:\n%s", out)
	}
	if !strings.Contains(lines[1], "2026-12-01 09:00:00.000") || !strings.Contains(lines[1], "req1") || strings.Contains(out, "bob@") {
		t.Fatalf("timeline:\n%s", out)
	}

	code, out, errOut = runOnce(t, "audit", "--data", data, "--flow", "FlowA", "--kind", "code_wrong,password_reset", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		got = append(got, m)
	}
	if len(got) != 2 || got[0]["event"] != "code_wrong" || got[1]["event"] != "password_reset" || got[1]["user"] != "alice@example.edu" ||
		got[1]["time"] != "2026-12-01T09:03:00Z" || got[1]["flow"] != "FlowA" || got[1]["outcome"] != "ok" {
		t.Fatalf("JSON lines: %v", got)
	}

	if code, out, _ = runOnce(t, "audit", "--data", data, "--until", "2026-12-01T09:01:00Z", "--json"); code != exitOK || strings.Count(out, "\n") != 1 {
		t.Fatalf("--until: %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--limit", "0"}, {"extra"}} {
		if code, _, _ := runOnce(t, append([]string{"audit", "--data", data}, bad...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want usage", bad, code)
		}
	}
	if code, _, errOut := runOnce(t, "audit", "--data", filepath.Join(data, "none")); code != exitError || !strings.Contains(errOut, "--data") {
		t.Errorf("no database: exit %d: %s", code, errOut)
	}
}
