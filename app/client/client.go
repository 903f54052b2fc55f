// Package client calls the portal's v1 JSON API from the browser. In the
// wasm build it goes through the browser's fetch (client_js.go): no
// net/http, which would add about a megabyte to the bundle. Elsewhere (the
// server, which imports app/ui to prerender the pages, and tests) every call
// fails with ErrNoBrowser unless a test installs its own transport.
//
// Every function blocks until the answer arrives: call them from a
// goroutine (go-app's ctx.Async), never from the UI goroutine.
package client

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/app/api"
)

// ErrOffline is returned when the request never reached the server: no
// network, or the server could not be reached at all.
var ErrOffline = errors.New("client: offline")

// ErrTimeout is returned when the server took too long to answer.
var ErrTimeout = errors.New("client: the server took too long to answer")

// ErrNoBrowser is returned outside the browser, where there is no fetch.
var ErrNoBrowser = errors.New("client: not running in a browser")

// The methods of the API.
const (
	get  = "GET"
	post = "POST"
	put  = "PUT"
	del  = "DELETE"
)

// Request is one call as the transport sends it. Body is nil for GET and
// DELETE; every method but GET carries Content-Type: application/json.
type Request struct {
	Method string
	Path   string
	Body   []byte
}

// Response is the transport's answer. Date is the server's Date header
// (zero when absent).
type Response struct {
	Status int
	Body   []byte
	Date   time.Time
}

// Transport sends one request. It returns ErrOffline when the server could
// not be reached. The wasm build sets it to the browser's fetch; tests may
// replace it.
var Transport func(Request) (Response, error) = transport

var (
	skewMu sync.Mutex
	skew   time.Duration // server clock minus ours, from the last Date header
)

// Now is the server's idea of the current time: the local clock corrected
// by the Date header of the last answer, so that countdowns to a server
// time (resend_at) are right even when the device's clock is not.
func Now() time.Time {
	skewMu.Lock()
	defer skewMu.Unlock()
	return time.Now().Add(skew)
}

var (
	usedMu sync.Mutex
	used   time.Time // the last answer that used the signed-in session
)

// SessionUsed is when a call last used the signed-in session (by Now):
// each one restarts the session's idle timeout on the server, so the
// session expires an idle timeout after it.
func SessionUsed() time.Time {
	usedMu.Lock()
	defer usedMu.Unlock()
	return used
}

// usesSession reports whether a call to path travels with the signed-in
// session, and so restarts its idle timeout.
func usesSession(path string) bool {
	return strings.HasPrefix(path, api.PathSession) || strings.HasPrefix(path, api.PathRegistration)
}

// Do sends method to path with in as the JSON body and decodes a success
// into out (either may be nil). State-changing calls always carry
// Content-Type: application/json, and a POST a body ({} when in is nil), as
// the API requires. A refusal is returned as *api.Error; a network failure as
// ErrOffline.
func Do(method, path string, in, out any) error {
	req := Request{Method: method, Path: path}
	switch {
	case in != nil:
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		req.Body = b
	case method == post:
		req.Body = []byte("{}")
	}
	res, err := Transport(req)
	if err != nil {
		return err
	}
	if !res.Date.IsZero() {
		skewMu.Lock()
		// The Date header has whole seconds: ignore differences below
		// two seconds rather than add jitter.
		if d := time.Until(res.Date); d > 2*time.Second || d < -2*time.Second {
			skew = d
		} else {
			skew = 0
		}
		skewMu.Unlock()
	}
	if res.Status >= 200 && res.Status < 300 {
		if usesSession(path) {
			now := Now()
			usedMu.Lock()
			used = now
			usedMu.Unlock()
		}
		if out == nil || len(res.Body) == 0 {
			return nil
		}
		if err := json.Unmarshal(res.Body, out); err != nil {
			return &api.Error{Code: api.CodeInternal, Message: unreadable}
		}
		return nil
	}
	var eb api.ErrorBody
	if err := json.Unmarshal(res.Body, &eb); err != nil || eb.Error == nil || eb.Error.Code == "" {
		// Not the API's answer: a proxy's error page, or an old service
		// worker's cache.
		return &api.Error{Code: api.CodeInternal, Message: unreadable}
	}
	return eb.Error
}

const unreadable = "Something went wrong on our side. Try again, or contact the service desk."

// Config returns the portal's public configuration.
func Config() (api.Config, error) {
	var c api.Config
	err := Do(get, api.PathConfig, nil, &c)
	return c, err
}

// Policy returns the password policy, for the checklist.
func Policy() (api.Policy, error) {
	var p api.PolicyResponse
	err := Do(get, api.PathPolicy, nil, &p)
	return p.Policy, err
}

// NewCaptcha returns a new CAPTCHA challenge.
func NewCaptcha() (api.Captcha, error) {
	var c api.Captcha
	err := Do(post, api.PathCaptcha, nil, &c)
	return c, err
}

// ExtendCaptcha gives CAPTCHA id more time (the page's "Continue"), and
// says when it now expires.
func ExtendCaptcha(id string) (api.CaptchaTime, error) {
	var ct api.CaptchaTime
	err := Do(post, api.PathCaptchaExtend, api.CaptchaExtendRequest{ID: id}, &ct)
	return ct, err
}

// ExtendFlow gives the flow more time (the page's "Continue").
func ExtendFlow() (api.Flow, error) {
	return flowCall(post, api.PathFlowExtend, nil)
}

// flowCall makes a call that answers a flow.
func flowCall(method, path string, in any) (api.Flow, error) {
	var f api.FlowResponse
	err := Do(method, path, in, &f)
	return f.Flow, err
}

// StartFlow starts a flow for a user id, with the CAPTCHA answered.
func StartFlow(user string, captcha api.CaptchaRef) (api.Flow, error) {
	return flowCall(post, api.PathFlows, api.StartRequest{User: user, Captcha: captcha})
}

// CurrentFlow returns this session's flow (api.CodeFlowMissing when there
// is none).
func CurrentFlow() (api.Flow, error) {
	return flowCall(get, api.PathFlow, nil)
}

// ChooseIntent says whether the user resets or unlocks.
func ChooseIntent(i api.Intent) (api.Flow, error) {
	return flowCall(post, api.PathFlowIntent, api.IntentRequest{Intent: i})
}

// SendEmail sends a code to the alternate email address.
func SendEmail() (api.Flow, error) {
	return flowCall(post, api.PathFlowEmailSend, nil)
}

// VerifyEmail checks the code sent by email.
func VerifyEmail(code string) (api.Flow, error) {
	return flowCall(post, api.PathFlowEmailVerify, api.CodeRequest{Code: code})
}

// SendSMS texts a code to phone, which must be the registered number.
func SendSMS(phone string) (api.Flow, error) {
	return flowCall(post, api.PathFlowSMSSend, api.PhoneRequest{Phone: phone})
}

// VerifySMS checks the code sent by text.
func VerifySMS(code string) (api.Flow, error) {
	return flowCall(post, api.PathFlowSMSVerify, api.CodeRequest{Code: code})
}

// Questions returns the security questions drawn for this flow.
func Questions() ([]api.Question, error) {
	var q api.QuestionsResponse
	err := Do(get, api.PathFlowQuestions, nil, &q)
	return q.Questions, err
}

// VerifyAnswers checks the answers, by question id.
func VerifyAnswers(answers map[string]string) (api.Flow, error) {
	return flowCall(post, api.PathFlowQuestionsOK, api.AnswersRequest{Answers: answers})
}

// ErrPasskey: the browser made or used no passkey (the person cancelled,
// or none of theirs is on this device).
var ErrPasskey = errors.New("no passkey was used")

// VerifyPasskey asks the browser for the account's passkey, with the
// options the flow gives, and sends its answer.
func VerifyPasskey() (api.Flow, error) {
	var o api.PasskeyOptions
	if err := Do(post, api.PathFlowPasskey, nil, &o); err != nil {
		return api.Flow{}, err
	}
	cred, err := passkey("get", string(o.Options))
	if err != nil {
		return api.Flow{}, err
	}
	return flowCall(post, api.PathFlowPasskeyVerify, api.PasskeyRequest{Credential: json.RawMessage(cred)})
}

// VerifyTOTP checks a code from the authenticator app.
func VerifyTOTP(code string) (api.Flow, error) {
	return flowCall(post, api.PathFlowTOTPVerify, api.CodeRequest{Code: code})
}

// SetPassword sets the new password.
func SetPassword(password string) (api.Flow, error) {
	return flowCall(post, api.PathFlowPassword, api.PasswordRequest{Password: password})
}

// EndFlow cancels this session's flow.
func EndFlow() error {
	return Do(del, api.PathFlow, nil, nil)
}
