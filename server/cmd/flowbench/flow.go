package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sspr-portal/sspr/app/api"
)

// The calls of a whole reset, in order, as the wizard makes them; the
// waits for a code are the time from the send's answer until the code
// reached the sink (the server's delivery, off the request path).
const (
	callCaptcha       = "captcha"
	callStart         = "start"
	callIntent        = "intent"
	callEmailSend     = "email/send"
	callEmailWait     = "(email arrives)"
	callEmailVerify   = "email/verify"
	callSMSSend       = "sms/send"
	callSMSWait       = "(text arrives)"
	callSMSVerify     = "sms/verify"
	callPassword      = "password"
	callSignInCaptcha = "sign-in captcha"
	callSignIn        = "sign-in"
)

var callOrder = []string{callCaptcha, callStart, callIntent, callEmailSend, callEmailWait, callEmailVerify,
	callSMSSend, callSMSWait, callSMSVerify, callPassword, callSignInCaptcha, callSignIn}

// codeTimeout is how long a code may take to arrive before the flow fails.
const codeTimeout = 15 * time.Second

// flowError is a failed step: the call, the HTTP status and the API's
// error code (or what else went wrong). Never a secret: the API's
// messages quote none.
type flowError struct {
	Call   string
	Status int
	Code   string
	Msg    string
}

func (e *flowError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: %s", e.Call, e.Code)
	}
	return fmt.Sprintf("%s: %d %s", e.Call, e.Status, e.Code)
}

// key is how errors are counted: the call, the status and the code.
func (e *flowError) key() string { return e.Error() }

// pool hands out the accounts: each virtual user resets one account for
// perAccount flows (the server's hourly send limit, codes.max_sends_per_hour,
// with room to spare), then takes the next.
type pool struct {
	accts      []account
	next       atomic.Int64
	perAccount int
}

var errPoolEmpty = errors.New("every account has had its flows: give more -accounts")

func (p *pool) take() (*account, error) {
	i := p.next.Add(1) - 1
	if int(i) >= len(p.accts) {
		return nil, errPoolEmpty
	}
	return &p.accts[i], nil
}

// reset starts again from the first account: a new server knows no sends.
func (p *pool) reset() { p.next.Store(0) }

// stats are what one virtual user measured.
type stats struct {
	flows []time.Duration
	calls map[string][]time.Duration
	errs  map[string]int
	// lastDone is when the last successful flow ended.
	lastDone time.Time
}

func newStats() *stats {
	return &stats{calls: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (s *stats) merge(o *stats) {
	s.flows = append(s.flows, o.flows...)
	for k, v := range o.calls {
		s.calls[k] = append(s.calls[k], v...)
	}
	for k, v := range o.errs {
		s.errs[k] += v
	}
	if o.lastDone.After(s.lastDone) {
		s.lastDone = o.lastDone
	}
}

// vuser is one virtual user: a person at a browser resetting one account
// after another, with no pause between them.
type vuser struct {
	n     int
	base  string
	tr    http.RoundTripper
	book  *codeBook
	pool  *pool
	pw    *passwords
	rnd   *rand.Rand
	debug bool

	acct *account
	used int
	st   *stats
}

// ensureAccount takes a new account when the current one has had its
// flows (or the last flow failed: its state is not to be trusted).
func (u *vuser) ensureAccount() error {
	if u.acct != nil && u.used < u.pool.perAccount {
		return nil
	}
	a, err := u.pool.take()
	if err != nil {
		return err
	}
	u.acct, u.used = a, 0
	return nil
}

// once runs one whole reset and records it. It returns the error of a
// failed flow, after counting it.
func (u *vuser) once(ctx context.Context) error {
	if err := u.ensureAccount(); err != nil {
		u.st.errs["pool: "+err.Error()]++
		return err
	}
	u.used++
	t0 := time.Now()
	err := u.flow(ctx, u.acct)
	if err == nil {
		u.st.lastDone = time.Now()
		u.st.flows = append(u.st.flows, u.st.lastDone.Sub(t0))
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: not the server's failure
	}
	var fe *flowError
	if !errors.As(err, &fe) {
		fe = &flowError{Call: "flow", Code: err.Error()}
	}
	u.st.errs[fe.key()]++
	fmt.Fprintf(os.Stderr, "flowbench: user %d, %s: %v %s\n", u.n, u.acct.ID, fe, fe.Msg)
	u.acct = nil // the next flow starts on a fresh account
	return err
}

// flow is one whole reset by email and text, checked by signing in with
// the new password, exactly as the wizard's pages call the API.
func (u *vuser) flow(ctx context.Context, a *account) error {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: u.tr, Jar: jar, Timeout: 30 * time.Second}

	var cp api.Captcha
	if err := u.call(ctx, c, callCaptcha, api.PathCaptcha, nil, http.StatusCreated, &cp); err != nil {
		return err
	}
	var fr api.FlowResponse
	start := api.StartRequest{User: a.Typed, Captcha: api.CaptchaRef{ID: cp.ID, Answer: captchaAnswer}}
	if err := u.call(ctx, c, callStart, api.PathFlows, start, http.StatusCreated, &fr); err != nil {
		return err
	}
	if err := want(callStart, fr.Flow.State == api.StateChooseIntent, "state %s", fr.Flow.State); err != nil {
		return err
	}
	if err := u.call(ctx, c, callIntent, api.PathFlowIntent, api.IntentRequest{Intent: api.IntentReset}, http.StatusOK, &fr); err != nil {
		return err
	}
	has := func(k api.Kind) bool {
		return slices.ContainsFunc(fr.Flow.Methods, func(m api.Method) bool { return m.Kind == k })
	}
	if err := want(callIntent, fr.Flow.State == api.StateVerify && has(api.KindEmail) && has(api.KindSMS),
		"state %s, methods %v: the account's registrations were not imported?", fr.Flow.State, fr.Flow.Methods); err != nil {
		return err
	}

	email, err := u.code(ctx, c, a.Alt, callEmailSend, callEmailWait, api.PathFlowEmailSend, struct{}{})
	if err != nil {
		return err
	}
	if err := u.call(ctx, c, callEmailVerify, api.PathFlowEmailVerify, api.CodeRequest{Code: email}, http.StatusOK, &fr); err != nil {
		return err
	}
	sms, err := u.code(ctx, c, a.Phone, callSMSSend, callSMSWait, api.PathFlowSMSSend, api.PhoneRequest{Phone: a.PhoneTyped})
	if err != nil {
		return err
	}
	if err := u.call(ctx, c, callSMSVerify, api.PathFlowSMSVerify, api.CodeRequest{Code: sms}, http.StatusOK, &fr); err != nil {
		return err
	}
	if err := want(callSMSVerify, fr.Flow.State == api.StateNewPassword, "state %s", fr.Flow.State); err != nil {
		return err
	}

	pw, err := u.pw.next(u.rnd, a, a.recent)
	if err != nil {
		return &flowError{Call: callPassword, Code: "no_password", Msg: err.Error()}
	}
	if err := u.call(ctx, c, callPassword, api.PathFlowPassword, api.PasswordRequest{Password: pw}, http.StatusOK, &fr); err != nil {
		return err
	}
	if err := want(callPassword, fr.Flow.State == api.StateDone, "state %s", fr.Flow.State); err != nil {
		return err
	}
	a.recent = append(a.recent, pw)
	if len(a.recent) > 8 {
		a.recent = a.recent[1:]
	}

	// The check: sign in with the new password, as the registration page
	// does, with a CAPTCHA of its own.
	if err := u.call(ctx, c, callSignInCaptcha, api.PathCaptcha, nil, http.StatusCreated, &cp); err != nil {
		return err
	}
	var sr api.SessionResponse
	in := api.SignInRequest{User: a.Typed, Password: pw, Captcha: api.CaptchaRef{ID: cp.ID, Answer: captchaAnswer}}
	if err := u.call(ctx, c, callSignIn, api.PathSession, in, http.StatusCreated, &sr); err != nil {
		return err
	}
	if err := want(callSignIn, sr.Session.User == a.ID && !sr.Session.MustChange,
		"signed in as %q, must_change %v", sr.Session.User, sr.Session.MustChange); err != nil {
		return err
	}
	if u.debug {
		fmt.Fprintf(os.Stderr, "flowbench: debug: user %d reset %s: email code %s, text code %s, new password %s\n",
			u.n, a.ID, email, sms, pw)
	}
	return nil
}

// want is a flowError when ok is false: the answer was not what the step
// should give.
func want(call string, ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return &flowError{Call: call, Status: http.StatusOK, Code: "unexpected_answer", Msg: fmt.Sprintf(format, args...)}
}

// code asks for a code to be sent to `to` and waits for it to arrive.
func (u *vuser) code(ctx context.Context, c *http.Client, to, send, wait, path string, body any) (string, error) {
	w := u.book.expect(to)
	defer u.book.forget(to, w)
	var fr api.FlowResponse
	if err := u.call(ctx, c, send, path, body, http.StatusOK, &fr); err != nil {
		return "", err
	}
	t0 := time.Now()
	code, err := w.wait(ctx, codeTimeout)
	if err != nil {
		return "", &flowError{Call: wait, Code: err.Error()}
	}
	u.st.calls[wait] = append(u.st.calls[wait], time.Since(t0))
	return code, nil
}

// The headers a browser's fetch from the wizard sends.
const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36 flowbench"

// call POSTs body (JSON; none for nil) to path and decodes the answer into
// out. An answer other than wantStatus is a flowError with the API's code.
func (u *vuser) call(ctx context.Context, c *http.Client, name, path string, body any, wantStatus int, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.base+path, rd)
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("Accept-Language", "en-GB,en;q=0.9")
	h.Set("Origin", u.base)
	h.Set("Sec-Fetch-Site", "same-origin")
	h.Set("User-Agent", userAgent)
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return &flowError{Call: name, Code: "transport", Msg: err.Error()}
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return &flowError{Call: name, Status: res.StatusCode, Code: "transport", Msg: err.Error()}
	}
	u.st.calls[name] = append(u.st.calls[name], d)
	if res.StatusCode != wantStatus {
		var eb api.ErrorBody
		fe := &flowError{Call: name, Status: res.StatusCode, Code: "not_json"}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			fe.Code, fe.Msg = string(eb.Error.Code), eb.Error.Message
		}
		return fe
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return &flowError{Call: name, Status: res.StatusCode, Code: "bad_json", Msg: err.Error()}
		}
	}
	return nil
}

// runUsers runs the virtual users until each has done flows flows (flows
// > 0), or until the time is up (flows == 0: no user starts a flow after
// until), and returns what they measured. A failed flow is counted and the
// user goes on with a fresh account; every user stops once maxErrors flows
// failed in all, or when the accounts run out.
func runUsers(ctx context.Context, users []*vuser, flows int, until time.Time) *stats {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const maxErrors = 50
	var failed atomic.Int64
	all := newStats()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range users {
		u.st = newStats()
		wg.Go(func() {
			for k := 0; ctx.Err() == nil; k++ {
				if flows > 0 && k >= flows || flows == 0 && !time.Now().Before(until) {
					break
				}
				if err := u.once(ctx); err != nil {
					if errors.Is(err, errPoolEmpty) || failed.Add(1) >= maxErrors {
						cancel()
					}
				}
			}
			mu.Lock()
			all.merge(u.st)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}
