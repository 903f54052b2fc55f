package metrics_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/sspr-portal/sspr/server/metrics"
	"github.com/sspr-portal/sspr/server/sspr"
)

// What the metrics cost a request: an API call observes itself once, notes
// an event or two, and makes about ten backend calls.

func BenchmarkRequest(b *testing.B) {
	m := metrics.New()
	for b.Loop() {
		m.Request("POST /api/v1/flows/current/email/verify", 200, 3*time.Millisecond)
	}
}

func BenchmarkEvent(b *testing.B) {
	m := metrics.New()
	e := ev(sspr.EventCodeWrong, sspr.OutcomeRefused, "method=email result=wrong tries_left=4")
	for b.Loop() {
		m.Event(e)
	}
}

func BenchmarkBackend(b *testing.B) {
	m := metrics.New()
	for b.Loop() {
		m.Backend("state", "get", 50*time.Microsecond, nil)
	}
}

// BenchmarkScrape gathers and writes a whole scrape, and reports its size.
func BenchmarkScrape(b *testing.B) {
	m := metrics.New()
	exercise(m)
	var size int
	for b.Loop() {
		fams, err := m.Registry().Gather()
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, f := range fams {
			if err := enc.Encode(f); err != nil {
				b.Fatal(err)
			}
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}
