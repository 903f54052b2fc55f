package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memStatus is what /proc/PID/status says of a process's memory, in
// bytes: VmRSS (resident now) and VmHWM (the most it has been resident).
type memStatus struct {
	RSS, HWM int64
}

// readMemStatus reads pid's VmRSS and VmHWM (Linux only).
func readMemStatus(pid int) (memStatus, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memStatus{}, fmt.Errorf("server memory: %w", err)
	}
	defer f.Close()
	m, err := parseMemStatus(f)
	if err != nil {
		return memStatus{}, fmt.Errorf("server memory: /proc/%d/status: %w", pid, err)
	}
	return m, nil
}

// parseMemStatus reads the VmRSS and VmHWM lines of a /proc/PID/status
// file ("VmRSS:	   51234 kB").
func parseMemStatus(r io.Reader) (memStatus, error) {
	var m memStatus
	var seen int
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("%s: %q is not a size in kB", name, strings.TrimSpace(value))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("%s: %w", name, err)
		}
		if name == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if seen != 2 {
		return m, fmt.Errorf("no VmRSS and VmHWM (a kernel thread, or not Linux)")
	}
	return m, nil
}

// rssWatch samples a process's memory through a run, so that the report
// can say whether it stays flat under load: at the start, every second,
// and at the end.
type rssWatch struct {
	pid     int
	mu      sync.Mutex
	samples []rssSample
	err     error
	stop    chan struct{}
	done    chan struct{}
}

type rssSample struct {
	at time.Duration
	memStatus
}

// watchRSS starts sampling pid every interval from now.
func watchRSS(pid int, interval time.Duration) *rssWatch {
	w := &rssWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	began := time.Now()
	w.sample(0)
	go func() {
		defer close(w.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				w.sample(time.Since(began))
				return
			case <-t.C:
				w.sample(time.Since(began))
			}
		}
	}()
	return w
}

func (w *rssWatch) sample(at time.Duration) {
	m, err := readMemStatus(w.pid)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.samples = append(w.samples, rssSample{at, m})
}

// Stop takes the last sample and ends the watch.
func (w *rssWatch) Stop() {
	close(w.stop)
	<-w.done
}

// summary says the resident memory at the start, the middle and the end
// of the run, the most sampled, and the process's high-water mark.
func (w *rssWatch) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.samples) == 0 {
		return fmt.Sprintf("server memory (pid %d): not read: %v", w.pid, w.err)
	}
	first, last := w.samples[0], w.samples[len(w.samples)-1]
	mid := w.samples[len(w.samples)/2]
	var most int64
	for _, s := range w.samples {
		most = max(most, s.RSS)
	}
	return fmt.Sprintf("server memory (pid %d, VmRSS): start %s, mid (%s) %s, end (%s) %s, most sampled %s; VmHWM %s; %d samples",
		w.pid, mb(first.RSS), mid.at.Round(time.Second), mb(mid.RSS), last.at.Round(time.Second), mb(last.RSS),
		mb(most), mb(last.HWM), len(w.samples))
}

func mb(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }
