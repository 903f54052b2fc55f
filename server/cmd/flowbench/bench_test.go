package main

import (
	"bytes"
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWholeResets runs flowbench as make bench does, briefly: the real
// server, built for the test, accounts imported with its commands, codes
// delivered over SMTP and to the SMS gateway sink, and the report. It
// keeps the benchmark working as the API and the server change; the
// figures themselves are make bench's to measure.
func TestWholeResets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	bin := filepath.Join(t.TempDir(), "sspr")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/sspr-portal/sspr/server/cmd/sspr")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	o, _, ok := parseFlags([]string{"-sspr", bin, "-users", "2", "-duration", "2s", "-hashing", "cheapest", "-warmup", "1", "-calls"})
	if !ok {
		t.Fatal("flags refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := newBench(ctx, o)
	if b != nil {
		defer b.close()
	}
	if err != nil {
		t.Fatal(err)
	}
	results, err := b.runAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Flows == 0 || r.failures() != 0 {
		t.Fatalf("%d flows, %d failed: %v %v", r.Flows, r.failures(), r.Errors, r.Warmup)
	}
	// Two codes and the reset's notice to each address.
	if got := float64(r.Messages) / float64(r.Flows); got != 4 {
		t.Errorf("%.2f messages a flow, want 4", got)
	}
	// Eight argon2id computations a flow once an account's history is
	// full; the first reset of an imported account makes fewer.
	if h := r.hashPerFlow(); h < 3 || h > 8 {
		t.Errorf("%.2f argon2id computations a flow, want 3 to 8", h)
	}
	if share, ok := r.argonShare(); r.ServerCPU <= 0 || !ok || share <= 0 || share >= 1 || r.outsideHashing() <= 0 {
		t.Errorf("server CPU %v, argon2id's share %v (%v), outside hashing %v", r.ServerCPU, share, ok, r.outsideHashing())
	}
	sum := 0.0
	for _, s := range r.Areas {
		sum += s
	}
	if len(r.Areas) != len(areaNames()) || math.Abs(sum-1) > 1e-9 {
		t.Errorf("areas %v (sum %v), want one share each of %d summing to 1", r.Areas, sum, len(areaNames()))
	}
	var out bytes.Buffer
	b.report(&out, results)
	for _, want := range []string{"| cheapest | off | 2 |", "| area | cheapest off 2u |", "| outbox: storing messages (River) |",
		"| call | cheapest off 2u |", "| email/send |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
