//go:build !wasm

package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// passHeading is the key of the page's heading. The page is the server's
// alone, like the help pages: its words are under "help.", which the
// browser's catalogue leaves out.
const passHeading = "help.pass_heading"

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
func (p *PassPage) OnNav(ctx app.Context) { setTitle(ctx, t(passHeading), false) }

// passField is the field a refusal is about.
func passField(c api.Code) string {
	if c == api.CodeBadRequest || c == api.CodeCodeInvalid {
		return "pass"
	}
	return ""
}

// OnPreRender draws the page with the server's state.
func (p *PassPage) OnPreRender(ctx app.Context) {
	p.prerender(ctx, PathVerifyPass, t(passHeading), passField)
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
		app.H1().Text(t(passHeading)),
		para(t("help.pass_lead", "desk", c.HelpDesk.Name)),
		helpDeskBlock(c.HelpDesk, "h2"),
		// A form the server takes: there is no wasm on this page.
		app.Form().ID("pass-form").Method("post").Action(PathVerifyPass).NoValidate(true).Body(
			textField{id: "pass", label: t("help.pass_label"), hint: t("help.pass_hint"),
				err: p.errs.of("pass"), input: in, width: "width-20"}.render(),
			button("next", t("common.next"), true, false, false),
		),
		para(t("help.pass_after")),
	)
}
