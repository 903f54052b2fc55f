package notify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/notify"
)

var org = notify.Org{Name: "Example University", HelpDesk: "Contact the IT Service Desk: 01234 567890."}

func TestShippedMessages(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		m       notify.Message
		subject string
		has     []string
	}{
		{"email code", notify.CodeMessage(notify.Email, "a@example.net", "31415926", 10*time.Minute, org),
			"Example University verification code", []string{"31415926", "10 minutes", "ignore this message", org.HelpDesk}},
		{"reset", notify.Notification("a@example.net", notify.Event{What: "reset", At: at, ClientAddr: "192.0.2.7"}, org),
			"Example University: Your password has been reset", []string{"12:30 UTC on Monday 23 November 2026", "192.0.2.7", "eduroam", org.HelpDesk}},
		{"unlock", notify.Notification("a@example.net", notify.Event{What: "unlock", At: at, ClientAddr: "192.0.2.7"}, org),
			"Example University: Your account has been unlocked", []string{"unlocked", "192.0.2.7"}},
		{"registration changed", notify.Change("a@example.net", notify.KindRegistrationChanged, at, "192.0.2.7", org, "your mobile number was registered or confirmed"),
			"Example University: Your self-service password reset details changed", []string{"your mobile number was registered", "take over"}},
		{"password changed", notify.Change("a@example.net", notify.KindPasswordChanged, at, "192.0.2.7", org, ""),
			"Example University: Your password was changed", []string{"while you were signed in", "192.0.2.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.m.Subject != tt.subject {
				t.Errorf("subject %q, want %q", tt.m.Subject, tt.subject)
			}
			for _, s := range tt.has {
				if !strings.Contains(tt.m.Body, s) {
					t.Errorf("text lacks %q:\n%s", s, tt.m.Body)
				}
			}
			if !strings.Contains(tt.m.HTML, "<html") || !strings.Contains(tt.m.HTML, "Example University") {
				t.Errorf("html:\n%s", tt.m.HTML)
			}
			for _, bad := range []string{"<img", "src=", "<a ", "http://", "https://"} {
				if strings.Contains(tt.m.HTML, bad) || strings.Contains(tt.m.Body, bad) {
					t.Errorf("has %q: no links, no remote images, no tracking", bad)
				}
			}
		})
	}
	t.Run("sms code", func(t *testing.T) {
		m := notify.CodeMessage(notify.SMS, "+447700900123", "31415926", 10*time.Minute, org)
		want := "Example University: your verification code is 31415926. It expires in 10 minutes. Never share it."
		if m.Body != want || m.Subject != "" || m.HTML != "" || m.Code != "31415926" {
			t.Fatalf("%+v", m)
		}
	})
}

func TestOperatorTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("OK a file replaces the shipped one; a help-desk block fills in", func(t *testing.T) {
		write("en/code_sms.txt", "{{.Org}} code: {{.Code}}")
		tpl, err := notify.LoadTemplates(dir, "en")
		if err != nil {
			t.Fatal(err)
		}
		m, err := tpl.Render(notify.CodeMessage(notify.SMS, "+447700900123", "12345678", 10*time.Minute, org))
		if err != nil || m.Body != "Example University code: 12345678" {
			t.Fatalf("%q %v", m.Body, err)
		}
		e := notify.CodeMessage(notify.Email, "a@example.net", "12345678", 10*time.Minute, org)
		e.Data.HelpDesk = notify.HelpDesk{Name: "IT Service Desk", Phone: "01234 567890", Hours: []string{"Mon: 8 to 5"}}
		if m, err := tpl.Render(e); err != nil || !strings.Contains(m.Body, "Phone: 01234 567890") || !strings.Contains(m.HTML, "<li>Mon: 8 to 5</li>") {
			t.Fatalf("%v\n%s\n%s", err, m.Body, m.HTML)
		}
	})
	t.Run("OK a translation", func(t *testing.T) {
		shipped, err := os.ReadDir("../../static/templates/en")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range shipped { // every template, however many there are
			n := f.Name()
			b, err := os.ReadFile(filepath.Join("../../static/templates/en", n))
			if err != nil {
				t.Fatal(err)
			}
			write("cy/"+n, strings.ReplaceAll(string(b), "Your verification code is", "Eich cod dilysu yw"))
		}
		tpl, err := notify.LoadTemplates(dir, "cy")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := tpl.Render(notify.CodeMessage(notify.Email, "a@example.net", "12345678", 10*time.Minute, org))
		if !strings.HasPrefix(m.Body, "Eich cod dilysu yw 12345678") {
			t.Fatalf("%s", m.Body)
		}
	})
	for _, tt := range []struct{ name, file, body, err string }{
		{"ErrSyntax", "en/reset.html", "<p>{{.Org</p>", "reset.html"},
		{"ErrUnknownField", "en/unlock.txt", "Subject: x\n\n{{.Password}}", "unlock.txt"},
		{"ErrNoSubject", "en/reset.txt", "Hello {{.Org}}", `"Subject: ..."`},
		{"ErrSMSTooLong", "en/code_sms.txt", strings.Repeat("x", 155) + " {{.Code}}", "code_sms.txt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			p := filepath.Join(d, tt.file)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(tt.body), 0o600)
			_, err := notify.LoadTemplates(d, "en")
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), d) {
				t.Fatalf("err %v, want one naming %s in %s", err, tt.err, d)
			}
		})
	}
	t.Run("ErrMissingLanguage", func(t *testing.T) {
		if _, err := notify.LoadTemplates("", "fr"); err == nil || !strings.Contains(err.Error(), "fr/") {
			t.Fatalf("err %v", err)
		}
	})
}

// The SMS must fit one message with this organisation's name and code
// length, checked at start.
func TestCheckSMS(t *testing.T) {
	tpl, err := notify.LoadTemplates("", "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.CheckSMS("Example University", 10, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	err = tpl.CheckSMS(strings.Repeat("Long Name ", 10), 10, 10*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "code_sms.txt") || !strings.Contains(err.Error(), "GSM-7") {
		t.Fatalf("err %v", err)
	}
	// Outside GSM-7 an SMS holds 70 characters.
	if err := tpl.CheckSMS("Πανεπιστήμιο Αθηνών και Πειραιώς", 8, 10*time.Minute); err == nil || !strings.Contains(err.Error(), "UCS-2") {
		t.Fatalf("err %v", err)
	}
}

func TestSMSUnits(t *testing.T) {
	for _, tt := range []struct {
		s     string
		units int
		gsm   bool
	}{
		{"Code 1234", 9, true},
		{"€5 [x]", 9, true}, // €, [ and ] take two each
		{"Zürich café", 11, true},
		{"Kraków", 6, false},
		{"🙂 ok", 5, false}, // a surrogate pair
	} {
		if u, g := notify.SMSUnits(tt.s); u != tt.units || g != tt.gsm {
			t.Errorf("SMSUnits(%q) = %d, %v; want %d, %v", tt.s, u, g, tt.units, tt.gsm)
		}
	}
}
