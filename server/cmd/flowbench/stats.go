package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile is the nearest-rank percentile p (0 < p <= 1) of sorted: the
// smallest value that at least p of the values are at or below. 0 for no
// values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// sortedCopy returns ds sorted, leaving ds as it is.
func sortedCopy(ds []time.Duration) []time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s
}

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 on every architecture Go runs on (it is the
// kernel's ABI, not CONFIG_HZ).
const clockTick = 10 * time.Millisecond

// parseProcStat reads utime and stime (fields 14 and 15, in clock ticks)
// from the contents of /proc/PID/stat. The second field, the command name,
// is in parentheses and may itself hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parseProcStat(b []byte) (utime, stime uint64, err error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, 0, errors.New("/proc stat: no command name")
	}
	// After ") ": field 3 (state) onwards.
	f := strings.Fields(string(b[end+1:]))
	const first = 3
	if len(f) < 15-first+1 {
		return 0, 0, fmt.Errorf("/proc stat: %d fields after the name, want at least %d", len(f), 15-first+1)
	}
	if utime, err = strconv.ParseUint(f[14-first], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("/proc stat: utime: %w", err)
	}
	if stime, err = strconv.ParseUint(f[15-first], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("/proc stat: stime: %w", err)
	}
	return utime, stime, nil
}

// processCPU is the CPU time (user and system, every thread) process pid
// has used so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	u, s, err := parseProcStat(b)
	if err != nil {
		return 0, err
	}
	return time.Duration(u+s) * clockTick, nil
}

// metricValue finds the sample of the metric named exactly name, without
// labels, in a Prometheus text exposition.
func metricValue(exposition []byte, name string) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(exposition))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || rest[0] != ' ' {
			continue // another metric, a longer name, or labels
		}
		f := strings.Fields(rest)
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, false
		}
		return v, true
	}
	return 0, false
}

// ms formats a duration as milliseconds with one decimal: "12.3".
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// msPerFlow is d divided among n flows, formatted by ms; "-" for none.
func msPerFlow(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return ms(d / time.Duration(n))
}

// latency formats a flow's or a call's latency for the table: ms with one
// decimal under a second, else seconds with two.
func latency(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	}
	return ms(d) + " ms"
}
