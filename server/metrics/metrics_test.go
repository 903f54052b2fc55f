package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/sspr-portal/sspr/server/metrics"
	"github.com/sspr-portal/sspr/server/sspr"
)

// value is the value of the series of name with exactly these labels: a
// counter's or gauge's value, a histogram's count; -1 when there is none.
func value(t *testing.T, m *metrics.Metrics, name string, labels ...string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, s := range f.GetMetric() {
			if len(s.GetLabel()) != len(want) {
				continue
			}
			for _, l := range s.GetLabel() {
				if want[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return seriesValue(s)
		}
	}
	return -1
}

func seriesValue(s *dto.Metric) float64 {
	switch {
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Histogram != nil:
		return float64(s.Histogram.GetSampleCount())
	}
	return -1
}

// ev is an event as the engine notes it: with a user, a flow, a request
// and an address, none of which may reach a label.
func ev(kind, outcome, detail string) sspr.Event {
	return sspr.Event{Kind: kind, Outcome: outcome, Detail: detail, UserID: "alice@example.edu", Flow: "Ab3dEf9hIj0k",
		Request: "req-1", ClientAddr: "192.0.2.1", UserAgent: "curl"}
}

// exercise moves every collector once.
func exercise(m *metrics.Metrics) {
	for _, e := range []sspr.Event{
		ev(sspr.EventFlowStarted, "ok", "self_service=true"),
		ev(sspr.EventFlowStarted, "ok", "self_service=false"),
		ev(sspr.EventIntentChosen, "ok", "intent=reset"),
		ev(sspr.EventCodeSent, "ok", "channel=email"),
		ev(sspr.EventCodeWrong, "refused", "method=email result=wrong tries_left=4"),
		ev(sspr.EventMethodPassed, "ok", "method=email"),
		ev(sspr.EventAnswersWrong, "refused", ""),
		ev(sspr.EventPhoneMismatch, "refused", ""),
		ev(sspr.EventMethodPassed, "ok", "method=sms"),
		ev(sspr.EventPasswordReset, "started", ""),
		ev(sspr.EventPasswordReset, "ok", "methods=email,sms"),
		ev(sspr.EventUnlockNotNeeded, "ok", "methods=email,sms"),
		ev(sspr.EventBlocked, "ok", "failed verifications reached the limit"),
		ev(sspr.EventBlocked, "ok", "failed sign-ins reached the limit"),
		ev(sspr.EventSelfServiceClosed, "ok", "failures in a row reached the cap"),
		ev(sspr.EventCodeSent, "ok", "channel=pigeon"),
		ev("Weird Kind!", "whatever", "method=alice@example.edu"),
	} {
		m.Event(e)
	}
	m.Request("POST /api/v1/flows", 201, 3*time.Millisecond)
	m.Request("POST /api/v1/flows", 429, time.Millisecond)
	m.Request("", 404, time.Millisecond)
	m.Message(sspr.Email, "delivered", 20*time.Millisecond)
	m.Message(sspr.SMS, "retry", 0)
	m.Backend("state", "get", time.Millisecond, nil)
	m.Backend("state", "update", time.Millisecond, &sspr.Error{Code: sspr.CodeFlowMissing})
	m.Backend("directory", "lookup", time.Millisecond, sspr.Unavailable(sspr.BackendDirectory, errors.New("down")))
	m.CaptchaMade()
	m.HashWait(2 * time.Millisecond)
	m.WatchOutbox(func(_ context.Context, ch sspr.Channel) (int, time.Duration, error) {
		if ch == sspr.SMS {
			return 0, 0, errors.New("no table")
		}
		return 3, 90 * time.Second, nil
	})
}

func TestCollectorsMove(t *testing.T) {
	m := metrics.New()
	exercise(m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sspr_flows_started_total", []string{"self_service", "true"}, 1},
		{"sspr_flows_started_total", []string{"self_service", "false"}, 1},
		{"sspr_flow_intents_total", []string{"intent", "reset"}, 1},
		{"sspr_flow_intents_total", []string{"intent", "unlock"}, 0},
		{"sspr_codes_sent_total", []string{"channel", "email"}, 1},
		{"sspr_codes_sent_total", []string{"channel", "other"}, 1},
		{"sspr_methods_total", []string{"method", "email", "result", "failed"}, 1},
		{"sspr_methods_total", []string{"method", "email", "result", "passed"}, 1},
		{"sspr_methods_total", []string{"method", "questions", "result", "failed"}, 1},
		{"sspr_methods_total", []string{"method", "sms", "result", "failed"}, 1},
		{"sspr_methods_total", []string{"method", "sms", "result", "passed"}, 1},
		// "started" is no finish.
		{"sspr_flows_finished_total", []string{"intent", "reset", "outcome", "ok"}, 1},
		{"sspr_flows_finished_total", []string{"intent", "reset", "outcome", "failed"}, 0},
		{"sspr_flows_finished_total", []string{"intent", "unlock", "outcome", "not_locked"}, 1},
		{"sspr_blocks_total", []string{"kind", "self_service"}, 1},
		{"sspr_blocks_total", []string{"kind", "sign_in"}, 1},
		{"sspr_blocks_total", []string{"kind", "closed"}, 1},
		{"sspr_audit_events_total", []string{"event", "password_reset", "outcome", "started"}, 1},
		{"sspr_audit_events_total", []string{"event", "other", "outcome", "other"}, 1},
		{"sspr_http_requests_total", []string{"route", "POST /api/v1/flows", "code", "201"}, 1},
		{"sspr_http_requests_total", []string{"route", "none", "code", "404"}, 1},
		{"sspr_http_request_duration_seconds", []string{"route", "POST /api/v1/flows"}, 2},
		{"sspr_throttled_total", []string{"route", "POST /api/v1/flows"}, 1},
		{"sspr_messages_total", []string{"channel", "email", "result", "delivered"}, 1},
		{"sspr_messages_total", []string{"channel", "sms", "result", "retry"}, 1},
		{"sspr_message_send_duration_seconds", []string{"channel", "email"}, 1},
		{"sspr_backend_call_duration_seconds", []string{"backend", "state", "op", "update"}, 1},
		// A refusal is no failure; a backend down is.
		{"sspr_backend_errors_total", []string{"backend", "state", "op", "update"}, -1},
		{"sspr_backend_errors_total", []string{"backend", "directory", "op", "lookup"}, 1},
		{"sspr_captchas_created_total", nil, 1},
		{"sspr_hash_slot_wait_seconds", nil, 1},
		{"sspr_outbox_waiting_messages", []string{"channel", "email"}, 3},
		{"sspr_outbox_oldest_age_seconds", []string{"channel", "email"}, 90},
		{"sspr_outbox_waiting_messages", []string{"channel", "sms"}, -1},
	} {
		if got := value(t, m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The outbox's read failed once for sms in each Gather above.
	if got := value(t, m, "sspr_outbox_read_errors_total"); got < 1 {
		t.Errorf("outbox read errors %v", got)
	}
	if value(t, m, "go_goroutines") < 1 || value(t, m, "process_start_time_seconds") <= 0 {
		t.Error("no Go runtime or process collector")
	}
}

// A nil *Metrics (metrics off) takes every call and does nothing.
func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.Event(ev(sspr.EventFlowStarted, "ok", ""))
	m.Request("x", 200, time.Millisecond)
	m.Message(sspr.Email, "delivered", 0)
	m.Backend("state", "get", 0, nil)
	m.CaptchaMade()
	m.HashWait(0)
	m.WatchOutbox(nil)
}

// The scrape is the text format, and holds no user, flow, request or
// address of the events it counted.
func TestScrape(t *testing.T) {
	m := metrics.New()
	exercise(m)
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("# TYPE sspr_flows_started_total counter")) {
		t.Fatalf("status %d: %.500s", res.StatusCode, b)
	}
	for _, leak := range []string{"alice", "example.edu", "@", "Ab3dEf9hIj0k", "req-1", "192.0.2.1", "curl", "pigeon", "Weird"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the scrape holds %q", leak)
		}
	}
}

func TestFailed(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("connection reset"), true},
		{context.Canceled, false},
		{sspr.Unavailable(sspr.BackendStore, errors.New("x")), true},
		{&sspr.Error{Code: sspr.CodeInternal}, true},
		{&sspr.Error{Code: sspr.CodePasswordPolicy}, false},
		{&sspr.Error{Code: sspr.CodeThrottled}, false},
	} {
		if got := metrics.Failed(c.err); got != c.want {
			t.Errorf("Failed(%v) = %v", c.err, got)
		}
	}
}
