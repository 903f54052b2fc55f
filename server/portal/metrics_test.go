package portal_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/portal"
)

// withMetrics turns the metrics on (the listener itself is `sspr serve`'s).
func withMetrics(c *config.Config) { c.Metrics.Listen = "127.0.0.1:0" }

// scrape reads the portal's metrics as a scraper does.
func (e *env) scrape(t *testing.T) string {
	t.Helper()
	h := e.portal.MetricsHandler()
	if h == nil {
		t.Fatal("no metrics handler")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + portal.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", res.StatusCode, b)
	}
	return string(b)
}

// sample is the value of the series written exactly as series in the
// scrape (name{labels} in the order the registry writes them); -1: none.
func sample(scrape, series string) float64 {
	for line := range strings.Lines(scrape) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// A whole reset through the API moves the counters as the audit says it
// went, and the scrape names nobody: no user id, address, number or
// client address in any label.
func TestMetricsOfAReset(t *testing.T) {
	e := newEnv(t, withMetrics)
	if e.portal.MetricsListen() != "127.0.0.1:0" {
		t.Fatalf("MetricsListen %q", e.portal.MetricsListen())
	}
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailSend, nil))
	code, _ := c.waitCode("alice.alt@example.net", 0)
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	c.wantError(c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: wrong}), http.StatusBadRequest, api.CodeCodeInvalid)
	c.ok(http.StatusOK, c.call("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code}))
	c.passSMS("07700 900123", "+447700900123")
	pw := "Correct-Horse-Battery-42"
	f := c.ok(http.StatusOK, c.call("POST", api.PathFlowPassword, api.PasswordRequest{Password: pw})).flow(t)
	if f.State != api.StateDone {
		t.Fatalf("flow %+v", f)
	}
	// An unknown id, and a flow answered by its questions.
	c2 := e.client(t)
	c2.start("nobody-here")
	c3 := e.client(t)
	c3.startWith("erin", api.IntentReset)
	c3.passQuestions("green owl")

	// The notices are delivered off the request path: wait for them.
	var s string
	deadline := time.Now().Add(10 * time.Second)
	for {
		s = e.scrape(t)
		if sample(s, `sspr_messages_total{channel="email",result="delivered"}`) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for series, want := range map[string]float64{
		`sspr_flows_started_total{self_service="true"}`:                                        2,
		`sspr_flows_started_total{self_service="false"}`:                                       1,
		`sspr_flow_intents_total{intent="reset"}`:                                              2,
		`sspr_methods_total{method="email",result="failed"}`:                                   1,
		`sspr_methods_total{method="email",result="passed"}`:                                   1,
		`sspr_methods_total{method="sms",result="passed"}`:                                     1,
		`sspr_methods_total{method="questions",result="passed"}`:                               1,
		`sspr_codes_sent_total{channel="email"}`:                                               1,
		`sspr_codes_sent_total{channel="sms"}`:                                                 1,
		`sspr_flows_finished_total{intent="reset",outcome="ok"}`:                               1,
		`sspr_audit_events_total{event="password_reset",outcome="started"}`:                    1,
		`sspr_http_requests_total{code="201",route="POST /api/v1/flows"}`:                      3,
		`sspr_http_requests_total{code="400",route="POST /api/v1/flows/current/email/verify"}`: 1,
		`sspr_captchas_created_total`:                                                          3,
	} {
		if got := sample(s, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, series := range []string{
		`sspr_messages_total{channel="sms",result="delivered"}`,
		`sspr_http_request_duration_seconds_count{route="POST /api/v1/flows/current/password"}`,
		`sspr_backend_call_duration_seconds_count{backend="directory",op="lookup"}`,
		`sspr_backend_call_duration_seconds_count{backend="store",op="record"}`,
		`sspr_backend_call_duration_seconds_count{backend="state",op="update"}`,
		`sspr_hash_slot_wait_seconds_count`,
		`sspr_message_send_duration_seconds_count{channel="email"}`,
	} {
		if got := sample(s, series); got < 1 {
			t.Errorf("%s = %v, want some", series, got)
		}
	}
	if got := sample(s, `sspr_outbox_waiting_messages{channel="email"}`); got < 0 {
		t.Errorf("no outbox depth: %v", got)
	}
	if got := sample(s, `sspr_backend_errors_total{backend="state",op="update"}`); got > 0 {
		t.Errorf("refusals counted as backend errors: %v", got)
	}

	// Nobody in the scrape: not the ids, the addresses, the numbers
	// (typed or canonical), the password, the code, the client's address;
	// names are looked for as words in the label values ("gathering"
	// holds "erin").
	var values strings.Builder
	for _, m := range regexp.MustCompile(`="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		values.WriteString(m[1] + "\n")
	}
	// Digits only in the label values: a sample's value may hold any.
	for _, leak := range []string{"7700", "900123", code} {
		if strings.Contains(values.String(), leak) {
			t.Errorf("a label holds %q", leak)
		}
	}
	for _, leak := range []string{"alice", "erin", "nobody"} {
		if l := regexp.MustCompile(`(?m)^.*\b` + leak + `\b.*$`).FindString(values.String()); l != "" {
			t.Errorf("a label holds %q: %s", leak, l)
		}
	}
	for _, leak := range []string{"example.edu", "example.net", "@", pw, "127.0.0.1", "green owl"} {
		if strings.Contains(s, leak) {
			t.Errorf("the scrape holds %q", leak)
		}
	}
	// Every label value is one of a fixed set: no route that is a path.
	for _, m := range regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		if m[1] != "none" && !strings.Contains(m[1], " ") && m[1] != "/" {
			t.Errorf("route %q is not a pattern", m[1])
		}
	}
}

// Go's profiles are served on the metrics listener with [metrics]
// profiling, and only then.
func TestProfiles(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := newEnv(t, withMetrics, func(c *config.Config) { c.Metrics.Profiling = on })
		srv := httptest.NewServer(e.portal.MetricsHandler())
		for _, path := range []string{portal.ProfilesPath, portal.ProfilesPath + "heap", portal.ProfilesPath + "allocs?seconds=1"} {
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if want := map[bool]int{false: http.StatusNotFound, true: http.StatusOK}[on]; res.StatusCode != want {
				t.Errorf("profiling %v: GET %s = %d, want %d", on, path, res.StatusCode, want)
			}
		}
		srv.Close()
	}
}

// With [metrics] listen empty nothing is counted and nothing is served.
func TestMetricsOff(t *testing.T) {
	e := newEnv(t)
	if e.portal.MetricsHandler() != nil || e.portal.MetricsListen() != "" || e.portal.Metrics() != nil {
		t.Fatal("metrics on without [metrics] listen")
	}
	e.client(t).start("alice")
}

// Every line a request logs names it by its X-Request-Id, the audit's
// lines too, and the access line says what was asked and how it went.
func TestRequestIDInEveryLine(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.captcha()
	r := c.call("POST", api.PathFlows, api.StartRequest{User: "alice", Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}})
	id := r.header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	var audit, access bool
	for line := range strings.Lines(e.log.String()) {
		if !strings.Contains(line, "request_id="+id) {
			continue
		}
		audit = audit || strings.Contains(line, "msg=audit") && strings.Contains(line, "event=flow_started")
		access = access || strings.Contains(line, "msg=request") && strings.Contains(line, `route="POST /api/v1/flows"`) &&
			strings.Contains(line, "status=201") && strings.Contains(line, "duration=")
	}
	if !audit || !access {
		t.Errorf("audit line %v, access line %v with request_id=%s in:\n%s", audit, access, id, e.log.String())
	}
}
