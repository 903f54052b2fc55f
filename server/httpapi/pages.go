package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The wizard without the wasm (progressive enhancement, as the GOV.UK
// Service Manual asks): every step of a reset and an unlock is a plain
// HTML form posted to the server, which answers with the next page,
// prerendered, or with the same page and the refusal. Each form calls the
// same engine as the API, with the same errors, throttles and rules; the
// flow travels in the same cookie, so a person can start without the wasm
// and finish with it, or the other way round. Once the wasm runs, it takes
// each page over and sends the forms through the API instead.
//
// Every GET of a wizard page goes through here too, so that the page is
// drawn whole, with the flow (or, on the start page, a fresh CAPTCHA),
// before any script runs: what a slow phone shows first is the real page.

// Pages prerenders a wizard page with the server's state of it.
type Pages interface {
	Render(w http.ResponseWriter, r *http.Request, p api.Page, status int)
}

// pageRoutes adds the wizard's pages and their forms to mux.
func (s *server) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.startPage)
	mux.HandleFunc("POST /{$}", s.postStart)
	for _, p := range []string{api.PageChoose, api.PageVerify, api.PageVerifyEmail, api.PageVerifySMS,
		api.PageVerifyQuestions, api.PageVerifyPass, api.PageNewPassword, api.PageDone} {
		mux.HandleFunc("GET "+p, s.flowPage(p))
	}
	mux.HandleFunc("POST "+api.PageChoose, s.postChoose)
	mux.HandleFunc("POST "+api.PageVerify, s.postVerify)
	mux.HandleFunc("POST "+api.PageVerifyEmail, s.postCode(api.KindEmail))
	mux.HandleFunc("POST "+api.PageVerifySMS, s.postCode(api.KindSMS))
	mux.HandleFunc("POST "+api.PageVerifyQuestions, s.postQuestions)
	mux.HandleFunc("POST "+api.PageNewPassword, s.postPassword)
	mux.HandleFunc("POST "+api.PageVerifyPass, s.postPass)
	mux.HandleFunc("GET "+api.CaptchaAudioPath, s.captchaSound)
}

// render answers the page p with status.
func (s *server) render(w http.ResponseWriter, r *http.Request, p api.Page, status int) {
	w.Header().Set("Cache-Control", "no-store")
	s.Pages.Render(w, r, p, status)
}

// refused answers the page p showing the refusal err: with err's status,
// and Retry-After when it is a throttle, as the API does.
func (s *server) refused(w http.ResponseWriter, r *http.Request, p api.Page, err error) {
	ae := s.safeError(r, err)
	if ae.Code == api.CodeThrottled {
		ae = throttleHeader(w, ae)
	}
	p.Error = ae
	s.render(w, r, p, Status(ae.Code))
}

func seeOther(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

var errFormOrigin = &sspr.Error{Code: sspr.CodeForbidden, Message: "This form can only be sent from this site's own pages."}

// form reads a posted form, after the checks the API makes of a JSON body:
// from this site only (a cross-site form needs no preflight, so Origin, or
// Sec-Fetch-Site, must say it is ours: rule csrf), a form's content type,
// and at most api.MaxBodyBytes. It answers the refusal itself and then
// reports false.
func (s *server) form(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	fail := func(err *sspr.Error) (url.Values, bool) {
		w.Header().Set("Cache-Control", "no-store")
		we := s.wire(r, err)
		http.Error(w, we.Message, Status(we.Code))
		return nil, false
	}
	// The pages send Referrer-Policy: no-referrer, with which a browser
	// sends "Origin: null" for a form: Sec-Fetch-Site is then what says
	// where the form came from. A browser without it must name an origin
	// that is ours.
	site := r.Header.Get("Sec-Fetch-Site")
	origin := r.Header.Get("Origin")
	switch {
	case site != "" && site != "same-origin",
		site == "" && (origin == "" || !s.originAllowed(origin, r.Host)),
		origin != "" && origin != "null" && !s.originAllowed(origin, r.Host):
		return fail(errFormOrigin)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return fail(errMediaType)
	}
	r.Body = http.MaxBytesReader(w, r.Body, api.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fail(&sspr.Error{Code: sspr.CodeTooLarge, Message: "That is more than this form takes."})
		}
		return fail(&sspr.Error{Code: sspr.CodeBadRequest, Message: "That form could not be read."})
	}
	return r.PostForm, true
}

// echo is what of a typed value the page may show again: the value, unless
// it holds a character that is not printable, or one of "\<>&. go-app
// writes attribute values with Go's quoting (strconv.Quote), not HTML's
// escaping, so a quote in a value would end the attribute early, and the
// rest of the value would become markup (the value="..." of a field). Such
// a value is no user id or phone number anyway: the person types it again.
func echo(v string) string {
	if len(v) > 256 {
		return ""
	}
	for _, r := range v {
		if !unicode.IsPrint(r) || strings.ContainsRune(`"\<>&`, r) {
			return ""
		}
	}
	return v
}

// startPage is the start page with a fresh CAPTCHA in it; but the copy
// the service worker keeps for offline use has none, which would have
// expired when the copy is shown (the page then asks for one).
func (s *server) startPage(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(api.OfflineCopyHeader) != "" {
		s.render(w, r, api.Page{Path: api.PageStart}, http.StatusOK)
		return
	}
	s.startWith(w, r, api.Page{Path: api.PageStart}, http.StatusOK)
}

// startWith answers the start page p with a new CAPTCHA, counted per
// address like the API's (a page that can't have one says why).
func (s *server) startWith(w http.ResponseWriter, r *http.Request, p api.Page, status int) {
	err := s.Engine.CountCaptcha(r.Context(), s.client(r), s.CaptchaLimit)
	if err == nil {
		var c api.Captcha
		if c, p.CaptchaExpires, err = s.Captcha.Picture(r.Context()); err == nil {
			p.Captcha = &c
		}
	}
	if err != nil && p.Error == nil {
		s.refused(w, r, p, err)
		return
	}
	s.render(w, r, p, status)
}

// postStart starts a flow, as POST /api/v1/flows does.
func (s *server) postStart(w http.ResponseWriter, r *http.Request) {
	v, ok := s.form(w, r)
	if !ok {
		return
	}
	user := v.Get("user")
	p := api.Page{Path: api.PageStart, Values: map[string]string{"user": echo(user)}}
	if v.Get("do") == "captcha" { // "New picture"
		s.startWith(w, r, p, http.StatusOK)
		return
	}
	// The CAPTCHA first, burnt whatever the answer (rule captcha).
	ok, err := s.Captcha.Verify(r.Context(), v.Get("captcha-id"), v.Get("captcha-answer"))
	if err == nil && !ok {
		err = errCaptcha
	}
	var f api.Flow
	if err == nil {
		f, err = s.Engine.Start(r.Context(), user, s.client(r))
	}
	if err != nil {
		ae := s.safeError(r, err)
		if ae.Code == api.CodeThrottled {
			ae = throttleHeader(w, ae)
		}
		p.Error = ae
		s.startWith(w, r, p, Status(ae.Code))
		return
	}
	if old := s.flowID(r); old != "" {
		_ = s.Engine.Cancel(r.Context(), old) // one flow per session
	}
	if err := s.saveFlowID(w, r, f.ID); err != nil {
		s.refused(w, r, p, err)
		return
	}
	seeOther(w, r, api.PageFor(f))
}

// flowPage answers a wizard page after the start with the flow in it, or
// sends the browser to the page the flow is at.
func (s *server) flowPage(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.flowState(w, r, path)
		if !ok {
			return
		}
		q := r.URL.Query()
		p.Sent = q.Get("sent") != ""
		if q.Get("again") != "" {
			p.Values = map[string]string{"again": "1"}
		}
		s.render(w, r, p, http.StatusOK)
	}
}

// flowState is the state of the page at path: the flow, and what the page
// needs besides (the questions, the policy). It answers itself, and reports
// false, when the page doesn't fit the flow (a redirect) or the flow can't
// be read.
func (s *server) flowState(w http.ResponseWriter, r *http.Request, path string) (api.Page, bool) {
	p := api.Page{Path: path}
	f, err := s.Engine.Flow(r.Context(), s.flowID(r))
	if sspr.CodeOf(err) == sspr.CodeFlowMissing {
		p.FlowMissing = true
		return p, true
	}
	if err != nil {
		s.refused(w, r, p, err)
		return p, false
	}
	if !api.PageFits(path, f) {
		seeOther(w, r, api.PageFor(f))
		return p, false
	}
	p.Flow = &f
	switch path {
	case api.PageVerifyEmail, api.PageVerifySMS, api.PageVerifyQuestions:
		if !offered(f, path) {
			seeOther(w, r, api.PageVerify)
			return p, false
		}
	case api.PageNewPassword:
		pol := s.policy(r)
		p.Policy = &pol
	}
	// The questions' page, and the verify page, which shows them under
	// their choice while they are still to be answered.
	if path == api.PageVerifyQuestions || path == api.PageVerify && offered(f, api.PageVerifyQuestions) {
		qs, err := s.Engine.Questions(r.Context(), s.flowID(r))
		if err != nil {
			s.refused(w, r, p, err)
			return p, false
		}
		p.Questions = s.questionsIn(r, qs)
	}
	return p, true
}

// offered reports whether the method of the page at path is offered in f
// and not yet passed.
func offered(f api.Flow, path string) bool {
	for _, m := range f.Methods {
		if api.MethodPage(m.Kind) == path {
			return !m.Verified
		}
	}
	return false
}

// again answers the page at path once more, after the form posted to it
// was refused with err: the flow as it is now, the refusal on field (""
// lets the page pick it by the code), and what was typed (values: never a
// password, code or answer).
func (s *server) again(w http.ResponseWriter, r *http.Request, path string, err error, field string, values map[string]string) {
	p, ok := s.flowState(w, r, path)
	if !ok {
		return
	}
	p.Field, p.Values = field, values
	if p.FlowMissing {
		s.render(w, r, p, http.StatusOK)
		return
	}
	s.refused(w, r, p, err)
}

// next sends the browser on after a call that answered the flow f, moving
// the cookie to its id when the engine renewed it (identity proven).
func (s *server) next(w http.ResponseWriter, r *http.Request, old string, f api.Flow) {
	if f.ID != old {
		if err := s.saveFlowID(w, r, f.ID); err != nil {
			s.refused(w, r, api.Page{Path: api.PageFor(f)}, err)
			return
		}
	}
	seeOther(w, r, api.PageFor(f))
}

// postChoose records the intent.
func (s *server) postChoose(w http.ResponseWriter, r *http.Request) {
	v, ok := s.form(w, r)
	if !ok {
		return
	}
	id := s.flowID(r)
	in := api.Intent(v.Get("intent"))
	f, err := s.Engine.ChooseIntent(r.Context(), id, in, s.client(r))
	if err != nil {
		s.again(w, r, api.PageChoose, err, "", map[string]string{"intent": echo(string(in))})
		return
	}
	s.next(w, r, id, f)
}

// postVerify does what the chosen method asks for (the reveal under its
// radio: send the code, or check the answers to the questions), or
// (do=finish) tries again to finish an unlock whose directory call failed.
func (s *server) postVerify(w http.ResponseWriter, r *http.Request) {
	v, ok := s.form(w, r)
	if !ok {
		return
	}
	id := s.flowID(r)
	f, err := s.Engine.Flow(r.Context(), id)
	if err != nil {
		s.again(w, r, api.PageVerify, err, "", nil)
		return
	}
	if v.Get("do") == "finish" {
		f, err := s.Engine.ChooseIntent(r.Context(), id, f.Intent, s.client(r))
		if err != nil {
			s.again(w, r, api.PageVerify, err, "", nil)
			return
		}
		s.next(w, r, id, f)
		return
	}
	k := api.Kind(v.Get("method"))
	if k == api.KindTOTP && open(f, k) {
		// The code from the app is typed under its choice: checked here.
		f, err := s.Engine.VerifyTOTP(r.Context(), id, v.Get("totp"), s.client(r))
		if err != nil {
			field := "" // the page picks the place of a refusal of the flow
			if c := sspr.CodeOf(err); c == sspr.CodeBadRequest || c == sspr.CodeCodeInvalid {
				field = "totp"
			}
			s.again(w, r, api.PageVerify, err, field, map[string]string{"method": string(k)})
			return
		}
		s.next(w, r, id, f)
		return
	}
	if k == api.KindPasskey && open(f, k) {
		// The browser's passkey is asked for by the page's script alone.
		s.again(w, r, api.PageVerify, errPasskeyNeedsScripts, "method-passkey", map[string]string{"method": string(k)})
		return
	}
	page := api.MethodPage(k)
	if page == api.PageVerify || !offered(f, page) {
		s.again(w, r, api.PageVerify, &sspr.Error{Code: sspr.CodeBadRequest, Message: "Select a verification method"}, "", nil)
		return
	}
	// Whichever of the chosen method's buttons was pressed (Enter in the
	// phone field presses the form's first), the chosen method acts:
	// its code is sent, unless one sent still works, and the page that
	// takes it follows; the questions' page follows at once.
	if k == api.KindQuestions {
		if answers := answersOf(v); len(answers) > 0 {
			f, err := s.Engine.VerifyAnswers(r.Context(), id, answers, s.client(r))
			if err != nil {
				s.again(w, r, api.PageVerify, err, "method-questions", map[string]string{"method": string(k)})
				return
			}
			s.next(w, r, id, f)
			return
		}
	}
	if k == api.KindQuestions || waiting(f, k, time.Now()) {
		seeOther(w, r, page)
		return
	}
	phone := v.Get("phone")
	if k != api.KindSMS {
		phone = ""
	}
	if _, err := s.Engine.SendCode(r.Context(), id, k, phone, s.client(r)); err != nil {
		field := "method-" + string(k)
		if c := sspr.CodeOf(err); k == api.KindSMS && (c == sspr.CodePhoneMismatch || c == sspr.CodeBadRequest) {
			field = "phone"
		}
		s.again(w, r, api.PageVerify, err, field, map[string]string{"method": string(k), "phone": echo(phone)})
		return
	}
	seeOther(w, r, page)
}

// errPasskeyNeedsScripts answers a passkey chosen on a page without its
// script: only the script can ask the browser for the passkey.
var errPasskeyNeedsScripts = &sspr.Error{Code: sspr.CodeBadRequest,
	Message: "To use a passkey, this page needs JavaScript. Turn it on, or choose another method."}

// open reports whether f offers method k and it is not passed yet.
func open(f api.Flow, k api.Kind) bool {
	for _, m := range f.Methods {
		if m.Kind == k {
			return !m.Verified
		}
	}
	return false
}

// waiting reports whether a code sent for method k of f still works.
func waiting(f api.Flow, k api.Kind, now time.Time) bool {
	for _, m := range f.Methods {
		if m.Kind == k {
			return m.CodeWaiting(now)
		}
	}
	return false
}

// postCode sends a code (do=send, or do=resend) or checks one (do=verify),
// by email or text.
func (s *server) postCode(k api.Kind) http.HandlerFunc {
	path := api.MethodPage(k)
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.form(w, r)
		if !ok {
			return
		}
		id := s.flowID(r)
		switch do := v.Get("do"); do {
		case "send", "resend":
			phone := v.Get("phone")
			if k == api.KindSMS && do == "resend" && phone == "" {
				// The number isn't kept: ask for it again.
				seeOther(w, r, path+"?again=1")
				return
			}
			if _, err := s.Engine.SendCode(r.Context(), id, k, phone, s.client(r)); err != nil {
				field := ""
				if c := sspr.CodeOf(err); c == sspr.CodePhoneMismatch || c == sspr.CodeBadRequest {
					field = "phone"
				}
				s.again(w, r, path, err, field, map[string]string{"phone": echo(phone)})
				return
			}
			if do == "resend" {
				seeOther(w, r, path+"?sent=1")
				return
			}
			seeOther(w, r, path)
		case "verify":
			f, err := s.Engine.VerifyCode(r.Context(), id, k, v.Get("code"), s.client(r))
			if err != nil {
				field := ""
				if c := sspr.CodeOf(err); c == sspr.CodeCodeInvalid || c == sspr.CodeCodeExpired || c == sspr.CodeBadRequest {
					field = "code"
				}
				s.again(w, r, path, err, field, nil)
				return
			}
			s.next(w, r, id, f)
		default:
			s.again(w, r, path, &sspr.Error{Code: sspr.CodeBadRequest, Message: "That form could not be read."}, "", nil)
		}
	}
}

// postQuestions checks the answers (fields answer-<question id>).
func (s *server) postQuestions(w http.ResponseWriter, r *http.Request) {
	v, ok := s.form(w, r)
	if !ok {
		return
	}
	id := s.flowID(r)
	f, err := s.Engine.VerifyAnswers(r.Context(), id, answersOf(v), s.client(r))
	if err != nil {
		s.again(w, r, api.PageVerifyQuestions, err, "", nil)
		return
	}
	s.next(w, r, id, f)
}

// answersOf are the answers of a form (fields answer-<question id>).
func answersOf(v url.Values) map[string]string {
	answers := map[string]string{}
	for name := range v {
		if qid, ok := strings.CutPrefix(name, "answer-"); ok {
			answers[qid] = v.Get(name)
		}
	}
	return answers
}

// postPassword sets the new password, typed twice.
func (s *server) postPassword(w http.ResponseWriter, r *http.Request) {
	v, ok := s.form(w, r)
	if !ok {
		return
	}
	pw, confirm := v.Get("password"), v.Get("confirm")
	bad := func(field, msg string) {
		s.again(w, r, api.PageNewPassword, &sspr.Error{Code: sspr.CodeBadRequest, Message: msg}, field, nil)
	}
	switch {
	case pw == "":
		bad("password", "Enter a new password")
		return
	case confirm != pw:
		bad("confirm", "The passwords don't match. Enter the same password in both boxes.")
		return
	}
	id := s.flowID(r)
	f, err := s.Engine.SetPassword(r.Context(), id, pw, s.client(r))
	if err != nil {
		s.again(w, r, api.PageNewPassword, err, "", nil)
		return
	}
	s.next(w, r, id, f)
}

// captchaSound answers the sound of a CAPTCHA, drawn when asked for: the
// "Listen" link of a page without the wasm. It is counted per address with
// the CAPTCHAs, as drawing it costs as much.
func (s *server) captchaSound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Engine.CountCaptcha(r.Context(), s.client(r), s.CaptchaLimit); err != nil {
		s.writeError(w, r, err)
		return
	}
	wav, err := s.Captcha.Sound(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wav == nil {
		s.writeError(w, r, &sspr.Error{Code: sspr.CodeNotFound, Message: "That picture has expired. Choose New picture."})
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", `inline; filename="captcha.wav"`)
	_, _ = w.Write(wav)
}

// postPass takes a recovery pass, in place of the methods.
func (s *server) postPass(w http.ResponseWriter, r *http.Request) {
	v, ok := s.form(w, r)
	if !ok {
		return
	}
	id := s.flowID(r)
	f, err := s.Engine.UsePass(r.Context(), id, v.Get("pass"), s.client(r))
	if err != nil {
		// The pass is never shown again.
		s.again(w, r, api.PageVerifyPass, err, "pass", nil)
		return
	}
	s.next(w, r, id, f)
}
