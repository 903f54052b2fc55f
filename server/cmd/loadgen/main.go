// Command loadgen drives the flow API of a running portal from a second
// process and reports latency per call. It runs the reset path a client
// takes (captcha, start, intent, send a code, verify a code) for distinct
// users, at a fixed arrival rate (open loop, so a slow server can't slow
// the offered load and hide its own latency), or as fast as N workers can
// (closed loop) to find the ceiling.
//
//	loadgen -url http://127.0.0.1:8080 -captcha 424242 -rate 500 -duration 20s
//
// The server must run in dev mode with -dev-captcha-answer, and with limits
// raised for one address (bench/bench.toml): every request comes from
// loopback.
//
// -users FILE (one id a line) or -user-pattern with -user-count (such as
// million-%07d and 1000000, the accounts scripts/million.sh imports) take
// the reset and send scenarios' ids from real accounts, each once, in a
// random order: the store then answers from its whole size, not from a few
// hot rows. -pid samples the server's resident memory (VmRSS) through the
// run and reports it at the start, the middle and the end.
//
// -scenario send measures "send code" when the code really leaves: captcha,
// start, intent and email/send for the registered demo accounts in turn,
// with the server's email going to an SMTP sink that loadgen runs itself
// on -smtp (delivery.toml points the server at it), healthy, slow
// (-smtp-delay 2s) or down (no -smtp: nothing listens).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/internal/smtptest"
)

type sample struct {
	call string
	d    time.Duration
	ok   bool
}

type recorder struct {
	mu      sync.Mutex
	samples []sample
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the portal's address")
	answer := flag.String("captcha", "424242", "the server's -dev-captcha-answer")
	rate := flag.Int("rate", 500, "requests per second offered (open loop); 0 for closed loop")
	workers := flag.Int("workers", 32, "workers in closed loop")
	duration := flag.Duration("duration", 20*time.Second, "how long to run")
	which := flag.String("scenario", "reset", `"reset": captcha, start, intent, send, verify for a new user each time; "signin": captcha and a sign-in with the right password (argon2id-bound)`)
	smtpAddr := flag.String("smtp", "", "with -scenario send: run an SMTP sink (plain, loopback) on this `address`; empty: none (SMTP down)")
	smtpDelay := flag.Duration("smtp-delay", 0, "the sink takes this long to accept each message (slow SMTP)")
	usersFile := flag.String("users", "", "reset and send scenarios: take the user ids from this `file`, one a line, each once in a random order")
	userPattern := flag.String("user-pattern", "", "reset and send scenarios: user ids made from this fmt `pattern` and 1 to -user-count, such as million-%07d")
	userCount := flag.Int("user-count", 0, "how many ids -user-pattern makes")
	seed := flag.Uint64("seed", 0, "seed of the ids' random order (0: a new order each run)")
	pid := flag.Int("pid", 0, "the server's process `id`: report its resident memory (VmRSS) at the start, middle and end of the run")
	flag.Parse()

	if *seed == 0 {
		*seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(*seed, *seed))
	var ids *idSource
	var err error
	switch {
	case *usersFile != "" && *userPattern != "":
		err = fmt.Errorf("-users and -user-pattern: give one of them")
	case *usersFile != "":
		ids, err = fileIDs(*usersFile, rng)
	case *userPattern != "":
		ids, err = patternIDs(*userPattern, *userCount, rng)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}

	var sink *smtptest.Server
	if *smtpAddr != "" {
		var err error
		sink, err = smtptest.New(smtptest.Options{NoTLS: true}, *smtpAddr, "")
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: smtp sink:", err)
			os.Exit(1)
		}
		sink.Slow(*smtpDelay)
		defer sink.Stop()
	}

	transport := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	rec := &recorder{}
	var seq atomic.Int64
	scenario := func() {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Transport: transport, Jar: jar, Timeout: 10 * time.Second}
		n := seq.Add(1)
		user := fmt.Sprintf("load-%d-%d@example.edu", os.Getpid(), n)
		if ids != nil {
			user = ids.Next()
		}
		var cp api.Captcha
		if !call(c, rec, "captcha", *base+api.PathCaptcha, nil, http.StatusCreated, &cp) {
			return
		}
		start := api.StartRequest{User: user, Captcha: api.CaptchaRef{ID: cp.ID, Answer: *answer}}
		if !call(c, rec, "start", *base+api.PathFlows, start, http.StatusCreated, nil) {
			return
		}
		if !call(c, rec, "intent", *base+api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}, http.StatusOK, nil) {
			return
		}
		if !call(c, rec, "email/send", *base+api.PathFlowEmailSend, struct{}{}, http.StatusOK, nil) {
			return
		}
		call(c, rec, "email/verify", *base+api.PathFlowEmailVerify, api.CodeRequest{Code: "00000000"}, http.StatusBadRequest, nil)
	}
	callsPerScenario := 5
	if *which == "send" {
		// The demo accounts with an alternate email; delivery.toml lifts
		// their per-account limits enough for a short run.
		users := []string{"alice", "erin", "dave"}
		callsPerScenario = 4
		scenario = func() {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: transport, Jar: jar, Timeout: 10 * time.Second}
			user := users[int(seq.Add(1))%len(users)]
			if ids != nil {
				user = ids.Next()
			}
			var cp api.Captcha
			if !call(c, rec, "captcha", *base+api.PathCaptcha, nil, http.StatusCreated, &cp) {
				return
			}
			start := api.StartRequest{User: user, Captcha: api.CaptchaRef{ID: cp.ID, Answer: *answer}}
			if !call(c, rec, "start", *base+api.PathFlows, start, http.StatusCreated, nil) {
				return
			}
			if !call(c, rec, "intent", *base+api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}, http.StatusOK, nil) {
				return
			}
			call(c, rec, "email/send", *base+api.PathFlowEmailSend, struct{}{}, http.StatusOK, nil)
		}
	}
	if *which == "signin" {
		callsPerScenario = 2
		scenario = func() {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second}
			var cp api.Captcha
			if !call(c, rec, "captcha", *base+api.PathCaptcha, nil, http.StatusCreated, &cp) {
				return
			}
			in := api.SignInRequest{User: "alice", Password: "Alice-Old-Password-1", Captcha: api.CaptchaRef{ID: cp.ID, Answer: *answer}}
			call(c, rec, "signin", *base+api.PathSession, in, http.StatusCreated, nil)
		}
	}

	if ids != nil {
		fmt.Printf("user ids: %d, in a random order (-seed %d)\n", ids.Len(), *seed)
	}
	var watch *rssWatch
	if *pid != 0 {
		watch = watchRSS(*pid, time.Second)
	}
	began := time.Now()
	var wg sync.WaitGroup
	if *rate > 0 {
		interval := time.Second * time.Duration(callsPerScenario) / time.Duration(*rate)
		tick := time.NewTicker(interval)
		for time.Since(began) < *duration {
			<-tick.C
			wg.Go(scenario)
		}
		tick.Stop()
	} else {
		for range *workers {
			wg.Go(func() {
				for time.Since(began) < *duration {
					scenario()
				}
			})
		}
	}
	wg.Wait()
	if watch != nil {
		watch.Stop()
	}
	report(rec.samples, time.Since(began), *rate, *workers)
	if watch != nil {
		fmt.Println(watch.summary())
	}
	if sink != nil {
		// Let the queue finish what it holds, then say what arrived.
		for last, n := -1, sink.Count(); n != last; last, n = n, sink.Count() {
			time.Sleep(*smtpDelay + 500*time.Millisecond)
		}
		fmt.Printf("smtp sink: %d messages arrived (delay %v)\n", sink.Count(), *smtpDelay)
	}
}

// call sends one request and records its latency; ok is false for an
// answer other than want.
func call(c *http.Client, rec *recorder, name, url string, body any, want int, out any) bool {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, url, rd)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		rec.add(sample{name, time.Since(t0), false})
		return false
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	ok := res.StatusCode == want
	if ok && out != nil {
		ok = json.Unmarshal(b, out) == nil
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "%s: %d %s\n", name, res.StatusCode, bytes.TrimSpace(b))
	}
	rec.add(sample{name, d, ok})
	return ok
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

func report(samples []sample, elapsed time.Duration, rate, workers int) {
	mode := fmt.Sprintf("open loop, %d req/s offered", rate)
	if rate == 0 {
		mode = fmt.Sprintf("closed loop, %d workers", workers)
	}
	fmt.Printf("%s, %s: %d requests, %.0f req/s achieved\n", mode, elapsed.Round(time.Millisecond), len(samples), float64(len(samples))/elapsed.Seconds())
	by := map[string][]time.Duration{}
	errs := map[string]int{}
	var all []time.Duration
	for _, s := range samples {
		by[s.call] = append(by[s.call], s.d)
		all = append(all, s.d)
		if !s.ok {
			errs[s.call]++
		}
	}
	names := []string{"captcha", "start", "intent", "email/send", "email/verify", "signin"}
	names = slices.DeleteFunc(names, func(n string) bool { return by[n] == nil })
	fmt.Printf("%-14s %8s %7s %9s %9s %9s %9s\n", "call", "count", "errors", "p50", "p90", "p99", "max")
	for _, n := range append(names, "all") {
		ds := by[n]
		if n == "all" {
			ds = all
			errs["all"] = 0
			for _, k := range names {
				errs["all"] += errs[k]
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("%-14s %8d %7d %9s %9s %9s %9s\n", n, len(ds), errs[n], r(pct(ds, .5)), r(pct(ds, .9)), r(pct(ds, .99)), r(pct(ds, 1)))
	}
}

func r(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
