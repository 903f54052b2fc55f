package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
)

// Email is [email]: how codes and notifications are sent by email.
type Email struct {
	// Kind is "outbox" (the dev outbox; only in dev mode) or "smtp".
	Kind string `toml:"kind"`
	// Host and Port are the SMTP server's. Port 0 means the usual port of
	// Security: 587 for "starttls", 465 for "tls", 25 for "plain".
	Host string `toml:"host"`
	Port int    `toml:"port"`
	// Security is "starttls" (required, never optional), "tls" (implicit
	// TLS from the first byte) or "plain" (no TLS: a relay on a loopback
	// address only).
	Security string `toml:"security"`
	// CAFile is a PEM file of the CAs that may sign the server's
	// certificate; empty means the system's. Verification is never off.
	CAFile string `toml:"ca_file"`
	// Auth is "auto" (the strongest the server offers, when Username is
	// set), "plain", "login", "cram-md5" or "none".
	Auth     string `toml:"auth"`
	Username string `toml:"username"`
	// The password comes from a file or an environment variable, never
	// from this file.
	PasswordFile string `toml:"password_file"`
	PasswordEnv  string `toml:"password_env"`
	// From is the sender's address; FromName its name (empty: the
	// organisation's name).
	From     string `toml:"from"`
	FromName string `toml:"from_name"`
	// HELO is the name the portal gives itself to the server; empty means
	// the host of server.public_url, or "localhost".
	HELO string `toml:"helo"`
	// Timeout bounds each message: connecting (when no connection waits)
	// and every exchange until the server has it.
	Timeout Duration `toml:"timeout"`
}

// SMS is [sms]: how codes are sent by text message.
type SMS struct {
	// Kind is "outbox" (the dev outbox; only in dev mode) or "gateway".
	Kind string `toml:"kind"`
	// Preset is "twilio" (a form POST with Basic authentication),
	// "json" (a JSON webhook with a bearer token) or "custom".
	Preset string `toml:"preset"`
	URL    string `toml:"url"`
	// Method is "POST", "PUT" or "GET"; empty means the preset's (POST).
	Method string `toml:"method"`
	// Format is how Body is encoded: "form" or "json"; empty means the
	// preset's.
	Format string `toml:"format"`
	// Body maps each field of the request to a template of its value, with
	// {{.To}} (E.164), {{.From}} and {{.Text}}; empty means the preset's.
	Body map[string]string `toml:"body"`
	// Headers are added to the request; a value may use {{.Token}}.
	Headers map[string]string `toml:"headers"`
	// Username is the Basic authentication user (Twilio: the account
	// SID); the token is its password.
	Username string `toml:"username"`
	// The token comes from a file or an environment variable, never from
	// this file.
	TokenFile string `toml:"token_file"`
	TokenEnv  string `toml:"token_env"`
	// From is the sender: a number or an alphanumeric sender id.
	From string `toml:"from"`
	// SuccessStatuses are the HTTP statuses that mean "accepted"; empty
	// means any 2xx.
	SuccessStatuses []int `toml:"success_statuses"`
	// Timeout bounds one request to the gateway.
	Timeout Duration `toml:"timeout"`
}

// Delivery is [delivery]: the queues in front of the senders, and the
// message templates.
type Delivery struct {
	// Workers deliver in parallel, per channel, on each server.
	Workers int `toml:"workers"`
	// NoticeLifetime is how long a message without a code in it (a
	// notification) is worth trying to deliver; a code is tried until it
	// expires.
	NoticeLifetime Duration `toml:"notice_lifetime"`
	// Backoff is the wait before the first retry; each next one waits
	// twice as long, at most MaxBackoff, with jitter.
	Backoff    Duration `toml:"backoff"`
	MaxBackoff Duration `toml:"max_backoff"`
	// AttemptTimeout bounds one attempt, queue side.
	AttemptTimeout Duration `toml:"attempt_timeout"`
	// Language picks the templates' folder, such as "en".
	Language string `toml:"language"`
	// TemplatesDir is the operator's folder of templates (LANGUAGE/NAME);
	// a file there replaces the shipped one of the same name. Empty: the
	// shipped ones only.
	TemplatesDir string `toml:"templates_dir"`
}

// The kinds of sender.
const (
	SenderOutbox  = "outbox"
	SenderSMTP    = "smtp"
	SenderGateway = "gateway"
)

func seconds(n int) Duration { return Duration{time.Duration(n) * time.Second} }

func defaultEmail() Email {
	return Email{Kind: SenderOutbox, Security: "starttls", Auth: "auto", Timeout: seconds(30)}
}

func defaultSMS() SMS {
	return SMS{Kind: SenderOutbox, Preset: "twilio", Body: map[string]string{}, Headers: map[string]string{},
		SuccessStatuses: []int{}, Timeout: seconds(10)}
}

func defaultDelivery() Delivery {
	return Delivery{Workers: 4, Backoff: seconds(5), MaxBackoff: minutes(5), NoticeLifetime: Duration{24 * time.Hour},
		AttemptTimeout: seconds(30), Language: "en"}
}

var (
	language   = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// validateDelivery checks [email], [sms] and [delivery].
func (c *Config) validateDelivery(v *validator) {
	e := c.Email
	v.oneOf("email.kind", e.Kind, SenderOutbox, SenderSMTP)
	v.oneOf("email.security", e.Security, "starttls", "tls", "plain")
	v.oneOf("email.auth", e.Auth, "auto", "plain", "login", "cram-md5", "none")
	v.between("email.port", e.Port, 0, 65535)
	v.duration("email.timeout", e.Timeout, time.Second, 5*time.Minute)
	v.secretSource("email.password_file", "email.password_env", e.PasswordFile, e.PasswordEnv)
	v.optionalFile("email.ca_file", e.CAFile)
	if e.From != "" {
		if a, err := mail.ParseAddress(e.From); err != nil || a.Address != e.From {
			v.add("email.from", "%q is not an email address such as \"password-reset@example.edu\"", e.From)
		}
	}
	if strings.ContainsAny(e.FromName, "\r\n") {
		v.add("email.from_name", "must be one line")
	}
	if e.HELO != "" && !domainName.MatchString(e.HELO) && e.HELO != "localhost" {
		v.add("email.helo", "%q is not a host name such as \"password.example.edu\"", e.HELO)
	}
	if e.Kind == SenderSMTP {
		v.nonEmpty("email.host", e.Host)
		v.nonEmpty("email.from", e.From)
		if e.Security == "plain" && e.Host != "" && !IsLoopback(net.JoinHostPort(e.Host, "25")) {
			// Codes in clear text over a network anyone on the path can
			// read: only to a relay on this machine.
			v.add("email.security", "\"plain\" (no TLS) is only allowed to a relay on a loopback address, not %q: use \"starttls\" or \"tls\"", e.Host)
		}
		hasSecret := e.PasswordFile != "" || e.PasswordEnv != ""
		switch {
		case e.Auth != "none" && e.Auth != "auto" && e.Username == "":
			v.add("email.username", "must be set for email.auth = %q", e.Auth)
		case e.Username != "" && e.Auth != "none" && !hasSecret:
			v.add("email.password_file", "email.username is set: give the password in email.password_file or email.password_env")
		}
	}

	s := c.SMS
	v.oneOf("sms.kind", s.Kind, SenderOutbox, SenderGateway)
	v.oneOf("sms.preset", s.Preset, "twilio", "json", "custom")
	if s.Method != "" {
		v.oneOf("sms.method", s.Method, "POST", "PUT", "GET")
	}
	if s.Format != "" {
		v.oneOf("sms.format", s.Format, "form", "json")
	}
	for k, val := range s.Body {
		if strings.TrimSpace(k) == "" {
			v.add("sms.body", "a field name is empty")
		}
		if _, err := template.New(k).Option("missingkey=error").Parse(val); err != nil {
			v.add("sms.body."+k, "%v", err)
		}
	}
	for k, val := range s.Headers {
		if !headerName.MatchString(k) {
			v.add("sms.headers", "%q is not a header name", k)
		}
		if strings.ContainsAny(val, "\r\n") {
			v.add("sms.headers."+k, "must be one line")
		}
		if _, err := template.New(k).Option("missingkey=error").Parse(val); err != nil {
			v.add("sms.headers."+k, "%v", err)
		}
	}
	for i, st := range s.SuccessStatuses {
		if st < 100 || st > 599 {
			v.add(fmt.Sprintf("sms.success_statuses[%d]", i), "%d is not an HTTP status", st)
		}
	}
	v.duration("sms.timeout", s.Timeout, time.Second, 2*time.Minute)
	v.secretSource("sms.token_file", "sms.token_env", s.TokenFile, s.TokenEnv)
	if s.Kind == SenderGateway {
		if s.URL == "" {
			v.add("sms.url", "must be set for sms.kind = \"gateway\"")
		} else if u, err := url.Parse(s.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			v.add("sms.url", "%q is not a web address such as \"https://sms.example.net/send\"", s.URL)
		} else if u.User != nil {
			v.add("sms.url", "must not hold a user name or password: use sms.username and sms.token_file")
		} else if u.Scheme == "http" && !IsLoopback(net.JoinHostPort(u.Hostname(), "80")) {
			v.add("sms.url", "%q must use https:// (http:// only to a gateway on a loopback address)", s.URL)
		}
		hasToken := s.TokenFile != "" || s.TokenEnv != ""
		switch s.Preset {
		case "twilio":
			if s.Username == "" {
				v.add("sms.username", "must be set for sms.preset = \"twilio\" (the account SID)")
			}
			if !hasToken {
				v.add("sms.token_file", "sms.preset = \"twilio\" needs the auth token in sms.token_file or sms.token_env")
			}
			v.nonEmpty("sms.from", s.From)
		case "custom":
			if len(s.Body) == 0 && s.Method != "GET" {
				v.add("sms.body", "must be set for sms.preset = \"custom\"")
			}
			if s.Format == "" {
				v.add("sms.format", "must be \"form\" or \"json\" for sms.preset = \"custom\"")
			}
		}
		if s.Username != "" && !hasToken {
			v.add("sms.token_file", "sms.username is set: give its password in sms.token_file or sms.token_env")
		}
	}

	d := c.Delivery
	v.between("delivery.workers", d.Workers, 1, 256)
	v.duration("delivery.notice_lifetime", d.NoticeLifetime, time.Minute, 7*24*time.Hour)
	v.duration("delivery.backoff", d.Backoff, 100*time.Millisecond, time.Hour)
	v.duration("delivery.max_backoff", d.MaxBackoff, d.Backoff.Duration, 24*time.Hour)
	v.duration("delivery.attempt_timeout", d.AttemptTimeout, time.Second, 5*time.Minute)
	if !language.MatchString(d.Language) {
		v.add("delivery.language", "%q is not a language code such as \"en\" or \"pt-BR\"", d.Language)
	}
	if d.TemplatesDir != "" {
		if fi, err := os.Stat(d.TemplatesDir); err != nil {
			v.add("delivery.templates_dir", "%v", err)
		} else if !fi.IsDir() {
			v.add("delivery.templates_dir", "%s is not a folder", d.TemplatesDir)
		}
	}
}

// secretSource checks that at most one of a secret's two sources is named.
func (v *validator) secretSource(fileKey, envKey, file, env string) {
	if file != "" && env != "" {
		v.add(fileKey, "set %s or %s, not both", fileKey, envKey)
	}
	if env != "" && !envName.MatchString(env) {
		v.add(envKey, "%q is not an environment variable name", env)
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (v *validator) optionalFile(key, path string) {
	if path == "" {
		return
	}
	if fi, err := os.Stat(path); err != nil {
		v.add(key, "%v", err)
	} else if fi.IsDir() {
		v.add(key, "%s is a folder, not a file", path)
	}
}

// CheckDeliveryForServe refuses, outside dev mode, a sender that delivers
// nothing: email.kind = "outbox" (every notification goes by email), and
// sms.kind = "outbox" when flow.methods offers SMS.
func (c *Config) CheckDeliveryForServe(dev bool) error {
	if dev {
		return nil
	}
	v := &validator{}
	if c.Email.Kind == SenderOutbox {
		v.add("email.kind", "\"outbox\" delivers nothing and only works with --dev: set it to \"smtp\" and fill in [email] (see docs/DELIVERY.md)")
	}
	if c.SMS.Kind == SenderOutbox && slices.Contains(c.Flow.Methods, MethodSMS) {
		v.add("sms.kind", "\"outbox\" delivers nothing and only works with --dev: set it to \"gateway\" and fill in [sms], or take \"sms\" out of flow.methods")
	}
	return v.err()
}

// ReadSecret returns the secret named by a file or an environment
// variable (file wins; "" if neither is set). A file's trailing newline is
// dropped. Errors name the key, never the secret.
func ReadSecret(fileKey, envKey, file, env string) (string, error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("config: %s: %w", fileKey, err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", fmt.Errorf("config: %s: %s is empty", fileKey, file)
		}
		return s, nil
	case env != "":
		s, ok := os.LookupEnv(env)
		if !ok || s == "" {
			return "", fmt.Errorf("config: %s: the environment variable %s is not set or empty", envKey, env)
		}
		return s, nil
	}
	return "", nil
}

// SMTPPort is email.port, or the usual port of email.security.
func (e Email) SMTPPort() int {
	if e.Port != 0 {
		return e.Port
	}
	switch e.Security {
	case "tls":
		return 465
	case "plain":
		return 25
	}
	return 587
}

// CanonicalHeaders is Headers with canonical names, for the sender.
func (s SMS) CanonicalHeaders() map[string]string {
	out := map[string]string{}
	for k, v := range s.Headers {
		out[textproto.CanonicalMIMEHeaderKey(k)] = v
	}
	return out
}
