package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/smtptest"
)

const smtpPass = "Send-Test-Pass-7"

func smtpConfig(t *testing.T, s *smtptest.Server) string {
	t.Helper()
	pw := writeFile(t, "smtp-password", smtpPass+"\n")
	return writeFile(t, "sspr.toml", `
[email]
kind = "smtp"
host = "127.0.0.1"
port = `+strconv.Itoa(s.Port)+`
ca_file = "`+filepath.ToSlash(s.CAFile)+`"
username = "portal"
password_file = "`+filepath.ToSlash(pw)+`"
from = "password-reset@example.edu"
timeout = "5s"
`)
}

func TestSendTest(t *testing.T) {
	t.Run("OK email", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: "portal", Password: smtpPass})
		code, stdout, stderr := runOnce(t, "send-test", "--config", smtpConfig(t, s), "--to", "ops@example.edu")
		if code != exitOK || !strings.Contains(stdout, "sent a test email to ops@example.edu") {
			t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		got := s.Wait(t, 1, 5*time.Second)[0]
		if !got.TLS || got.User != "portal" || !strings.Contains(string(got.Data), "test message") {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("ErrServerDown", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: "portal", Password: smtpPass})
		cfg := smtpConfig(t, s)
		s.Stop()
		code, stdout, stderr := runOnce(t, "send-test", "--config", cfg, "--to", "ops@example.edu")
		if code != exitError || !strings.Contains(stderr, "failed") || !strings.Contains(stderr, "connection refused") {
			t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, smtpPass) {
			t.Fatal("the password was printed")
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: "portal", Password: "another"})
		code, _, stderr := runOnce(t, "send-test", "--config", smtpConfig(t, s), "--to", "ops@example.edu")
		if code != exitError || !strings.Contains(stderr, "535") || strings.Contains(stderr, smtpPass) {
			t.Fatalf("code %d\nstderr: %s", code, stderr)
		}
	})
	t.Run("OK sms", func(t *testing.T) {
		var mu sync.Mutex
		var form url.Values
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			form, _ = url.ParseQuery(string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
		}))
		defer gw.Close()
		t.Setenv("SSPR_TEST_TWILIO_TOKEN", "tok-123")
		cfg := writeFile(t, "sspr.toml", `
[sms]
kind = "gateway"
preset = "twilio"
url = "`+gw.URL+`/Messages.json"
username = "AC1"
token_env = "SSPR_TEST_TWILIO_TOKEN"
from = "+15005550006"
`)
		// No --channel: a number as people write it is a text
		// (docs/DELIVERY.md's example).
		code, stdout, stderr := runOnce(t, "send-test", "--config", cfg, "--to", "07700 900123")
		if code != exitOK || !strings.Contains(stdout, "+447700900123") {
			t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		mu.Lock()
		defer mu.Unlock()
		if form.Get("To") != "+447700900123" || !strings.Contains(form.Get("Body"), "test message") {
			t.Fatalf("form %v", form)
		}
	})
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"ErrNoTo", []string{"send-test"}, exitUsage, "--to is required"},
		{"ErrOutbox", []string{"send-test", "--to", "ops@example.edu"}, exitError, "email.kind"},
		{"ErrOutboxSMS", []string{"send-test", "--to", "+447700900123"}, exitError, "sms.kind"},
		{"ErrChannel", []string{"send-test", "--to", "x@example.edu", "--channel", "fax"}, exitUsage, "--channel"},
		{"ErrNotANumber", []string{"send-test", "--to", "+12", "--channel", "sms"}, exitUsage, "not a mobile number"},
		{"ErrNeitherAddressNorNumber", []string{"send-test", "--to", "alice"}, exitUsage, "not a mobile number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runOnce(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("code %d, stderr: %s", code, stderr)
			}
		})
	}
}

// Without --dev the dev outbox would swallow every code: serve refuses it.
func TestServeRefusesTheOutbox(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := runOnce(t, "keygen", "--data", data); code != exitOK {
		t.Fatalf("keygen: %s", stderr)
	}
	code, _, stderr := runOnce(t, "serve", "--listen", "127.0.0.1:0", "--data", data)
	if code != exitError || !strings.Contains(stderr, "email.kind") || !strings.Contains(stderr, "sms.kind") {
		t.Fatalf("code %d\nstderr: %s", code, stderr)
	}
}

// A broken template stops the command (and the server) with its file named.
func TestBrokenTemplateNamed(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en", "reset.txt"), []byte("Subject: {{.Orgg}}\n\nx"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "sspr.toml", "[delivery]\ntemplates_dir = \""+filepath.ToSlash(dir)+"\"\n")
	code, _, stderr := runOnce(t, "serve", "--dev", "--config", cfg, "--listen", "127.0.0.1:0", "--data", t.TempDir())
	if code != exitError || !strings.Contains(stderr, filepath.Join(dir, "en", "reset.txt")) || !strings.Contains(stderr, "Orgg") {
		t.Fatalf("code %d\nstderr: %s", code, stderr)
	}
}
