package ui

import (
	"errors"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// verifyHeading is the key of the page's heading.
const verifyHeading = "verify.heading"

// VerifyPage lists the flow's verification methods (step 4 of the guides)
// and, under the one selected, what it asks for, in the guides' words:
// "Select Email my alternate email, click Email"; "Select Send a text to
// my mobile phone number, enter your phone number, click Text". The code
// is then typed on the method's own page, and the user comes back here for
// the next, until the flow needs no more.
type VerifyPage struct {
	app.Compo
	wizard
	choice api.Kind
	phone  string // the number typed under "Send a text"
	totp   string // the code typed under "Use my authenticator app"
	// questionSet are the questions answered under "Answer my security
	// questions" (the guides: "Select Answer my security questions,
	// answer the three randomly presented questions, click Next").
	questionSet
}

// OnNav names the tab.
func (p *VerifyPage) OnNav(ctx app.Context) { setTitle(ctx, t(verifyHeading), false) }

// OnInit takes over the prerendered page.
func (p *VerifyPage) OnInit() {
	if pg, ok := p.init(PathVerify, t(verifyHeading), p.firstOpen); ok {
		p.choice, p.phone = api.Kind(pg.Values["method"]), pg.Values["phone"]
		p.took(pg.Questions)
	}
}

// OnPreRender draws the page with the server's state.
func (p *VerifyPage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathVerify, t(verifyHeading), p.firstOpen); ok {
		p.choice, p.phone = api.Kind(pg.Values["method"]), pg.Values["phone"]
		p.took(pg.Questions)
	}
}

// firstOpen is the field of "Select a verification method": the first
// method not yet passed.
func (p *VerifyPage) firstOpen(api.Code) string {
	for _, m := range p.flow.Methods {
		if !m.Verified {
			return "method-" + string(m.Kind)
		}
	}
	return ""
}

// OnMount loads the flow.
func (p *VerifyPage) OnMount(ctx app.Context) {
	p.mount(ctx, func(ctx app.Context) {
		if m, ok := method(p.flow, p.choice); !ok || m.Verified {
			p.choice = ""
		}
		if !p.flow.CanFinish() {
			setTitle(ctx, cantFinishHeading(p.flow), false)
		}
		// The questions, if they are a choice and the page has none yet.
		// Until they come, their choice leads to their own page.
		if m, ok := method(p.flow, api.KindQuestions); ok && !m.Verified && len(p.questions) == 0 {
			p.loadQuestions(ctx, func(app.Context, error) {})
		}
	})
}

// pick records the radio chosen.
func (p *VerifyPage) pick(v string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { p.choice = api.Kind(v) }
}

// submit does what the chosen method asks for, whichever of its buttons
// was pressed (Enter in a field presses the form's first): sends the code
// and goes to the page that takes it, or checks the answers (or, before
// the questions have come, goes to their page). A code that was sent and
// still works is typed rather than sent again.
func (p *VerifyPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	m, ok := method(p.flow, p.choice)
	if !ok || m.Verified {
		p.invalid(ctx, problems{{field: p.firstOpen(""), msg: t(msgSelectMethod)}})
		return
	}
	if m.Kind == api.KindQuestions && len(p.questions) > 0 {
		p.answer(&p.wizard, func(api.Code) string { return "method-questions" })
		return
	}
	if m.Kind == api.KindTOTP {
		p.verifyTOTP(ctx)
		return
	}
	if m.Kind == api.KindPasskey {
		p.verifyPasskey(ctx)
		return
	}
	if m.Kind == api.KindQuestions || m.CodeWaiting(client.Now()) {
		ctx.Navigate(methodPath(m.Kind))
		return
	}
	phone := strings.TrimSpace(p.phone)
	if m.Kind == api.KindSMS && phone == "" {
		p.invalid(ctx, problems{{field: "phone", msg: t("code.phone_required")}})
		return
	}
	p.busy, p.errs = true, nil
	kind := m.Kind
	ctx.Async(func() {
		f, err := sendCode(kind, phone)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err, func(c api.Code) string {
					if f := sendField(c); f != "" {
						return f
					}
					return "method-" + string(kind)
				})
				return
			}
			p.busy, p.flow = false, f
			ctx.Navigate(methodPath(kind))
		})
	})
}

// valueToPhone stores the phone field's value.
func (p *VerifyPage) valueToPhone(ctx app.Context, e app.Event) {
	p.phone = ctx.JSSrc().Get("value").String()
}

// valueToTOTP stores the authenticator code field's value.
func (p *VerifyPage) valueToTOTP(ctx app.Context, e app.Event) {
	p.totp = ctx.JSSrc().Get("value").String()
}

// verifyPasskey asks the browser for the account's passkey; the person
// unlocks it with their fingerprint, face or PIN.
func (p *VerifyPage) verifyPasskey(ctx app.Context) {
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		f, err := client.VerifyPasskey()
		ctx.Dispatch(func(ctx app.Context) {
			if errors.Is(err, client.ErrPasskey) {
				p.busy = false
				p.invalid(ctx, problems{{field: "method-passkey", msg: t("passkey.cancelled")}})
				return
			}
			if err != nil {
				p.fail(ctx, err, func(api.Code) string { return "method-passkey" })
				return
			}
			p.next(ctx, f)
		})
	})
}

// verifyTOTP checks the code typed from the authenticator app.
func (p *VerifyPage) verifyTOTP(ctx app.Context) {
	code := strings.TrimSpace(p.totp)
	if code == "" {
		p.invalid(ctx, problems{{field: "totp", msg: t("totp.code_missing")}})
		return
	}
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		f, err := client.VerifyTOTP(code)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.totp = ""
				p.fail(ctx, err, totpCodeField("totp"))
				return
			}
			p.next(ctx, f)
		})
	})
}

// reveal is what method m asks for once selected: the button that sends
// its code (with the phone number, for a text), the questions and their
// Next, or, when a code sent for it still works, the way to type it.
func (p *VerifyPage) reveal(m api.Method, off bool) app.UI {
	if m.Verified {
		return nil
	}
	if m.Kind == api.KindQuestions {
		return app.Div().Body(
			when(len(p.questions) > 0, p.fields(p.errs, off)),
			button("questions-next", t("common.next"), true, false, off),
		)
	}
	if m.Kind == api.KindPasskey {
		return app.Div().Body(
			para(t("passkey.verify_intro")),
			button("passkey-use", t("passkey.use"), true, false, off),
		)
	}
	if m.Kind == api.KindTOTP {
		return app.Div().Body(
			para(t("totp.verify_intro", "org", Config().Organisation.Name)),
			totpField("totp", p.totp, p.errs.of("totp"), p.valueToTOTP, off),
			button("totp-next", t("common.next"), true, false, off),
		)
	}
	if m.CodeWaiting(client.Now()) {
		sent := "code.sent_email"
		if m.Kind == api.KindSMS {
			sent = "code.sent_sms"
		}
		return app.Div().Body(
			app.P().Body(rich(t(sent, "hint", m.Hint), masked)...),
			button("enter-code-"+string(m.Kind), t("verify.enter_code"), true, false, off),
		)
	}
	if m.Kind == api.KindEmail {
		return app.Div().Body(
			app.P().Body(rich(t("code.send_email_intro", "hint", m.Hint), masked)...),
			button("send-email", t("code.send_email"), true, false, off),
		)
	}
	return app.Div().Body(
		app.P().Body(rich(t("code.send_sms_intro", "hint", m.Hint), masked)...),
		phoneField(p.phone, p.errs.of("phone"), p.valueToPhone, off),
		button("send-sms", t("code.send_sms"), true, false, off),
	)
}

// msgSelectMethod is the key of the refusal of the choice of method when
// none is chosen.
const msgSelectMethod = "verify.select_method"

// methodPath is the page of a method.
func methodPath(k api.Kind) string { return api.MethodPage(k) }

// methodRadio is the choice of one method, with what it asks for once
// chosen (reveal).
func methodRadio(m api.Method, checked, off bool, reveal app.UI) radio {
	r := radio{id: "method-" + string(m.Kind), value: string(m.Kind), hint: m.Hint,
		checked: checked && !m.Verified, disabled: off || m.Verified, done: m.Verified, reveal: reveal}
	r.label = string(m.Kind)
	if mt, ok := methodTexts[m.Kind]; ok {
		r.label = t(mt.choice)
	}
	if m.Kind == api.KindQuestions {
		n := m.Count
		if n == 0 {
			n = 3
		}
		r.hint = tn("verify.questions_hint", n)
	}
	return r
}

// verifyHint says how many methods are needed and how far the user is,
// and which must be strong when the account's policy asks for some.
func verifyHint(f api.Flow) string {
	done, req := verifyCount(f)
	unlock := f.Intent == api.IntentUnlock
	strong := ""
	if f.Strong > 0 {
		strong = " " + tn("verify.strong", f.Strong, "number", numberWord(f.Strong), "methods", strongNames(f))
	}
	switch {
	case f.StrongShort():
		return t("verify.strong_next", "methods", strongNames(f))
	case done == 0 && unlock:
		return tn("verify.hint_first_unlock", req, "number", numberWord(req)) + strong
	case done == 0:
		return tn("verify.hint_first", req, "number", numberWord(req)) + strong
	case done < req && unlock:
		return t("verify.hint_next_unlock")
	case done < req:
		return t("verify.hint_next")
	}
	return t("verify.hint_enough")
}

// verifyCount returns the methods passed and the methods required.
func verifyCount(f api.Flow) (done, req int) {
	return verifiedCount(f), max(f.Required, 1)
}

// strongNames names the flow's strong methods: "Authenticator app", or
// several joined by "or".
func strongNames(f api.Flow) string {
	var names []string
	for _, m := range f.Methods {
		if m.Strong {
			if mt, ok := methodTexts[m.Kind]; ok {
				names = append(names, t(mt.title))
			}
		}
	}
	return strings.Join(names, t("list.or"))
}

// cantFinishHeading is the heading when the account has fewer methods
// registered than the flow needs.
func cantFinishHeading(f api.Flow) string {
	if f.Intent == api.IntentUnlock {
		return t("verify.cant_unlock_heading")
	}
	return t("verify.cant_reset_heading")
}

// cantFinish tells a user with too few registered methods, plainly, that
// this service can't help them, and who can.
func cantFinish(f api.Flow, c api.Config) app.UI {
	n := len(f.Methods)
	need := para(tn("verify.cant_need", n, "required", numberWord(f.Required), "number", numberWord(n)))
	if n >= f.Required {
		// Enough methods, but not the strong one the policy asks for.
		need = para(t("verify.cant_strong"))
	}
	return app.Div().Body(
		app.H1().Text(cantFinishHeading(f)),
		need,
		para(t("verify.cant_contact", "desk", c.HelpDesk.Name)),
		helpDeskBlock(c.HelpDesk, "h2"),
		app.P().Body(rich(t("verify.cant_register"), func(s string) app.UI {
			return link("", PathRegister, s)
		})...),
	)
}

// finish asks again for what the flow is for, once enough methods have
// passed but the directory could not be reached to unlock the account:
// the API retries the unlock when the intent is posted again.
func (p *VerifyPage) finish(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	p.busy, p.errs = true, nil
	intent := p.flow.Intent
	ctx.Async(func() {
		f, err := client.ChooseIntent(intent)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err, nil)
				return
			}
			if f.State == api.StateVerify {
				// Still not through: say so rather than stay silent.
				p.busy, p.flow = false, f
				p.invalid(ctx, problems{{msg: t("verify.finish_failed", "desk", Config().HelpDesk.Name), contact: true}})
				return
			}
			p.next(ctx, f)
		})
	})
}

// Render shows the methods, the done ones marked.
func (p *VerifyPage) Render() app.UI {
	if p.ready && !p.flow.CanFinish() {
		return p.view(cantFinish(p.flow, Config()))
	}
	if done, req := verifyCount(p.flow); p.ready && done >= req && !p.flow.StrongShort() {
		return p.view(
			app.H1().Text(t("verify.finish_heading")),
			para(t("verify.finish_lead")),
			postForm("finish-form", PathVerify, p.finish, hidden("do", "finish"),
				button("next", t("common.try_again"), true, false, p.busy),
			),
		)
	}
	off := !p.ready || p.busy
	items := make([]radio, 0, len(p.flow.Methods))
	for _, m := range p.flow.Methods {
		items = append(items, methodRadio(m, p.choice == m.Kind, off, p.reveal(m, off)))
	}
	hint := ""
	if p.ready {
		hint = verifyHint(p.flow)
	}
	return p.view(
		backLink(PathChoose),
		when(p.ready, stepCaption(p.flow)),
		postForm("verify-form", PathVerify, p.submit,
			when(!p.ready, app.Div().Body(app.H1().Text(t(verifyHeading)), loadingP())),
			radios("method", app.H1().Text(t(verifyHeading)), hint, p.errs, items, p.pick),
		),
		app.P().Body(link("no-methods", PathVerifyPass, t("verify.none_usable"))),
	)
}

// loadingP says the page is waiting for the server.
func loadingP() app.UI {
	return app.P().Class("loading").Role("status").Text(t("common.loading"))
}
