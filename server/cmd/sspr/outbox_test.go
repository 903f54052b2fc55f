package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/internal/freeport"
	"github.com/sspr-portal/sspr/server/internal/smtptest"
	"github.com/sspr-portal/sspr/server/internal/testkit"
)

// buildProgram builds sspr into a folder of the test's: a test that kills
// a server needs a process of its own.
func buildProgram(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sspr")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// process is `sspr serve --dev` running on its own.
type process struct {
	cmd  *exec.Cmd
	base string
	log  *testkit.LogBuffer
}

func startProcess(t *testing.T, bin, cfg, data string) *process {
	t.Helper()
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	_, log := testkit.NewLog()
	cmd := exec.Command(bin, "serve", "--dev", "--dev-captcha-answer", "424242", "--config", cfg,
		"--listen", "127.0.0.1:"+strconv.Itoa(port), "--data", data)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port), log: log}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.base + "/healthz")
		if err == nil {
			res.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start; its log:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendCode starts a reset for user and has a code emailed: the answer is
// the API's "sent".
func (p *process) sendCode(t *testing.T, user string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	post := func(path string, body any, want int, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		res, err := c.Post(p.base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("POST %s = %d, want %d", path, res.StatusCode, want)
		}
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var cp api.Captcha
	post(api.PathCaptcha, nil, http.StatusCreated, &cp)
	post(api.PathFlows, api.StartRequest{User: user, Captcha: api.CaptchaRef{ID: cp.ID, Answer: "424242"}}, http.StatusCreated, nil)
	post(api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}, http.StatusOK, nil)
	post(api.PathFlowEmailSend, struct{}{}, http.StatusOK, nil)
}

// TestNoMessageLostToAStop: codes the API said were sent while SMTP was
// down survive the server that stored them being stopped (SIGTERM) and
// killed (SIGKILL); a server started again on the same data delivers
// each, once, under the id it was stored with.
func TestNoMessageLostToAStop(t *testing.T) {
	bin := buildProgram(t)
	s := smtptest.Start(t, smtptest.Options{NoTLS: true})
	s.Stop() // down: the messages wait
	data := t.TempDir()
	// No draining: the stop is the test's subject, not the load balancer.
	cfg := writeFile(t, "sspr.toml", fmt.Sprintf("[server]\ndrain_period = \"0s\"\n"+
		"[email]\nkind = \"smtp\"\nhost = %q\nport = %d\n"+
		"security = \"plain\"\nauth = \"none\"\nfrom = \"reset@example.edu\"\ntimeout = \"2s\"\n"+
		"[delivery]\nbackoff = \"200ms\"\nmax_backoff = \"500ms\"\nattempt_timeout = \"2s\"\n", s.Host, s.Port))

	first := startProcess(t, bin, cfg, data)
	first.sendCode(t, "alice")
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, first.log)
	}

	second := startProcess(t, bin, cfg, data)
	second.sendCode(t, "erin")
	time.Sleep(500 * time.Millisecond) // an attempt or two, failed
	if err := second.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = second.cmd.Wait()

	s.Restart(t)
	third := startProcess(t, bin, cfg, data)
	// A message the killed server was sending is "running" until River's
	// rescuer, which looks every 30 s, finds it older than the attempt's
	// timeout and 10 s.
	deadline := time.Now().Add(90 * time.Second)
	for s.Count() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a duplicate would come now
	msgs := s.Messages()
	got := map[string][]string{}
	for _, m := range msgs {
		p := smtptest.Parse(t, m.Data)
		got[m.To[0]] = append(got[m.To[0]], p.Header.Get("Message-Id"))
	}
	for _, to := range []string{"alice.alt@example.net", "erin.alt@example.net"} {
		if len(got[to]) != 1 || got[to][0] == "" {
			t.Errorf("%s got %q; want one message with its Message-ID", to, got[to])
		}
	}
	if len(msgs) != 2 {
		t.Errorf("%d messages arrived, want 2\nthird server's log:\n%s", len(msgs), third.log)
	}
	_ = os.Remove(bin)
}
