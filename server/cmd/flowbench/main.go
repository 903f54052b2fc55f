// Command flowbench measures whole password resets against the real
// server: flows per second, the latency of a whole flow, and the server's
// CPU per flow, with and without its deliberate hashing (argon2id), at
// several numbers of concurrent users.
//
//	flowbench [-sspr bin/sspr] [-users 1,8,32] [-duration 20s] [-hashing default,cheapest] [-audio off,on]
//
// It imports accounts with the portal's own commands (`sspr accounts
// import`, `sspr registrations import`: an alternate address and a mobile
// each), then, for each setting, starts `sspr serve --dev` as a child
// process on a free loopback port with a data folder of its own, and runs
// N virtual users. Each resets one account after another as the wizard
// does it: a CAPTCHA (the server's --dev-captcha-answer), start, intent
// reset, a code by email, a code by text to the full number, a new password
// that passes the policy, and then the check the measurement made
// too: a sign-in with the new password, with a CAPTCHA of its own. The
// check is part of the flow, in its time and its CPU.
//
// The codes reach flowbench as they would reach a person: the server sends
// its email to an SMTP relay and its texts to an SMS gateway (preset
// "json"), both run by flowbench on loopback, so the server's CPU includes
// delivering them. -delivery outbox reads the dev outbox instead, whose
// page (a ring of up to 1,000 messages, with no filter) costs the server
// more to encode than the flow it serves.
//
// The server's CPU is its user and system time from /proc/PID/stat, read
// when the first flow starts and after the last one ended. argon2id's part
// of it is argon2id's share of the server's Go CPU profile of the run
// (/debug/pprof on its metrics listener, always taken; kept with -pprof):
// what the computations cost there, under that load. CPU outside
// deliberate hashing is the difference. The number of computations (the
// count of sspr_hash_slot_wait_seconds on /metrics) and one's CPU
// measured alone in flowbench with server/secret are shown too: alone, a
// computation costs more than it does in the server, up to twice as much
// at the cheapest hashing (a small heap's garbage collections and page
// faults; docs/PERFORMANCE.md), which is why the profile, not that, is
// taken. The same profile divides the
// server's CPU per flow into areas (profile.go: the outbox, the audit's
// writer, CAPTCHAs, the collector...), a table of its own. The markdown
// tables on standard output are what docs/PERFORMANCE.md shows ("Whole
// resets").
//
// flowbench exits 1 if any flow failed (each failure is reported by call,
// HTTP status and the API's error code) and 2 for a mistake on the command
// line. It stops the servers it started, Ctrl-C included, and never shows
// a password or a code except with -debug.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/smtptest"
	"github.com/sspr-portal/sspr/server/secret"
)

// perAccount is how many flows an account serves a server: 100 codes an
// hour per channel is the most codes.max_sends_per_hour allows.
const perAccount = 90

// idleWindow is how long the idle server's CPU is measured before a run.
const idleWindow = 2 * time.Second

type options struct {
	bin      string
	users    []int
	duration time.Duration
	warmup   int
	hashing  []hashing
	audio    []bool
	delivery string
	accounts int
	repeat   int
	calls    bool
	perf     string
	pprof    string
	keep     bool
	debug    bool
}

func main() { os.Exit(run()) }

func run() int {
	o, code, ok := parseFlags(os.Args[1:])
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := newBench(ctx, o)
	if b != nil {
		defer b.close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "flowbench:", err)
		return 1
	}
	results, err := b.runAll(ctx)
	if len(results) > 0 {
		b.report(os.Stdout, results)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "flowbench: interrupted")
		return 1
	case err != nil:
		fmt.Fprintln(os.Stderr, "flowbench:", err)
		return 1
	}
	failed := 0
	for _, r := range results {
		failed += r.failures()
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "flowbench: %d flows failed\n", failed)
		return 1
	}
	return 0
}

// parseFlags reads the command line; when ok is false, flowbench exits
// with code (0 for -h, 2 for a mistake).
func parseFlags(args []string) (o options, code int, ok bool) {
	fs := flag.NewFlagSet("flowbench", flag.ContinueOnError)
	fs.StringVar(&o.bin, "sspr", "bin/sspr", "the `sspr` binary to run (make build)")
	users := fs.String("users", "1,8,32", "the `numbers` of concurrent virtual users, a run each")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long each run starts flows")
	fs.IntVar(&o.warmup, "warmup", 5, "`flows` each virtual user does before a run is measured (5 fill an account's password history)")
	hash := fs.String("hashing", "default,cheapest", "the [hashing] `settings`: default (m=19456,t=2,p=1) and cheapest (m=1024,t=1,p=1)")
	audio := fs.String("audio", "off", "[captcha] audio: off, on, or `off,on`")
	fs.StringVar(&o.delivery, "delivery", "sinks", "how codes reach flowbench: sinks (SMTP and SMS gateway on loopback) or outbox (GET /dev/outbox)")
	fs.IntVar(&o.accounts, "accounts", 0, "accounts to import (0: enough for the longest run, at most 1000)")
	fs.IntVar(&o.repeat, "repeat", 1, "run the whole set this many `times`, interleaved")
	fs.BoolVar(&o.calls, "calls", false, "also print each call's p50 and p99")
	fs.StringVar(&o.perf, "perf", "", "record each measured run's server with `perf record -g` into this `folder` (inflates the figures: for profiles only)")
	fs.StringVar(&o.pprof, "pprof", "", "save Go's CPU and allocation profiles of each measured run's server (/debug/pprof on its metrics listener) into this `folder`: NAME.cpu.pprof, NAME.allocs.pprof, for go tool pprof")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (data, configurations, server logs)")
	fs.BoolVar(&o.debug, "debug", false, "print every flow's codes and passwords (never otherwise)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: flowbench [flags]\n\nWhole password resets against bin/sspr serve --dev: flows/s, latency, server CPU per flow.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, 0, false
		}
		return o, 2, false
	}
	bad := func(format string, a ...any) (options, int, bool) {
		fmt.Fprintf(os.Stderr, "flowbench: "+format+"\n", a...)
		return o, 2, false
	}
	if fs.NArg() > 0 {
		return bad("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, s := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 256 {
			return bad("-users: %q is not a number of users from 1 to 256", s)
		}
		o.users = append(o.users, n)
	}
	for _, s := range strings.Split(*hash, ",") {
		h, ok := hashings[strings.TrimSpace(s)]
		if !ok {
			return bad("-hashing: %q is not default or cheapest", s)
		}
		o.hashing = append(o.hashing, h)
	}
	for _, s := range strings.Split(*audio, ",") {
		switch strings.TrimSpace(s) {
		case "off":
			o.audio = append(o.audio, false)
		case "on":
			o.audio = append(o.audio, true)
		default:
			return bad("-audio: %q is not off or on", s)
		}
	}
	switch {
	case o.delivery != "sinks" && o.delivery != "outbox":
		return bad("-delivery: %q is not sinks or outbox", o.delivery)
	case o.duration < time.Second:
		return bad("-duration: at least 1s")
	case o.warmup < 0 || o.accounts < 0 || o.accounts > maxAccounts || o.repeat < 1:
		return bad("-warmup and -accounts must be 0 or more (-accounts at most %d), -repeat 1 or more", maxAccounts)
	}
	if o.accounts == 0 {
		o.accounts = autoAccounts(slices.Max(o.users), o.warmup, o.duration)
	}
	if o.accounts < slices.Max(o.users) {
		return bad("-accounts: at least one for each user (%d)", slices.Max(o.users))
	}
	return o, 0, true
}

// autoAccounts is enough accounts for a run of the most users at 300
// flows/s (more than this server has reached on two cores), each account
// serving perAccount flows, with a spare one per user.
func autoAccounts(users, warmup int, d time.Duration) int {
	flows := 300*d.Seconds() + float64(users*warmup)
	return min(maxAccounts, max(2*users, users+int(math.Ceil(flows/perAccount))))
}

// bench is everything the runs share.
type bench struct {
	o     options
	dir   string
	book  *codeBook
	smtp  *smtptest.Server
	sms   *smsSink
	tr    *http.Transport
	pw    *passwords
	files importFiles
	// By hashing setting: its data folder (accounts imported) and its
	// accounts.
	data  map[string]string
	pools map[string]*pool

	version string
	digits  int
	started time.Time
	load    string
}

func newBench(ctx context.Context, o options) (*bench, error) {
	if _, err := os.Stat(o.bin); err != nil {
		return nil, fmt.Errorf("%v: build it first (make build)", err)
	}
	if o.pprof != "" {
		if err := os.MkdirAll(o.pprof, 0o755); err != nil {
			return nil, err
		}
	}
	if o.perf != "" {
		if _, err := exec.LookPath("perf"); err != nil {
			return nil, errors.New("-perf: perf is not installed (Debian: linux-perf)")
		}
		if err := os.MkdirAll(o.perf, 0o755); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "flowbench-")
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, dir: dir, book: newCodeBook(), data: map[string]string{}, pools: map[string]*pool{},
		started: time.Now()}
	b.load = loadAverage()
	n := max(slices.Max(o.users)*2, 16)
	b.tr = &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, IdleConnTimeout: time.Minute}
	if out, err := exec.Command(o.bin, "version").Output(); err == nil {
		b.version = strings.TrimSpace(string(out))
	}

	// The configuration every server gets, read back as the server reads
	// it: the accounts and passwords must pass its rules.
	base := filepath.Join(dir, "base.toml")
	if err := os.WriteFile(base, []byte(configText(settings{Hashing: hashings["default"], Delivery: o.delivery,
		SMTPPort: 25, SMSURL: "http://127.0.0.1/sms", MetricsAddr: "127.0.0.1:1"})), 0o600); err != nil {
		return b, err
	}
	cfg, err := config.Load(base)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return b, fmt.Errorf("flowbench's configuration: %w", err)
	}
	b.digits = cfg.Codes.Digits
	if b.pw, err = newPasswords(cfg); err != nil {
		return b, err
	}

	if o.delivery == "sinks" {
		if b.smtp, err = startSMTPSink(b.book, b.digits); err != nil {
			return b, err
		}
		if b.sms, err = startSMSSink(b.book, b.digits); err != nil {
			return b, err
		}
	}

	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	var pwErr error
	accts, err := makeAccounts(o.accounts, cfg.Users.DefaultDomain, cfg.Users.PhoneRegion, cfg.Users.PhoneCountries,
		func(a *account) string {
			pw, err := b.pw.next(rnd, a, nil)
			pwErr = errors.Join(pwErr, err)
			return pw
		})
	if err = errors.Join(err, pwErr); err != nil {
		return b, err
	}
	if b.files, err = writeImportFiles(dir, accts); err != nil {
		return b, err
	}
	for _, h := range o.hashing {
		if err := b.setup(ctx, h); err != nil {
			return b, fmt.Errorf("%s hashing: %w", h.Name, err)
		}
		b.pools[h.Name] = &pool{accts: slices.Clone(accts), perAccount: perAccount}
	}
	return b, nil
}

func (b *bench) settings(h hashing, audio bool) settings {
	s := settings{Hashing: h, Audio: audio, Delivery: b.o.delivery}
	if b.smtp != nil {
		s.SMTPPort, s.SMSURL = b.smtp.Port, b.sms.URL
	}
	return s
}

// setup makes the data folder of a hashing setting: a first start of the
// server makes its database, then the accounts are imported into it.
func (b *bench) setup(ctx context.Context, h hashing) error {
	data := filepath.Join(b.dir, "data-"+h.Name)
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	s := b.settings(h, false)
	srv, err := startServer(ctx, b.o.bin, b.dir, data, s, "setup-"+h.Name)
	if err != nil {
		return err
	}
	srv.Stop()
	cfg := filepath.Join(b.dir, "import-"+h.Name+".toml")
	s.MetricsAddr = "127.0.0.1:1" // not listened on by an import
	if err := os.WriteFile(cfg, []byte(configText(s)), 0o600); err != nil {
		return err
	}
	t0 := time.Now()
	if err := importAccounts(ctx, b.o.bin, cfg, data, b.files); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "flowbench: %d accounts imported for %s hashing in %s\n", b.o.accounts, h.Name, time.Since(t0).Round(time.Millisecond))
	b.data[h.Name] = data
	return nil
}

func (b *bench) close() {
	if b.smtp != nil {
		b.smtp.Stop()
	}
	if b.sms != nil {
		b.sms.Close()
	}
	if b.tr != nil {
		b.tr.CloseIdleConnections()
	}
	if b.o.keep {
		fmt.Fprintln(os.Stderr, "flowbench: kept", b.dir)
		return
	}
	_ = os.RemoveAll(b.dir)
}

// runAll runs every setting at every number of users, -repeat times, one
// set after the other.
func (b *bench) runAll(ctx context.Context) ([]*result, error) {
	var out []*result
	for rep := range b.o.repeat {
		for _, h := range b.o.hashing {
			for _, n := range b.o.users {
				// Audio off and on side by side: the difference is small.
				for _, audio := range b.o.audio {
					r, err := b.runOne(ctx, h, audio, n, rep)
					if r != nil {
						out = append(out, r)
					}
					if err != nil {
						return out, err
					}
				}
			}
		}
	}
	return out, nil
}

// result is what one run measured.
type result struct {
	Hashing hashing
	Audio   bool
	Users   int
	Rep     int

	Flows   int
	Elapsed time.Duration
	Flow    []time.Duration // sorted
	Calls   map[string][]time.Duration
	Errors  map[string]int // the measured flows'
	Warmup  map[string]int // the warm-up's

	ServerCPU time.Duration
	ClientCPU time.Duration
	IdleCPU   time.Duration // the idle server's, per second
	HashCalls float64
	Messages  int64
	Polls     int64
	ArgonCPU  time.Duration // per computation, measured in-process before the run
	// Areas is each area's share of the server's CPU profile of the run,
	// in areaNames' order (argon2id's first); nil if the profile failed.
	Areas []float64
}

func (r *result) failures() int {
	n := 0
	for _, v := range r.Errors {
		n += v
	}
	for _, v := range r.Warmup {
		n += v
	}
	return n
}

func (r *result) label() string {
	a := "off"
	if r.Audio {
		a = "on"
	}
	return fmt.Sprintf("%s hashing, audio %s, %d users", r.Hashing.Name, a, r.Users)
}

func (b *bench) runOne(ctx context.Context, h hashing, audio bool, users, rep int) (*result, error) {
	r := &result{Hashing: h, Audio: audio, Users: users, Rep: rep, ArgonCPU: argonCPU(ctx, h.Params)}
	name := fmt.Sprintf("run%d-%s-audio%v-%du", rep+1, h.Name, audio, users)
	srv, err := startServer(ctx, b.o.bin, b.dir, b.data[h.Name], b.settings(h, audio), name)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var poller *outboxPoller
	if b.o.delivery == "outbox" {
		poller = &outboxPoller{url: srv.URL + "/dev/outbox", client: &http.Client{Transport: b.tr, Timeout: 10 * time.Second},
			book: b.book, interval: 5 * time.Millisecond}
		go poller.run(rctx)
	}
	p := b.pools[h.Name]
	p.reset()
	vus := make([]*vuser, users)
	for i := range vus {
		vus[i] = &vuser{n: i + 1, base: srv.URL, tr: b.tr, book: b.book, pool: p, pw: b.pw,
			rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), debug: b.o.debug}
	}
	if b.o.warmup > 0 {
		w := runUsers(rctx, vus, b.o.warmup, time.Time{})
		r.Warmup = w.errs
	}
	b.book.quiet(rctx, 300*time.Millisecond, 5*time.Second)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// What the idle server spends a second (timers, the delivery queue's
	// polling), over 2 s: /proc counts in 10 ms ticks.
	ia, err := processCPU(srv.Pid)
	if err != nil {
		return nil, err
	}
	time.Sleep(idleWindow)
	ib, err := processCPU(srv.Pid)
	if err != nil {
		return nil, err
	}
	r.IdleCPU = (ib - ia) * time.Second / idleWindow

	hash0, err := hashCount(rctx, srv.Metrics)
	if err != nil {
		return nil, err
	}
	msg0, polls0, client0 := b.book.messages.Load(), pollCount(poller), selfCPU()
	var perf *exec.Cmd
	if b.o.perf != "" {
		perf = exec.Command("perf", "record", "-q", "-F", "499", "-g", "-p", strconv.Itoa(srv.Pid),
			"-o", filepath.Join(b.o.perf, name+".perf.data"))
		perf.Stdout, perf.Stderr = os.Stderr, os.Stderr
		if err := perf.Start(); err != nil {
			return nil, fmt.Errorf("perf: %w", err)
		}
		time.Sleep(200 * time.Millisecond) // perf attaches
	}
	// The CPU profile is always taken: argon2id's share of it is its CPU,
	// and the areas' the rest. -pprof keeps it, and the allocations'.
	var (
		profiles sync.WaitGroup
		cpuProf  []byte
	)
	base := strings.TrimSuffix(srv.Metrics, "/metrics") + "/debug/pprof/"
	secs := max(1, int(b.o.duration.Round(time.Second)/time.Second))
	kinds := map[string]string{"profile": ".cpu.pprof"}
	if b.o.pprof != "" {
		kinds["allocs"] = ".allocs.pprof"
	}
	for kind, file := range kinds {
		profiles.Go(func() {
			p, err := fetchProfile(rctx, fmt.Sprintf("%s%s?seconds=%d", base, kind, secs))
			if err == nil && b.o.pprof != "" {
				err = os.WriteFile(filepath.Join(b.o.pprof, name+file), p, 0o644)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "flowbench: profile: %v\n", err)
			}
			if kind == "profile" {
				cpuProf = p
			}
		})
	}
	cpu0, err := processCPU(srv.Pid)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	st := runUsers(rctx, vus, 0, t0.Add(b.o.duration))
	profiles.Wait()
	if cpuProf != nil {
		if r.Areas, err = cpuAreas(cpuProf); err != nil {
			fmt.Fprintf(os.Stderr, "flowbench: profile: %v\n", err)
		}
	}
	r.Elapsed = time.Since(t0)
	if !st.lastDone.IsZero() {
		r.Elapsed = st.lastDone.Sub(t0)
	}
	// The last flows' notices are still on their way: their delivery is
	// part of those flows' work.
	b.book.quiet(rctx, 200*time.Millisecond, 3*time.Second)
	cpu1, err := processCPU(srv.Pid)
	if err != nil {
		return nil, err
	}
	if perf != nil {
		_ = perf.Process.Signal(os.Interrupt)
		_ = perf.Wait()
	}
	hash1, err := hashCount(rctx, srv.Metrics)
	if err != nil {
		return nil, err
	}
	r.ServerCPU, r.ClientCPU = cpu1-cpu0, selfCPU()-client0
	r.HashCalls = hash1 - hash0
	r.Messages, r.Polls = b.book.messages.Load()-msg0, pollCount(poller)-polls0
	r.Flows, r.Flow, r.Calls, r.Errors = len(st.flows), sortedCopy(st.flows), st.calls, st.errs
	if srv.Exited() {
		return r, fmt.Errorf("the server stopped during the run; its log:\n%s", tail(srv.logPath, 20))
	}
	b.progress(r)
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	return r, nil
}

// progress prints a run's figures as it ends.
func (b *bench) progress(r *result) {
	fmt.Fprintf(os.Stderr, "flowbench: %s: %d flows in %.1f s, %.1f flows/s, p50 %s, p99 %s, %d failed; "+
		"server CPU %s ms/flow (idle %s ms/s), argon2id %.2f/flow at %s ms each; flowbench %s ms/flow\n",
		r.label(), r.Flows, r.Elapsed.Seconds(), r.rate(), latency(percentile(r.Flow, .5)), latency(percentile(r.Flow, .99)),
		r.failures(), msPerFlow(r.ServerCPU, r.Flows), ms(r.IdleCPU), r.hashPerFlow(), ms(r.ArgonCPU), msPerFlow(r.ClientCPU, r.Flows))
}

func pollCount(p *outboxPoller) int64 {
	if p == nil {
		return 0
	}
	return p.polls.Load()
}

// hashCount is how many argon2id computations the server has made: the
// count of its hashing-slot wait histogram, which every hash observes.
func hashCount(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	const name = "sspr_hash_slot_wait_seconds_count"
	v, ok := metricValue(body, name)
	if !ok {
		return 0, fmt.Errorf("metrics: no %s", name)
	}
	return v, nil
}

// selfCPU is flowbench's own CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// argonCPU is the CPU one argon2id computation at p takes here, measured
// in this process with server/secret (as the server hashes and verifies):
// the median of three batches of at least 3 computations and 0.2 s of CPU
// each, after a few to warm up. It counts what the computation's memory
// costs besides the computing: the page faults, and the garbage
// collections its allocation sets off (this process, like the server,
// keeps the password blocklist on its heap). The machine's other work
// moves it (argon2id is bound by memory, which the cores share), so each
// run measures it again just before it starts.
func argonCPU(ctx context.Context, p secret.Params) time.Duration {
	a := secret.NewArgon2(p, 1)
	const plain = "Copper-Lantern-Meadow-7294"
	for range 3 {
		_, _ = a.Hash(ctx, plain)
	}
	var batches []time.Duration
	for range 3 {
		t0 := selfCPU()
		n := 0
		for n < 3 || selfCPU()-t0 < 200*time.Millisecond {
			if _, err := a.Hash(ctx, plain); err != nil {
				return 0
			}
			n++
			if n >= 1000 {
				break
			}
		}
		batches = append(batches, (selfCPU()-t0)/time.Duration(n))
	}
	slices.Sort(batches)
	return batches[1]
}

func paramString(p secret.Params) string {
	return fmt.Sprintf("m=%d KiB, t=%d, p=%d", p.Memory, p.Time, p.Threads)
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// fetchProfile fetches one of the server's Go profiles. The server takes
// it over the run (?seconds=), so this returns when the run is over.
func fetchProfile(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return io.ReadAll(res.Body)
}
