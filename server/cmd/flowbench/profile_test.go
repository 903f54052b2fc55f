package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"
)

func TestArgonShare(t *testing.T) {
	fn := func(id uint64, name string) *profile.Function { return &profile.Function{ID: id, Name: name} }
	argon, blamka, mem, http := fn(1, "golang.org/x/crypto/argon2.IDKey"), fn(2, "golang.org/x/crypto/argon2.blamkaSSE4"),
		fn(3, "runtime.memclrNoHeapPointers"), fn(4, "net/http.(*conn).serve")
	loc := func(id uint64, f *profile.Function) *profile.Location {
		return &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
	}
	lArgon, lBlamka, lMem, lHTTP := loc(1, argon), loc(2, blamka), loc(3, mem), loc(4, http)
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Function:   []*profile.Function{argon, blamka, mem, http},
		Location:   []*profile.Location{lArgon, lBlamka, lMem, lHTTP},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{lBlamka}, Value: []int64{3, 30}},      // argon2id's own
			{Location: []*profile.Location{lMem, lArgon}, Value: []int64{1, 10}}, // its memory, cleared
			{Location: []*profile.Location{lMem, lHTTP}, Value: []int64{2, 20}},  // someone else's memory
			{Location: []*profile.Location{lHTTP}, Value: []int64{4, 40}},        // the rest
		},
	}
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := argonShare(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != 0.4 {
		t.Errorf("share %v, want 0.4", got)
	}
	p.SampleType = []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}, {Type: "x", Unit: "y"}}
	f, _ = os.Create(path)
	_ = p.Write(f)
	f.Close()
	if _, err := argonShare(path); err == nil {
		t.Error("an allocation profile read as a CPU profile")
	}
}
