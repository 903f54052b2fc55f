package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sspr-portal/sspr/server/internal/freeport"
	"github.com/sspr-portal/sspr/server/secret"
)

// captchaAnswer is what every CAPTCHA accepts: the server runs with
// --dev-captcha-answer.
const captchaAnswer = "424242"

// hashing is one setting of [hashing].
type hashing struct {
	Name   string // "default", "cheapest"
	Params secret.Params
}

// The settings -hashing names: the portal's default (OWASP's) and the
// cheapest server/config accepts (1 MiB, one pass).
var hashings = map[string]hashing{
	"default":  {"default", secret.DefaultParams},
	"cheapest": {"cheapest", secret.Params{Time: 1, Memory: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}},
}

// settings are what one server is configured with.
type settings struct {
	Hashing hashing
	Audio   bool
	// Delivery: "sinks" (SMTP and an SMS gateway on loopback, run by
	// flowbench) or "outbox" (the dev outbox).
	Delivery    string
	SMTPPort    int
	SMSURL      string
	MetricsAddr string
}

// configText is the server's configuration: the defaults, but with the
// limits that would stop one client from running thousands of resets an
// hour raised (everything comes from one loopback address, and each
// account resets every few hundred milliseconds), the per-account send
// cool-downs off and the hourly sends at their most (100, so an account
// serves at most perAccount flows a run), and the settings under test.
func configText(s settings) string {
	audio := "false"
	if s.Audio {
		audio = "true"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by flowbench (server/cmd/flowbench) for one run.
[server]
# Ctrl-C and flowbench's own stop end the server at once.
drain_period = "0s"

[throttle]
address_starts = 10000000
address_failures = 10000000
address_captchas = 10000000
account_starts = 10000
sms_per_country = 0

[codes]
email_cooldown = "0s"
sms_cooldown = "0s"
max_sends_per_hour = 100

[captcha]
audio = %s

[hashing]
argon2_memory_kib = %d
argon2_time = %d
argon2_threads = %d

[metrics]
listen = %q
# Go's profiles, on the metrics listener: flowbench takes the CPU's.
profiling = true
`, audio, s.Hashing.Params.Memory, s.Hashing.Params.Time, s.Hashing.Params.Threads, s.MetricsAddr)
	if s.Delivery == "sinks" {
		fmt.Fprintf(&b, `
[email]
kind = "smtp"
host = "127.0.0.1"
port = %d
security = "plain"
auth = "none"
from = "password-reset@example.edu"
timeout = "10s"

[sms]
kind = "gateway"
preset = "json"
url = %q
from = "Example"
timeout = "10s"
`, s.SMTPPort, s.SMSURL)
	}
	return b.String()
}

// serverProc is a running `sspr serve --dev`.
type serverProc struct {
	cmd     *exec.Cmd
	Pid     int
	URL     string // http://127.0.0.1:PORT
	Metrics string // http://127.0.0.1:PORT/metrics
	done    chan struct{}
	logPath string
}

// startServer writes the configuration (with free ports of its own) into
// dir and starts bin as a dev server on loopback with data, until /healthz
// and /metrics answer. Another process may take a port between the check
// and the server's bind: then it tries again.
func startServer(ctx context.Context, bin, dir, data string, s settings, logName string) (*serverProc, error) {
	var lastErr error
	for range 3 {
		p, err := tryStart(ctx, bin, dir, data, s, logName)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func tryStart(ctx context.Context, bin, dir, data string, s settings, logName string) (*serverProc, error) {
	port, err := freeport.Get()
	if err != nil {
		return nil, err
	}
	mport, err := freeport.Get()
	if err != nil {
		return nil, err
	}
	s.MetricsAddr = fmt.Sprintf("127.0.0.1:%d", mport)
	cfg := filepath.Join(dir, logName+".toml")
	if err := os.WriteFile(cfg, []byte(configText(s)), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, logName+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "--dev", "--config", cfg, "--listen", addr, "--data", data,
		"--dev-captcha-answer", captchaAnswer)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Should flowbench die without stopping it, the kernel does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &serverProc{cmd: cmd, Pid: cmd.Process.Pid, URL: "http://" + addr,
		Metrics: "http://" + s.MetricsAddr + "/metrics", done: make(chan struct{}), logPath: logPath}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	c := &http.Client{Timeout: time.Second}
	ready := func() bool {
		for _, u := range []string{p.URL + "/healthz", p.Metrics} {
			res, err := c.Get(u)
			if err != nil {
				return false
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		select {
		case <-p.done:
			return nil, fmt.Errorf("the server exited at its start; its log, %s:\n%s", logPath, tail(logPath, 20))
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("the server did not answer within a minute; its log, %s:\n%s", logPath, tail(logPath, 20))
		}
	}
	return p, nil
}

// Stop stops the server with SIGINT (it stops at once), and kills it if it
// hasn't within 10 s. It may be called more than once.
func (p *serverProc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Exited says whether the server has stopped (by itself, mid-run: a crash).
func (p *serverProc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// importAccounts imports the accounts and their registrations with the
// portal's own commands (`sspr accounts import`, `sspr registrations
// import`: docs/IMPORT.md), into the data folder of a stopped server, as
// an operator would before opening the portal.
func importAccounts(ctx context.Context, bin, cfg, data string, f importFiles) error {
	for _, c := range [][]string{
		{"accounts", "import", "--config", cfg, "--data", data, f.Accounts},
		{"registrations", "import", "--config", cfg, "--data", data, f.Registrations},
	} {
		out, err := exec.CommandContext(ctx, bin, c...).CombinedOutput()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 3 {
				return fmt.Errorf("sspr %s %s refused lines (a bug in flowbench's files):\n%s", c[0], c[1], out)
			}
			return fmt.Errorf("sspr %s %s: %v:\n%s", c[0], c[1], err, out)
		}
	}
	return nil
}
