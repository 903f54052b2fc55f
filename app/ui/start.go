package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// startHeading is the key of the page's heading.
const startHeading = "start.heading"

// StartPage is the first page (step 2 of the guides): the user id and the
// CAPTCHA. A flow starts here; the next page is the choice of intent.
type StartPage struct {
	app.Compo
	captchaForm
	user string
	srv  *api.Page
}

// OnNav names the tab.
func (p *StartPage) OnNav(ctx app.Context) { setTitle(ctx, t(startHeading), len(p.errs) > 0) }

// OnInit takes over the prerendered page: its CAPTCHA, the user id the
// server was sent and its refusal.
func (p *StartPage) OnInit() {
	if pg, ok := takenPage(PathStart); ok {
		p.took(pg)
	}
}

// OnPreRender draws the page whole with the server's state: the CAPTCHA is
// in the HTML, and the form posts to the server.
func (p *StartPage) OnPreRender(ctx app.Context) {
	if pg, ok := serverPage(ctx, PathStart); ok {
		p.srv = &pg
		p.took(pg)
	}
}

func (p *StartPage) took(pg api.Page) {
	p.captchaForm.took(pg, userField)
	if v := pg.Values["user"]; v != "" {
		p.user = v
	}
}

// OnMount enables the form and fetches a CAPTCHA, unless it has one.
func (p *StartPage) OnMount(ctx app.Context) { p.mountCaptcha(ctx, t(startHeading)) }

// userField is the id of the field an error code of POST /flows (and POST
// /session) is about.
func userField(c api.Code) string {
	switch c {
	case api.CodeCaptchaInvalid:
		return "captcha-answer"
	case api.CodeBadRequest:
		return "user"
	}
	return ""
}

// submit starts the flow.
func (p *StartPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	user, answer := strings.TrimSpace(p.user), strings.TrimSpace(p.answer)
	var ps problems
	if user == "" {
		ps = append(ps, problem{field: "user", msg: t("start.user_missing")})
	}
	ps = p.checkAnswer(ps, answer)
	p.errs = ps
	if len(ps) > 0 {
		showProblems(ctx, t(startHeading), ps)
		return
	}
	p.busy = true
	ref := api.CaptchaRef{ID: p.captcha.ID, Answer: answer}
	ctx.Async(func() {
		f, err := client.StartFlow(user, ref)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.failed(ctx, err, userField)
				return
			}
			p.busy = false
			startedAs = user
			ctx.Navigate(pathFor(f))
		})
	})
}

// Render shows the start page.
func (p *StartPage) Render() app.UI {
	c := Config()
	off := !p.ready || p.busy
	return page(
		div("summary-slot", errorSummary(p.errs)),
		app.H1().Text(t(startHeading)),
		app.P().Class("lead").Text(t("start.lead")),
		div("inset",
			app.H2().Class("heading-s").Text(t("layout.before")),
			para(t("start.devices")),
			app.P().Body(link("help-before", PathHelpBefore, t("start.before_link"))),
		),
		postForm("start-form", PathStart, p.submit,
			userIDField(p.user, p.errs.of("user"), p.ValueTo(&p.user), off),
			p.captchaView(off),
			button("next", t("common.next"), true, false, off),
		),
		h2m(t("start.not_registered_heading")),
		para(t("start.not_registered", "desk", c.HelpDesk.Name)),
		app.P().Body(link("register-link", PathRegister, t("start.register_link"))),
		h2m(t("layout.help")),
		app.Ul().Class("list").Body(
			app.Li().Body(link("help-faq", PathHelpFAQ, t("layout.faq"))),
			app.Li().Body(link("help-contact", PathHelpContact, t("layout.contact", "desk", c.HelpDesk.Name))),
		),
		stateHolder(p.srv),
	)
}
