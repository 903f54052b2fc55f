package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// The headings of the done page.
const (
	doneResetHeading     = "Your password has been reset"
	doneUnlockHeading    = "Your account has been unlocked"
	doneNotLockedHeading = "Your account wasn't locked"
)

// DonePage is the confirmation at the end of both guides, with their
// advice: close the browser, update the password saved on other devices.
type DonePage struct {
	app.Compo
	wizard
}

// OnNav names the tab.
func (p *DonePage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Done – " + Config().Organisation.Name)
}

// OnInit takes over the prerendered page.
func (p *DonePage) OnInit() { p.init(PathDone, "Done", nil) }

// OnPreRender draws the page with the server's state.
func (p *DonePage) OnPreRender(ctx app.Context) { p.prerender(ctx, PathDone, "Done", nil) }

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
		return doneNotLockedHeading
	case f.Intent == api.IntentUnlock:
		return doneUnlockHeading
	}
	return doneResetHeading
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
	signIn, advice := "You can now sign in with your new password.", updateDevices()
	switch {
	case f.Outcome == api.OutcomeNotLocked:
		// Said only now that the methods have passed: until then an
		// unlock looks the same whether the account is locked or not.
		signIn = "There was nothing to unlock, so nothing has been changed."
		advice = app.Li().Body(
			app.Strong().Text("If you still can't sign in, "),
			app.Text("check Caps Lock and your keyboard's language. If you've forgotten your password, "),
			link("", PathStart, "reset it"),
			app.Text(". A device using an old saved password can also stop you: remove it from your "+
				"phones, tablets, Wi-Fi (eduroam) and email apps. Still stuck? Contact the "+c.HelpDesk.Name+"."),
		)
	case f.Intent == api.IntentUnlock:
		signIn = "You can now sign in with your existing password."
		advice = app.Li().Body(
			app.Strong().Text("If you keep getting locked out, "),
			app.Text("a device may still be trying an old saved password, especially on Wi-Fi "+
				"(eduroam). Remove the saved password from all your devices, such as phones, "+
				"tablets and email apps, so they don't lock you out again."),
		)
	}
	more := app.P().Body(link("", PathHelpFAQ, "Questions and answers"))
	if f.Outcome == api.OutcomeRegisterAgain {
		// In with a recovery pass: without methods, the next time would
		// need the service desk again.
		more = app.P().Body(app.Strong().Text("Now "), link("register-again", PathRegister, "register new verification methods"),
			app.Text(", so that you can help yourself next time."))
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
		para("We've sent an email to confirm this. If it wasn't you, contact the "+c.HelpDesk.Name+" now."),
		h2m("What to do now"),
		app.Ol().Class("list list--number").Body(
			app.Li().Body(
				app.Strong().Text("Close your browser. "),
				app.Text("This makes sure cached sign-in details don't interfere with your next sign-in."),
			),
			advice,
		),
		more,
	)
}

// updateDevices is the advice after a new password: devices that still
// hold the old one lock the account again.
func updateDevices() app.UI {
	return app.Li().Body(
		app.Strong().Text("Update the password saved on your other devices, "),
		app.Text("such as Wi-Fi (eduroam), email apps on your phone and tablet, and any "+
			"computer that remembers it, so they don't lock you out again with the old one."),
	)
}
