package ui

import (
	"errors"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

const startHeading = "Get back into your account"

// StartPage is the first page (step 2 of the guides): the user id and the
// CAPTCHA. A flow starts here; the next page is the choice of intent.
type StartPage struct {
	app.Compo

	ctx         app.Context // the component's (see wizard.ctx)
	ready       bool        // mounted: the controls work
	busy        bool        // starting a flow
	captchaBusy bool        // fetching a picture
	user        string
	answer      string
	captcha     api.Captcha
	errs        problems
}

// OnNav names the tab.
func (p *StartPage) OnNav(ctx app.Context) { setTitle(ctx, startHeading, len(p.errs) > 0) }

// OnMount enables the form and fetches a CAPTCHA.
func (p *StartPage) OnMount(ctx app.Context) {
	p.ctx, p.ready = ctx, true
	p.newCaptcha(ctx)
	pageShown(ctx)
}

// newCaptcha fetches a new picture and clears the answer.
func (p *StartPage) newCaptcha(ctx app.Context) {
	p.captchaBusy = true
	ctx.Async(func() {
		c, err := client.NewCaptcha()
		ctx.Dispatch(func(ctx app.Context) {
			p.captchaBusy = false
			if err != nil {
				pr := problemFor(err, client.Now(), nil)
				if !errors.Is(err, client.ErrOffline) {
					pr.msg = "The picture didn't load. " + pr.msg
				}
				for _, e := range p.errs {
					if e.msg == pr.msg {
						return // said already
					}
				}
				p.errs = append(p.errs, pr)
				showProblems(ctx, startHeading, p.errs)
				return
			}
			p.captcha = c
		})
	})
}

// renew is the "New picture" button.
func (p *StartPage) renew(ctx app.Context, e app.Event) {
	ctx = p.ctx
	p.answer = ""
	p.newCaptcha(ctx)
}

// listen is the "Listen" button: it plays the CAPTCHA's sound.
func (p *StartPage) listen(ctx app.Context, e app.Event) {
	el := app.Window().GetElementByID("captcha-audio")
	if !el.Truthy() {
		return
	}
	el.Set("currentTime", 0)
	// play() answers a promise that fails if the sound can't play; a
	// failure must not become an uncaught error in the console.
	if pr := el.Call("play"); pr.Truthy() && pr.Get("catch").Truthy() {
		if ignore == nil {
			ignore = app.FuncOf(func(app.Value, []app.Value) any { return nil })
		}
		pr.Call("catch", ignore)
	}
}

// ignore is a JavaScript function that does nothing, kept for the life of
// the page: the rejection handler of play().
var ignore app.Func

// userField is the id of the field an error code of POST /flows is about.
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
func (p *StartPage) submit(ctx app.Context, e app.Event) {
	ctx = p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	user, answer := strings.TrimSpace(p.user), strings.TrimSpace(p.answer)
	var ps problems
	if user == "" {
		ps = append(ps, problem{field: "user", msg: "Enter your user ID"})
	}
	if answer == "" {
		ps = append(ps, problem{field: "captcha-answer", msg: "Enter the characters in the picture"})
	} else if p.captcha.ID == "" {
		ps = append(ps, problem{field: "captcha-answer", msg: "The picture hasn't loaded yet. Choose New picture."})
	}
	p.errs = ps
	if len(ps) > 0 {
		showProblems(ctx, startHeading, ps)
		return
	}
	p.busy = true
	ref := api.CaptchaRef{ID: p.captcha.ID, Answer: answer}
	ctx.Async(func() {
		f, err := client.StartFlow(user, ref)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err == nil {
				startedAs = user
				ctx.Navigate(pathFor(f))
				return
			}
			p.errs = problems{problemFor(err, client.Now(), userField)}
			showProblems(ctx, startHeading, p.errs)
			if errors.Is(err, client.ErrOffline) {
				return // never reached the server: the picture is still good
			}
			// A CAPTCHA is good for one try, right or wrong.
			p.answer = ""
			p.newCaptcha(ctx)
		})
	})
}

// Render shows the start page.
func (p *StartPage) Render() app.UI {
	c := Config()
	off := !p.ready || p.busy
	userIn := app.Input().Type("text").Name("user").Value(p.user).
		Attr("autocomplete", "username").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(p.ValueTo(&p.user))
	answerIn := app.Input().Type("text").Name("captcha-answer").Value(p.answer).
		Attr("inputmode", "numeric").Attr("autocomplete", "off").Spellcheck(false).
		OnInput(p.ValueTo(&p.answer))
	if off {
		userIn = userIn.Disabled(true)
		answerIn = answerIn.Disabled(true)
	}
	hint := ""
	if c.UserIDHint != "" {
		hint = "For example, " + c.UserIDHint
	}
	return page(
		app.Div().Class("summary-slot").Body(errorSummary(p.errs)),
		app.H1().Text(startHeading),
		app.P().Class("lead").Text("Forgotten your password, or locked out of your account? "+
			"Prove it's you with two of the verification methods you registered, then choose "+
			"a new password or unlock your account."),
		app.Div().Class("inset").Body(
			app.H2().Class("heading-s").Text("Before you begin"),
			app.P().Text("If you use several devices, such as a laptop, mobile phone or tablet, "+
				"each one may still try to sign in with your old password and lock your account again."),
			app.P().Body(app.A().ID("help-before").Href(PathHelpBefore).Text("What to do before you begin")),
		),
		app.Form().ID("start-form").NoValidate(true).OnSubmit(p.submit).Body(
			textField{id: "user", label: "User ID", hint: hint, err: p.errs.of("user"),
				input: userIn, width: "width-20"}.render(),
			app.Div().Class("captcha").Body(
				app.Div().Class("captcha__picture").Body(
					app.If(p.captcha.Image != "", func() app.UI {
						return app.Img().ID("captcha-image").Src(p.captcha.Image).Width(240).Height(80).
							Alt("CAPTCHA: a picture of characters, drawn to be hard for computers to read. " +
								"Type them in the box below, or choose Listen to hear them.")
					}).Else(func() app.UI {
						return app.Div().Class("captcha__placeholder").Text("Loading the picture…")
					}),
				),
				app.Div().Class("button-group").Body(
					button("captcha-new", "New picture", false, true, off || p.captchaBusy).OnClick(p.renew),
					app.If(c.Captcha.Audio, func() app.UI {
						return button("captcha-listen", "Listen", false, true, off || p.captcha.Audio == "").OnClick(p.listen)
					}),
				),
				textField{id: "captcha-answer", label: "Enter the characters in the picture",
					err: p.errs.of("captcha-answer"), input: answerIn, width: "width-10"}.render(),
				// Last, so that its coming doesn't move the field above.
				app.If(c.Captcha.Audio && p.captcha.Audio != "", func() app.UI {
					return app.Audio().ID("captcha-audio").Src(p.captcha.Audio).Preload("none")
				}),
			),
			button("next", "Next", true, false, off),
		),
		app.H2().Class("heading-m").Text("Not registered?"),
		app.P().Text("You can only reset your password or unlock your account here if you've "+
			"registered for self-service password reset. If you haven't, contact the "+c.HelpDesk.Name+"."),
		app.P().Body(app.A().ID("register-link").Href(PathRegister).Text("Register for self-service password reset")),
		app.H2().Class("heading-m").Text("Help"),
		app.Ul().Class("list").Body(
			app.Li().Body(app.A().ID("help-faq").Href(PathHelpFAQ).Text("Questions and answers")),
			app.Li().Body(app.A().ID("help-contact").Href(PathHelpContact).Text("Contact the "+c.HelpDesk.Name)),
		),
	)
}
