package smsgateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/smsgateway"
)

// recorded is one request the fake gateway received.
type recorded struct {
	Method, Path, ContentType, Auth string
	Header                          http.Header
	Body                            string
}

// fake is an httptest server standing in for the gateway: it records each
// request and answers status (and echoes the body, as some gateways do).
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	status int
	delay  time.Duration
}

func newFake(t *testing.T, status int) *fake {
	f := &fake{status: status}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.Header.Clone(), string(b)})
		st, d := f.status, f.delay
		f.mu.Unlock()
		if d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(st)
		w.Write(b) // an echo: must never reach an error
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

var org = notify.Org{Name: "Example University"}

func codeMsg() notify.Message {
	return notify.CodeMessage(notify.SMS, "+447700900123", "16180339", 10*time.Minute, org)
}

func mustNew(t *testing.T, preset string, mod func(*smsgateway.Config)) *smsgateway.Gateway {
	t.Helper()
	c, err := smsgateway.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&c)
	}
	g, err := smsgateway.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func send(g *smsgateway.Gateway, m notify.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return g.Send(ctx, m)
}

func TestPresets(t *testing.T) {
	t.Run("twilio", func(t *testing.T) {
		f := newFake(t, http.StatusCreated)
		g := mustNew(t, "twilio", func(c *smsgateway.Config) {
			c.URL = f.URL + "/2010-04-01/Accounts/AC123/Messages.json"
			c.Username, c.Token, c.From = "AC123", "tw-token-xyz", "+15005550006"
		})
		m := codeMsg()
		if err := send(g, m); err != nil {
			t.Fatal(err)
		}
		r := f.requests()[0]
		wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("AC123:tw-token-xyz"))
		if r.Method != "POST" || r.Path != "/2010-04-01/Accounts/AC123/Messages.json" ||
			r.ContentType != "application/x-www-form-urlencoded" || r.Auth != wantAuth {
			t.Fatalf("request %+v", r)
		}
		want := url.Values{"To": {"+447700900123"}, "From": {"+15005550006"}, "Body": {m.Body}}.Encode()
		if r.Body != want {
			t.Fatalf("body\n got %s\nwant %s", r.Body, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		f := newFake(t, http.StatusAccepted)
		g := mustNew(t, "json", func(c *smsgateway.Config) {
			c.URL, c.Token, c.From = f.URL+"/send", "json-token-abc", "ExampleUni"
			c.Headers = map[string]string{"X-Tenant": "uni"}
		})
		m := codeMsg()
		if err := send(g, m); err != nil {
			t.Fatal(err)
		}
		r := f.requests()[0]
		if r.Method != "POST" || r.Path != "/send" || r.ContentType != "application/json" ||
			r.Auth != "Bearer json-token-abc" || r.Header.Get("X-Tenant") != "uni" {
			t.Fatalf("request %+v", r)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got["to"] != "+447700900123" || got["from"] != "ExampleUni" || got["text"] != m.Body {
			t.Fatalf("body %s", r.Body)
		}
	})
	t.Run("custom GET with a header token", func(t *testing.T) {
		f := newFake(t, http.StatusOK)
		g := mustNew(t, "custom", func(c *smsgateway.Config) {
			c.URL, c.Method, c.Format, c.Token = f.URL+"/api", "GET", "form", "hdr-token"
			c.Body = map[string]string{"number": "{{.To}}", "msg": "{{.Text}}"}
			c.Headers = map[string]string{"X-Api-Key": "{{.Token}}"}
		})
		if err := send(g, codeMsg()); err != nil {
			t.Fatal(err)
		}
		r := f.requests()[0]
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/api?") || r.Header.Get("X-Api-Key") != "hdr-token" || r.Auth != "" {
			t.Fatalf("request %+v", r)
		}
	})
	t.Run("ErrUnknownPreset", func(t *testing.T) {
		if _, err := smsgateway.Preset("nope"); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name               string
		status             int
		delay              time.Duration
		permanent, refused bool
	}{
		{"500 is retried", 500, 0, false, false},
		{"503 is retried", 503, 0, false, false},
		{"429 is retried", 429, 0, false, false},
		{"a timeout is retried", 200, 2 * time.Second, false, false},
		{"401 is the sender's", 401, 0, true, false},
		{"400 is this number's", 400, 0, true, true},
		{"a status not listed", 204, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status)
			f.delay = tt.delay
			g := mustNew(t, "twilio", func(c *smsgateway.Config) {
				c.URL, c.Username, c.Token, c.From = f.URL, "AC1", "secret-token", "+15005550006"
				c.Timeout = 200 * time.Millisecond
			})
			err := send(g, codeMsg())
			if err == nil {
				t.Fatal("no error")
			}
			if notify.IsPermanent(err) != tt.permanent || notify.IsRefused(err) != tt.refused {
				t.Fatalf("%v: permanent %v refused %v", err, notify.IsPermanent(err), notify.IsRefused(err))
			}
			// The gateway echoed the text: neither it, the code nor the
			// token may reach the error, which is logged.
			for _, s := range []string{"16180339", "verification", "secret-token"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error has %q: %v", s, err)
				}
			}
		})
	}
	t.Run("ErrNotE164", func(t *testing.T) {
		f := newFake(t, 200)
		g := mustNew(t, "json", func(c *smsgateway.Config) { c.URL = f.URL })
		m := codeMsg()
		m.To = "07700 900123"
		if err := send(g, m); !notify.IsRefused(err) {
			t.Fatalf("err %v, want refused", err)
		}
		if len(f.requests()) != 0 {
			t.Fatal("sent anyway")
		}
	})
}
