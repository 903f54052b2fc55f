package main

import (
	"errors"
	"regexp"
	"strings"

	"github.com/google/pprof/profile"
)

// An area is a part of the server's work, known by the functions a CPU
// profile's samples hold on their stacks.
type area struct {
	name string
	fn   *regexp.Regexp // a function of the area, by its full name
}

// areas are what the server's CPU per flow is shown divided into, in the
// order a sample is given to them: to the first whose function its stack
// holds. The order settles what belongs where: SQLite's statements count
// for the outbox when River runs them, for the audit when its writer does,
// and for the directory and store otherwise. argon2id comes first: its
// share is the deliberate hashing (its computing, its memory's allocation
// and clearing, and the collector's help that allocation asks for).
var areas = []area{
	{"argon2id (deliberate hashing)", regexp.MustCompile(`^golang\.org/x/crypto/argon2\.`)},
	{"the garbage collector's background work", regexp.MustCompile(`^runtime\.gcBgMarkWorker$`)},
	{"drawing CAPTCHAs", regexp.MustCompile(`^github\.com/mojocn/base64Captcha\.|/server/captcha\.`)},
	{"outbox: storing messages (River)", regexp.MustCompile(`/server/dispatch\.\(\*riverBackend\[.*\]\)\.insert$`)},
	{"outbox: fetching them (River)", regexp.MustCompile(`^github\.com/riverqueue/.*\.JobGetAvailable$`)},
	{"outbox: completing them (River)", regexp.MustCompile(`^github\.com/riverqueue/river/internal/jobcompleter\.`)},
	{"sending: SMTP and SMS gateway clients", regexp.MustCompile(`/server/(mailer|smsgateway)\.`)},
	{"outbox: River's other work", regexp.MustCompile(`^github\.com/riverqueue/`)},
	{"the audit's writer", regexp.MustCompile(`/server/internal/groupcommit\.`)},
	{"directory and store (SQLite)", regexp.MustCompile(`/server/sqlite\.`)},
	{"sessions (gorilla)", regexp.MustCompile(`^github\.com/gorilla/`)},
	{"the log (slog)", regexp.MustCompile(`^log/slog\.`)},
	{"the engine (state, throttles, policy, JSON)", regexp.MustCompile(`/server/selfservice\.`)},
	{"HTTP and the API's handlers (the rest of a request)", regexp.MustCompile(`^net/http\.`)},
}

// Two more come last: samples whose stack is the Go runtime's alone (the
// scheduler, idle threads, the collector's other work), and the rest.
const (
	areaRuntime = "the Go runtime (scheduler, idle, other)"
	areaOther   = "other"
)

// areaNames is every area's name, in the order cpuAreas gives shares.
func areaNames() []string {
	names := make([]string, 0, len(areas)+2)
	for _, a := range areas {
		names = append(names, a.name)
	}
	return append(names, areaRuntime, areaOther)
}

// cpuAreas is, for each of areaNames, the share of a CPU profile's
// samples (by CPU time) given to it. Its first is argon2id's: the
// computation's cost depends on what else the machine does (argon2id is
// bound by memory, which the cores share), so the profile of the server
// under load says better what it cost there than one measured alone.
func cpuAreas(prof []byte) ([]float64, error) {
	p, err := profile.ParseData(prof)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			idx = i
		}
	}
	if idx < 0 {
		return nil, errors.New("not a CPU profile")
	}
	sums := make([]int64, len(areas)+2)
	var total int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		sums[areaOf(s)] += v
	}
	if total == 0 {
		return nil, errors.New("a CPU profile with no samples")
	}
	shares := make([]float64, len(sums))
	for i, n := range sums {
		shares[i] = float64(n) / float64(total)
	}
	return shares, nil
}

// areaOf is the index in areaNames of the area s is given to.
func areaOf(s *profile.Sample) int {
	best, runtimeOnly := len(areas), true
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function == nil {
				continue
			}
			name := l.Function.Name
			for i := range best {
				if areas[i].fn.MatchString(name) {
					best = i
					break
				}
			}
			if !strings.HasPrefix(name, "runtime.") && !strings.HasPrefix(name, "internal/") {
				runtimeOnly = false
			}
		}
	}
	switch {
	case best < len(areas):
		return best
	case runtimeOnly:
		return len(areas)
	default:
		return len(areas) + 1
	}
}
