//go:build !wasm

package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

const passHeading = "Use a recovery pass"

// PassPage is for someone who can't use any of their verification
// methods (a lost phone, an alternate mailbox they can't open) or never
// registered: it says to contact the service desk, which checks who they
// are its own way and gives them a one-time recovery pass, and takes the
// pass. A page the server draws and takes the form of, like the help
// pages: the wasm doesn't carry it, so the student's download doesn't
// grow for the few who need it.
type PassPage struct {
	app.Compo
	wizard
}

// OnNav names the tab.
func (p *PassPage) OnNav(ctx app.Context) { setTitle(ctx, passHeading, false) }

// passField is the field a refusal is about.
func passField(c api.Code) string {
	if c == api.CodeBadRequest || c == api.CodeCodeInvalid {
		return "pass"
	}
	return ""
}

// OnPreRender draws the page with the server's state.
func (p *PassPage) OnPreRender(ctx app.Context) {
	p.prerender(ctx, PathVerifyPass, passHeading, passField)
}

// Render shows what to do, and the form for the pass.
func (p *PassPage) Render() app.UI {
	c := Config()
	if p.ended {
		return page(staticPage(), expiredView())
	}
	in := app.Input().Type("text").Name("pass").Attr("autocomplete", "off").Attr("autocapitalize", "characters").Spellcheck(false)
	return page(
		staticPage(),
		div("summary-slot", errorSummary(p.errs)),
		backLink(PathVerify),
		app.H1().Text(passHeading),
		para("If you can't use any of the verification methods you registered, or you never registered any, "+
			"contact the "+c.HelpDesk.Name+". They'll check who you are, in person or another way they trust, "+
			"and give you a one-time recovery pass."),
		helpDeskBlock(c.HelpDesk, "h2"),
		// A form the server takes: there is no wasm on this page.
		app.Form().ID("pass-form").Method("post").Action(PathVerifyPass).NoValidate(true).Body(
			textField{id: "pass", label: "Recovery pass", hint: "For example, ABCD-EFGH-JKMN. It works once, for a short time.",
				err: p.errs.of("pass"), input: in, width: "width-20"}.render(),
			button("next", "Next", true, false, false),
		),
		para("After you choose a new password, register new verification methods, so that you can help yourself next time."),
	)
}
