package notify

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/static"
)

// Org is what a message says about who sent it and where to get help.
type Org struct {
	Name     string
	HelpDesk string // one line: how to reach the service desk
}

// CodeMessage is the message that carries a one-time code. It is written
// with the shipped templates; a Router writes it again with the operator's.
func CodeMessage(ch Channel, to, code string, valid time.Duration, org Org) Message {
	mins := int(valid.Round(time.Minute) / time.Minute)
	return defaultRender(Message{Channel: ch, To: to, Code: code, Kind: KindCode, Data: &Data{
		Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Code: code, Minutes: mins,
	}})
}

// Event is what a notification reports.
type Event struct {
	What       string // "reset", "unlock" or "unlock-not-locked"
	At         time.Time
	ClientAddr string
}

// Notification tells the user that their password was reset or their
// account unlocked, or that an unlock found it not locked. It never
// includes the password.
func Notification(to string, e Event, org Org) Message {
	k := KindReset
	switch e.What {
	case "unlock":
		k = KindUnlock
	case "unlock-not-locked":
		k = KindUnlockNotLocked
	}
	return defaultRender(Message{Channel: Email, To: to, Kind: k, Data: &Data{
		Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Time: e.At, ClientAddr: e.ClientAddr,
	}})
}

// Change tells the user that something about their account changed: k is
// KindRegistrationChanged or KindDeskAction (what and args say what, in a
// few words: an English format the message catalogues translate) or
// KindPasswordChanged (a password changed while signed in).
func Change(to string, k Kind, at time.Time, clientAddr string, org Org, what string, args ...any) Message {
	d := &Data{Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Time: at, ClientAddr: clientAddr}
	d.SetWhat(what, args)
	return defaultRender(Message{Channel: Email, To: to, Kind: k, Data: d})
}

// Block is what a notice of a pause or a closure of self-service reports.
type Block struct {
	At, Until time.Time
	// Closed: every self-service is closed until the service desk opens
	// it. SignIn: what is paused is signing in to register (else it is
	// the reset and unlock).
	Closed, SignIn bool
	ClientAddr     string
}

// Blocked tells the user that self-service is paused for their account
// until b.Until, or closed until the service desk opens it (b.Closed).
func Blocked(to string, b Block, org Org) Message {
	return defaultRender(Message{Channel: Email, To: to, Kind: KindBlocked, Data: &Data{
		Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Time: b.At, Until: b.Until,
		Closed: b.Closed, SignIn: b.SignIn, ClientAddr: b.ClientAddr,
	}})
}

// Reminder asks someone to register the methods a reset needs, or to
// confirm them again (reconfirm), at the registration page link: `sspr
// remind unregistered`.
func Reminder(to, link string, required int, reconfirm bool, at time.Time, org Org) Message {
	return defaultRender(Message{Channel: Email, To: to, Kind: KindRemindRegister, Data: &Data{
		Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Time: at, Link: link, Required: required,
		Reconfirm: reconfirm,
	}})
}

// Expiring is the reminder of `sspr remind expiring`: the password expires
// at expires; link is the page where it is changed.
func Expiring(to, link string, expires, at time.Time, org Org) Message {
	return defaultRender(Message{Channel: Email, To: to, Kind: KindPasswordExpiring, Data: &Data{
		Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Time: at, Link: link, Expires: expires,
	}})
}

// TestMessage is the message of `sspr send-test`.
func TestMessage(ch Channel, to string, org Org) Message {
	return defaultRender(Message{Channel: ch, To: to, Kind: KindTest, Data: &Data{
		Org: org.Name, HelpDesk: HelpDesk{Line: org.HelpDesk}, To: to, Time: time.Now(),
	}})
}

// The shipped templates, loaded once.
var shipped = sync.OnceValues(func() (*Templates, error) {
	return LoadTemplates("", DefaultLanguage)
})

// defaultRender writes m with the shipped templates. They are checked by
// the tests, so an error here is a bug: the message then says so in
// English rather than not at all.
func defaultRender(m Message) Message {
	t, err := shipped()
	if err == nil {
		var r Message
		if r, err = t.Render(m); err == nil {
			return r
		}
	}
	m.Subject = m.Data.Org + " message"
	m.Body = "This message could not be written (" + err.Error() + ")."
	if m.Code != "" {
		m.Body = m.Data.Org + ": your verification code is " + m.Code + "."
	}
	return m
}

// DefaultLanguage is the language of the shipped templates.
const DefaultLanguage = "en"

// The templates of each kind: an email has a text file (a "Subject:" line,
// a blank line, then the plain-text body) and an HTML file (the HTML body);
// an SMS has a text file.
var (
	emailFiles = map[Kind]string{
		KindCode: "code_email", KindReset: "reset", KindUnlock: "unlock",
		KindRegistrationChanged: "registration_changed", KindPasswordChanged: "password_changed",
		KindUnlockNotLocked: "unlock_not_locked", KindBlocked: "blocked", KindTest: "test_email",
		KindDeskAction: "desk_action", KindRemindRegister: "remind_register", KindPasswordExpiring: "password_expiring",
	}
	smsFiles = map[Kind]string{KindCode: "code_sms", KindTest: "test_sms"}
)

// Partial templates every email may use: {{template "helpdesk" .}}.
const (
	helpdeskText = "helpdesk.txt"
	helpdeskHTML = "helpdesk.html"
)

// SMSMaxUnits is the most one SMS holds: 160 GSM-7 characters (an extension
// character such as € or [ counts twice). A text with any other character
// is sent as UCS-2, where one SMS holds 70.
const (
	SMSMaxUnits = 160
	SMSMaxUCS2  = 70
)

// Templates are the message templates of one language: the shipped ones
// (static/templates/LANG), each replaced by the operator's file of the same
// name in dir/LANG when there is one.
type Templates struct {
	lang  string
	text  map[Kind]*texttemplate.Template
	html  map[Kind]*htmltemplate.Template
	sms   map[Kind]*texttemplate.Template
	names map[string]string // file name -> where it came from, for errors
}

// LoadTemplates reads the templates of lang, from dir (the operator's
// folder; "" for none) where a file is there, else from those shipped, and
// checks that each parses and renders. Every error names the file.
func LoadTemplates(dir, lang string) (*Templates, error) {
	if lang == "" {
		lang = DefaultLanguage
	}
	if strings.ContainsAny(lang, `/\.`) {
		return nil, fmt.Errorf("templates: %q is not a language such as \"en\"", lang)
	}
	shippedFS, err := fs.Sub(static.FS, "templates")
	if err != nil {
		return nil, err
	}
	var over fs.FS
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("templates: %s is not a folder", dir)
		}
		over = os.DirFS(dir)
	}
	t := &Templates{lang: lang, text: map[Kind]*texttemplate.Template{}, html: map[Kind]*htmltemplate.Template{},
		sms: map[Kind]*texttemplate.Template{}, names: map[string]string{}}
	read := func(name string) (string, error) {
		p := path.Join(lang, name)
		if over != nil {
			b, err := fs.ReadFile(over, p)
			if err == nil {
				t.names[name] = path.Join(dir, p)
				return string(b), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("templates: %s: %w", path.Join(dir, p), err)
			}
		}
		b, err := fs.ReadFile(shippedFS, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				where := "static/templates"
				if dir != "" {
					where = dir + " or " + where
				}
				return "", fmt.Errorf("templates: %s: no such template in %s", p, where)
			}
			return "", fmt.Errorf("templates: %s: %w", p, err)
		}
		t.names[name] = "static/templates/" + p
		return string(b), nil
	}
	hdText, err := read(helpdeskText)
	if err != nil {
		return nil, err
	}
	hdHTML, err := read(helpdeskHTML)
	if err != nil {
		return nil, err
	}
	for k, base := range emailFiles {
		src, err := read(base + ".txt")
		if err != nil {
			return nil, err
		}
		tt := texttemplate.New(base + ".txt").Option("missingkey=error").Funcs(funcs(lang))
		if _, err := tt.New(helpdeskText).Parse(hdText); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", t.names[helpdeskText], err)
		}
		if _, err := tt.Parse(src); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", t.names[base+".txt"], err)
		}
		t.text[k] = tt
		src, err = read(base + ".html")
		if err != nil {
			return nil, err
		}
		ht := htmltemplate.New(base + ".html").Option("missingkey=error").Funcs(funcs(lang))
		if _, err := ht.New(helpdeskHTML).Parse(hdHTML); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", t.names[helpdeskHTML], err)
		}
		if _, err := ht.Parse(src); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", t.names[base+".html"], err)
		}
		t.html[k] = ht
	}
	for k, base := range smsFiles {
		src, err := read(base + ".txt")
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(base + ".txt").Option("missingkey=error").Funcs(funcs(lang)).Parse(src)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", t.names[base+".txt"], err)
		}
		t.sms[k] = tt
	}
	// Render each with sample data now, so a broken template stops the
	// start, not a user's reset.
	for _, hd := range []HelpDesk{{Line: "Contact the IT Service Desk."}, sampleHelpDesk} {
		d := &Data{Org: "Example University", HelpDesk: hd, To: "someone@example.net", Code: "12345678", Minutes: 10,
			Time: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), ClientAddr: "192.0.2.1", What: "your alternate email was registered",
			Until: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
		for k := range emailFiles {
			if _, err := t.Render(Message{Channel: Email, Kind: k, Data: d, Code: d.Code}); err != nil {
				return nil, err
			}
		}
		for k := range smsFiles {
			if _, err := t.Render(Message{Channel: SMS, Kind: k, Data: d, Code: d.Code}); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// funcs are the templates' functions, in their language lang:
//
//	{{when .Time}}   "14:05 UTC on Monday 23 November 2026", in lang's words
//	                 (the catalogue of the pages' mail.when; English's for a
//	                 language the portal has no catalogue for)
func funcs(lang string) map[string]any {
	return map[string]any{
		"when": func(t time.Time) string { return locale.All().When(lang, t) },
	}
}

var sampleHelpDesk = HelpDesk{Name: "IT Service Desk", Phone: "01234 567890", Email: "servicedesk@example.edu",
	InPerson: "Ground floor of the Library", TicketPortal: "https://help.example.edu/", Hours: []string{"Monday to Friday: 8am to 5pm"}}

// Render writes m's Subject, Body and HTML from its Kind and Data. A message
// without Data is returned as it is.
func (t *Templates) Render(m Message) (Message, error) {
	if m.Data == nil {
		return m, nil
	}
	if m.Channel == SMS {
		tt, ok := t.sms[m.Kind]
		if !ok {
			return m, fmt.Errorf("templates: no SMS template for %q", m.Kind)
		}
		var b bytes.Buffer
		if err := tt.Execute(&b, m.Data); err != nil {
			return m, fmt.Errorf("templates: %s: %w", t.names[tt.Name()], err)
		}
		m.Subject, m.HTML = "", ""
		m.Body = strings.Join(strings.Fields(b.String()), " ")
		if units, ok := SMSUnits(m.Body); ok && units > SMSMaxUnits || !ok && units > SMSMaxUCS2 {
			return m, fmt.Errorf("templates: %s: the text is %s, more than one SMS holds", t.names[tt.Name()], describeSMS(m.Body))
		}
		return m, nil
	}
	tt, ok := t.text[m.Kind]
	if !ok {
		return m, fmt.Errorf("templates: no email template for %q", m.Kind)
	}
	var b bytes.Buffer
	if err := tt.Execute(&b, m.Data); err != nil {
		return m, fmt.Errorf("templates: %s: %w", t.names[tt.Name()], err)
	}
	subject, body, err := splitSubject(b.String())
	if err != nil {
		return m, fmt.Errorf("templates: %s: %w", t.names[tt.Name()], err)
	}
	b.Reset()
	ht := t.html[m.Kind]
	if err := ht.Execute(&b, m.Data); err != nil {
		return m, fmt.Errorf("templates: %s: %w", t.names[ht.Name()], err)
	}
	m.Subject, m.Body, m.HTML = subject, body, b.String()
	return m, nil
}

// splitSubject takes the "Subject: ..." line and the blank line after it
// off the top of a rendered text template.
func splitSubject(s string) (subject, body string, err error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	head, body, ok := strings.Cut(s, "\n\n")
	if !ok || !strings.HasPrefix(head, "Subject:") || strings.Contains(head, "\n") {
		return "", "", errors.New(`must start with one "Subject: ..." line and then a blank line`)
	}
	subject = strings.TrimSpace(strings.TrimPrefix(head, "Subject:"))
	if subject == "" {
		return "", "", errors.New("the subject is empty")
	}
	return subject, strings.TrimLeft(body, "\n"), nil
}

// CheckSMS renders every SMS template for the longest inputs it will meet
// (this organisation's name, a code of codeDigits digits, a code lifetime,
// the longest E.164 number) and fails, naming the template, if one doesn't
// fit in a single SMS.
func (t *Templates) CheckSMS(org string, codeDigits int, valid time.Duration) error {
	d := &Data{Org: org, HelpDesk: HelpDesk{Line: ""}, To: "+" + strings.Repeat("9", 15),
		Code: strings.Repeat("8", codeDigits), Minutes: int(valid.Round(time.Minute) / time.Minute), Time: time.Now()}
	// In a fixed order, so the same file is named every time.
	for _, k := range slices.Sorted(maps.Keys(smsFiles)) {
		if _, err := t.Render(Message{Channel: SMS, Kind: k, Data: d, Code: d.Code}); err != nil {
			return err
		}
	}
	return nil
}

// describeSMS says how long a text is, in the units that count.
func describeSMS(s string) string {
	if units, ok := SMSUnits(s); ok {
		return fmt.Sprintf("%d GSM-7 characters (at most %d)", units, SMSMaxUnits)
	}
	return fmt.Sprintf("%d UCS-2 characters (at most %d, because it has characters outside GSM-7)",
		len([]rune(s)), SMSMaxUCS2)
}
