package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/sspr"
)

// probe runs `sspr probe`: the synthetic check of a running portal
// (docs/OPERATIONS.md#the-synthetic-check). It resets the canary
// account's password through the public address, as a person would: the
// probe's token instead of the CAPTCHA, then an emailed code and a texted
// code, then a new password. The codes are read where the portal keeps
// them, the durable outbox, with the configuration and key file the
// servers use. It prints the time of each step and exits 0 when the whole
// reset worked, 1 when a step failed.
func probe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr probe", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` the servers use ([probe], the database, the key file)")
	data := fset.String("data", "", "the data `folder`, instead of server.data_dir")
	url := fset.String("url", "", "the portal's `address`, instead of server.public_url")
	phone := fset.String("phone", "", "the canary's registered mobile `number`, as its owner would type it")
	asJSON := fset.Bool("json", false, "print the result as JSON, for a monitoring system")
	timeout := fset.Duration("timeout", 60*time.Second, "give up after this long")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr probe --config FILE --phone NUMBER [--url URL] [--json]\n\n"+
			"Resets the [probe] canary account's password through the portal, end to end, and prints\n"+
			"the time of each step. Exit status 0: it worked; 1: a step failed.\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	if *phone == "" {
		fmt.Fprintln(stderr, "sspr probe: --phone is required: the canary's registered mobile number")
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	p, cfg, code := openTool(ctx, "sspr probe", *cfgPath, *data, stderr)
	if p == nil {
		return code
	}
	defer p.Close(context.WithoutCancel(ctx))
	if cfg.Probe.Account == "" {
		fmt.Fprintln(stderr, "sspr probe: [probe] account is not set: the portal accepts no probe")
		return exitError
	}
	token, err := cfg.Probe.Token()
	if err != nil {
		fmt.Fprintf(stderr, "sspr probe: %v\n", err)
		return exitError
	}
	account, err := canon.UserID(cfg.Probe.Account, cfg.Users.DefaultDomain)
	if err != nil {
		fmt.Fprintf(stderr, "sspr probe: probe.account: %v\n", err)
		return exitError
	}
	base := *url
	if base == "" {
		base = cfg.PublicURL().String()
	}
	r := &prober{base: strings.TrimSuffix(base, "/"), token: token, account: account, phone: *phone, p: p}
	r.run(ctx)
	if *asJSON {
		b, _ := json.Marshal(r.res)
		fmt.Fprintln(stdout, string(b))
	} else {
		for _, s := range r.res.Steps {
			fmt.Fprintf(stdout, "%-12s %6d ms  %s\n", s.Name, s.Millis, s.Error)
		}
		fmt.Fprintf(stdout, "%-12s %6d ms  %s\n", "total", r.res.Millis, map[bool]string{true: "ok", false: "FAILED"}[r.res.OK])
	}
	if !r.res.OK {
		return exitError
	}
	return exitOK
}

// probeResult is what a probe prints.
type probeResult struct {
	OK     bool        `json:"ok"`
	Millis int64       `json:"ms"`
	Steps  []probeStep `json:"steps"`
}

type probeStep struct {
	Name   string `json:"step"`
	Millis int64  `json:"ms"`
	Error  string `json:"error,omitempty"`
}

// prober drives one reset of the canary.
type prober struct {
	base, token, account, phone string
	p                           *portal.Portal
	hc                          *http.Client
	res                         probeResult
}

func (r *prober) run(ctx context.Context) {
	jar, _ := cookiejar.New(nil)
	r.hc = &http.Client{Jar: jar, Timeout: 15 * time.Second}
	began := time.Now()
	defer func() { r.res.Millis = time.Since(began).Milliseconds() }()
	newPassword, err := probePassword()
	if err != nil {
		r.res.Steps = append(r.res.Steps, probeStep{Name: "password", Error: err.Error()})
		return
	}
	var before map[string]bool // the messages stored before a code was asked for
	steps := []struct {
		name string
		do   func() error
	}{
		{"start", func() error {
			return r.call(ctx, api.PathFlows, api.StartRequest{User: r.account}, http.StatusCreated, true)
		}},
		{"intent", func() error {
			return r.call(ctx, api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}, http.StatusOK, false)
		}},
		{"email-send", func() error {
			if before, err = r.stored(ctx); err != nil {
				return err
			}
			return r.call(ctx, api.PathFlowEmailSend, struct{}{}, http.StatusOK, false)
		}},
		{"email-code", func() error {
			c, err := r.code(ctx, sspr.Email, before)
			if err == nil {
				err = r.call(ctx, api.PathFlowEmailVerify, api.CodeRequest{Code: c}, http.StatusOK, false)
			}
			return err
		}},
		{"sms-send", func() error {
			if before, err = r.stored(ctx); err != nil {
				return err
			}
			return r.call(ctx, api.PathFlowSMSSend, api.PhoneRequest{Phone: r.phone}, http.StatusOK, false)
		}},
		{"sms-code", func() error {
			c, err := r.code(ctx, sspr.SMS, before)
			if err == nil {
				err = r.call(ctx, api.PathFlowSMSVerify, api.CodeRequest{Code: c}, http.StatusOK, false)
			}
			return err
		}},
		{"password", func() error {
			return r.call(ctx, api.PathFlowPassword, api.PasswordRequest{Password: newPassword}, http.StatusOK, false)
		}},
	}
	for _, s := range steps {
		t := time.Now()
		err := s.do()
		st := probeStep{Name: s.name, Millis: time.Since(t).Milliseconds()}
		if err != nil {
			st.Error = err.Error()
		}
		r.res.Steps = append(r.res.Steps, st)
		if err != nil {
			return
		}
	}
	r.res.OK = true
}

// call POSTs in to path and wants status; the first call carries the
// probe's token.
func (r *prober) call(ctx context.Context, path string, in any, status int, withToken bool) error {
	b, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if withToken {
		req.Header.Set(httpapi.ProbeHeader, r.token)
	}
	res, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != status {
		var eb api.ErrorBody
		if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
			return fmt.Errorf("%d %s: %s", res.StatusCode, eb.Error.Code, eb.Error.Message)
		}
		return fmt.Errorf("answered %d, not %d", res.StatusCode, status)
	}
	return nil
}

// recentMessages is how many of the outbox's last messages the probe
// reads: a busy portal stores a few a second.
const recentMessages = 200

// stored is the ids of the messages in the outbox now.
func (r *prober) stored(ctx context.Context) (map[string]bool, error) {
	msgs, err := r.p.Delivery.Queue.Recent(ctx, recentMessages)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[m.ID] = true
	}
	return ids, nil
}

// code waits for a code on channel ch for the canary, stored in the
// durable outbox after the messages in before.
func (r *prober) code(ctx context.Context, ch sspr.Channel, before map[string]bool) (string, error) {
	for {
		msgs, err := r.p.Delivery.Queue.Recent(ctx, recentMessages)
		if err != nil {
			return "", err
		}
		for _, m := range msgs {
			if m.Account == r.account && m.Channel == ch && m.Code != "" && !before[m.ID] {
				return m.Code, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", errors.New("no code reached the outbox in time")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// probePassword is a new password for the canary: 24 random characters
// of every class, which any sensible policy takes.
func probePassword() (string, error) {
	const (
		lower  = "abcdefghijkmnpqrstuvwxyz"
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits = "23456789"
		marks  = "-_.!"
	)
	classes := []string{lower, upper, digits, marks}
	var b strings.Builder
	for i := range 24 {
		set := classes[i%len(classes)]
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return "", err
		}
		b.WriteByte(set[n.Int64()])
	}
	return b.String(), nil
}
