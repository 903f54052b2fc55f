// Package httpapi is the portal's HTTP layer: the v1 JSON API that
// docs/API.md describes, the security headers and request checks every
// response gets, and the session cookie. It holds no state of its own: the flow
// engine and the backends behind it keep everything.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Engine is the self-service engine (server/selfservice), as the handlers
// use it.
type Engine interface {
	// The reset and unlock flow.
	Start(ctx context.Context, rawUser string, c sspr.Client) (api.Flow, error)
	// StartProbe starts the canary's flow with the probe's token instead
	// of a CAPTCHA (selfservice: probe.go).
	StartProbe(ctx context.Context, rawUser, token string, c sspr.Client) (api.Flow, error)
	Flow(ctx context.Context, id string) (api.Flow, error)
	// Extend gives the flow more time, within its absolute end.
	Extend(ctx context.Context, id string) (api.Flow, error)
	ChooseIntent(ctx context.Context, id string, in api.Intent, c sspr.Client) (api.Flow, error)
	SendCode(ctx context.Context, id string, k api.Kind, typed string, c sspr.Client) (api.Flow, error)
	VerifyCode(ctx context.Context, id string, k api.Kind, code string, c sspr.Client) (api.Flow, error)
	Questions(ctx context.Context, id string) ([]api.Question, error)
	VerifyAnswers(ctx context.Context, id string, answers map[string]string, c sspr.Client) (api.Flow, error)
	VerifyTOTP(ctx context.Context, id, code string, c sspr.Client) (api.Flow, error)
	PasskeyOptions(ctx context.Context, id string, c sspr.Client) (api.PasskeyOptions, error)
	VerifyPasskey(ctx context.Context, id string, credential json.RawMessage, c sspr.Client) (api.Flow, error)
	SetPassword(ctx context.Context, id, password string, c sspr.Client) (api.Flow, error)
	Cancel(ctx context.Context, id string) error

	// Signing in, registering the methods, changing the password.
	SignIn(ctx context.Context, rawUser, password string, c sspr.Client) (string, api.Session, error)
	Session(ctx context.Context, id string) (api.Session, error)
	Reauth(ctx context.Context, id, password string, c sspr.Client) (api.Session, error)
	SignOut(ctx context.Context, id string) error
	Registration(ctx context.Context, id string) (api.Registration, error)
	Register(ctx context.Context, id string, k api.Kind, raw string, c sspr.Client) (api.Registration, error)
	Confirm(ctx context.Context, id string, k api.Kind, code string, c sspr.Client) (api.Registration, error)
	SetAnswers(ctx context.Context, id string, answers []api.AnswerInput, c sspr.Client) (api.Registration, error)
	StartTOTP(ctx context.Context, id string, c sspr.Client) (api.TOTPSetup, error)
	ConfirmTOTP(ctx context.Context, id, code string, c sspr.Client) (api.Registration, error)
	PasskeyCreation(ctx context.Context, id string, c sspr.Client) (api.PasskeyOptions, error)
	AddPasskey(ctx context.Context, id, name string, credential json.RawMessage, c sspr.Client) (api.Registration, error)
	RemovePasskey(ctx context.Context, id, credID string, c sspr.Client) (api.Registration, error)
	Remove(ctx context.Context, id string, k api.Kind, c sspr.Client) (api.Registration, error)
	ChangePassword(ctx context.Context, id, current, next string, c sspr.Client) error

	// The service desk's staff: signing in with the password and a code
	// to one of their own methods.
	StaffSignIn(ctx context.Context, rawUser, password string, c sspr.Client) (string, deskapi.StaffSession, error)
	StaffSendCode(ctx context.Context, id string, k api.Kind, c sspr.Client) (deskapi.StaffSession, error)
	StaffVerify(ctx context.Context, id string, k api.Kind, code string, c sspr.Client) (string, deskapi.StaffSession, error)
	Staff(ctx context.Context, id string) (deskapi.StaffSession, error)
	StaffSignOut(ctx context.Context, id string) error
	Person(ctx context.Context, staffID, rawUser string, c sspr.Client) (deskapi.Person, error)
	FindPeople(ctx context.Context, staffID, term string, c sspr.Client) ([]deskapi.PersonHit, error)
	Coverage(ctx context.Context, staffID string, c sspr.Client) (deskapi.Coverage, error)
	DeskUnlock(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.Person, error)
	DeskLiftBlock(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.Person, error)
	DeskClearRegistration(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.Person, error)
	DeskRecoveryPass(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.RecoveryPassResponse, error)
	UsePass(ctx context.Context, id, pass string, c sspr.Client) (api.Flow, error)

	// CountCaptcha counts a CAPTCHA made for the client against l.
	CountCaptcha(ctx context.Context, c sspr.Client, l selfservice.Limit) error
}

// Captcha makes and checks CAPTCHAs.
type Captcha interface {
	Create(ctx context.Context) (api.Captcha, error)
	// Picture makes one without its sound, for a prerendered page, and
	// says when it expires; Sound draws the sound of one when asked for
	// (nil: no such CAPTCHA).
	Picture(ctx context.Context) (api.Captcha, time.Time, error)
	Sound(ctx context.Context, id string) ([]byte, error)
	Verify(ctx context.Context, id, answer string) (bool, error)
	// Extend gives one more time, within its absolute end, and says when
	// it now expires and that end (an *sspr.Error with code not_found for
	// one that is gone).
	Extend(ctx context.Context, id string) (expires, ends time.Time, err error)
}

// Check is a readiness check of one backend.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
	// Degrades marks a backend the portal can work without for a while,
	// such as a sender whose messages wait in the queue: when it fails,
	// /readyz says "degraded" but still answers 200, so a load balancer
	// keeps the server (questions still work, and the queue retries).
	Degrades bool
}

// Options configure the handler.
type Options struct {
	Engine  Engine
	Captcha Captcha
	// Catalog is the security-question catalogue offered at registration.
	Catalog api.CatalogResponse
	// CaptchaLimit limits CAPTCHAs made per client address
	// (docs/SECURITY.md#address-throttles).
	CaptchaLimit selfservice.Limit
	Config       api.Config
	Policy       api.Policy
	// PolicyRules are the policy's rules as the domain has them, for
	// putting Policy's into each request's language.
	PolicyRules []sspr.Rule
	// Locale is the portal's languages: every request's is chosen by it
	// (a ?lang= choice, the cookie, Accept-Language), and the API's
	// messages are put in it. Nil: every language the portal has.
	Locale *locale.Set
	// SessionKeys are the 64-byte authentication and 32-byte encryption
	// keys of the session cookie (docs/SECURITY.md#cookies).
	SessionAuthKey, SessionEncKey []byte
	// SessionKeysAccepted are more pairs of keys (authentication,
	// encryption, ...) whose cookies are still read, never made: a key
	// rotation's (server/keys: rotate.go).
	SessionKeysAccepted [][]byte
	// Version is the build's version, which /healthz tells monitoring.
	Version    string
	CookieName string
	// FlowLifetime is the flow cookie's MaxAge, and SessionIdle the
	// signed-in session cookie's (0: FlowLifetime): each call that renews
	// one restarts its clock.
	FlowLifetime, SessionIdle time.Duration
	// StaffIdle is the staff session cookie's MaxAge (0: SessionIdle).
	StaffIdle time.Duration
	// PublicURL is the portal's address: the only Host served, and the only
	// Origin accepted (docs/SECURITY.md#public-url and #csrf).
	PublicURL *url.URL
	// Dev allows any loopback Host and serves Outbox at /dev/outbox.
	Dev    bool
	Outbox DevOutbox
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// IPv6Prefix is the prefix length an IPv6 client is counted by in the
	// per-address limits (0 means 64): one subscriber holds a whole /64,
	// so counting single addresses would count nothing. IPv4 clients are
	// counted by their address.
	IPv6Prefix int
	// Monitoring are the networks whose clients (and loopback) read which
	// backend /readyz found failing; anyone else gets the status alone.
	Monitoring []netip.Prefix
	Ready      []Check
	// Web serves everything that is not the API: the go-app pages.
	Web http.Handler
	// Pages prerenders the wizard's pages with the server's state, so
	// that they work without the wasm (pages.go); nil: Web serves them
	// as they are, and their forms need the wasm.
	Pages Pages
	Log   *slog.Logger
	// Requests is told of each request answered (nil: nobody): the
	// metrics.
	Requests RequestObserver
}

type server struct {
	Options
	sessions *sessions.CookieStore
	log      *slog.Logger
	// allowed lists the methods of each API path, for 405 answers.
	allowed map[string][]string
	// policyRules are PolicyRules by code.
	policyRules map[string]sspr.Rule
}

// New returns the portal's HTTP handler.
func New(o Options) http.Handler {
	s := &server{Options: o, log: o.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.CookieName == "" {
		s.CookieName = "sspr_session"
	}
	s.sessions = newCookieStore(o.SessionAuthKey, o.SessionEncKey, o.SessionKeysAccepted, o.FlowLifetime)
	if s.Locale == nil {
		s.Locale = locale.All()
	}
	s.policyRules = map[string]sspr.Rule{}
	for _, r := range o.PolicyRules {
		s.policyRules[r.Code] = r
	}
	secure := s.PublicURL != nil && s.PublicURL.Scheme == "https"
	return s.requestID(s.accessLog(s.recover(s.headers(s.checkHost(s.Locale.Middleware(secure, nameRoute(s.routes())))))))
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	s.allowed = map[string][]string{}
	route := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		if method, path, ok := strings.Cut(pattern, " "); ok {
			s.allowed[path] = append(s.allowed[path], method)
		}
		mux.Handle(pattern, s.apiHandler(h))
	}
	route("GET "+api.PathConfig, s.getConfig)
	route("GET "+api.PathPolicy, s.getPolicy)
	route("POST "+api.PathCaptcha, s.createCaptcha)
	route("POST "+api.PathCaptchaExtend, s.extendCaptcha)
	route("POST "+api.PathFlows, s.startFlow)
	route("GET "+api.PathFlow, s.currentFlow)
	route("DELETE "+api.PathFlow, s.cancelFlow)
	route("POST "+api.PathFlowExtend, s.extendFlow)
	route("POST "+api.PathFlowIntent, s.chooseIntent)
	route("POST "+api.PathFlowEmailSend, s.sendEmail)
	route("POST "+api.PathFlowEmailVerify, s.verifyEmail)
	route("POST "+api.PathFlowSMSSend, s.sendSMS)
	route("POST "+api.PathFlowSMSVerify, s.verifySMS)
	route("GET "+api.PathFlowQuestions, s.questions)
	route("POST "+api.PathFlowQuestionsOK, s.verifyAnswers)
	route("POST "+api.PathFlowTOTPVerify, s.verifyTOTP)
	route("POST "+api.PathFlowPasskey, s.passkeyOptions)
	route("POST "+api.PathFlowPasskeyVerify, s.verifyPasskey)
	route("POST "+api.PathFlowPassword, s.setPassword)
	route("POST "+api.PathSession, s.signIn)
	route("GET "+api.PathSession, s.currentSession)
	route("DELETE "+api.PathSession, s.signOut)
	route("POST "+api.PathSessionPassword, s.changePassword)
	route("POST "+api.PathSessionReauth, s.reauth)
	route("GET "+api.PathRegistration, s.getRegistration)
	route("POST "+api.PathRegEmail, s.registerEmail)
	route("POST "+api.PathRegEmailConfirm, s.confirm(api.KindEmail))
	route("POST "+api.PathRegSMS, s.registerSMS)
	route("POST "+api.PathRegSMSConfirm, s.confirm(api.KindSMS))
	route("GET "+api.PathRegQuestionsCatalog, s.questionsCatalog)
	route("PUT "+api.PathRegQuestions, s.putQuestions)
	route("POST "+api.PathRegTOTP, s.startTOTP)
	route("POST "+api.PathRegTOTPConfirm, s.confirmTOTP)
	route("POST "+api.PathRegPasskey, s.passkeyCreation)
	route("POST "+api.PathRegPasskeyConfirm, s.addPasskey)
	route("DELETE "+api.PathRegPasskey+"/{id}", s.removePasskey)
	route("DELETE "+api.PathRegistration+"/{kind}", s.removeMethod)
	route("POST "+deskapi.PathSession, s.staffSignIn)
	route("GET "+deskapi.PathSession, s.staffSession)
	route("DELETE "+deskapi.PathSession, s.staffSignOut)
	route("POST "+deskapi.PathSessionEmailSend, s.staffSend(api.KindEmail))
	route("POST "+deskapi.PathSessionEmailVerify, s.staffVerify(api.KindEmail))
	route("POST "+deskapi.PathSessionSMSSend, s.staffSend(api.KindSMS))
	route("POST "+deskapi.PathSessionSMSVerify, s.staffVerify(api.KindSMS))
	route("GET "+deskapi.PathPeople, s.person)
	route("GET "+deskapi.PathSearch, s.searchPeople)
	route("GET "+deskapi.PathCoverage, s.coverage)
	route("POST "+deskapi.PathUnlock, s.deskAction(Engine.DeskUnlock))
	route("POST "+deskapi.PathLiftBlock, s.deskAction(Engine.DeskLiftBlock))
	route("POST "+deskapi.PathClearRegistration, s.deskAction(Engine.DeskClearRegistration))
	route("POST "+deskapi.PathRecoveryPass, s.recoveryPass)
	route("POST "+api.PathFlowPass, s.usePass)
	route("/api/", s.notFound)
	mux.HandleFunc("GET "+api.PathHealthz, s.healthz)
	mux.HandleFunc("GET "+api.PathReadyz, s.readyz)
	if s.Dev && s.Outbox != nil {
		mux.HandleFunc("GET "+api.PathDevOutbox, s.devOutbox)
	}
	if s.Pages != nil {
		s.pageRoutes(mux)
	}
	if s.Web != nil {
		mux.Handle("/", s.Web)
	}
	return mux
}

// apiHandler adapts a handler that returns an error, and applies the checks
// every state-changing call gets: same-origin (docs/SECURITY.md#csrf) and
// JSON only.
func (s *server) apiHandler(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := s.checkRequest(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// notFound answers an /api/ request that no route took: 405 for a known
// path with another method, 404 otherwise.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	if methods, ok := s.allowed[r.URL.Path]; ok {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		return &sspr.Error{Code: sspr.CodeMethodNotAllowed, Message: "That method is not allowed here."}
	}
	return &sspr.Error{Code: sspr.CodeNotFound, Message: "There is no such API call."}
}
