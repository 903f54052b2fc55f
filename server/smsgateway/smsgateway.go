// Package smsgateway is the SMS Sender: one HTTP request per text to a
// gateway, built from a preset ("twilio": a form POST with Basic
// authentication; "json": a JSON webhook with a bearer token) or from the
// operator's own method, body template and headers.
//
// The request body is built field by field (a form, or a flat JSON object
// of strings), each value from a template, and encoded by the standard
// library: a code or a number can never break out of its field. Errors
// carry the status and never the gateway's response body, which may echo
// the text and its code: the queue logs them.
package smsgateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Formats of the request body.
const (
	FormatForm = "form"
	FormatJSON = "json"
)

// Config is a gateway. Build it with Preset, then adjust.
type Config struct {
	URL    string
	Method string // POST, PUT or GET (GET sends the fields in the query)
	Format string // FormatForm or FormatJSON
	// Body maps each field to a template of its value, with .To (E.164),
	// .From and .Text.
	Body map[string]string
	// Headers are templates too, with .Token.
	Headers map[string]string
	// Username, when set, sends Basic authentication with Token as the
	// password.
	Username string
	Token    string
	// Bearer, when Token is set and Username is not, sends
	// "Authorization: Bearer TOKEN".
	Bearer bool
	From   string
	// Success lists the statuses that mean "accepted"; empty means 2xx.
	Success []int
	// Timeout bounds a request; 0 means 10 s.
	Timeout time.Duration
	// Client is the HTTP client; nil means one with Timeout.
	Client *http.Client
}

// Preset returns the configuration of a named preset: "twilio", "json" or
// "custom" (nothing filled in).
func Preset(name string) (Config, error) {
	switch name {
	case "twilio":
		// Twilio's Messages API: POST .../Accounts/{SID}/Messages.json,
		// form fields To, From, Body, Basic auth SID:token; 201 Created.
		return Config{Method: http.MethodPost, Format: FormatForm,
			Body:    map[string]string{"To": "{{.To}}", "From": "{{.From}}", "Body": "{{.Text}}"},
			Headers: map[string]string{}, Success: []int{200, 201}}, nil
	case "json":
		return Config{Method: http.MethodPost, Format: FormatJSON,
			Body:    map[string]string{"to": "{{.To}}", "from": "{{.From}}", "text": "{{.Text}}"},
			Headers: map[string]string{}, Bearer: true}, nil
	case "custom":
		return Config{Method: http.MethodPost, Body: map[string]string{}, Headers: map[string]string{}}, nil
	}
	return Config{}, fmt.Errorf("smsgateway: no preset %q: use \"twilio\", \"json\" or \"custom\"", name)
}

var _ sspr.Sender = (*Gateway)(nil)

// Gateway sends texts through one HTTP gateway. It is safe for concurrent
// use.
type Gateway struct {
	c       Config
	url     *url.URL
	client  *http.Client
	body    map[string]*template.Template
	keys    []string // Body's fields, sorted: the same request every time
	headers map[string]*template.Template
}

// E164 is a number in E.164 form: "+", a country code, at most 15 digits.
var E164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// New checks c and returns a Gateway.
func New(c Config) (*Gateway, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("smsgateway: url %q is not a web address", c.URL)
	}
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	if !slices.Contains([]string{http.MethodPost, http.MethodPut, http.MethodGet}, c.Method) {
		return nil, fmt.Errorf("smsgateway: method %q", c.Method)
	}
	if c.Format != FormatForm && c.Format != FormatJSON {
		return nil, fmt.Errorf("smsgateway: format %q: use %q or %q", c.Format, FormatForm, FormatJSON)
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	g := &Gateway{c: c, url: u, client: c.Client, body: map[string]*template.Template{}, headers: map[string]*template.Template{}}
	if g.client == nil {
		g.client = &http.Client{Timeout: c.Timeout,
			// A redirect would resend the token elsewhere: refuse it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	for k, v := range c.Body {
		t, err := template.New("sms.body." + k).Option("missingkey=error").Parse(v)
		if err != nil {
			return nil, fmt.Errorf("smsgateway: %w", err)
		}
		g.body[k] = t
		g.keys = append(g.keys, k)
	}
	sort.Strings(g.keys)
	for k, v := range c.Headers {
		t, err := template.New("sms.headers." + k).Option("missingkey=error").Parse(v)
		if err != nil {
			return nil, fmt.Errorf("smsgateway: %w", err)
		}
		g.headers[http.CanonicalHeaderKey(k)] = t
	}
	return g, nil
}

type bodyData struct{ To, From, Text string }

// Send texts m.Body to m.To.
func (g *Gateway) Send(ctx context.Context, m notify.Message) error {
	if m.Channel != "" && m.Channel != notify.SMS {
		return notify.Permanent(fmt.Errorf("smsgateway: a %s message", m.Channel))
	}
	if !E164.MatchString(m.To) {
		return notify.Refused(fmt.Errorf("smsgateway: %q is not a number in E.164 form", m.To))
	}
	req, err := g.request(ctx, m)
	if err != nil {
		return notify.Permanent(err)
	}
	start := time.Now()
	res, err := g.client.Do(req)
	if err != nil {
		// url.Error names the URL, which holds no secret (the config
		// refuses credentials in it).
		return fmt.Errorf("smsgateway: %w", errors.Unwrap(err))
	}
	defer res.Body.Close()
	// Read a little so the connection can be reused; never log it: the
	// gateway may echo the text, and with it the code.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if g.ok(res.StatusCode) {
		return nil
	}
	err = fmt.Errorf("smsgateway: %s answered %s after %v", g.url.Redacted(), res.Status, time.Since(start).Round(time.Millisecond))
	switch {
	case res.StatusCode >= 500, res.StatusCode == http.StatusTooManyRequests, res.StatusCode == http.StatusRequestTimeout:
		return err
	case res.StatusCode == http.StatusUnauthorized, res.StatusCode == http.StatusForbidden,
		res.StatusCode == http.StatusNotFound, res.StatusCode == http.StatusMethodNotAllowed:
		// The gateway refuses us, whatever the number: the sender is
		// broken until an operator acts.
		return notify.Permanent(err)
	case res.StatusCode >= 400:
		// Most often this number (invalid, blocked, unreachable).
		return notify.Refused(err)
	}
	// A 1xx or 3xx (redirects are not followed) that isn't listed.
	return notify.Permanent(err)
}

func (g *Gateway) ok(status int) bool {
	if len(g.c.Success) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(g.c.Success, status)
}

// request builds the HTTP request of one text.
func (g *Gateway) request(ctx context.Context, m notify.Message) (*http.Request, error) {
	d := bodyData{To: m.To, From: g.c.From, Text: m.Body}
	fields := make(map[string]string, len(g.body))
	var b strings.Builder
	for _, k := range g.keys {
		b.Reset()
		if err := g.body[k].Execute(&b, d); err != nil {
			return nil, fmt.Errorf("smsgateway: sms.body.%s: %w", k, errors.New(strings.ReplaceAll(err.Error(), m.Body, "…")))
		}
		fields[k] = b.String()
	}
	u := *g.url
	var body io.Reader
	contentType := ""
	switch {
	case g.c.Method == http.MethodGet:
		q := u.Query()
		for _, k := range g.keys {
			q.Set(k, fields[k])
		}
		u.RawQuery = q.Encode()
	case g.c.Format == FormatJSON:
		j, err := json.Marshal(fields) // map keys sorted by encoding/json
		if err != nil {
			return nil, err
		}
		body, contentType = bytes.NewReader(j), "application/json"
	default:
		form := url.Values{}
		for _, k := range g.keys {
			form.Set(k, fields[k])
		}
		body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(ctx, g.c.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("smsgateway: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "sspr")
	for k, t := range g.headers {
		b.Reset()
		if err := t.Execute(&b, struct{ Token string }{g.c.Token}); err != nil {
			return nil, fmt.Errorf("smsgateway: sms.headers.%s: %w", k, err)
		}
		req.Header.Set(k, b.String())
	}
	switch {
	case g.c.Username != "":
		req.SetBasicAuth(g.c.Username, g.c.Token)
	case g.c.Bearer && g.c.Token != "":
		req.Header.Set("Authorization", "Bearer "+g.c.Token)
	}
	return req, nil
}
