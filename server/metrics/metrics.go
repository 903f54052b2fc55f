// Package metrics holds the portal's Prometheus metrics: its own registry
// (never the global default, so that nothing a library registers leaks
// into a scrape), the collectors, and the handler a scraper reads on the
// separate [metrics] listen address.
//
// The domain counters (flows, methods, codes, blocks) are derived from the
// audit events, in Event, which the engine calls where it notes each
// event: the counters and the audit can't disagree. No label holds a user
// id, an address, a number or a flow: every label value is one of a fixed
// set, so a scrape is small and tells nobody about anyone
// (docs/OBSERVABILITY.md).
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sspr-portal/sspr/server/sspr"
)

const namespace = "sspr"

// Metrics are the portal's collectors, in a registry of their own. A nil
// *Metrics is valid and records nothing, so that callers need not ask
// whether metrics are on.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	throttled    *prometheus.CounterVec

	events        *prometheus.CounterVec
	flowsStarted  *prometheus.CounterVec
	flowIntents   *prometheus.CounterVec
	flowsFinished *prometheus.CounterVec
	methods       *prometheus.CounterVec
	codesSent     *prometheus.CounterVec
	blocks        *prometheus.CounterVec

	messages        *prometheus.CounterVec
	messageDuration *prometheus.HistogramVec
	outboxErrors    prometheus.Counter

	backendDuration *prometheus.HistogramVec
	backendErrors   *prometheus.CounterVec

	captchas prometheus.Counter
	hashWait prometheus.Histogram
}

// backendBuckets suit a call to a directory, a database or Redis: from a
// tenth of a millisecond (memory) to the seconds of a timeout.
var backendBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns the collectors, registered with the Go runtime's and the
// process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}
	m.httpRequests = counter("http_requests_total", "HTTP requests answered, by route (the ServeMux pattern) and status code.", "route", "code")
	m.httpDuration = histogram("http_request_duration_seconds", "Time to answer an HTTP request, by route.", prometheus.DefBuckets, "route")
	m.throttled = counter("throttled_total", "Requests refused by a throttle or a block (429), by route.", "route")

	m.events = counter("audit_events_total", "Audit events noted, by event and outcome.", "event", "outcome")
	m.flowsStarted = counter("flows_started_total", "Reset or unlock flows started (self_service=false: an id that can't use self-service, shown a decoy flow).", "self_service")
	m.flowIntents = counter("flow_intents_total", "Intents chosen in flows.", "intent")
	m.flowsFinished = counter("flows_finished_total", "Flows finished, by intent and outcome (ok, failed, not_locked).", "intent", "outcome")
	m.methods = counter("methods_total", "Verification methods tried in flows, by method and result (passed, failed).", "method", "result")
	m.codesSent = counter("codes_sent_total", "One-time codes stored for delivery, by channel.", "channel")
	m.blocks = counter("blocks_total", "Accounts blocked or closed after failures, by kind (self_service, sign_in, closed).", "kind")

	m.messages = counter("messages_total", "Delivery attempts of the outbox, by channel and result (delivered, retry, expired, permanent, refused, unopenable).", "channel", "result")
	m.messageDuration = histogram("message_send_duration_seconds", "Time of one delivery attempt, by channel.", backendBuckets, "channel")
	m.outboxErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "outbox_read_errors_total",
		Help: "Scrapes that could not read the outbox's depth."})
	m.reg.MustRegister(m.outboxErrors)

	m.backendDuration = histogram("backend_call_duration_seconds", "Time of a call to the directory, the store or the state, by backend and operation.", backendBuckets, "backend", "op")
	m.backendErrors = counter("backend_errors_total", "Calls to the directory, the store or the state that failed (not a refusal), by backend and operation.", "backend", "op")

	m.captchas = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "captchas_created_total", Help: "CAPTCHAs made."})
	m.hashWait = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "hash_slot_wait_seconds",
		Help: "Time an argon2id hash waited for a slot (hashing.concurrency).", Buckets: backendBuckets})
	m.reg.MustRegister(m.captchas, m.hashWait,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.preset()
	return m
}

// preset makes the series of every known label value, at zero, so that a
// dashboard's rate() sees the first event and a series never appears out
// of nowhere.
func (m *Metrics) preset() {
	for _, v := range []string{"true", "false"} {
		m.flowsStarted.WithLabelValues(v)
	}
	for _, in := range intents {
		m.flowIntents.WithLabelValues(in)
		for _, o := range []string{"ok", "failed", "not_locked"} {
			if o != "not_locked" || in == "unlock" {
				m.flowsFinished.WithLabelValues(in, o)
			}
		}
	}
	for _, k := range methodKinds {
		m.methods.WithLabelValues(k, "passed")
		m.methods.WithLabelValues(k, "failed")
	}
	for _, ch := range channels {
		m.codesSent.WithLabelValues(ch)
		m.messages.WithLabelValues(ch, "delivered")
		m.messages.WithLabelValues(ch, "retry")
	}
	for _, k := range []string{"self_service", "sign_in", "closed"} {
		m.blocks.WithLabelValues(k)
	}
}

// Registry is the registry the collectors are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves a scrape. A collector that fails (the outbox can't be
// read) leaves its series out rather than failing the scrape.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	o := promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg,
		MaxRequestsInFlight: 4, Timeout: 30 * time.Second}
	if log != nil {
		o.ErrorLog = slogErrorLog{log}
	}
	return promhttp.HandlerFor(m.reg, o)
}

type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = toString(x)
	}
	l.log.Warn("metrics: scrape", "err", strings.Join(parts, " "))
}

func toString(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case error:
		return v.Error()
	}
	return "?"
}

// The label values a domain counter takes: anything else is "other", so
// that no label can grow without bound.
var (
	intents     = []string{"reset", "unlock"}
	methodKinds = []string{"email", "sms", "questions", "pass"}
	channels    = []string{"email", "sms"}
)

func oneOf(v string, set []string) string {
	for _, s := range set {
		if v == s {
			return v
		}
	}
	return "other"
}

// detail is the value of key in an event's detail ("method=email
// result=wrong"), or "".
func detail(d, key string) string {
	for f := range strings.FieldsSeq(d) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// Event counts an audit event: the engine calls it where it notes each one
// (selfservice.Deps.Events), the store's answer aside. Only the event's
// kind, outcome and the fixed words of its detail are read: never its
// user, flow, request or address.
func (m *Metrics) Event(ev sspr.Event) {
	if m == nil {
		return
	}
	outcome := oneOf(ev.Outcome, []string{sspr.OutcomeOK, sspr.OutcomeRefused, sspr.OutcomeFailed, sspr.OutcomeStarted})
	m.events.WithLabelValues(eventKind(ev.Kind), outcome).Inc()
	switch ev.Kind {
	case sspr.EventFlowStarted:
		m.flowsStarted.WithLabelValues(strconv.FormatBool(detail(ev.Detail, "self_service") != "false")).Inc()
	case sspr.EventIntentChosen:
		m.flowIntents.WithLabelValues(oneOf(detail(ev.Detail, "intent"), intents)).Inc()
	case sspr.EventPasswordReset:
		if outcome == sspr.OutcomeOK || outcome == sspr.OutcomeFailed {
			m.flowsFinished.WithLabelValues("reset", outcome).Inc()
		}
	case sspr.EventAccountUnlocked:
		if outcome == sspr.OutcomeOK || outcome == sspr.OutcomeFailed {
			m.flowsFinished.WithLabelValues("unlock", outcome).Inc()
		}
	case sspr.EventUnlockNotNeeded:
		m.flowsFinished.WithLabelValues("unlock", "not_locked").Inc()
	case sspr.EventMethodPassed:
		m.methods.WithLabelValues(oneOf(detail(ev.Detail, "method"), methodKinds), "passed").Inc()
	case sspr.EventCodeWrong:
		m.methods.WithLabelValues(oneOf(detail(ev.Detail, "method"), methodKinds), "failed").Inc()
	case sspr.EventAnswersWrong:
		m.methods.WithLabelValues("questions", "failed").Inc()
	case sspr.EventPhoneMismatch:
		m.methods.WithLabelValues("sms", "failed").Inc()
	case sspr.EventPassUsed:
		m.methods.WithLabelValues("pass", "passed").Inc()
	case sspr.EventPassWrong:
		m.methods.WithLabelValues("pass", "failed").Inc()
	case sspr.EventCodeSent:
		m.codesSent.WithLabelValues(oneOf(detail(ev.Detail, "channel"), channels)).Inc()
	case sspr.EventBlocked:
		kind := "self_service"
		if strings.Contains(ev.Detail, "sign-in") {
			kind = "sign_in"
		}
		m.blocks.WithLabelValues(kind).Inc()
	case sspr.EventSelfServiceClosed:
		m.blocks.WithLabelValues("closed").Inc()
	}
}

// eventKind is an event's kind as a label: the kinds are the code's
// constants, but one that looks like anything else is "other".
func eventKind(k string) string {
	if k == "" || len(k) > 40 {
		return "other"
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && r != '_' {
			return "other"
		}
	}
	return k
}

// Request counts an HTTP request answered: route is the ServeMux pattern
// that took it ("" for none), never the path.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "none"
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.throttled.WithLabelValues(route).Inc()
	}
}

// Message counts one delivery attempt of the outbox.
func (m *Metrics) Message(ch sspr.Channel, result string, d time.Duration) {
	if m == nil {
		return
	}
	c := oneOf(string(ch), channels)
	m.messages.WithLabelValues(c, result).Inc()
	if d > 0 {
		m.messageDuration.WithLabelValues(c).Observe(d.Seconds())
	}
}

// Backend times a call to a backend ("directory", "store", "state"); err
// counts as a failure when it is one of the backend's, not a refusal or an
// answer such as password_policy or flow_missing.
func (m *Metrics) Backend(backend, op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.backendDuration.WithLabelValues(backend, op).Observe(d.Seconds())
	if Failed(err) {
		m.backendErrors.WithLabelValues(backend, op).Inc()
	}
}

// Failed reports whether err is a backend's failure: an error that is no
// *sspr.Error (a bug, a lost connection), or one whose code says the
// backend could not serve.
func Failed(err error) bool {
	if err == nil {
		return false
	}
	var e *sspr.Error
	if !errors.As(err, &e) {
		return !errors.Is(err, context.Canceled)
	}
	return e.Code.ServerSide()
}

// CaptchaMade counts a CAPTCHA made.
func (m *Metrics) CaptchaMade() {
	if m != nil {
		m.captchas.Inc()
	}
}

// HashWait records how long a hash waited for its slot.
func (m *Metrics) HashWait(d time.Duration) {
	if m != nil {
		m.hashWait.Observe(d.Seconds())
	}
}
