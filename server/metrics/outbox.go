package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr-portal/sspr/server/sspr"
)

// DepthFunc reads one channel's queue in the outbox: how many messages
// wait, and for how long the oldest has (0: none).
type DepthFunc func(ctx context.Context, ch sspr.Channel) (waiting int, oldest time.Duration, err error)

// outboxReadTimeout bounds the read a scrape makes of the outbox.
const outboxReadTimeout = 5 * time.Second

// WatchOutbox adds the outbox's depth and its oldest message's age, per
// channel, read from the shared table at each scrape: every server reports
// the same, so a dashboard takes their max, not their sum.
func (m *Metrics) WatchOutbox(depth DepthFunc) {
	if m == nil || depth == nil {
		return
	}
	m.reg.MustRegister(&outboxCollector{m: m, depth: depth,
		waiting: prometheus.NewDesc(namespace+"_outbox_waiting_messages",
			"Messages in the outbox not yet delivered (waiting, retrying or being sent), by channel.", []string{"channel"}, nil),
		oldest: prometheus.NewDesc(namespace+"_outbox_oldest_age_seconds",
			"Age of the oldest message not yet delivered, by channel (0: none).", []string{"channel"}, nil),
	})
}

type outboxCollector struct {
	m               *Metrics
	depth           DepthFunc
	waiting, oldest *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.waiting
	ch <- c.oldest
}

// Collect reads the table; a channel that can't be read is left out of the
// scrape and counted in outbox_read_errors_total (and the server's
// /readyz says why).
func (c *outboxCollector) Collect(out chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), outboxReadTimeout)
	defer cancel()
	for _, name := range channels {
		n, age, err := c.depth(ctx, sspr.Channel(name))
		if err != nil {
			c.m.outboxErrors.Inc()
			continue
		}
		out <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(n), name)
		out <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age.Seconds(), name)
	}
}
