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

// The keys of the headings of the help pages. Their words, and all the
// help pages', are under "help.": the server keeps them out of the
// browser's catalogue.
const (
	beforeHeading  = "help.before_heading"
	faqHeading     = "help.faq_heading"
	contactHeading = "help.contact_heading"
)

// The keys of the questions of the guides' FAQ, as the FAQ page asks them.
const (
	faqNotRegistered = "help.faq_not_registered"
	faqLockedOut     = "help.faq_locked_out"
	faqOffCampus     = "help.faq_off_campus"
	faqNoCode        = "help.faq_no_code"
	faqCloseBrowser  = "help.faq_close_browser"
)

// BeforeYouBeginPage is the guide's "Before You Begin": devices that still
// hold the old password lock the account again.
type BeforeYouBeginPage struct {
	app.Compo
}

// OnNav names the tab.
func (p *BeforeYouBeginPage) OnNav(ctx app.Context) { setTitle(ctx, t(beforeHeading), false) }

// OnMount moves the focus to the heading after a navigation.
func (p *BeforeYouBeginPage) OnMount(ctx app.Context) { pageShown(ctx) }

// Render shows the advice.
func (p *BeforeYouBeginPage) Render() app.UI {
	return page(
		staticPage(),
		backLink(PathStart),
		app.H1().Text(t(beforeHeading)),
		app.P().Class("lead").Text(t("help.before_lead")),
		h2m(t("help.before_subheading")),
		app.Ul().Class("list list--bullet").Body(
			li(t("help.before_remove")),
			li(t("help.before_wifi")),
			li(t("help.before_apps")),
			li(t("help.before_switch_off")),
		),
		h2m(t("help.afterwards")),
		para(t("help.afterwards_body")),
		app.P().Body(app.A().Class("button").Href(PathStart).Text(t("help.start_now"))),
	)
}

// FAQPage answers the guides' five questions for this portal.
type FAQPage struct {
	app.Compo
}

// OnNav names the tab.
func (p *FAQPage) OnNav(ctx app.Context) { setTitle(ctx, t(faqHeading), false) }

// OnMount moves the focus to the heading after a navigation.
func (p *FAQPage) OnMount(ctx app.Context) { pageShown(ctx) }

// Render shows the questions and answers.
func (p *FAQPage) Render() app.UI {
	c := Config()
	desk := c.HelpDesk.Name
	return page(
		staticPage(),
		backLink(PathStart),
		app.H1().Text(t(faqHeading)),

		h2m(t(faqNotRegistered)),
		// <0> is the link to the contact page.
		app.P().Body(rich(t("help.faq_not_registered_answer", "desk", desk),
			func(s string) app.UI { return link("", PathHelpContact, s) },
			func(s string) app.UI { return link("", PathRegister, s) },
		)...),

		h2m(t(faqLockedOut)),
		app.P().Body(rich(t("help.faq_locked_out_answer"),
			func(s string) app.UI { return link("", PathHelpBefore, s) },
		)...),

		h2m(t(faqOffCampus)),
		para(t("help.faq_off_campus_answer")),

		h2m(t(faqNoCode)),
		para(t("help.faq_no_code_lead")),
		app.Ul().Class("list list--bullet").Body(
			li(t("help.faq_no_code_spam")),
			li(t("help.faq_no_code_signal")),
			li(t("help.faq_no_code_details", "desk", desk)),
			li(t("help.faq_no_code_new_code")),
		),

		h2m(t(faqCloseBrowser)),
		para(t("help.faq_close_browser_answer")),

		h2m(t("help.still_stuck")),
		app.P().Body(link("", PathHelpContact, t("layout.contact", "desk", desk))),
	)
}

// ContactPage is the second guide's "I am having further issues, how can
// I get more help?": the help desk's contact block from the configuration.
type ContactPage struct {
	app.Compo
}

// OnNav names the tab.
func (p *ContactPage) OnNav(ctx app.Context) { setTitle(ctx, t(contactHeading), false) }

// OnMount moves the focus to the heading after a navigation.
func (p *ContactPage) OnMount(ctx app.Context) { pageShown(ctx) }

// Render shows the contact block.
func (p *ContactPage) Render() app.UI {
	c := Config()
	return page(
		staticPage(),
		backLink(PathStart),
		app.H1().Text(t(contactHeading)),
		app.P().Class("lead").Text(t("help.contact_lead", "desk", c.HelpDesk.Name)),
		helpDeskBlock(c.HelpDesk, "h2"),
	)
}
