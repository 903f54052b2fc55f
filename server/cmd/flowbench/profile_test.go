package main

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/pprof/profile"
)

// stack is a sample whose stack holds these functions, leaf first.
func stack(value int64, fns ...string) *profile.Sample {
	s := &profile.Sample{Value: []int64{1, value}}
	for _, name := range fns {
		s.Location = append(s.Location, &profile.Location{Line: []profile.Line{{Function: &profile.Function{Name: name}}}})
	}
	return s
}

func TestAreaOf(t *testing.T) {
	const (
		serve   = "net/http.(*conn).serve"
		goexit  = "runtime.goexit"
		riverDB = "github.com/sspr-portal/sspr/server/sqlite.(*cachingConn).QueryContext"
	)
	tests := []struct {
		name  string
		stack []string
		want  string
	}{
		{"argon2id's computing", []string{"golang.org/x/crypto/argon2.blamkaSSE4", "golang.org/x/crypto/argon2.IDKey", serve, goexit}, "argon2id (deliberate hashing)"},
		{"argon2id's memory, cleared", []string{"runtime.memclrNoHeapPointers", "golang.org/x/crypto/argon2.initBlocks", serve}, "argon2id (deliberate hashing)"},
		{"someone else's memory", []string{"runtime.memclrNoHeapPointers", "encoding/json.Marshal", serve}, "HTTP and the API's handlers (the rest of a request)"},
		{"the collector", []string{"runtime.scanObject", "runtime.gcDrain", "runtime.gcBgMarkWorker", goexit}, "the garbage collector's background work"},
		{"River's insert, in SQLite", []string{riverDB, "github.com/riverqueue/river.(*Client[go.shape.*uint8]).InsertMany",
			"github.com/sspr-portal/sspr/server/dispatch.(*riverBackend[go.shape.*uint8]).insert", serve}, "outbox: storing messages (River)"},
		{"River's fetch, in SQLite", []string{riverDB, "github.com/riverqueue/river/riverdriver/riversqlite.(*Executor).JobGetAvailable", goexit}, "outbox: fetching them (River)"},
		{"River's completer", []string{riverDB, "github.com/riverqueue/river/internal/jobcompleter.(*BatchCompleter).handleBatch", goexit}, "outbox: completing them (River)"},
		{"a message sent by a worker of River's", []string{"github.com/sspr-portal/sspr/server/mailer.(*Mailer).Send",
			"github.com/sspr-portal/sspr/server/dispatch.(*worker).Work", "github.com/riverqueue/river.(*producer).dispatchWork", goexit}, "sending: SMTP and SMS gateway clients"},
		{"River's producer", []string{"github.com/riverqueue/river.(*producer).fetchAndRunLoop", goexit}, "outbox: River's other work"},
		{"the audit's writer, in SQLite", []string{riverDB, "github.com/sspr-portal/sspr/server/internal/groupcommit.(*Writer[go.shape.*uint8,go.shape.[]interface {}]).round", goexit}, "the audit's writer"},
		{"a directory read", []string{"modernc.org/sqlite/lib._sqlite3VdbeExec", "github.com/sspr-portal/sspr/server/sqlite.(*Directory).Lookup", serve}, "directory and store (SQLite)"},
		{"the engine", []string{"encoding/json.Unmarshal", "github.com/sspr-portal/sspr/server/selfservice.(*Engine).load", serve}, "the engine (state, throttles, policy, JSON)"},
		{"the scheduler", []string{"runtime.futex", "runtime.findRunnable", "runtime.schedule", "runtime.mcall"}, "the Go runtime (scheduler, idle, other)"},
		{"a goroutine of no area", []string{"time.Sleep", "main.tick", goexit}, "other"},
	}
	names := areaNames()
	for _, tt := range tests {
		if got := names[areaOf(stack(1, tt.stack...))]; got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCPUAreas(t *testing.T) {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			stack(30, "golang.org/x/crypto/argon2.blamkaSSE4"),
			stack(10, "runtime.memclrNoHeapPointers", "golang.org/x/crypto/argon2.initBlocks"),
			stack(20, "runtime.memclrNoHeapPointers", "net/http.(*conn).serve"),
			stack(40, "net/http.(*conn).serve"),
		},
	}
	// A profile as the server writes it: each function and location once,
	// with its id.
	for i, s := range p.Sample {
		for j, loc := range s.Location {
			loc.ID = uint64(10*i + j + 1)
			loc.Line[0].Function.ID = loc.ID
			p.Location = append(p.Location, loc)
			p.Function = append(p.Function, loc.Line[0].Function)
		}
	}
	// As the server sends it (gzipped).
	encode := func() []byte {
		var b bytes.Buffer
		if err := p.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	got, err := cpuAreas(encode())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, len(areaNames()))
	want[0] = 0.4                                                                                // argon2id's computing and its memory
	want[slices.Index(areaNames(), "HTTP and the API's handlers (the rest of a request)")] = 0.6 // the rest
	if !slices.Equal(got, want) {
		t.Errorf("shares %v, want %v", got, want)
	}

	p.SampleType = []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}, {Type: "x", Unit: "y"}}
	if _, err := cpuAreas(encode()); err == nil {
		t.Error("an allocation profile read as a CPU profile")
	}
}
