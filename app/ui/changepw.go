//go:build !sspr_reset

package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// The keys of the headings of the password change.
const (
	changeHeading  = "changepw.heading"
	changedHeading = "changepw.changed_heading"
)

// ChangePasswordPage changes the signed-in user's password: the current
// one, the new one twice with the wizard's live checklist. The session
// ends with the change. An account given an initial password lands here
// from the sign-in (landing), and is told it must choose its own before it
// goes on: the server takes no other registration call until it has.
type ChangePasswordPage struct {
	app.Compo
	account
	newPassword
	current string
	done    bool
}

// OnNav names the tab.
func (p *ChangePasswordPage) OnNav(ctx app.Context) { setTitle(ctx, t(changeHeading), false) }

// OnMount checks the session, then loads the policy.
func (p *ChangePasswordPage) OnMount(ctx app.Context) {
	p.ctx, p.heading = ctx, t(changeHeading)
	p.loadSession(ctx)
}

// loadSession proves the session with GET /api/v1/session, which also
// says whether the password must be changed first: the other signed-in
// pages load the registration instead, which such an account can't read
// yet (password_change_required). Browser only.
func (p *ChangePasswordPage) loadSession(ctx app.Context) {
	ctx.Async(func() {
		s, err := client.CurrentSession()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err, nil)
				return
			}
			noteSession(s)
			p.watchSession(ctx) // the session just noted: no second call
			p.ready = true
			p.loadPolicy(ctx)
			if !p.shown {
				p.shown = true
				pageShown(ctx)
			}
		})
	})
}

// retrySession is the "Try again" of a page whose session didn't load.
func (p *ChangePasswordPage) retrySession(ctx app.Context, e app.Event) {
	p.errs = nil
	p.loadSession(p.ctx)
}

// frame is account.view, with a "Try again" that asks for the session, as
// this page's mount does, rather than the registration.
func (p *ChangePasswordPage) frame(content ...app.UI) app.UI {
	var retry app.UI
	if !p.ready && len(p.errs) > 0 {
		retry = app.P().Body(button("retry", t("common.try_again"), false, false, false).OnClick(p.retrySession))
	}
	return page(
		p.lim.view(),
		div("summary-slot", errorSummary(p.errs), retry),
		p.reauthView(),
		app.Div().Body(content...),
	)
}

// typedCurrent stores the current password.
func (p *ChangePasswordPage) typedCurrent(ctx app.Context, e app.Event) {
	p.current = ctx.JSSrc().Get("value").String()
}

// changeField is the field an error of the change is about.
func changeField(c api.Code) string {
	switch c {
	case api.CodeUnauthenticated:
		return "current"
	case api.CodeBadRequest:
		return "new"
	}
	return ""
}

// submit changes the password.
func (p *ChangePasswordPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	ps := p.checkTyped("new")
	if p.current == "" {
		ps = append(problems{{field: "current", msg: t("changepw.current_missing")}}, ps...)
	}
	if len(ps) > 0 {
		p.invalid(ctx, ps)
		return
	}
	p.busy, p.errs = true, nil
	current, pw := p.current, p.password
	ctx.Async(func() {
		err := client.ChangePassword(current, pw)
		// unauthenticated is a wrong current password, or a session that
		// has ended: only the session can tell which.
		var serr error
		if codeOf(err) == api.CodeUnauthenticated {
			_, serr = client.CurrentSession()
		}
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case err == nil:
				p.busy, p.done, p.current, p.password, p.confirm = false, true, "", "", ""
				signedIn = api.Session{}
				setTitle(ctx, t(changedHeading), false)
				pageShown(ctx)
			case codeOf(serr) == api.CodeUnauthenticated:
				p.fail(ctx, serr, nil)
			default:
				if ps := p.refusal(err, pw, "new"); ps != nil {
					p.busy = false
					p.invalid(ctx, ps)
					return
				}
				if codeOf(err) == api.CodeUnauthenticated {
					p.current = ""
					clearInput("current")
				}
				p.busy = false
				p.invalid(ctx, problems{problemFor(err, client.Now(), changeField)})
			}
		})
	})
}

// Render shows the form, or the confirmation.
func (p *ChangePasswordPage) Render() app.UI {
	if p.done {
		return page(changedView(Config()))
	}
	c := Config()
	off := !p.ready || p.busy
	// No Value: see newPassword.fields.
	in := app.Input().Type("password").Name("current").
		Attr("autocomplete", "current-password").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(p.typedCurrent)
	if off {
		in = in.Disabled(true)
	}
	// Until the password is changed the summary takes nothing: no way
	// back to it, and a sentence saying why.
	must := signedIn.MustChange
	return p.frame(
		when(!must, backLink(PathRegSummary)),
		app.H1().Text(t(changeHeading)),
		when(must, app.P().ID("must-change").Class("inset").Text(t("changepw.must_change"))),
		passwordIntro(c),
		form("change-form", p.submit,
			textField{id: "current", label: t("changepw.current_label"), err: p.errs.of("current"),
				input: in, width: "width-20"}.render(),
			p.fields("new", t("changepw.new_label"), p.errs, signedIn.User, off),
			button("change", t("changepw.change"), true, false, off),
		),
		para(t("changepw.signs_out")),
	)
}

// changedView confirms the change, with the advice of the done page.
func changedView(c api.Config) app.UI {
	return confirmation(t(changedHeading), t("changepw.signed_out"), c,
		updateDevices(), app.P().Body(link("sign-in-again", PathRegister, t("changepw.sign_in_again"))))
}
