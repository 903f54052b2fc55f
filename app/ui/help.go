//go:build !wasm

package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The help pages are text the server prerenders, and nothing else: they
// are not in the wasm, which doesn't start on them (app.js looks for
// div#static-page), and every link to them is followed by the browser.
// Someone who only needs to read what to do downloads nothing more, and
// the wasm carries none of their words.

// registerHelp declares the help pages' routes: on the server only.
func registerHelp() {
	app.Route(PathHelpBefore, app.NewZeroComponentFactory(&BeforeYouBeginPage{}))
	app.Route(PathHelpFAQ, app.NewZeroComponentFactory(&FAQPage{}))
	app.Route(PathHelpContact, app.NewZeroComponentFactory(&ContactPage{}))
	app.Route(PathVerifyPass, app.NewZeroComponentFactory(&PassPage{}))
}

// staticPage marks a page the wasm must not take over.
func staticPage() app.UI { return app.Div().ID("static-page").Hidden(true) }

// The headings of the help pages.
const (
	beforeHeading  = "Before you begin"
	faqHeading     = "Questions and answers"
	contactHeading = "Contact the service desk"
)

// The questions of the guides' FAQ, as the FAQ page asks them.
const (
	faqNotRegistered = "What if I haven't registered for self-service password reset?"
	faqLockedOut     = "Why am I locked out even with the correct password?"
	faqOffCampus     = "Does self-service password reset work when I'm off campus?"
	faqNoCode        = "What if my verification code doesn't arrive?"
	faqCloseBrowser  = "Do I need to close my browser after resetting or unlocking?"
)

// BeforeYouBeginPage is the guide's "Before You Begin": devices that still
// hold the old password lock the account again.
type BeforeYouBeginPage struct {
	app.Compo
}

// OnNav names the tab.
func (p *BeforeYouBeginPage) OnNav(ctx app.Context) { setTitle(ctx, beforeHeading, false) }

// OnMount moves the focus to the heading after a navigation.
func (p *BeforeYouBeginPage) OnMount(ctx app.Context) { pageShown(ctx) }

// Render shows the advice.
func (p *BeforeYouBeginPage) Render() app.UI {
	return page(
		staticPage(),
		backLink(PathStart),
		app.H1().Text(beforeHeading),
		app.P().Class("lead").Text("If you use several devices, such as a laptop, mobile phone and tablet, "+
			"each one may still try to connect with your old password. This can lock your account again "+
			"straight away."),
		h2m("Before you reset or unlock your password"),
		app.Ul().Class("list list--bullet").Body(
			li("Remove the saved password from every device that signs in to your account: "+
				"phones, tablets, laptops and desktop computers."),
			li("Wi-Fi especially: on each device, forget the eduroam network (or any other network "+
				"you sign in to with your account). Devices connect to eduroam on their own, over and over, "+
				"and each try with an old password counts as a failed sign-in."),
			li("Do the same in email, calendar and other apps that remember your password."),
			li("If you can't do it straight away, switch off the devices you aren't using."),
		),
		h2m("Afterwards"),
		para("Close your browser. Then sign in again on each device, with your new password if you "+
			"reset it, so they don't lock you out again."),
		app.P().Body(app.A().Class("button").Href(PathStart).Text("Start now")),
	)
}

// FAQPage answers the guides' five questions for this portal.
type FAQPage struct {
	app.Compo
}

// OnNav names the tab.
func (p *FAQPage) OnNav(ctx app.Context) { setTitle(ctx, faqHeading, false) }

// OnMount moves the focus to the heading after a navigation.
func (p *FAQPage) OnMount(ctx app.Context) { pageShown(ctx) }

// Render shows the questions and answers.
func (p *FAQPage) Render() app.UI {
	c := Config()
	desk := c.HelpDesk.Name
	return page(
		staticPage(),
		backLink(PathStart),
		app.H1().Text(faqHeading),

		h2m(faqNotRegistered),
		app.P().Body(
			app.Text("You can't reset or unlock your password here. "),
			link("", PathHelpContact, "Contact the "+desk),
			app.Text(" for help. Once you're back in, "),
			link("", PathRegister, "register for self-service password reset"),
			app.Text(" so that you can use it next time."),
		),

		h2m(faqLockedOut),
		app.P().Body(
			app.Text("A device may still be trying to connect with an old saved password, especially "+
				"over eduroam Wi-Fi. Remove saved passwords on all your devices first: "),
			link("", PathHelpBefore, "what to do before you begin"),
			app.Text("."),
		),

		h2m(faqOffCampus),
		para("Yes, as long as you have an internet connection. It works on a phone, tablet or computer, anywhere."),

		h2m(faqNoCode),
		para("It can take a few minutes to arrive. If it doesn't:"),
		app.Ul().Class("list list--bullet").Body(
			li("check your spam or junk folders"),
			li("make sure your phone has mobile signal"),
			li("make sure your alternate contact details are up to date; if they've changed, contact the "+desk),
			li("ask for a new code once the page lets you, or choose another of your verification methods"),
		),

		h2m(faqCloseBrowser),
		para("Yes. This makes sure cached sign-in data doesn't interfere with your next sign-in attempt."),

		h2m("Still stuck?"),
		app.P().Body(link("", PathHelpContact, "Contact the "+desk)),
	)
}

// ContactPage is the second guide's "I am having further issues, how can
// I get more help?": the help desk's contact block from the configuration.
type ContactPage struct {
	app.Compo
}

// OnNav names the tab.
func (p *ContactPage) OnNav(ctx app.Context) { setTitle(ctx, contactHeading, false) }

// OnMount moves the focus to the heading after a navigation.
func (p *ContactPage) OnMount(ctx app.Context) { pageShown(ctx) }

// Render shows the contact block.
func (p *ContactPage) Render() app.UI {
	c := Config()
	return page(
		staticPage(),
		backLink(PathStart),
		app.H1().Text(contactHeading),
		app.P().Class("lead").Text("If you can't reset your password or unlock your account here, or you're "+
			"having any other problem, the "+c.HelpDesk.Name+" can help."),
		helpDeskBlock(c.HelpDesk, "h2"),
	)
}
