package httpapi_test

import (
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/logctx"
)

// observed is a RequestObserver that keeps what it was told.
type observed struct {
	mu   sync.Mutex
	seen []string // "route status"
}

func (o *observed) Request(route string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, route+" "+http.StatusText(status))
}

// logRig is the rig with its log kept (as the portal makes it, request
// ids added), a trusted proxy at 10.0.0.1, and its requests observed.
func logRig(t *testing.T) (*rig, *testkit.LogBuffer, *observed) {
	log, lb := testkit.NewLog()
	obs := &observed{}
	r := newRig(t, rigConfig{options: func(o *httpapi.Options) {
		o.Log = logctx.New(log)
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}
		o.Requests = obs
	}})
	return r, lb, obs
}

var madeID = regexp.MustCompile(`^[A-Za-z0-9_-]{16}$`)

func TestRequestID(t *testing.T) {
	r, lb, _ := logRig(t)

	// Made when nobody trusted sent one.
	made := r.from("192.0.2.1:1234").want(http.StatusOK, r.from("192.0.2.1:1234").do("GET", api.PathConfig, nil))
	id := made.header.Get("X-Request-Id")
	if !madeID.MatchString(id) {
		t.Fatalf("made id %q", id)
	}
	other := r.from("192.0.2.1:1234").do("GET", api.PathConfig, nil).header.Get("X-Request-Id")
	if other == id {
		t.Fatal("two requests, one id")
	}

	// A client's own is ignored: anyone could send one.
	c := r.from("192.0.2.1:1234")
	c.header.Set("X-Request-Id", "client-chosen-1")
	if got := c.do("GET", api.PathConfig, nil).header.Get("X-Request-Id"); got == "client-chosen-1" || !madeID.MatchString(got) {
		t.Errorf("an untrusted client's id was kept: %q", got)
	}

	// A trusted proxy's is kept, and names the request's log lines.
	p := r.behind("10.0.0.1:5555", "198.51.100.7")
	p.header.Set("X-Request-Id", "6f1c9a2e-1f00-4b8e-9d51-0c3a3a0f9e11")
	if got := p.do("GET", api.PathConfig, nil).header.Get("X-Request-Id"); got != "6f1c9a2e-1f00-4b8e-9d51-0c3a3a0f9e11" {
		t.Errorf("the trusted proxy's id was replaced: %q", got)
	}
	if !strings.Contains(lb.String(), "request_id=6f1c9a2e-1f00-4b8e-9d51-0c3a3a0f9e11") {
		t.Errorf("the proxy's id is not in the log:\n%s", lb.String())
	}

	// One that could forge a log line is made anew, even from the proxy.
	for _, bad := range []string{"a b", `x" msg=forged`, "x\nmsg=forged", strings.Repeat("a", 129)} {
		p.header.Set("X-Request-Id", bad)
		if got := p.do("GET", api.PathConfig, nil).header.Get("X-Request-Id"); !madeID.MatchString(got) {
			t.Errorf("id %q kept as %q", bad, got)
		}
	}
}

// The access line: one per request, with its route (the pattern, not the
// path), method, status, duration, client and request id; never the body
// (a password, a code) nor the query.
func TestAccessLog(t *testing.T) {
	r, lb, obs := logRig(t)
	c := r.behind("10.0.0.1:5555", "198.51.100.7")
	c.startWith("alice", api.IntentReset)
	c.want(http.StatusOK, c.do("POST", api.PathFlowEmailSend, nil))
	code := r.sent.code(t, "alice.alt@example.net")
	wrong := wrongCode(code)
	c.do("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: wrong})
	c.want(http.StatusOK, c.do("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}))
	c.passQuestions("blue fox")
	pw := "Correct-Horse-Battery-42"
	res := c.want(http.StatusOK, c.do("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw}))
	id := res.header.Get("X-Request-Id")
	c.do("GET", "/api/v1/no/such/thing?token=secret-query", nil)

	var line string
	for l := range strings.Lines(lb.String()) {
		if strings.Contains(l, "msg=request") && strings.Contains(l, "request_id="+id) {
			line = l
		}
	}
	for _, want := range []string{`route="POST /api/v1/flows/current/password"`, "method=POST", "status=200",
		"client=198.51.100.7", "level=INFO"} {
		if !strings.Contains(line, want) {
			t.Errorf("the access line lacks %s: %q", want, line)
		}
	}
	if !regexp.MustCompile(` duration=[0-9.]+(ns|µs|ms|s) `).MatchString(line) {
		t.Errorf("duration not a readable duration: %q", line)
	}
	log := lb.String()
	lb.NoSecret(t, pw, code, wrong, "blue fox", "secret-query", "no/such/thing")
	if strings.Count(log, "msg=request ") != len(obs.seen) {
		t.Errorf("%d access lines, %d requests observed", strings.Count(log, "msg=request "), len(obs.seen))
	}
	if !regexp.MustCompile(`msg=request request_id=\S+ route=/api/ method=GET status=404`).MatchString(log) {
		t.Errorf("no access line of the unknown path by its pattern:\n%s", log)
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	for _, want := range []string{"POST /api/v1/flows Created", "POST /api/v1/flows/current/email/verify Bad Request",
		"POST /api/v1/flows/current/password OK", "/api/ Not Found"} {
		found := false
		for _, s := range obs.seen {
			found = found || s == want
		}
		if !found {
			t.Errorf("not observed: %q in %q", want, obs.seen)
		}
	}
}

// A health check is logged at DEBUG, so that a load balancer's probes
// don't drown the log; a request no route took is "none".
func TestAccessLogLevels(t *testing.T) {
	r, lb, obs := logRig(t)
	c := r.from("192.0.2.1:1234")
	c.do("GET", api.PathHealthz, nil)
	if !regexp.MustCompile(`level=DEBUG msg=request request_id=\S+ route="GET /healthz"`).MatchString(lb.String()) {
		t.Errorf("health check:\n%s", lb.String())
	}
	c.do("GET", "/not-api", nil) // no Web handler in the rig: the mux's own 404
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if last := obs.seen[len(obs.seen)-1]; last != " Not Found" {
		t.Errorf("unrouted request observed as %q", last)
	}
	if !strings.Contains(lb.String(), `route=none method=GET status=404`) {
		t.Errorf("unrouted request:\n%s", lb.String())
	}
}
