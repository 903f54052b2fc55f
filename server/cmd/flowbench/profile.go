package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/pprof/profile"
)

// argonShare is the share of a CPU profile's samples (by CPU time) whose
// stack holds argon2id: its computing, its memory's allocation and
// clearing, the garbage collector's help its allocation asks for. The
// computation's cost depends on what else the machine does (argon2id is
// bound by memory, which the cores share), so the profile of the server
// under load says better what it cost there than one measured alone.
func argonShare(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			idx = i
		}
	}
	if idx < 0 {
		return 0, fmt.Errorf("%s: not a CPU profile", path)
	}
	var total, argon int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		if inArgon(s) {
			argon += v
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("%s: no samples", path)
	}
	return float64(argon) / float64(total), nil
}

func inArgon(s *profile.Sample) bool {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil && strings.HasPrefix(l.Function.Name, "golang.org/x/crypto/argon2.") {
				return true
			}
		}
	}
	return false
}
