package mailer_test

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/smtptest"
	"github.com/sspr-portal/sspr/server/mailer"
	"github.com/sspr-portal/sspr/server/notify"
)

const (
	user = "portal@example.edu"
	pass = "s3cret-Smtp-Pass"
)

var org = notify.Org{Name: "Example University", HelpDesk: "Contact the IT Service Desk."}

func newMailer(t *testing.T, s *smtptest.Server, mod func(*mailer.Config)) *mailer.Mailer {
	t.Helper()
	c := mailer.Config{Host: s.Host, Port: s.Port, Security: mailer.STARTTLS, RootCAs: s.CAPool,
		Auth: "auto", Username: user, Password: pass, From: "password-reset@example.edu",
		FromName: "Example University password reset", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&c)
	}
	m, err := mailer.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func send(t *testing.T, m *mailer.Mailer, msg notify.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return m.Send(ctx, msg)
}

func TestSend(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		t.Run("STARTTLS and AUTH "+mech, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass, Mechanisms: []string{mech}})
			m := newMailer(t, s, nil)
			msg := notify.CodeMessage(notify.Email, "alice.alt@example.net", "31415926", 10*time.Minute, org)
			if err := send(t, m, msg); err != nil {
				t.Fatal(err)
			}
			got := s.Wait(t, 1, 5*time.Second)[0]
			if !got.TLS || got.User != user || got.Mech != mech {
				t.Fatalf("tls %v user %q mech %q", got.TLS, got.User, got.Mech)
			}
			p := smtptest.Parse(t, got.Data)
			h := p.Header
			if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Name != "Example University password reset" || from.Address != "password-reset@example.edu" {
				t.Errorf("From %q", h.Get("From"))
			}
			if h.Get("To") != "<alice.alt@example.net>" && h.Get("To") != "alice.alt@example.net" {
				t.Errorf("To %q", h.Get("To"))
			}
			if h.Get("Subject") != "Example University verification code" {
				t.Errorf("Subject %q", h.Get("Subject"))
			}
			if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
				t.Errorf("Date %q %v", h.Get("Date"), err)
			}
			if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.edu>") {
				t.Errorf("Message-ID %q", id)
			}
			if h.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("Auto-Submitted %q", h.Get("Auto-Submitted"))
			}
			for name, part := range map[string]string{"text": p.Text, "html": p.HTML} {
				if !strings.Contains(part, "31415926") || !strings.Contains(part, "Example University") {
					t.Errorf("%s part lacks the code or the organisation:\n%s", name, part)
				}
				// Codes only: nothing a mail scanner could follow or fetch.
				for _, bad := range []string{"http://", "https://", "<a ", "<img", "src="} {
					if strings.Contains(part, bad) {
						t.Errorf("%s part has %q", name, bad)
					}
				}
			}
		})
	}
	t.Run("implicit TLS", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass, ImplicitTLS: true})
		m := newMailer(t, s, func(c *mailer.Config) { c.Security = mailer.TLS })
		if err := send(t, m, notify.TestMessage(notify.Email, "bob@example.net", org)); err != nil {
			t.Fatal(err)
		}
		if got := s.Wait(t, 1, 5*time.Second)[0]; !got.TLS || got.Mech != "PLAIN" {
			t.Fatalf("tls %v mech %q", got.TLS, got.Mech)
		}
	})
	t.Run("plain to a loopback relay without auth", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{NoTLS: true})
		m := newMailer(t, s, func(c *mailer.Config) { c.Security, c.Username, c.Password = mailer.Plain, "", "" })
		if err := send(t, m, notify.TestMessage(notify.Email, "bob@example.net", org)); err != nil {
			t.Fatal(err)
		}
		if got := s.Wait(t, 1, 5*time.Second)[0]; got.TLS {
			t.Fatal("TLS on a plain relay?")
		}
	})
}

func TestErrors(t *testing.T) {
	msg := notify.CodeMessage(notify.Email, "alice.alt@example.net", "27182818", 10*time.Minute, org)
	check := func(t *testing.T, err error, permanent, refused bool) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		if notify.IsPermanent(err) != permanent || notify.IsRefused(err) != refused {
			t.Errorf("%v: permanent %v refused %v, want %v %v", err, notify.IsPermanent(err), notify.IsRefused(err), permanent, refused)
		}
		// Errors are logged: never the code, the body or the password.
		for _, s := range []string{"27182818", "verification code is", pass} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error has %q: %v", s, err)
			}
		}
	}
	t.Run("ErrWrongPassword", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: "other"})
		check(t, send(t, newMailer(t, s, nil), msg), true, false)
	})
	t.Run("ErrUnknownCA", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		check(t, send(t, newMailer(t, s, func(c *mailer.Config) { c.RootCAs = nil }), msg), true, false)
		if n := s.Attempts(); n != 0 {
			t.Fatalf("%d MAIL FROM over an unverified connection", n)
		}
	})
	t.Run("ErrNoSTARTTLS", func(t *testing.T) {
		// No downgrade: a server that doesn't offer STARTTLS gets nothing.
		s := smtptest.Start(t, smtptest.Options{NoTLS: true})
		check(t, send(t, newMailer(t, s, func(c *mailer.Config) { c.Username = "" }), msg), true, false)
		if n := s.Attempts(); n != 0 {
			t.Fatalf("%d MAIL FROM in clear text", n)
		}
	})
	t.Run("ErrTemporary 451", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		s.Fail(451)
		check(t, send(t, newMailer(t, s, nil), msg), false, false)
	})
	t.Run("ErrPermanent 554", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		s.Fail(554)
		check(t, send(t, newMailer(t, s, nil), msg), true, false)
	})
	t.Run("ErrRecipientRefused 550", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		s.Reject("alice.alt@example.net", 550)
		check(t, send(t, newMailer(t, s, nil), msg), true, true)
	})
	t.Run("ErrDown", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		s.Stop()
		check(t, send(t, newMailer(t, s, nil), msg), false, false)
	})
	t.Run("ErrSlow", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		s.Slow(2 * time.Second)
		m := newMailer(t, s, func(c *mailer.Config) { c.Timeout = 300 * time.Millisecond })
		start := time.Now()
		check(t, send(t, m, msg), false, false)
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Fatalf("took %v with a 300ms timeout", took)
		}
	})
	t.Run("ErrNotAnAddress", func(t *testing.T) {
		s := smtptest.Start(t, smtptest.Options{Username: user, Password: pass})
		bad := msg
		bad.To = "not an address"
		check(t, send(t, newMailer(t, s, nil), bad), true, true)
		if errors.Is(nil, nil) && s.Attempts() != 0 {
			t.Fatal("connected for a bad address")
		}
	})
}
