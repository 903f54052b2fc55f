//go:build !sspr_reset

package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// signInHeading is the key of the page's heading.
const signInHeading = "signin.heading"

// RegisterPage is the way in to registration: sign in with the user id,
// the current password and a CAPTCHA. The next page is the summary (or
// see landing).
type RegisterPage struct {
	app.Compo
	captchaForm
	user, password string
	ended          bool // the session had ended: say so
}

// OnNav names the tab.
func (p *RegisterPage) OnNav(ctx app.Context) { setTitle(ctx, t(signInHeading), len(p.errs) > 0) }

// OnMount enables the form and fetches a CAPTCHA.
func (p *RegisterPage) OnMount(ctx app.Context) {
	p.ended, sessionEnded = sessionEnded, false
	p.mountCaptcha(ctx, t(signInHeading))
}

// signInField is the field an error of POST /session is about. A wrong
// password and an unknown user get the same answer: it goes with the
// password.
func signInField(c api.Code) string {
	if c == api.CodeUnauthenticated {
		return "password"
	}
	return userField(c)
}

// typedPassword stores the password field's value.
func (p *RegisterPage) typedPassword(ctx app.Context, e app.Event) {
	p.password = ctx.JSSrc().Get("value").String()
}

// submit signs in.
func (p *RegisterPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	user, password, answer := strings.TrimSpace(p.user), p.password, strings.TrimSpace(p.answer)
	var ps problems
	if user == "" {
		ps = append(ps, problem{field: "user", msg: t("signin.user_missing")})
	}
	if password == "" {
		ps = append(ps, problem{field: "password", msg: t("signin.password_missing")})
	}
	p.errs = p.checkAnswer(ps, answer)
	if len(p.errs) > 0 {
		showProblems(ctx, t(signInHeading), p.errs)
		return
	}
	p.busy, p.ended = true, false
	ref := api.CaptchaRef{ID: p.captcha.ID, Answer: answer}
	ctx.Async(func() {
		s, err := client.SignIn(user, password, ref)
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil {
				p.busy, p.password = false, ""
				noteSession(s)
				ctx.Navigate(landing(s))
				return
			}
			p.failed(ctx, err, signInField)
			switch codeOf(err) {
			case api.CodeAccountLocked:
				// Locked: registering waits until the account is unlocked,
				// which the start page does.
				p.errs[0].link, p.errs[0].linkText = PathStart, t("signin.unlock")
			case api.CodeUnauthenticated:
				p.password = ""
				clearInput("password")
			}
		})
	})
}

// landing is where a sign-in goes: the password page when the password
// must be changed first (an initial one: the server takes nothing else
// until it is), else the page the person was sent from (afterSignIn),
// else the summary. It uses up afterSignIn either way.
func landing(s api.Session) string {
	next := PathRegSummary
	if afterSignIn != "" {
		next, afterSignIn = afterSignIn, ""
	}
	if s.MustChange {
		return PathRegPassword
	}
	return next
}

// Render shows the sign-in form.
func (p *RegisterPage) Render() app.UI {
	c := Config()
	off := !p.ready || p.busy
	// No Value: a password is never shown again, and a field whose value
	// follows the component's state loses keys (see newPassword.fields).
	pwIn := app.Input().Type("password").Name("password").
		Attr("autocomplete", "current-password").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(p.typedPassword)
	if off {
		pwIn = pwIn.Disabled(true)
	}
	forgotten := rich(t("signin.forgotten_body", "desk", c.HelpDesk.Name),
		func(s string) app.UI { return link("", PathStart, s) })
	return page(
		div("summary-slot", errorSummary(p.errs)),
		noticeView(endedNotice(p.ended)),
		app.H1().Text(t(signInHeading)),
		app.P().Class("lead").Text(t("signin.lead", "desk", c.HelpDesk.Name)),
		para(t("signin.how")),
		form("sign-in-form", p.submit,
			userIDField(p.user, p.errs.of("user"), p.ValueTo(&p.user), off),
			textField{id: "password", label: t("common.password"), err: p.errs.of("password"),
				input: pwIn, width: "width-20"}.render(),
			p.captchaView(off),
			button("sign-in", t("signin.sign_in"), true, false, off),
		),
		h2m(t("signin.forgotten")),
		app.P().Body(forgotten...),
	)
}

// endedNotice is what the sign-in page says when a signed-in page found
// the session gone.
func endedNotice(ended bool) string {
	if !ended {
		return ""
	}
	return t("signin.ended")
}
