package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// The keys of the headings of the done page.
const (
	doneResetHeading     = "done.reset_heading"
	doneUnlockHeading    = "done.unlock_heading"
	doneNotLockedHeading = "done.not_locked_heading"
)

// DonePage is the confirmation at the end of both guides, with their
// advice: close the browser, update the password saved on other devices.
type DonePage struct {
	app.Compo
	wizard
}

// OnNav names the tab.
func (p *DonePage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle(t("layout.title", "page", t("common.done"), "org", Config().Organisation.Name))
}

// OnInit takes over the prerendered page.
func (p *DonePage) OnInit() { p.init(PathDone, t("common.done"), nil) }

// OnPreRender draws the page with the server's state.
func (p *DonePage) OnPreRender(ctx app.Context) { p.prerender(ctx, PathDone, t("common.done"), nil) }

// OnMount loads the flow, which says what was done.
func (p *DonePage) OnMount(ctx app.Context) {
	p.mount(ctx, func(ctx app.Context) {
		setTitle(ctx, doneHeading(p.flow), false)
	})
}

// doneHeading is the heading for what was done.
func doneHeading(f api.Flow) string {
	switch {
	case f.Outcome == api.OutcomeNotLocked:
		return t(doneNotLockedHeading)
	case f.Intent == api.IntentUnlock:
		return t(doneUnlockHeading)
	}
	return t(doneResetHeading)
}

// Render shows the confirmation.
func (p *DonePage) Render() app.UI {
	if !p.ready {
		return p.view(loadingP())
	}
	return p.view(doneContent(p.flow, Config()))
}

// doneContent is the confirmation and the advice for what was done.
func doneContent(f api.Flow, c api.Config) app.UI {
	signIn, advice := t("done.sign_in_new"), updateDevices()
	switch {
	case f.Outcome == api.OutcomeNotLocked:
		// Said only now that the methods have passed: until then an
		// unlock looks the same whether the account is locked or not.
		signIn = t("done.nothing_changed")
		advice = app.Li().Body(rich(t("done.not_locked_advice", "desk", c.HelpDesk.Name), strongPart,
			func(s string) app.UI { return link("", PathStart, s) },
		)...)
	case f.Intent == api.IntentUnlock:
		signIn = t("done.sign_in_existing")
		advice = app.Li().Body(rich(t("done.unlock_advice"), strongPart)...)
	}
	more := app.P().Body(link("", PathHelpFAQ, t("layout.faq")))
	if f.Outcome == api.OutcomeRegisterAgain {
		// In with a recovery pass: without methods, the next time would
		// need the service desk again.
		more = app.P().Body(rich(t("done.register_again"), strongPart,
			func(s string) app.UI { return link("register-again", PathRegister, s) })...)
	}
	return confirmation(doneHeading(f), signIn, c, advice, more)
}

// confirmation is the end of a change: the heading in a green panel, the
// email sent to confirm it, and what to do now (close the browser, and
// advice), then more.
func confirmation(heading, body string, c api.Config, advice, more app.UI) app.UI {
	return app.Div().Body(
		div("panel",
			app.H1().Class("panel__title").Text(heading),
			app.Div().Class("panel__body").Text(body),
		),
		para(t("done.email_sent", "desk", c.HelpDesk.Name)),
		h2m(t("done.what_now")),
		app.Ol().Class("list list--number").Body(
			app.Li().Body(rich(t("done.close_browser"), strongPart)...),
			advice,
		),
		more,
	)
}

// updateDevices is the advice after a new password: devices that still
// hold the old one lock the account again.
func updateDevices() app.UI {
	return app.Li().Body(rich(t("done.update_devices"), strongPart)...)
}

// strongPart draws the part <0>…</0> of a piece of advice: its lead-in, in
// bold.
func strongPart(s string) app.UI { return app.Strong().Text(s) }
