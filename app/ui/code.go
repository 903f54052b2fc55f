package ui

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// The keys of the headings of the two code pages.
const (
	emailHeading = "code.email_heading"
	smsHeading   = "code.sms_heading"
)

// EmailPage is "Option 1. Email my alternate email" of the guides: send a
// code to the alternate address, then type it.
type EmailPage struct {
	app.Compo
	codeStep
}

// OnNav names the tab.
func (p *EmailPage) OnNav(ctx app.Context) { setTitle(ctx, t(emailHeading), false) }

// OnInit takes over the prerendered page.
func (p *EmailPage) OnInit() { p.init(api.KindEmail, PathVerifyEmail, t(emailHeading)) }

// OnPreRender draws the page with the server's state.
func (p *EmailPage) OnPreRender(ctx app.Context) {
	p.prerender(ctx, api.KindEmail, PathVerifyEmail, t(emailHeading))
}

// OnMount loads the flow.
func (p *EmailPage) OnMount(ctx app.Context) { p.start(ctx) }

// Render shows the page.
func (p *EmailPage) Render() app.UI { return p.render(api.KindEmail) }

// SMSPage is "Option 2. Text my mobile phone" of the guides: type the
// registered number, get a code by text, then type it.
type SMSPage struct {
	app.Compo
	codeStep
}

// OnNav names the tab.
func (p *SMSPage) OnNav(ctx app.Context) { setTitle(ctx, t(smsHeading), false) }

// OnInit takes over the prerendered page.
func (p *SMSPage) OnInit() { p.init(api.KindSMS, PathVerifySMS, t(smsHeading)) }

// OnPreRender draws the page with the server's state.
func (p *SMSPage) OnPreRender(ctx app.Context) {
	p.prerender(ctx, api.KindSMS, PathVerifySMS, t(smsHeading))
}

// OnMount loads the flow.
func (p *SMSPage) OnMount(ctx app.Context) { p.start(ctx) }

// Render shows the page.
func (p *SMSPage) Render() app.UI { return p.render(api.KindSMS) }

// codeStep is a method that sends a code: email or sms.
type codeStep struct {
	wizard
	kind api.Kind
	m    api.Method // the method, as the server last reported it

	phone string // sms: the number typed
	code  string
	// askPhone shows the phone field again: to resend after a reload,
	// when the number typed before is no longer known.
	askPhone bool
	notice   string // "We've sent a new code"

	now     time.Time // the clock of the resend countdown
	ticking bool
}

// init takes over the prerendered page (OnInit).
func (s *codeStep) init(k api.Kind, path, heading string) {
	s.kind = k
	if pg, ok := s.wizard.init(path, heading, codeOrSendField); ok {
		s.took(pg)
	}
}

// prerender draws the page with the server's state (OnPreRender).
func (s *codeStep) prerender(ctx app.Context, k api.Kind, path, heading string) {
	s.kind = k
	if pg, ok := s.wizard.prerender(ctx, path, heading, codeOrSendField); ok {
		s.took(pg)
	}
}

// took takes the method, the number typed and the "sent" notice from the
// page's state.
func (s *codeStep) took(pg api.Page) {
	s.m, _ = method(s.flow, s.kind)
	s.now = client.Now()
	s.phone = pg.Values["phone"]
	s.askPhone = pg.Values["again"] != ""
	if pg.Sent {
		s.notice = t(msgSentAgain)
	}
}

// msgSentAgain is the key of the notice after a code was sent again.
const msgSentAgain = "code.sent_again"

// codeOrSendField is the field an error of either form is about: the code
// when the code form was sent, else the phone number. (The server's
// prerendered refusal names its field itself when it knows better.)
func codeOrSendField(c api.Code) string {
	switch c {
	case api.CodeCodeInvalid, api.CodeCodeExpired:
		return "code"
	case api.CodePhoneMismatch, api.CodeBadRequest:
		return "phone"
	}
	return ""
}

// start loads the flow. A method that isn't offered, or has passed
// already, sends the user back to the choice of method.
func (s *codeStep) start(ctx app.Context) {
	s.mount(ctx, func(ctx app.Context) {
		m, ok := method(s.flow, s.kind)
		if !ok || m.Verified {
			redirect(ctx, PathVerify)
			return
		}
		s.m = m
		s.now = client.Now()
		s.tick(ctx)
	})
}

// wait is how long until another code may be sent.
func (s *codeStep) wait() time.Duration {
	if s.m.ResendAt == nil {
		return 0
	}
	return s.m.ResendAt.Sub(s.now)
}

// tick moves the resend countdown on every second until it ends.
func (s *codeStep) tick(ctx app.Context) {
	if s.ticking || s.wait() <= 0 {
		return
	}
	s.ticking = true
	ctx.After(time.Second, func(ctx app.Context) {
		s.ticking = false
		s.now = client.Now()
		s.tick(ctx)
	})
}

// sendField is the field an error of a send call is about.
func sendField(c api.Code) string {
	switch c {
	case api.CodePhoneMismatch, api.CodeBadRequest:
		return "phone"
	}
	return ""
}

// codeField is the field an error of a verify call is about.
func codeField(c api.Code) string {
	switch c {
	case api.CodeBadRequest, api.CodeCodeInvalid, api.CodeCodeExpired:
		return "code"
	}
	return ""
}

// submitSend is the send form ("Email" or "Text").
func (s *codeStep) submitSend(_ app.Context, e app.Event) {
	ctx := s.ctx
	e.PreventDefault()
	s.send(ctx, false)
}

// resend is the "Resend code" button.
func (s *codeStep) resend(_ app.Context, e app.Event) {
	ctx := s.ctx
	e.PreventDefault()
	if s.kind == api.KindSMS && strings.TrimSpace(s.phone) == "" {
		// The number typed before a reload is gone: ask again.
		s.askPhone, s.errs, s.notice = true, nil, ""
		ctx.Defer(func(app.Context) { focus("phone") })
		return
	}
	s.send(ctx, true)
}

// send asks for a code.
func (s *codeStep) send(ctx app.Context, again bool) {
	if !s.ready || s.busy {
		return
	}
	phone := strings.TrimSpace(s.phone)
	if s.kind == api.KindSMS && phone == "" {
		s.invalid(ctx, problems{{field: "phone", msg: t("code.phone_required")}})
		return
	}
	s.busy, s.errs, s.notice = true, nil, ""
	kind := s.kind
	ctx.Async(func() {
		f, err := sendCode(kind, phone)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				s.fail(ctx, err, sendField)
				return
			}
			s.busy = false
			s.flow = f
			s.m, _ = method(f, kind)
			s.askPhone, s.code = false, ""
			if again {
				s.notice = t(msgSentAgain)
			}
			s.now = client.Now()
			s.tick(ctx)
			setTitle(ctx, s.heading, false)
			ctx.Defer(func(app.Context) { focus("code") })
		})
	})
}

// sendCode asks for a code of kind: by text to phone, or by email.
func sendCode(kind api.Kind, phone string) (api.Flow, error) {
	if kind == api.KindSMS {
		return client.SendSMS(phone)
	}
	return client.SendEmail()
}

// verify checks the code typed.
func (s *codeStep) verify(_ app.Context, e app.Event) {
	ctx := s.ctx
	e.PreventDefault()
	if !s.ready || s.busy {
		return
	}
	code := strings.TrimSpace(s.code)
	if code == "" {
		s.invalid(ctx, problems{{field: "code", msg: t("code.code_required")}})
		return
	}
	s.busy, s.errs, s.notice = true, nil, ""
	kind := s.kind
	ctx.Async(func() {
		var f api.Flow
		var err error
		if kind == api.KindSMS {
			f, err = client.VerifySMS(code)
		} else {
			f, err = client.VerifyEmail(code)
		}
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				s.fail(ctx, err, codeField)
				return
			}
			s.next(ctx, f)
		})
	})
}

// waitText is the resend countdown: "You can ask for a new code in 45
// seconds."
func waitText(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs <= 0 {
		return ""
	}
	var in string
	switch m, sec := secs/60, secs%60; {
	case m == 0:
		in = tn("code.wait_seconds", sec)
	case sec == 0:
		in = tn("code.wait_minutes", m)
	default:
		in = t("code.wait_minutes_seconds", "minutes", tn("code.wait_minutes", m), "seconds", tn("code.wait_seconds", sec))
	}
	return t("code.wait", "time", in)
}

// render draws the page of kind k: the send form until a code is waiting,
// then the code form, the resend button and the advice of the guides' FAQ.
func (s *codeStep) render(k api.Kind) app.UI {
	heading := t(emailHeading)
	if k == api.KindSMS {
		heading = t(smsHeading)
	}
	var body app.UI
	switch {
	case !s.ready:
		body = loadingP()
	case !s.m.CodeSent || s.askPhone:
		body = s.sendForm()
	default:
		body = s.codeForm()
	}
	return s.view(
		backLink(PathVerify),
		when(s.ready, stepCaption(s.flow)),
		app.H1().Text(heading),
		body,
		app.P().Body(link("other-method", PathVerify, t("code.other_method"))),
	)
}

// sendForm asks for a code ("Click Email" / "Enter your phone number,
// click Text").
func (s *codeStep) sendForm() app.UI {
	off := !s.ready || s.busy
	if s.kind == api.KindEmail {
		return postForm("send-form", s.path, s.submitSend, hidden("do", "send"),
			app.P().Body(rich(t("code.send_email_intro", "hint", s.m.Hint), masked)...),
			button("send-email", t("code.send_email"), true, false, off),
		)
	}
	intro := "code.send_sms_intro"
	if s.askPhone && s.m.CodeSent {
		intro = "code.send_sms_intro_again"
	}
	return postForm("send-form", s.path, s.submitSend, hidden("do", "send"),
		app.P().Body(rich(t(intro, "hint", s.m.Hint), masked)...),
		phoneField(s.phone, s.errs.of("phone"), s.valueToPhone(), off),
		button("send-sms", t("code.send_sms"), true, false, off),
	)
}

// phoneField is "Enter your phone number": the full number, to check
// against the one registered before a text is sent.
func phoneField(v, err string, onInput app.EventHandler, off bool) app.UI {
	in := app.Input().Type("tel").Name("phone").Value(v).
		Attr("autocomplete", "tel").OnInput(onInput)
	if off {
		in = in.Disabled(true)
	}
	return textField{id: "phone", label: t("code.phone_label"), hint: t("code.phone_hint"),
		err: err, input: in, width: "width-20"}.render()
}

// masked draws the part <0>{{hint}}</0> of a sentence: the masked address
// or number the code goes to.
func masked(hint string) app.UI {
	return app.Strong().Class("masked ltr").Text(hint)
}

// valueToPhone stores the phone field's value. (Compo.ValueTo needs the
// component; codeStep is embedded in two.)
func (s *codeStep) valueToPhone() app.EventHandler {
	return func(ctx app.Context, e app.Event) { s.phone = ctx.JSSrc().Get("value").String() }
}

// valueToCode stores the code field's value.
func (s *codeStep) valueToCode(ctx app.Context, e app.Event) {
	s.code = ctx.JSSrc().Get("value").String()
}

// codeForm takes the code, and offers a new one.
func (s *codeStep) codeForm() app.UI {
	off := !s.ready || s.busy
	in := app.Input().Type("text").Name("code").Value(s.code).
		Attr("inputmode", "numeric").Attr("autocomplete", "one-time-code").Spellcheck(false).
		OnInput(s.valueToCode)
	if off {
		in = in.Disabled(true)
	}
	var sent app.UI
	hint := t("code.code_hint_sms")
	if s.kind == api.KindEmail {
		hint = t("code.code_hint_email")
	}
	if at := s.m.CodeExpiresAt; at != nil {
		// A code can't be given more time: say until when it works.
		hint += " " + t("code.works_until", "time", clockText(at.Local()))
	}
	if s.kind == api.KindEmail {
		sent = app.Div().Body(
			app.P().Body(rich(t("code.sent_email", "hint", s.m.Hint), masked)...),
			para(t("code.open_email")),
		)
	} else {
		sent = app.P().Body(rich(t("code.sent_sms", "hint", s.m.Hint), masked)...)
	}
	if s.m.DeliveryFailed {
		// The outbox gave the message up: say so instead of "sent".
		sent = app.P().Class("error-message").Text(t("code.delivery_failed"))
	}
	wait := s.wait()
	return app.Div().Body(
		// The slot is the live region, there before its words: a
		// region inserted with its text may not be announced.
		app.Div().Class("notice-slot").Role("status").Body(
			when(s.notice != "", app.Div().Class("notice").Text(s.notice)),
		),
		sent,
		postForm("code-form", s.path, s.verify, hidden("do", "verify"),
			textField{id: "code", label: t("code.code_label"), hint: hint,
				err: s.errs.of("code"), input: in, width: "width-10"}.render(),
			button("next", t("common.next"), true, false, off),
		),
		h2m(t("code.not_arrived")),
		para(t("code.not_arrived_lead")),
		app.Ul().Class("list list--bullet").Body(
			li(t("code.check_spam")),
			li(t("code.check_signal")),
			li(t("code.check_details", "desk", Config().HelpDesk.Name)),
		),
		// A form of its own, so that it works without the wasm too.
		postForm("resend-form", s.path, s.resend, hidden("do", "resend"),
			app.P().Class("resend").Body(
				button("resend", t("code.resend"), true, true, off || wait > 0),
				app.Span().ID("resend-wait").Class("hint resend__wait").Text(waitText(wait)),
			),
		),
		para(t("code.other_methods")),
	)
}
