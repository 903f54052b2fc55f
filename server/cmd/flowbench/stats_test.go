package main

import (
	"os"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, .5, 0},
		{"one", ms(7), .5, 7 * time.Millisecond},
		{"one p99", ms(7), .99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), .5, 2 * time.Millisecond},
		// Nearest rank: the smallest value at least half are at or below.
		{"median of even", ms(1, 2, 3, 4), .5, 2 * time.Millisecond},
		{"p99 of 100", hundred, .99, 99 * time.Millisecond},
		{"p50 of 100", hundred, .5, 50 * time.Millisecond},
		{"p100", hundred, 1, 100 * time.Millisecond},
		{"p99 of 10 is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), .99, 10 * time.Millisecond},
		{"tiny p", ms(1, 2, 3), .001, time.Millisecond},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestSortedCopyLeavesItsInputAlone(t *testing.T) {
	in := []time.Duration{3, 1, 2}
	got := sortedCopy(in)
	if got[0] != 1 || got[2] != 3 || in[0] != 3 {
		t.Errorf("sortedCopy(%v) = %v, input now %v", []time.Duration{3, 1, 2}, got, in)
	}
}

func TestParseProcStat(t *testing.T) {
	// A real line, its name with spaces and parentheses, as a process may
	// name itself (prctl): fields are counted from the last ')'.
	line := "4242 (sspr (serve) x) S 1 4242 4242 0 -1 4194560 3160 0 0 0 1234 567 0 0 20 0 9 0 12345 1000 200 18446744073709551615\n"
	u, s, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if u != 1234 || s != 567 {
		t.Errorf("utime, stime = %d, %d, want 1234, 567", u, s)
	}
	for _, bad := range []string{"", "4242 sspr S 1", "4242 (sspr) S 1 2 3", "4242 (sspr) S 1 4242 4242 0 -1 4194560 3160 0 0 0 x 567"} {
		if _, _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q): no error", bad)
		}
	}
}

func TestProcessCPUOfThisProcess(t *testing.T) {
	// Burn a little CPU: the figure must be there and not go backwards.
	a, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(end); x++ {
		_ = x * x
	}
	b, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b < a {
		t.Errorf("CPU went from %v to %v", a, b)
	}
}

func TestMetricValue(t *testing.T) {
	exp := []byte(`# HELP sspr_hash_slot_wait_seconds Time an argon2id hash waited for a slot.
# TYPE sspr_hash_slot_wait_seconds histogram
sspr_hash_slot_wait_seconds_bucket{le="0.005"} 17
sspr_hash_slot_wait_seconds_sum 0.25
sspr_hash_slot_wait_seconds_count 18
sspr_hash_slot_wait_seconds_count_extra 99
sspr_http_requests_total{route="POST /api/v1/captcha"} 3
`)
	if v, ok := metricValue(exp, "sspr_hash_slot_wait_seconds_count"); !ok || v != 18 {
		t.Errorf("count = %v, %v; want 18", v, ok)
	}
	if v, ok := metricValue(exp, "sspr_hash_slot_wait_seconds_sum"); !ok || v != 0.25 {
		t.Errorf("sum = %v, %v; want 0.25", v, ok)
	}
	// A metric with labels only, or none at all, is not found.
	for _, name := range []string{"sspr_http_requests_total", "sspr_nothing", "sspr_hash_slot_wait_seconds"} {
		if v, ok := metricValue(exp, name); ok {
			t.Errorf("%s = %v, want none", name, v)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ms(1234567 * time.Nanosecond), "1.2"},
		{msPerFlow(3*time.Second, 1000), "3.0"},
		{msPerFlow(time.Second, 0), "-"},
		{latency(98765 * time.Microsecond), "98.8 ms"},
		{latency(1500 * time.Millisecond), "1.50 s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestAutoAccounts(t *testing.T) {
	for _, c := range []struct {
		users, warmup int
		d             time.Duration
		want          int
	}{
		// 300 flows/s for 20 s and the warm-up, 90 flows an account, and a
		// spare account per user.
		{1, 5, 20 * time.Second, 1 + 67},
		{32, 5, 20 * time.Second, 32 + 69},
		{1, 0, time.Second, 1 + 4},
		{256, 5, time.Hour, maxAccounts},
	} {
		if got := autoAccounts(c.users, c.warmup, c.d); got != c.want {
			t.Errorf("autoAccounts(%d, %d, %v) = %d, want %d", c.users, c.warmup, c.d, got, c.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, _, ok := parseFlags(nil)
	if !ok || len(o.users) != 3 || o.users[2] != 32 || len(o.hashing) != 2 || len(o.audio) != 1 || o.audio[0] ||
		o.delivery != "sinks" || o.accounts != autoAccounts(32, 5, 20*time.Second) {
		t.Errorf("defaults: %+v, %v", o, ok)
	}
	o, _, ok = parseFlags([]string{"-users", "2, 4", "-hashing", "cheapest", "-audio", "off,on", "-accounts", "10"})
	if !ok || len(o.users) != 2 || o.users[1] != 4 || o.hashing[0].Name != "cheapest" || len(o.audio) != 2 || o.accounts != 10 {
		t.Errorf("flags: %+v, %v", o, ok)
	}
	for _, bad := range [][]string{
		{"-users", "0"}, {"-users", "x"}, {"-hashing", "fast"}, {"-audio", "loud"}, {"-delivery", "pigeon"},
		{"-duration", "10ms"}, {"-accounts", "1001"}, {"-users", "8", "-accounts", "4"}, {"-repeat", "0"}, {"extra"},
	} {
		if _, code, ok := parseFlags(bad); ok || code != 2 {
			t.Errorf("parseFlags(%q) = %d, %v", bad, code, ok)
		}
	}
	if _, code, ok := parseFlags([]string{"-h"}); ok || code != 0 {
		t.Errorf("-h: %d, %v", code, ok)
	}
}
