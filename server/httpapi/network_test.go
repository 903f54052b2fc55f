package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// docs/SECURITY.md#ipv6: an IPv6 client is counted by its network, not by
// its address, since one subscriber holds a whole /64 (2^64 addresses); the
// audit and the logs still get the full address.

// recordingEngine is an engine that only records who called: the client a
// flow starts for, and the clients' keys CAPTCHAs were counted under.
type recordingEngine struct {
	httpapi.Engine // nil: any other call is a bug of the test
	mu             sync.Mutex
	client         sspr.Client
	counted        []string
}

func (e *recordingEngine) Start(_ context.Context, _ string, c sspr.Client) (api.Flow, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.client = c
	return api.Flow{ID: "f", State: api.StateChooseIntent}, nil
}

func (e *recordingEngine) CountCaptcha(_ context.Context, c sspr.Client, _ selfservice.Limit) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counted = append(e.counted, c.Key())
	return nil
}

func (e *recordingEngine) Cancel(context.Context, string) error { return nil }

// anyCaptcha passes every answer.
type anyCaptcha struct{}

func (anyCaptcha) Create(context.Context) (api.Captcha, error) { return api.Captcha{ID: "c"}, nil }
func (anyCaptcha) Verify(context.Context, string, string) (bool, error) {
	return true, nil
}
func (anyCaptcha) Picture(context.Context) (api.Captcha, time.Time, error) {
	return api.Captcha{ID: "c"}, time.Time{}, nil
}
func (anyCaptcha) Sound(context.Context, string) ([]byte, error) { return nil, nil }
func (anyCaptcha) Extend(context.Context, string) (time.Time, time.Time, error) {
	return time.Time{}, time.Time{}, nil
}

func TestClientNetwork(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name       string
		prefix     int // Options.IPv6Prefix
		remoteAddr string
		xff        string
		addr, net  string
	}{
		{"IPv4", 0, "192.0.2.7:5555", "", "192.0.2.7", "192.0.2.7"},
		{"IPv4-mapped IPv6 is IPv4", 0, "[::ffff:192.0.2.7]:5555", "", "192.0.2.7", "192.0.2.7"},
		{"IPv6 by its /64", 0, "[2001:db8:1:2::1]:5555", "", "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"IPv6 by its /64, any interface id", 0, "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5555", "", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"IPv6 by a configured /56", 56, "[2001:db8:1:2::1]:5555", "", "2001:db8:1:2::1", "2001:db8:1::/56"},
		{"IPv6 by a configured /48", 48, "[2001:db8:1:ff02::1]:5555", "", "2001:db8:1:ff02::1", "2001:db8:1::/48"},
		{"IPv6 by a configured /128", 128, "[2001:db8:1:2::1]:5555", "", "2001:db8:1:2::1", "2001:db8:1:2::1/128"},
		{"IPv6 out of range is /64", 200, "[2001:db8:1:2::1]:5555", "", "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"IPv6 zone dropped from the network", 0, "[fe80::1%eth0]:5555", "", "fe80::1%eth0", "fe80::/64"},
		{"IPv6 behind a trusted proxy", 0, "10.0.0.1:5555", "2001:db8:1:2::99", "2001:db8:1:2::99", "2001:db8:1:2::/64"},
		{"IPv6 behind an IPv6 trusted proxy", 0, "[fd00::1]:5555", "203.0.113.1, 2001:db8:9:9::9", "2001:db8:9:9::9", "2001:db8:9:9::/64"},
		{"IPv4 behind a trusted proxy", 0, "10.0.0.1:5555", "::ffff:198.51.100.4", "198.51.100.4", "198.51.100.4"},
		{"spoofed header from anyone else", 0, "[2001:db8:7:7::7]:5555", "2001:db8:1:2::1", "2001:db8:7:7::7", "2001:db8:7:7::/64"},
		{"unparseable peer", 0, "pipe", "", "pipe", "pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := &recordingEngine{}
			h := httpapi.New(httpapi.Options{
				Engine: eng, Captcha: anyCaptcha{}, Dev: true, TrustedProxies: proxies, IPv6Prefix: tc.prefix,
				SessionAuthKey: make([]byte, 64), SessionEncKey: make([]byte, 32),
			})
			post := func(path, body string) {
				t.Helper()
				req := httptest.NewRequest("POST", "http://127.0.0.1"+path, bytes.NewBufferString(body))
				req.RemoteAddr = tc.remoteAddr
				req.Header.Set("Content-Type", "application/json")
				if tc.xff != "" {
					req.Header.Set("X-Forwarded-For", tc.xff)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code >= 300 {
					t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
			}
			post(api.PathCaptcha, "")
			post(api.PathFlows, `{"user":"alice","captcha":{"id":"c","answer":"1"}}`)
			if want := []string{tc.net}; len(eng.counted) != 1 || eng.counted[0] != want[0] {
				t.Errorf("CAPTCHA counted as %q, want %q", eng.counted, want)
			}
			if eng.client.Addr != tc.addr || eng.client.Net != tc.net || eng.client.Key() != tc.net {
				t.Errorf("client %+v (key %q), want addr %q net %q", eng.client, eng.client.Key(), tc.addr, tc.net)
			}
		})
	}
}

// CAPTCHAs are counted per network through the whole portal: the limit
// holds across every address of a /64 (or of the configured prefix), and
// another network has its own. Counted by single addresses, as before,
// every request here would pass.
func TestCaptchaLimitPerNetwork(t *testing.T) {
	const limit = 3
	type step struct {
		addr string
		want int
	}
	for _, tc := range []struct {
		name   string
		prefix int
		proxy  bool // through a trusted proxy, by X-Forwarded-For
		steps  []step
	}{
		{"IPv6 /64", 0, false, []step{
			{"2001:db8:1:2::1", 201}, {"2001:db8:1:2::2", 201}, {"2001:db8:1:2::3", 201},
			{"2001:db8:1:2::4", 429}, {"2001:db8:1:2:ffff:ffff:ffff:ffff", 429}, {"2001:db8:1:2::1", 429},
			{"2001:db8:1:3::1", 201}, // the next /64
			{"2001:db8:2:2::1", 201},
		}},
		{"IPv6 /64 behind a proxy", 0, true, []step{
			{"2001:db8:1:2::1", 201}, {"2001:db8:1:2::2", 201}, {"2001:db8:1:2::3", 201},
			{"2001:db8:1:2::4", 429},
			{"2001:db8:1:3::1", 201},
		}},
		{"IPv6 /56", 56, false, []step{
			{"2001:db8:1:2::1", 201}, {"2001:db8:1:3::1", 201}, {"2001:db8:1:ff::1", 201},
			{"2001:db8:1:10::1", 429},  // the same /56, another /64
			{"2001:db8:1:100::1", 201}, // the next /56
		}},
		{"IPv6 /56 behind a proxy", 56, true, []step{
			{"2001:db8:1:2::1", 201}, {"2001:db8:1:3::1", 201}, {"2001:db8:1:ff::1", 201},
			{"2001:db8:1:10::1", 429},
			{"2001:db8:1:100::1", 201},
		}},
		{"IPv4 by address", 0, false, []step{
			{"192.0.2.1", 201}, {"192.0.2.1", 201}, {"::ffff:192.0.2.1", 201},
			{"192.0.2.1", 429},
			{"192.0.2.2", 201}, // IPv4 is never grouped
		}},
		{"IPv4 by address behind a proxy", 0, true, []step{
			{"192.0.2.1", 201}, {"192.0.2.1", 201}, {"192.0.2.1", 201},
			{"::ffff:192.0.2.1", 429},
			{"192.0.2.2", 201},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigConfig{options: func(o *httpapi.Options) {
				o.CaptchaLimit = selfservice.Limit{Max: limit, Window: 10 * time.Minute}
				o.IPv6Prefix = tc.prefix
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			}})
			for i, s := range tc.steps {
				c := r.from(hostPort(s.addr))
				if tc.proxy {
					c = r.behind("10.1.2.3:40000", s.addr)
				}
				res := c.do("POST", api.PathCaptcha, nil)
				if res.status != s.want {
					t.Fatalf("step %d, %s: status %d, want %d: %.200s", i, s.addr, res.status, s.want, res.body)
				}
				if s.want == 429 && res.err(t).Code != api.CodeThrottled {
					t.Fatalf("step %d, %s: %s", i, s.addr, res.body)
				}
			}
		})
	}
}

// hostPort is addr as a peer's RemoteAddr.
func hostPort(addr string) string {
	return netip.AddrPortFrom(netip.MustParseAddr(addr), 40000).String()
}

// docs/SECURITY.md#readyz-details: /readyz tells which backend failed only
// to monitoring (loopback, or server.monitoring); anyone else gets the
// status alone, with the same HTTP status.
func TestReadyzDetailsForMonitoringOnly(t *testing.T) {
	failing := []httpapi.Check{
		{Name: "directory", Check: func(context.Context) error { return nil }},
		{Name: "state", Check: func(context.Context) error { return errors.New("down") }},
		{Name: "email", Check: func(context.Context) error { return errors.New("slow") }, Degrades: true},
	}
	degraded := []httpapi.Check{failing[0], failing[2]}
	opts := func(ready []httpapi.Check) httpapi.Options {
		return httpapi.Options{
			Dev: true, SessionAuthKey: make([]byte, 64), SessionEncKey: make([]byte, 32), Ready: ready, Version: "v9.8.7",
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
			Monitoring:     []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8:ffff::/48")},
		}
	}
	for _, tc := range []struct {
		name       string
		remoteAddr string
		xff        string
		details    bool
	}{
		{"loopback", "127.0.0.1:5555", "", true},
		{"IPv6 loopback", "[::1]:5555", "", true},
		{"monitoring network", "192.0.2.9:5555", "", true},
		{"monitoring network, IPv4-mapped", "[::ffff:192.0.2.9]:5555", "", true},
		{"monitoring IPv6 network", "[2001:db8:ffff:1::5]:5555", "", true},
		{"anyone", "198.51.100.1:5555", "", false},
		{"anyone over IPv6", "[2001:db8:1:2::1]:5555", "", false},
		{"anyone claiming loopback", "198.51.100.1:5555", "127.0.0.1", false},
		{"anyone claiming monitoring", "198.51.100.1:5555", "192.0.2.9", false},
		{"monitoring behind a proxy on this host", "127.0.0.1:5555", "192.0.2.9", true},
		{"anyone behind a proxy on this host", "127.0.0.1:5555", "198.51.100.1", false},
		{"anyone behind a proxy on this host, claiming loopback", "[::1]:5555", "127.0.0.1, 198.51.100.1", false},
	} {
		for _, ready := range []struct {
			name   string
			checks []httpapi.Check
			status int
			body   string
		}{
			{"unavailable", failing, 503, "unavailable"},
			{"degraded", degraded, 200, "degraded"},
		} {
			t.Run(tc.name+"/"+ready.name, func(t *testing.T) {
				h := httpapi.New(opts(ready.checks))
				req := httptest.NewRequest("GET", "http://10.9.9.9/readyz", nil) // a balancer probes by address
				req.RemoteAddr = tc.remoteAddr
				if tc.xff != "" {
					req.Header.Set("X-Forwarded-For", tc.xff)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != ready.status {
					t.Fatalf("status %d, want %d", rec.Code, ready.status)
				}
				var body map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				if body["status"] != ready.body {
					t.Errorf("status %v, want %q", body["status"], ready.body)
				}
				if tc.details {
					checks, _ := body["checks"].(map[string]any)
					if len(body) != 2 || len(checks) != len(ready.checks) || checks["email"] != "degraded" {
						t.Errorf("monitoring got %s", rec.Body)
					}
				} else if len(body) != 1 {
					t.Errorf("details for anyone: %s", rec.Body)
				}
			})
		}
		// /healthz: the build's version for monitoring only.
		t.Run(tc.name+"/healthz", func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://10.9.9.9/healthz", nil)
			req.RemoteAddr = tc.remoteAddr
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			rec := httptest.NewRecorder()
			httpapi.New(opts(nil)).ServeHTTP(rec, req)
			shown := strings.Contains(rec.Body.String(), `"version":"v9.8.7"`)
			if rec.Code != http.StatusOK || shown != tc.details {
				t.Errorf("/healthz = %d %s; version shown %v, want %v", rec.Code, rec.Body, shown, tc.details)
			}
		})
	}
}
