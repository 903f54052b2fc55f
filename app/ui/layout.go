package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// DevBanner warns, on every page, that this is a development server: demo
// accounts, and codes that anyone can read at /dev/outbox.
type DevBanner struct {
	app.Compo
}

// Render shows the banner in dev mode and nothing otherwise.
func (b *DevBanner) Render() app.UI {
	if !Dev() {
		return app.Div().Class("dev-banner").Hidden(true)
	}
	return app.Div().
		Class("dev-banner").
		Role("status").
		Body(
			app.Strong().Text(t("dev.banner_title")), app.Text(" "),
			app.Span().Body(rich(t("dev.banner"), func(s string) app.UI {
				// Not a page of the app: the browser must load it itself.
				return nativeLink(api.PathDevOutbox, s)
			})...),
		)
}

// siteHeader is the header of every page: the organisation, in its colours.
// Mounted on every page, it fetches GET /api/v1/config once per visit.
type siteHeader struct {
	app.Compo
}

// OnMount asks the API for the configuration, once: the server's copy in
// EnvConfig may be older than the server (a service worker's cached app.js).
func (h *siteHeader) OnMount(ctx app.Context) {
	cfg.Lock()
	asked := cfg.asked
	cfg.asked = true
	cfg.Unlock()
	if asked {
		return
	}
	ctx.Async(func() {
		c, err := client.Config()
		if err != nil {
			return // keep the server's copy
		}
		// Dispatch marks this component and the page above it for update.
		ctx.Dispatch(func(app.Context) { setConfig(c) })
	})
}

// Render shows the organisation's logo and name and the service's name.
func (h *siteHeader) Render() app.UI {
	c := Config()
	org := c.Organisation
	return app.Header().Class("site-header").Body(
		div("width-container site-header__inner",
			either(org.Logo != "", app.Img().Class("site-header__logo").Src(org.Logo).Alt(org.Name), app.Span().Class("site-header__org").Text(org.Name)),
			app.A().Class("site-header__service").Href(PathStart).Text(t("layout.service")),
		),
	)
}

// page lays out one page: skip link, dev banner, header, the content in
// main#main, and the footer with the help links.
func page(content ...app.UI) app.UI {
	c := Config()
	theme := c.Organisation.ThemeColour
	return app.Div().Class("page").
		Style("--theme", theme).
		Style("--theme-text", textOn(theme)).
		Style("--accent", c.Organisation.AccentColour).
		Body(
			app.A().Class("skip-link").Href("#main").OnClick(focusOnClick("main")).Text(t("layout.skip")),
			&DevBanner{},
			&siteHeader{},
			div("width-container",
				languages(c.Languages),
				app.Main().ID("main").Class("main").TabIndex(-1).Body(content...),
			),
			app.Footer().Class("site-footer").Body(
				div("width-container",
					app.H2().Class("visually-hidden").Text(t("layout.help")),
					app.Ul().Class("site-footer__links").Body(
						app.Li().Body(link("", PathHelpBefore, t("layout.before"))),
						app.Li().Body(link("", PathHelpFAQ, t("layout.faq"))),
						app.Li().Body(link("", PathHelpContact, t("layout.contact", "desk", c.HelpDesk.Name))),
						app.Li().Body(link("", PathRegister, t("layout.register"))),
					),
					app.P().Class("site-footer__org").Text(c.Organisation.Name),
				),
			),
		)
}

// setTitle names the browser tab after the page's heading, as GOV.UK does,
// with "Error: " in front while the page shows errors.
func setTitle(ctx app.Context, heading string, errors bool) {
	key := "layout.title"
	if errors {
		key = "layout.title_error"
	}
	org := Config().Organisation.Name
	ctx.Page().SetTitle(t(key, "page", heading, "org", org))
	if app.IsServer {
		// What go-app writes in the head of the page it prerenders, in
		// the page's language: its own are the handler's, one for every
		// page. The browser never shows them again.
		ctx.Page().SetDescription("%s", t("meta.description", "org", org))
		ctx.Page().SetLoadingLabel("%s", t("common.loading"))
	}
}

// languages is GOV.UK's language switch: the language shown, and a link to
// each other one the portal offers, named in its own language. The server
// remembers the choice (a cookie) and draws the page again in it, so the
// browser loads the page the link names (native): a page load has one
// language. A div with the
// navigation role, not a nav: one element type fewer in app.wasm.
func languages(offered []string) app.UI {
	if len(offered) < 2 {
		return nil
	}
	items := make([]app.UI, len(offered))
	for i, l := range offered {
		var item app.UI
		if l == Lang() {
			item = app.Span().Aria("current", "true").Attr("lang", l).Text(t("lang." + l))
		} else {
			// Each named in its own language (lang), in a landmark named
			// "Choose a language": no hidden words, which at 320 px
			// would reach past the page's edge from the end of the line.
			item = native(app.A().Href("?"+api.LangParam+"="+l).Attr("lang", l).Attr("hreflang", l)).Text(t("lang." + l))
		}
		items[i] = app.Li().Class("language-select__item").Body(item)
	}
	return app.Div().Class("language-select").Role("navigation").Aria("label", t("layout.languages")).
		Body(app.Ul().Class("language-select__list").Body(items...))
}

// nativeLink is a link the browser follows itself. go-app otherwise turns
// every click on a link into navigation inside the app, which breaks tel:
// links, pages that are not the app's (/dev/outbox) and other sites.
func nativeLink(href, text string) app.HTMLA { return native(app.A().Href(href).Text(text)) }

// native marks a link the browser follows itself, as a page load: app.js
// stops a click on it before go-app's handler on window sees it
// (data-native). A handler of go-app's on the link can't: go-app runs
// handlers after the event, when stopping it is too late, and its own
// navigation in place then cancels the page load.
func native(a app.HTMLA) app.HTMLA { return a.DataSet("native", 1) }

// focusOnClick handles a click on a link to "#id" on the same page: it
// moves the focus to the element, which following the link would not do
// (go-app only scrolls), as the GOV.UK error summary does.
func focusOnClick(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		e.Call("stopPropagation")
		focus(id)
	}
}

// focus moves the keyboard focus to the element with that id, and scrolls
// it into view. Browser only.
func focus(id string) {
	if app.IsServer {
		return
	}
	el := app.Window().GetElementByID(id)
	if !el.Truthy() {
		return
	}
	el.Call("focus")
	if el.Get("scrollIntoView").Truthy() {
		el.Call("scrollIntoView", map[string]any{"block": "center"})
	}
}

// redirect moves to path in place of the current history entry, so that
// the Back button skips a page that only sent the user on (a page that
// doesn't fit the flow's state). go-app has no replacing navigation; this
// replaces the URL and lets go-app's popstate handler load the page.
func redirect(ctx app.Context, path string) {
	if app.IsServer {
		return
	}
	w := app.Window()
	w.Get("history").Call("replaceState", nil, "", path)
	w.Call("dispatchEvent", w.Get("PopStateEvent").New("popstate"))
}

// shownBefore is false until the first page has been shown: that page came
// with the document; every later one replaced it without a page load.
var shownBefore bool

// pageShown moves the focus to the new page's heading after a navigation
// inside the app, so that screen readers announce the new page as they
// would after a page load. The first page is left alone. Either way, once
// the page has rendered, main#main carries data-ready: the wasm has taken
// over and the form works (what the page benchmark waits for). UI
// goroutine only.
func pageShown(ctx app.Context) {
	if app.IsServer {
		return
	}
	ctx.Defer(func(app.Context) {
		if m := app.Window().GetElementByID("main"); m.Truthy() {
			m.Call("setAttribute", "data-ready", "")
		}
	})
	if !shownBefore {
		shownBefore = true
		// What was typed into the prerendered page before the wasm took
		// it over goes back into this one.
		ctx.Defer(func(app.Context) { restoreTyped() })
		return
	}
	ctx.Defer(func(app.Context) {
		w := app.Window()
		w.Call("scrollTo", 0, 0)
		if h := w.Get("document").Call("querySelector", "main h1"); h.Truthy() {
			// Focusable by script only; set here so the markup stays plain.
			h.Call("setAttribute", "tabindex", "-1")
			h.Call("focus", map[string]any{"preventScroll": true})
		}
	})
}

// para, h2m and li are a paragraph, a medium heading and a list item of
// text. One call each instead of a chain at every use: in wasm each call
// of a chain costs code, and the pages have many.
func para(text string) app.UI { return app.P().Text(text) }

func h2m(text string) app.UI { return app.H2().Class("heading-m").Text(text) }

func li(text string) app.UI { return app.Li().Text(text) }

// div is a div of that class.
func div(class string, body ...app.UI) app.UI { return app.Div().Class(class).Body(body...) }

// link is a link inside the app; id may be "". A link to a help page or
// the recovery pass's is followed by the browser: those pages are not in
// the wasm (help.go, pass.go); nor are the registration pages in the reset
// wizard's (bundle_reset.go).
func link(id, href, text string) app.HTMLA {
	a := app.A().Href(href).Text(text)
	if strings.HasPrefix(href, "/help/") || href == PathVerifyPass || resetBundle && strings.HasPrefix(href, PathRegister) {
		a = native(a)
	}
	if id != "" {
		a = a.ID(id)
	}
	return a
}

// when is ui if cond, else nothing; either is a if cond, else b. Both are
// built whatever cond: cheaper in wasm than app.If's closures, and no
// page builds anything costly that it may not show.
func when(cond bool, ui app.UI) app.UI {
	if cond {
		return ui
	}
	return nil
}

func either(cond bool, a, b app.UI) app.UI {
	if cond {
		return a
	}
	return b
}
