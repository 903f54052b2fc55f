package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

const verifyHeading = "Choose a verification method"

// VerifyPage lists the flow's verification methods (step 4 of the guides):
// the user picks one, passes it on its own page and comes back here for the
// next, until the flow needs no more.
type VerifyPage struct {
	app.Compo
	wizard
	choice api.Kind
}

// OnNav names the tab.
func (p *VerifyPage) OnNav(ctx app.Context) { setTitle(ctx, verifyHeading, false) }

// OnInit takes over the prerendered page.
func (p *VerifyPage) OnInit() {
	if pg, ok := p.init(PathVerify, verifyHeading, p.firstOpen); ok {
		p.choice = api.Kind(pg.Values["method"])
	}
}

// OnPreRender draws the page with the server's state.
func (p *VerifyPage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathVerify, verifyHeading, p.firstOpen); ok {
		p.choice = api.Kind(pg.Values["method"])
	}
}

// firstOpen is the field of "Select a verification method": the first
// method not yet passed.
func (p *VerifyPage) firstOpen(api.Code) string {
	for _, m := range p.flow.Methods {
		if !m.Verified {
			return "method-" + string(m.Kind)
		}
	}
	return ""
}

// OnMount loads the flow.
func (p *VerifyPage) OnMount(ctx app.Context) {
	p.mount(ctx, func(ctx app.Context) {
		if m, ok := method(p.flow, p.choice); !ok || m.Verified {
			p.choice = ""
		}
		if len(p.flow.Methods) < p.flow.Required {
			setTitle(ctx, cantFinishHeading(p.flow), false)
		}
	})
}

// pick records the radio chosen.
func (p *VerifyPage) pick(v string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { p.choice = api.Kind(v) }
}

// submit goes to the chosen method's page.
func (p *VerifyPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	m, ok := method(p.flow, p.choice)
	if !ok || m.Verified {
		p.invalid(ctx, problems{{field: p.firstOpen(""), msg: msgSelectMethod}})
		return
	}
	ctx.Navigate(methodPath(m.Kind))
}

// msgSelectMethod is the refusal of the choice of method when none is
// chosen.
const msgSelectMethod = "Select a verification method"

// methodPath is the page of a method.
func methodPath(k api.Kind) string { return api.MethodPage(k) }

// methodRadio is the choice of one method.
func methodRadio(m api.Method, checked, off bool) radio {
	r := radio{id: "method-" + string(m.Kind), value: string(m.Kind), hint: m.Hint,
		checked: checked && !m.Verified, disabled: off || m.Verified, done: m.Verified}
	r.label = string(m.Kind)
	if t, ok := methodTexts[m.Kind]; ok {
		r.label = t.choice
	}
	if m.Kind == api.KindQuestions {
		n := m.Count
		if n == 0 {
			n = 3
		}
		r.hint = "Answer " + strconv.Itoa(n) + " of the questions you chose when you registered."
	}
	return r
}

// verifyHint says how many methods are needed and how far the user is.
func verifyHint(f api.Flow) string {
	done, req := verifyCount(f)
	var s string
	switch {
	case done == 0:
		s = "To prove it's you, verify " + countWord(req) + " of the methods you registered, one after the other."
	case done < req:
		s = "That worked. Now choose another method."
	default:
		s = "You've verified enough methods."
	}
	if f.Intent == api.IntentUnlock && done < req {
		s += " Once you've finished, your account is unlocked."
	}
	return s
}

// verifyCount returns the methods passed and the methods required.
func verifyCount(f api.Flow) (done, req int) {
	return verifiedCount(f), max(f.Required, 1)
}

// countWord spells small counts, as GOV.UK content does.
func countWord(n int) string {
	words := []string{"no", "one", "two", "three", "four", "five"}
	if n >= 0 && n < len(words) {
		return words[n]
	}
	return strconv.Itoa(n)
}

// cantFinishHeading is the heading when the account has fewer methods
// registered than the flow needs.
func cantFinishHeading(f api.Flow) string {
	if f.Intent == api.IntentUnlock {
		return "You can't unlock your account here"
	}
	return "You can't reset your password here"
}

// cantFinish tells a user with too few registered methods, plainly, that
// this service can't help them, and who can.
func cantFinish(f api.Flow, c api.Config) app.UI {
	n := len(f.Methods)
	has := "only " + countWord(n) + " is"
	if n != 1 {
		has = "only " + countWord(n) + " are"
	}
	return app.Div().Body(
		app.H1().Text(cantFinishHeading(f)),
		para("To reset your password or unlock your account here, you need "+
			countWord(f.Required)+" verification methods registered, but "+has+
			" registered for your account."),
		para("Contact the "+c.HelpDesk.Name+": they can help you get back into your account."),
		helpDeskBlock(c.HelpDesk, "h2"),
		app.P().Body(
			app.Text("Once you're back in, "),
			link("", PathRegister, "register more verification methods"),
			app.Text(" so that you can use this service next time."),
		),
	)
}

// finish asks again for what the flow is for, once enough methods have
// passed but the directory could not be reached to unlock the account:
// the API retries the unlock when the intent is posted again.
func (p *VerifyPage) finish(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	p.busy, p.errs = true, nil
	intent := p.flow.Intent
	ctx.Async(func() {
		f, err := client.ChooseIntent(intent)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err, nil)
				return
			}
			if f.State == api.StateVerify {
				// Still not through: say so rather than stay silent.
				p.busy, p.flow = false, f
				p.invalid(ctx, problems{{msg: "We couldn't finish. Try again in a few minutes, or contact the " +
					Config().HelpDesk.Name + ".", contact: true}})
				return
			}
			p.next(ctx, f)
		})
	})
}

// Render shows the methods, the done ones marked.
func (p *VerifyPage) Render() app.UI {
	if p.ready && len(p.flow.Methods) < p.flow.Required {
		return p.view(cantFinish(p.flow, Config()))
	}
	if done, req := verifyCount(p.flow); p.ready && done >= req {
		return p.view(
			app.H1().Text("Finish"),
			para("You've verified enough methods, but we couldn't finish last time. Try again."),
			postForm("finish-form", PathVerify, p.finish, hidden("do", "finish"),
				button("next", "Try again", true, false, p.busy),
			),
		)
	}
	off := !p.ready || p.busy
	items := make([]radio, 0, len(p.flow.Methods))
	for _, m := range p.flow.Methods {
		items = append(items, methodRadio(m, p.choice == m.Kind, off))
	}
	hint := ""
	if p.ready {
		hint = verifyHint(p.flow)
	}
	return p.view(
		backLink(PathChoose),
		when(p.ready, stepCaption(p.flow)),
		postForm("verify-form", PathVerify, p.submit,
			when(!p.ready, app.Div().Body(app.H1().Text(verifyHeading), loadingP())),
			radios("method", app.H1().Text(verifyHeading), hint, p.errs, items, p.pick),
			button("next", "Next", true, false, off),
		),
		app.P().Body(link("no-methods", PathVerifyPass, "I can't use any of these")),
	)
}

// loadingP says the page is waiting for the server.
func loadingP() app.UI {
	return app.P().Class("loading").Role("status").Text("Loading…")
}
