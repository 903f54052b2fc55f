//go:build !sspr_reset

package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// The keys of the headings of the pages that register an address or a
// number.
const (
	regEmailHeading = "regcode.email_heading"
	regSMSHeading   = "regcode.sms_heading"
)

// RegEmailPage adds or changes the alternate email address: type it, get
// a code there, type the code.
type RegEmailPage struct {
	app.Compo
	regCode
}

// OnNav names the tab.
func (p *RegEmailPage) OnNav(ctx app.Context) { setTitle(ctx, t(regEmailHeading), false) }

// OnMount loads the registration.
func (p *RegEmailPage) OnMount(ctx app.Context) { p.start(ctx, api.KindEmail) }

// Render shows the page.
func (p *RegEmailPage) Render() app.UI { return p.render(api.KindEmail) }

// RegSMSPage adds or changes the mobile phone number: type it, get a code
// by text, type the code.
type RegSMSPage struct {
	app.Compo
	regCode
}

// OnNav names the tab.
func (p *RegSMSPage) OnNav(ctx app.Context) { setTitle(ctx, t(regSMSHeading), false) }

// OnMount loads the registration.
func (p *RegSMSPage) OnMount(ctx app.Context) { p.start(ctx, api.KindSMS) }

// Render shows the page.
func (p *RegSMSPage) Render() app.UI { return p.render(api.KindSMS) }

// regCode registers a method that is proved with a code: email or sms.
type regCode struct {
	account
	kind  api.Kind
	value string // the address or number typed
	code  string
	sent  bool // a code is waiting for this method
}

// start loads the registration; a code already sent (before a reload)
// shows the code form.
func (s *regCode) start(ctx app.Context, k api.Kind) {
	s.kind = k
	s.mount(ctx, regHeading(k), func(app.Context) { s.sent = s.reg.Pending == k })
}

// regHeading is the heading of the page of kind k.
func regHeading(k api.Kind) string {
	if k == api.KindSMS {
		return t(regSMSHeading)
	}
	return t(regEmailHeading)
}

// valueID is the id of the field the address or number is typed in.
func valueID(k api.Kind) string {
	if k == api.KindSMS {
		return "phone"
	}
	return "email"
}

// typedValue and typedCode store the fields' values.
func (s *regCode) typedValue(ctx app.Context, e app.Event) {
	s.value = ctx.JSSrc().Get("value").String()
}

func (s *regCode) typedCode(ctx app.Context, e app.Event) {
	s.code = ctx.JSSrc().Get("value").String()
}

// send asks for a code to the address or number typed.
func (s *regCode) send(_ app.Context, e app.Event) {
	ctx := s.ctx
	e.PreventDefault()
	if !s.ready || s.busy {
		return
	}
	v, k := strings.TrimSpace(s.value), s.kind
	if v == "" {
		msg := t("regcode.email_missing")
		if k == api.KindSMS {
			msg = t("regcode.sms_missing")
		}
		s.invalid(ctx, problems{{field: valueID(k), msg: msg}})
		return
	}
	s.busy, s.errs = true, nil
	ctx.Async(func() {
		var r api.Registration
		var err error
		if k == api.KindSMS {
			r, err = client.RegisterSMS(v)
		} else {
			r, err = client.RegisterEmail(v)
		}
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				s.fail(ctx, err, func(c api.Code) string {
					if c == api.CodeBadRequest {
						return valueID(k)
					}
					return ""
				})
				return
			}
			s.reg, s.busy, s.sent, s.code = r, false, true, ""
			setTitle(ctx, s.heading, false)
			ctx.Defer(func(app.Context) { focus("code") })
		})
	})
}

// confirm checks the code; the method is registered and the summary
// shows it.
func (s *regCode) confirm(_ app.Context, e app.Event) {
	ctx := s.ctx
	e.PreventDefault()
	if !s.ready || s.busy {
		return
	}
	code, k := strings.TrimSpace(s.code), s.kind
	if code == "" {
		s.invalid(ctx, problems{{field: "code", msg: t("regcode.code_missing")}})
		return
	}
	s.busy, s.errs = true, nil
	ctx.Async(func() {
		var r api.Registration
		var err error
		if k == api.KindSMS {
			r, err = client.ConfirmSMS(code)
		} else {
			r, err = client.ConfirmEmail(code)
		}
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				s.fail(ctx, err, codeField)
				return
			}
			s.saved(ctx, r, t("regcode.registered", "method", kindTitle(k)))
		})
	})
}

// again goes back to the first form, to send a new code or correct what
// was typed.
func (s *regCode) again(_ app.Context, e app.Event) {
	s.sent, s.code, s.errs = false, "", nil
	s.ctx.Defer(func(app.Context) { focus(valueID(s.kind)) })
}

// render draws the page of kind k: the address or number, then the code.
func (s *regCode) render(k api.Kind) app.UI {
	off := !s.ready || s.busy
	var body app.UI
	switch {
	case !s.ready && len(s.errs) == 0:
		body = loadingP()
	case s.sent:
		body = s.codeForm(k, off)
	default:
		body = s.valueForm(k, off)
	}
	return s.view(
		backLink(PathRegSummary),
		app.H1().Text(regHeading(k)),
		body,
	)
}

// valueForm takes the address or number.
func (s *regCode) valueForm(k api.Kind, off bool) app.UI {
	id := valueID(k)
	in := app.Input().Name(id).Value(s.value).Spellcheck(false).OnInput(s.typedValue)
	f := textField{id: id, err: s.errs.of(id), input: in}
	var intro string
	if k == api.KindSMS {
		f.input = in.Type("tel").Attr("autocomplete", "tel")
		f.label, f.hint, f.width = t("regcode.sms_label"), t("regcode.sms_hint"), "width-20"
		intro = t("regcode.sms_intro")
	} else {
		f.input = in.Type("email").Attr("autocomplete", "email").Attr("autocapitalize", "none")
		f.label, f.hint, f.width = t("regcode.email_label"), t("regcode.email_hint", "org", Config().Organisation.Name), "width-30"
		intro = t("regcode.email_intro")
	}
	if off {
		f.input = f.input.Disabled(true)
	}
	return form("value-form", s.send,
		para(intro),
		f.render(),
		button("send-code", t("regcode.send"), true, false, off),
	)
}

// codeForm takes the code.
func (s *regCode) codeForm(k api.Kind, off bool) app.UI {
	in := app.Input().Type("text").Name("code").Value(s.code).
		Attr("inputmode", "numeric").Attr("autocomplete", "one-time-code").Spellcheck(false).
		OnInput(s.typedCode)
	if off {
		in = in.Disabled(true)
	}
	// The keys of the words that differ between an address and a number.
	unknown, hint, tip, check, change := "regcode.sent_email_unknown", "regcode.code_hint_email",
		"regcode.tip_email", "regcode.check_email", "regcode.change_email"
	if k == api.KindSMS {
		unknown, hint, tip, check, change = "regcode.sent_sms_unknown", "regcode.code_hint_sms",
			"regcode.tip_sms", "regcode.check_sms", "regcode.change_sms"
	}
	sent := t(unknown)
	if to := strings.TrimSpace(s.value); to != "" {
		sent = t("regcode.sent", "to", to)
	}
	return app.Div().Body(
		para(sent),
		form("code-form", s.confirm,
			textField{id: "code", label: t("regcode.code_label"), hint: t(hint),
				err: s.errs.of("code"), input: in, width: "width-10"}.render(),
			button("confirm", t("regcode.confirm"), true, false, off),
		),
		h2m(t("regcode.not_arrived")),
		app.Ul().Class("list list--bullet").Body(
			li(t(tip)),
			li(t(check)),
		),
		app.P().Body(button("again", t(change), false, true, off).OnClick(s.again)),
	)
}
