package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// rate is flows per second.
func (r *result) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Flows) / r.Elapsed.Seconds()
}

// hashPerFlow is argon2id computations per flow.
func (r *result) hashPerFlow() float64 {
	if r.Flows == 0 {
		return 0
	}
	return r.HashCalls / float64(r.Flows)
}

// cpuPerFlow is the server's CPU per flow.
func (r *result) cpuPerFlow() time.Duration {
	if r.Flows == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Flows)
}

// hashCPUPerFlow is the CPU of the flow's argon2id computations:
// argon2id's share of the server's CPU profile of the run (what they cost
// there, under that load); without a profile, their number times one's
// CPU measured alone in flowbench, which is more, up to twice as much at
// the cheapest hashing (a small heap's garbage collections and page
// faults), and which the machine's other work moves by a third from run
// to run.
func (r *result) hashCPUPerFlow() time.Duration {
	if share, ok := r.argonShare(); ok {
		return time.Duration(share * float64(r.cpuPerFlow()))
	}
	return time.Duration(r.hashPerFlow() * float64(r.ArgonCPU))
}

// argonShare is argon2id's share of the server's CPU profile of the run
// (the first area's); false if the profile failed.
func (r *result) argonShare() (float64, bool) {
	if r.Areas == nil {
		return 0, false
	}
	return r.Areas[0], true
}

// outsideHashing is the server's CPU per flow outside deliberate hashing.
func (r *result) outsideHashing() time.Duration { return r.cpuPerFlow() - r.hashCPUPerFlow() }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// report writes the results as markdown: the table for
// docs/PERFORMANCE.md, then what else was measured.
func (b *bench) report(w io.Writer, results []*result) {
	fmt.Fprintf(w, "\n### Whole resets, %s\n\n", b.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "%s; %d CPUs (%s); load average %s at the start. ", orUnknown(b.version), runtime.NumCPU(), cpuModel(), b.load)
	fmt.Fprintf(w, "%d accounts imported (`sspr accounts import`, `sspr registrations import`); each run %s of flows after %d per user to warm up, on a server started for it. ",
		b.o.accounts, b.o.duration, b.o.warmup)
	if b.o.delivery == "sinks" {
		fmt.Fprintf(w, "Codes delivered by the server over SMTP and to an SMS gateway (JSON), both on loopback.\n\n")
	} else {
		fmt.Fprintf(w, "Codes read from the dev outbox (`GET /dev/outbox`): its reads are in the server's CPU.\n\n")
	}

	fmt.Fprintln(w, "| hashing | CAPTCHA audio | users | flows | flows/s | flow p50 | flow p99 | failed | server CPU/flow | argon2id/flow | argon2id CPU/flow | CPU/flow outside hashing |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range results {
		share := "-"
		if c := r.cpuPerFlow(); c > 0 {
			share = fmt.Sprintf("%s ms (%.0f %%)", ms(r.hashCPUPerFlow()), 100*float64(r.hashCPUPerFlow())/float64(c))
		}
		outside := "-"
		switch {
		case r.Flows == 0:
		case r.Areas == nil && r.hashCPUPerFlow() > r.cpuPerFlow()*3/4:
			// A small difference of two large figures, each a few per
			// cent off: read it from the cheapest hashing. A profile's
			// share is one figure, good to a per cent or so of the CPU
			// with the thousands of samples a run takes.
			outside = "(noise)"
		default:
			outside = "**" + ms(r.outsideHashing()) + " ms**"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.1f | %s | %s | %d | %s ms | %.2f | %s | %s |\n",
			r.Hashing.Name, onOff(r.Audio), r.Users, r.Flows, r.rate(), latency(percentile(r.Flow, .5)),
			latency(percentile(r.Flow, .99)), r.failures(), msPerFlow(r.ServerCPU, r.Flows), r.hashPerFlow(), share, outside)
	}
	fmt.Fprintln(w)
	var params []string
	for _, h := range b.o.hashing {
		var each []time.Duration
		for _, r := range results {
			if r.Hashing.Name == h.Name {
				each = append(each, r.ArgonCPU)
			}
		}
		if len(each) > 0 {
			params = append(params, fmt.Sprintf("%s (%s) %s to %s ms", h.Name, paramString(h.Params), ms(slices.Min(each)), ms(slices.Max(each))))
		}
	}
	if !slices.ContainsFunc(results, func(r *result) bool { return r.Areas == nil }) {
		fmt.Fprintf(w, "argon2id CPU per flow is its share of the server's CPU profile of the run (its computing, its memory's allocation and clearing); "+
			"one computation alone, measured in flowbench with server/secret before each run, took %s. "+
			"CPU outside hashing is the server's CPU per flow less argon2id's.\n", strings.Join(params, "; "))
	} else {
		fmt.Fprintf(w, "argon2id CPU per computation, measured in flowbench with server/secret before each run: %s. "+
			"CPU outside hashing is the server's CPU per flow less argon2id's (computations per flow, from /metrics, times that); "+
			"where argon2id is over three quarters of the CPU it is within the noise of both, shown as (noise).\n", strings.Join(params, "; "))
	}

	b.audioCost(w, results)
	areaTable(w, results)

	fmt.Fprintln(w, "\n| run | idle server CPU | of it per flow | messages sent/flow | outbox reads/flow | flowbench CPU/flow | email arrives p50 | text arrives p50 |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range results {
		per := func(n int64, ok bool) string {
			if r.Flows == 0 || !ok {
				return "-"
			}
			return fmt.Sprintf("%.2f", float64(n)/float64(r.Flows))
		}
		sinks := b.o.delivery == "sinks"
		idle := time.Duration(float64(r.IdleCPU) * r.Elapsed.Seconds())
		fmt.Fprintf(w, "| %s | %s ms/s | %s ms | %s | %s | %s ms | %s | %s |\n", r.label(), ms(r.IdleCPU), msPerFlow(idle, r.Flows),
			per(r.Messages, sinks), per(r.Polls, !sinks),
			msPerFlow(r.ClientCPU, r.Flows), latency(percentile(sortedCopy(r.Calls[callEmailWait]), .5)),
			latency(percentile(sortedCopy(r.Calls[callSMSWait]), .5)))
	}

	if b.o.calls {
		b.callTable(w, results)
	}

	errs := map[string]int{}
	for _, r := range results {
		for k, v := range r.Errors {
			errs[r.label()+": "+k] += v
		}
		for k, v := range r.Warmup {
			errs[r.label()+", warm-up: "+k] += v
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nFailed flows, by run, call, HTTP status and the API's code:")
		fmt.Fprintln(w, "\n| run: call: status code | flows |\n|---|--:|")
		for _, k := range slices.Sorted(maps.Keys(errs)) {
			fmt.Fprintf(w, "| %s | %d |\n", k, errs[k])
		}
	}
}

// audioCost compares, for each hashing and number of users measured both
// ways, the CPU outside hashing with the CAPTCHA's audio on and off (the
// means of the repeats).
func (b *bench) audioCost(w io.Writer, results []*result) {
	type key struct {
		h     string
		users int
	}
	sum := map[key]map[bool][]time.Duration{}
	for _, r := range results {
		if r.Flows == 0 {
			continue
		}
		k := key{r.Hashing.Name, r.Users}
		if sum[k] == nil {
			sum[k] = map[bool][]time.Duration{}
		}
		sum[k][r.Audio] = append(sum[k][r.Audio], r.outsideHashing())
	}
	var lines []string
	for _, h := range b.o.hashing {
		for _, n := range b.o.users {
			s := sum[key{h.Name, n}]
			if len(s[true]) == 0 || len(s[false]) == 0 {
				continue
			}
			d := mean(s[true]) - mean(s[false])
			lines = append(lines, fmt.Sprintf("%s hashing, %d users: %+.1f ms", h.Name, n, float64(d)/float64(time.Millisecond)))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "CAPTCHA audio on minus off, CPU per flow outside hashing: %s.\n", strings.Join(lines, "; "))
	}
}

func mean(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t / time.Duration(len(ds))
}

// areaTable is where the server's CPU per flow went, by area (cpuAreas),
// a column per run; nothing if a run has no profile.
func areaTable(w io.Writer, results []*result) {
	if len(results) == 0 || slices.ContainsFunc(results, func(r *result) bool { return r.Areas == nil || r.Flows == 0 }) {
		return
	}
	fmt.Fprint(w, "\nWhere the server's CPU per flow went, from its CPU profile of each run: ms (share). "+
		"A sample counts once, in the first area, in this order, whose functions its stack holds "+
		"(server/cmd/flowbench/profile.go says which):\n\n")
	runHeader(w, "area", results)
	for i, name := range areaNames() {
		fmt.Fprintf(w, "| %s |", name)
		for _, r := range results {
			fmt.Fprintf(w, " %s (%.1f %%) |", ms(time.Duration(r.Areas[i]*float64(r.cpuPerFlow()))), 100*r.Areas[i])
		}
		fmt.Fprintln(w)
	}
}

// callTable is each call's p50 and p99, a column per run.
func (b *bench) callTable(w io.Writer, results []*result) {
	fmt.Fprint(w, "\nEach call, p50 / p99 (waits for a code in parentheses):\n\n")
	runHeader(w, "call", results)
	for _, c := range callOrder {
		fmt.Fprintf(w, "| %s |", c)
		for _, r := range results {
			s := sortedCopy(r.Calls[c])
			fmt.Fprintf(w, " %s / %s |", latency(percentile(s, .5)), latency(percentile(s, .99)))
		}
		fmt.Fprintln(w)
	}
}

// runHeader starts a table whose first column is named first and whose
// others are the runs, one each.
func runHeader(w io.Writer, first string, results []*result) {
	fmt.Fprintf(w, "| %s |", first)
	for _, r := range results {
		fmt.Fprintf(w, " %s %s %du |", r.Hashing.Name, onOff(r.Audio), r.Users)
	}
	fmt.Fprint(w, "\n|---|")
	for range results {
		fmt.Fprint(w, "--:|")
	}
	fmt.Fprintln(w)
}

func orUnknown(s string) string {
	if s == "" {
		return "sspr (version unknown)"
	}
	return s
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
