package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
)

// runOnce runs the program to its end with args.
func runOnce(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb testkit.LogBuffer // stdout and stderr; safe to share with the program's goroutines
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "no command", args: nil, code: exitUsage, stderr: "Usage:"},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: "sspr serve"},
		{name: "version", args: []string{"version"}, code: exitOK, stdout: "sspr "},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`},
		{name: "serve -h", args: []string{"serve", "-h"}, code: exitOK, stderr: "-dev-captcha-answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runOnce(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("run(%q) = %d\nstdout: %s\nstderr: %s", tt.args, code, stdout, stderr)
			}
		})
	}
}

// Every way serve refuses to start, before it listens.
func TestServeRefuses(t *testing.T) {
	unknownKey := writeFile(t, "unknown.toml", "[flow]\nlifetme = \"15m\"\n")
	badValue := writeFile(t, "bad.toml", "[flow]\nrequired_methods = 4\n")
	remoteDev := writeFile(t, "remote.toml", "[server]\nallow_remote_dev = true\npublic_url = \"http://192.0.2.1:8080\"\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "dev captcha answer without dev", args: []string{"serve", "--dev-captcha-answer", "abc"}, code: exitUsage,
			stderr: "--dev-captcha-answer needs --dev"},
		{name: "dev allow remote without dev", args: []string{"serve", "--dev-allow-remote"}, code: exitUsage,
			stderr: "--dev-allow-remote needs --dev"},
		{name: "unknown flag", args: []string{"serve", "--nope"}, code: exitUsage, stderr: "flag provided but not defined: -nope"},
		{name: "stray argument", args: []string{"serve", "now"}, code: exitUsage, stderr: `unexpected argument "now"`},
		{name: "unknown config key", args: []string{"serve", "--config", unknownKey}, code: exitError,
			stderr: `unknown key "flow.lifetme"`},
		{name: "bad config value", args: []string{"serve", "--config", badValue}, code: exitError,
			stderr: "config: flow.required_methods: must be 1, 2 or 3"},
		{name: "missing config file", args: []string{"serve", "--config", filepath.Join(t.TempDir(), "none.toml")}, code: exitError,
			stderr: "none.toml"},
		{name: "bad listen flag", args: []string{"serve", "--listen", "nonsense"}, code: exitError, stderr: "config: server.listen"},
		{name: "dev on every interface", args: []string{"serve", "--dev", "--listen", "0.0.0.0:0", "--data", t.TempDir()}, code: exitUsage,
			stderr: "allow_remote_dev = true"},
		{name: "dev remote with the flag but not the config", args: []string{"serve", "--dev", "--dev-allow-remote", "--listen", "0.0.0.0:0", "--data", t.TempDir()},
			code: exitUsage, stderr: "--dev refuses"},
		{name: "dev remote with the config but not the flag", args: []string{"serve", "--dev", "--config", remoteDev, "--listen", "0.0.0.0:0", "--data", t.TempDir()},
			code: exitUsage, stderr: "--dev refuses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runOnce(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("run(%q) = %d, want %d with %q\nstderr: %s", tt.args, code, tt.code, tt.stderr, stderr)
			}
		})
	}
}

// Without --dev a missing key file stops the server, and nothing is
// created in its place.
func TestServeWithoutKeys(t *testing.T) {
	data := t.TempDir()
	code, _, stderr := runOnce(t, "serve", "--listen", "127.0.0.1:0", "--data", data)
	if code != exitError || !strings.Contains(stderr, "no key file") || !strings.Contains(stderr, "sspr keygen") {
		t.Fatalf("serve without keys = %d\nstderr: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "keys.json")); err == nil {
		t.Fatal("keys.json created outside dev mode")
	}
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// start runs serve with args until the test cancels it, and returns the
// address it listens on, its stderr and a function that stops it and
// returns its exit code.
func start(t *testing.T, args ...string) (addr string, stderr *testkit.LogBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &testkit.LogBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), io.Discard, stderr) }()
	stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not stop\nstderr: %s", stderr)
			return -1
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], stderr, stop
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d before listening\nstderr: %s", code, stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("serve never said it was listening\nstderr: %s", stderr)
		}
	}
}

func TestServeDev(t *testing.T) {
	data := filepath.Join(t.TempDir(), "dev")
	addr, stderr, stop := start(t, "--dev", "--listen", "127.0.0.1:0", "--data", data)
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("logged the asked-for address %q, not the real one", addr)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	res.Body.Close()
	t.Logf("GET /healthz = %d", res.StatusCode)

	// The start page, prerendered by the server, through the whole stack.
	res, err = client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("Get back into your account")) {
		t.Errorf("GET / = %d\n%s", res.StatusCode, body)
	}

	if code := stop(); code != exitOK {
		t.Fatalf("exit code %d\nstderr: %s", code, stderr)
	}
	fi, err := os.Stat(filepath.Join(data, "keys.json"))
	if err != nil {
		t.Fatalf("keys.json: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keys.json mode %v, want 0600", fi.Mode().Perm())
	}
	t.Logf("stderr:\n%s", stderr)
	if s := stderr.String(); !strings.Contains(s, "DEVELOPMENT MODE") || !strings.Contains(s, "msg=stopped") {
		t.Errorf("log lacks the dev warning or the stop:\n%s", s)
	}
	if _, err := client.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still serving after exit")
	}
}

// keygen makes the key file a production server needs; serve then starts
// without --dev.
func TestKeygenThenServe(t *testing.T) {
	data := t.TempDir()
	code, stdout, stderr := runOnce(t, "keygen", "--data", data)
	if code != exitOK || !strings.Contains(stdout, "keys.json") {
		t.Fatalf("keygen = %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	fi, err := os.Stat(filepath.Join(data, "keys.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys.json: %v %v", fi, err)
	}
	before, _ := os.ReadFile(filepath.Join(data, "keys.json"))
	if code, _, stderr := runOnce(t, "keygen", "--data", data); code != exitError || !strings.Contains(stderr, "already exists") {
		t.Fatalf("second keygen = %d\nstderr: %s", code, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(data, "keys.json")); !bytes.Equal(before, after) {
		t.Fatal("keygen replaced the keys")
	}

	// Outside dev mode a real sender is required: a relay on this machine
	// (never reached by this test), and no SMS method.
	cfg := writeFile(t, "sspr.toml", "[flow]\nmethods = [\"email\", \"questions\"]\n"+
		"[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nfrom = \"reset@example.edu\"\n")
	addr, stderrBuf, stop := start(t, "--config", cfg, "--listen", "127.0.0.1:0", "--data", data)
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	res.Body.Close()
	if code := stop(); code != exitOK {
		t.Fatalf("exit code %d\nstderr: %s", code, stderrBuf)
	}
	if strings.Contains(stderrBuf.String(), "DEVELOPMENT MODE") {
		t.Error("dev warning outside dev mode")
	}
}

// docs/SECURITY.md#http-timeouts: a shutdown finishes the requests in
// flight.
func TestGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		if r.Context().Err() != nil {
			t.Error("the request's context was cancelled by the shutdown")
		}
		w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	log := slog.New(slog.DiscardHandler)
	go func() {
		exited <- serveUntilDone(ctx, ln, h, log, 10*time.Second, stopSignals{}, "addr", ln.Addr().String())
	}()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel()
	r := <-got
	if r.err != nil || r.body != "done" {
		t.Fatalf("request in flight during shutdown: %q, %v", r.body, r.err)
	}
	if code := <-exited; code != exitOK {
		t.Fatalf("exit code %d", code)
	}
}

// TestDrainOnSIGTERM: after SIGTERM, /readyz answers 503 "draining" at
// once while every other request is still served, each answer closing its
// connection; after the drain period the server stops by itself.
func TestDrainOnSIGTERM(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	term := make(chan os.Signal, 1)
	exited := make(chan int, 1)
	const drain = 700 * time.Millisecond
	go func() {
		exited <- serveUntilDone(context.Background(), ln, h, slog.New(slog.DiscardHandler), time.Second,
			stopSignals{term: term, drain: drain})
	}()
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string, bool) {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		// Go's client takes "Connection: close" out of the header into Close.
		return res.StatusCode, string(b), res.Close
	}
	if status, _, _ := get("/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d", status)
	}
	sent := time.Now()
	term <- syscall.SIGTERM
	deadline := time.Now().Add(drain / 2)
	for {
		status, body, conn := get("/readyz")
		if status == http.StatusServiceUnavailable {
			if !strings.Contains(body, `"draining"`) || !conn {
				t.Fatalf("/readyz while draining: %d %s, connection closed: %v", status, body, conn)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after SIGTERM", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status, body, closed := get("/api/v1/config"); status != http.StatusOK || body != "ok" || !closed {
		t.Fatalf("a request while draining: %d %q, connection closed: %v", status, body, closed)
	}
	select {
	case code := <-exited:
		if code != exitOK || time.Since(sent) < drain {
			t.Fatalf("exit %d after %s, want 0 after %s", code, time.Since(sent), drain)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not stop after draining")
	}
}

func TestServerLimits(t *testing.T) {
	s := newServer(context.Background(), http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if s.ReadHeaderTimeout != 5*time.Second || s.ReadTimeout != 15*time.Second || s.WriteTimeout != 30*time.Second ||
		s.IdleTimeout != 120*time.Second || s.MaxHeaderBytes != 64<<10 || s.ErrorLog == nil {
		t.Fatalf("server limits: %+v", s)
	}
}

// docs/SECURITY.md#slowloris: a slow client (slowloris) that never finishes
// its headers is cut off by ReadHeaderTimeout instead of holding a
// connection.
func TestSlowClientIsCutOff(t *testing.T) {
	s := newServer(context.Background(), http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(3 * readHeaderTimeout))
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still held the connection after %v", time.Since(began))
	}
	if d := time.Since(began); d < readHeaderTimeout-time.Second {
		t.Fatalf("closed after %v, before the timeout", d)
	}
}
