package config

import "net"

// Metrics is [metrics]: the Prometheus metrics (docs/OBSERVABILITY.md).
type Metrics struct {
	// Listen is the host:port of the listener that serves the metrics at
	// /metrics, apart from the portal's own so that the public never
	// reaches it; empty: no metrics, and none are counted.
	Listen string `toml:"listen"`
	// Profiling also serves Go's profiles (net/http/pprof) at
	// /debug/pprof/ on that listener: where the CPU and the memory go, for
	// a performance problem seen in production. Off by default.
	Profiling bool `toml:"profiling"`
}

func (c *Config) validateMetrics(v *validator) {
	m := c.Metrics.Listen
	if m == "" {
		if c.Metrics.Profiling {
			v.add("metrics.profiling", "the profiles are served on metrics.listen's listener, which is not set")
		}
		return
	}
	if err := checkHostPort(m); err != nil {
		v.add("metrics.listen", "%v", err)
		return
	}
	if sameAddress(m, c.Server.Listen) {
		v.add("metrics.listen", "%q is server.listen's address: the metrics need a listener of their own, which the public can't reach", m)
	}
}

// sameAddress reports whether two listen addresses are one (a port 0 is
// the system's choice, never the same).
func sameAddress(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb || pa == "0" {
		return false
	}
	// An empty host is every interface, which includes any other.
	return ha == hb || ha == "" || hb == "" || ha == "0.0.0.0" || hb == "0.0.0.0" || ha == "::" || hb == "::"
}
