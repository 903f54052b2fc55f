package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/freeport"
)

// TestSignals, on a process of its own: SIGHUP is logged and changes
// nothing; SIGTERM makes /readyz answer 503 at once, the server keeps
// serving for server.drain_period, then stops cleanly.
func TestSignals(t *testing.T) {
	bin := buildProgram(t)
	cfg := writeFile(t, "sspr.toml", "[server]\ndrain_period = \"1s\"\n")
	p := startProcess(t, bin, cfg, t.TempDir())
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(p.base + path)
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, p.log)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	waitLog := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.log.String(), what); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the log never said %q:\n%s", what, p.log)
			}
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("SIGHUP ignored")
	if status, _ := get("/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz after SIGHUP: %d\n%s", status, p.log)
	}

	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog("draining")
	if status, body := get("/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Fatalf("/readyz while draining: %d %s", status, body)
	}
	if status, _ := get("/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz while draining: %d", status)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log)
	}
	if d := time.Since(sent); d < time.Second {
		t.Errorf("stopped %s after SIGTERM, before the drain period (1s) was over", d)
	}
	if !strings.Contains(p.log.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", p.log)
	}
}

// TestServeMetrics: with [metrics] listen set, sspr serve answers
// Prometheus's scrape there, and the portal's own address doesn't.
func TestServeMetrics(t *testing.T) {
	bin := buildProgram(t)
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	metrics := "127.0.0.1:" + strconv.Itoa(port)
	cfg := writeFile(t, "sspr.toml", "[server]\ndrain_period = \"0s\"\n[metrics]\nlisten = \""+metrics+"\"\n")
	p := startProcess(t, bin, cfg, t.TempDir())
	res, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v\n%s", err, p.log)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "sspr_") {
		t.Fatalf("GET /metrics = %d\n%.500s", res.StatusCode, b)
	}
	if res, err := http.Get(p.base + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the portal's address: %v %v", res, err)
	}
}
