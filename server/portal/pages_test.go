package portal_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
)

// The wizard as plain HTML forms, with no wasm: what a browser does with
// the prerendered pages when the wasm hasn't arrived, or never does.

// post sends a form as a browser does, from the portal's own page, and
// returns the answer without following a redirect.
func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.env.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.env.srv.URL)
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// follow expects a 303 to path, and returns the page there.
func (c *client) follow(r response, path string) string {
	c.t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		c.t.Fatalf("status %d to %q, want 303 to %s: %.300s", r.status, r.header.Get("Location"), path, r.body)
	}
	return c.page(path)
}

// page GETs a page's HTML.
func (c *client) page(path string) string {
	c.t.Helper()
	r := c.raw("GET", path, nil, nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d", path, r.status)
	}
	return string(r.body)
}

// go-app writes an element's attributes in no fixed order.
var pageState = regexp.MustCompile(`data-page="([A-Za-z0-9_-]*)"`)

// tagWith returns the opening tag that has id="id", or "".
func tagWith(html, id string) string {
	i := strings.Index(html, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	start, end := strings.LastIndexByte(html[:i], '<'), strings.IndexByte(html[i:], '>')
	return html[start : i+end+1]
}

// state reads the state a prerendered page carries for the wasm.
func state(t *testing.T, html string) api.Page {
	t.Helper()
	m := pageState.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no page state in:\n%s", html[max(0, len(html)-2500):])
	}
	b, err := base64.RawURLEncoding.DecodeString(m[1])
	var p api.Page
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTheStartPageHasItsCaptcha: a plain HTTP client gets the start page
// whole: a CAPTCHA picture in the HTML, fresh on each load, its sound at the
// "Listen" link, and a form that posts to the server. Nothing of it may be
// cached.
func TestTheStartPageHasItsCaptcha(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	r := c.raw("GET", "/", nil, nil)
	html := string(r.body)
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" || r.header.Get("ETag") != "" {
		t.Fatalf("status %d, Cache-Control %q, ETag %q", r.status, r.header.Get("Cache-Control"), r.header.Get("ETag"))
	}
	for id, wants := range map[string][]string{
		"start-form":     {`method="post"`, `action="/"`},
		"captcha-image":  {`src="data:image/png;base64,`},
		"captcha-listen": {`href="/captcha/audio?id=`},
		"user":           {`name="user"`},
	} {
		tag := tagWith(html, id)
		for _, want := range wants {
			if !strings.Contains(tag, want) {
				t.Errorf("the start page's #%s lacks %s: %q", id, want, tag)
			}
		}
	}
	for _, id := range []string{"user", "captcha-answer", "next"} {
		if strings.Contains(tagWith(html, id), " disabled") {
			t.Errorf("#%s is disabled before the wasm runs", id)
		}
	}
	if !strings.Contains(html, `name="captcha-id"`) {
		t.Error("no captcha-id field")
	}
	first := state(t, html)
	second := state(t, c.page("/"))
	if first.Captcha == nil || second.Captcha == nil || first.Captcha.ID == second.Captcha.ID || first.Captcha.Audio != "" {
		t.Fatalf("CAPTCHAs %+v and %+v", first.Captcha, second.Captcha)
	}
	sound := c.raw("GET", api.CaptchaAudioPath+"?id="+first.Captcha.ID, nil, nil)
	if sound.status != http.StatusOK || sound.header.Get("Content-Type") != "audio/wav" || string(sound.body[:4]) != "RIFF" {
		t.Fatalf("sound: status %d, %s", sound.status, sound.header.Get("Content-Type"))
	}
	if r := c.raw("GET", api.CaptchaAudioPath+"?id=nope", nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("sound of no CAPTCHA: status %d", r.status)
	}
	// The copy the service worker keeps for offline use has none.
	if off := c.raw("GET", "/", nil, map[string]string{api.OfflineCopyHeader: "1"}); strings.Contains(string(off.body), "captcha-image\" src=\"data") {
		t.Error("the offline copy carries a CAPTCHA that will have expired")
	}
}

// TestResetWithoutTheWasm: alice resets her password with plain forms,
// a wrong code refused by the server on the way, as the API refuses it.
func TestResetWithoutTheWasm(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	cid := state(t, c.page("/")).Captcha.ID

	// A wrong CAPTCHA answer: the page again, a new picture, the user id kept.
	r := c.post("/", url.Values{"user": {"alice"}, "captcha-id": {cid}, "captcha-answer": {"000000"}})
	if p := state(t, string(r.body)); r.status != http.StatusBadRequest || p.Error == nil || p.Error.Code != api.CodeCaptchaInvalid ||
		p.Values["user"] != "alice" || p.Captcha == nil || p.Captcha.ID == cid {
		t.Fatalf("wrong CAPTCHA: status %d, %+v", r.status, p)
	}
	cid = state(t, string(r.body)).Captcha.ID

	html := c.follow(c.post("/", url.Values{"user": {"alice"}, "captcha-id": {cid}, "captcha-answer": {devAnswer}}), api.PageChoose)
	if p := state(t, html); p.Flow == nil || p.Flow.State != api.StateChooseIntent || !strings.Contains(tagWith(html, "intent-reset"), `name="intent"`) {
		t.Fatalf("choose: %+v", p)
	}
	r = c.post(api.PageChoose, url.Values{})
	if p := state(t, string(r.body)); r.status != http.StatusBadRequest || p.Error == nil {
		t.Fatalf("no choice: %d %+v", r.status, p)
	}
	html = c.follow(c.post(api.PageChoose, url.Values{"intent": {"reset"}}), api.PageVerify)
	if !strings.Contains(tagWith(html, "method-email"), `value="email"`) || !strings.Contains(html, `a•••@example.net`) {
		t.Fatalf("verify page:\n%.2000s", html)
	}
	// The guides' words: select "Email my alternate email", click Email
	// (the button revealed under the choice), enter the code, click Next.
	for _, id := range []string{"send-email", "send-sms", "phone", "questions-next"} {
		if !strings.Contains(html, `id="`+id+`"`) {
			t.Errorf("verify page lacks #%s under its choice", id)
		}
	}
	if r := c.post(api.PageVerify, url.Values{}); r.status != http.StatusBadRequest {
		t.Errorf("no method chosen: status %d", r.status)
	}
	n := len(c.outbox())
	html = c.follow(c.post(api.PageVerify, url.Values{"method": {"email"}}), api.PageVerifyEmail)
	if !strings.Contains(html, `id="code-form"`) {
		t.Fatal("no code form once Email is clicked")
	}
	code, _ := c.waitCode("alice.alt@example.net", n)
	// Back to the choice: a code that still works is typed, not sent again.
	html = c.follow(c.post(api.PageVerify, url.Values{"method": {"email"}}), api.PageVerifyEmail)
	if m := len(c.outbox()); m != n+1 || !strings.Contains(html, `id="code-form"`) {
		t.Fatalf("email chosen again with a code waiting: %d messages, want %d", m, n+1)
	}
	r = c.post(api.PageVerifyEmail, url.Values{"do": {"verify"}, "code": {"00000000"}})
	if p := state(t, string(r.body)); r.status != http.StatusBadRequest || p.Error == nil || p.Error.Code != api.CodeCodeInvalid ||
		p.Field != "code" || !strings.Contains(string(r.body), "didn&#39;t match") {
		t.Fatalf("wrong code: status %d, %+v", r.status, p)
	}
	c.follow(c.post(api.PageVerifyEmail, url.Values{"do": {"verify"}, "code": {code}}), api.PageVerify)

	// Select "Send a text to my mobile phone number", enter your phone
	// number, click Text: a wrong number is refused on the same page, the
	// choice and the number kept.
	r = c.post(api.PageVerify, url.Values{"method": {"sms"}, "phone": {"07700 900999"}})
	if p := state(t, string(r.body)); r.status != http.StatusBadRequest || p.Path != api.PageVerify || p.Error.Code != api.CodePhoneMismatch ||
		p.Field != "phone" || p.Values["phone"] != "07700 900999" || p.Values["method"] != "sms" ||
		!strings.Contains(tagWith(string(r.body), "method-sms"), "checked") {
		t.Fatalf("wrong number: %d %+v", r.status, p)
	}
	n = len(c.outbox())
	c.follow(c.post(api.PageVerify, url.Values{"method": {"sms"}, "phone": {"07700 900123"}}), api.PageVerifySMS)
	code, _ = c.waitCode("+447700900123", n)
	html = c.follow(c.post(api.PageVerifySMS, url.Values{"do": {"verify"}, "code": {code}}), api.PageNewPassword)
	if p := state(t, html); p.Policy == nil || len(p.Policy.Rules) == 0 {
		t.Fatalf("new password page without the policy: %+v", p)
	}
	r = c.post(api.PageNewPassword, url.Values{"password": {"password1234"}, "confirm": {"password1234"}})
	if p := state(t, string(r.body)); r.status != http.StatusUnprocessableEntity || p.Error.Code != api.CodePasswordPolicy {
		t.Fatalf("weak password: %d %+v", r.status, p)
	}
	r = c.post(api.PageNewPassword, url.Values{"password": {"Velvet-Canyon-Compass-10"}, "confirm": {"Velvet-Canyon-Compass-11"}})
	if p := state(t, string(r.body)); r.status != http.StatusBadRequest || p.Field != "confirm" {
		t.Fatalf("mismatch: %d %+v", r.status, p)
	}
	html = c.follow(c.post(api.PageNewPassword, url.Values{"password": {"Velvet-Canyon-Compass-10"}, "confirm": {"Velvet-Canyon-Compass-10"}}), api.PageDone)
	if !strings.Contains(html, "Your password has been reset") || !e.checkPassword(t, "alice@example.edu", "Velvet-Canyon-Compass-10") {
		t.Fatal("not reset")
	}
	e.noSecretsLogged(t, "Velvet-Canyon-Compass-10", code)
}

// TestUnlockWithoutTheWasm: bob unlocks his account with forms, with
// questions-free methods, and a page opened out of turn goes where the
// flow is.
func TestUnlockWithoutTheWasm(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	if html := c.page(api.PageVerify); !strings.Contains(html, "Your session has ended or expired") {
		t.Fatal("a page with no flow doesn't say it has ended")
	}
	cid := state(t, c.page("/")).Captcha.ID
	c.follow(c.post("/", url.Values{"user": {"bob"}, "captcha-id": {cid}, "captcha-answer": {devAnswer}}), api.PageChoose)
	c.follow(c.post(api.PageChoose, url.Values{"intent": {"unlock"}}), api.PageVerify)
	// Out of turn: the new password page sends the browser to the choice.
	r := c.raw("GET", api.PageNewPassword, nil, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `id="verify-form"`) {
		t.Fatalf("out of turn: status %d", r.status)
	}
	n := len(c.outbox())
	c.post(api.PageVerifyEmail, url.Values{"do": {"send"}})
	code, n := c.waitCode("bob.alt@example.net", n)
	c.follow(c.post(api.PageVerifyEmail, url.Values{"do": {"verify"}, "code": {code}}), api.PageVerify)
	c.post(api.PageVerifySMS, url.Values{"do": {"send"}, "phone": {"+44 7700 900456"}})
	code, _ = c.waitCode("+447700900456", n)
	html := c.follow(c.post(api.PageVerifySMS, url.Values{"do": {"verify"}, "code": {code}}), api.PageDone)
	if !strings.Contains(html, "Your account has been unlocked") {
		t.Fatalf("done:\n%.1000s", html)
	}
}

// TestFormsAreOurs: a form is taken only from the portal's own pages (a
// cross-site form needs no preflight, so Origin or Sec-Fetch-Site must say
// so), as a form, within the size limit; a typed value that could break
// out of an attribute is never shown again.
func TestFormsAreOurs(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	send := func(header map[string]string, body string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/", strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		want   int
	}{
		{"NoOrigin", map[string]string{"Content-Type": form}, "user=alice", http.StatusForbidden},
		{"OtherSite", map[string]string{"Content-Type": form, "Origin": "https://evil.example"}, "user=alice", http.StatusForbidden},
		{"CrossSiteFetch", map[string]string{"Content-Type": form, "Origin": e.srv.URL, "Sec-Fetch-Site": "cross-site"}, "user=alice", http.StatusForbidden},
		{"NullOriginNoFetchSite", map[string]string{"Content-Type": form, "Origin": "null"}, "user=alice", http.StatusForbidden},
		{"NullOriginCrossSite", map[string]string{"Content-Type": form, "Origin": "null", "Sec-Fetch-Site": "cross-site"}, "user=alice", http.StatusForbidden},
		{"JSON", map[string]string{"Content-Type": "application/json", "Origin": e.srv.URL}, "{}", http.StatusUnsupportedMediaType},
		{"TooLarge", map[string]string{"Content-Type": form, "Origin": e.srv.URL}, "user=" + strings.Repeat("a", 20<<10), http.StatusRequestEntityTooLarge},
	} {
		if got := send(tc.header, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	r := c.post("/", url.Values{"user": {`"><img src=x onerror=alert(1)>`}, "captcha-id": {"x"}, "captcha-answer": {"1"}})
	if strings.Contains(string(r.body), "onerror") {
		t.Fatal("a typed value with a quote is shown again")
	}
	if p := state(t, string(r.body)); p.Values["user"] != "" {
		t.Fatalf("echoed %q", p.Values["user"])
	}
}

// TestRecoveryPassWithoutTheWasm: the verify page links to the recovery
// pass page, which the server draws and takes the form of: carol, who
// registered nothing, types a wrong pass (refused on the page, not shown
// again), then the one the service desk gave her, and sets a new password
// with plain forms.
func TestRecoveryPassWithoutTheWasm(t *testing.T) {
	e := newEnv(t)
	d := e.client(t)
	d.deskSignIn("helpdesk", "Helpdesk-Old-Password-1", "helpdesk.alt@example.net")
	var rp deskapi.RecoveryPassResponse
	json.Unmarshal(d.ok(http.StatusOK, d.call("POST", deskapi.PathRecoveryPass, deskapi.ActionRequest{User: "carol",
		Ticket: "INC0100", Reason: "Never registered; seen in person with her card."})).body, &rp)

	c := e.client(t)
	cid := state(t, c.page("/")).Captcha.ID
	c.follow(c.post("/", url.Values{"user": {"carol"}, "captcha-id": {cid}, "captcha-answer": {devAnswer}}), api.PageChoose)
	html := c.follow(c.post(api.PageChoose, url.Values{"intent": {"reset"}}), api.PageVerify)
	if !strings.Contains(html, `href="/verify/pass"`) {
		t.Fatalf("the verify page doesn't link to the pass page:\n%.3000s", html)
	}
	page := c.page(api.PageVerifyPass)
	if !strings.Contains(page, `id="pass-form"`) || !strings.Contains(page, `id="static-page"`) || strings.Contains(page, "page-state") {
		t.Fatalf("the pass page:\n%.3000s", page)
	}
	r := c.post(api.PageVerifyPass, url.Values{"pass": {"AAAA-BBBB-CCCC"}})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "recovery pass isn") || strings.Contains(string(r.body), "AAAA-BBBB-CCCC") {
		t.Fatalf("a wrong pass: %d\n%.3000s", r.status, r.body)
	}
	c.follow(c.post(api.PageVerifyPass, url.Values{"pass": {rp.Pass}}), api.PageNewPassword)
	html = c.follow(c.post(api.PageNewPassword, url.Values{"password": {"Velvet-Canyon-Compass-10"}, "confirm": {"Velvet-Canyon-Compass-10"}}), api.PageDone)
	if !e.checkPassword(t, "carol@example.edu", "Velvet-Canyon-Compass-10") || !strings.Contains(html, `id="register-again"`) {
		t.Fatalf("not reset, or not sent to register:\n%.2000s", html)
	}
}

// TestQuestionsOnTheVerifyPage: the guides' "Select Answer my security
// questions, answer the three randomly presented questions, click Next",
// without the wasm: the verify page carries the questions under their
// choice, and takes the answers.
func TestQuestionsOnTheVerifyPage(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	cid := state(t, c.page("/")).Captcha.ID
	c.follow(c.post("/", url.Values{"user": {"alice"}, "captcha-id": {cid}, "captcha-answer": {devAnswer}}), api.PageChoose)
	html := c.follow(c.post(api.PageChoose, url.Values{"intent": {"reset"}}), api.PageVerify)
	p := state(t, html)
	if len(p.Questions) != 3 {
		t.Fatalf("the verify page carries %d questions", len(p.Questions))
	}
	answers := func(a string) url.Values {
		v := url.Values{"method": {"questions"}}
		for _, q := range p.Questions {
			if !strings.Contains(html, `id="answer-`+q.ID+`"`) {
				t.Errorf("no field for question %s", q.ID)
			}
			v.Set("answer-"+q.ID, a)
		}
		return v
	}
	r := c.post(api.PageVerify, answers("wrong answer"))
	if p := state(t, string(r.body)); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest ||
		p.Error == nil || p.Error.Code != api.CodeAnswersInvalid || p.Field != "method-questions" || p.Values["method"] != "questions" {
		t.Fatalf("wrong answers: %d %+v", r.status, p)
	}
	html = c.follow(c.post(api.PageVerify, answers("blue fox")), api.PageVerify)
	f := state(t, html).Flow
	if f == nil || !slices.ContainsFunc(f.Methods, func(m api.Method) bool { return m.Kind == api.KindQuestions && m.Verified }) {
		t.Fatalf("questions not passed: %+v", f)
	}
	if len(state(t, html).Questions) != 0 {
		t.Error("the questions are still carried once answered")
	}
}
