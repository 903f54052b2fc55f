package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

const summaryHeading = "Your verification methods"

// SummaryPage lists the signed-in user's methods, masked, with a link to
// add or change each and a button to remove it; and says whether enough
// are registered for a reset.
type SummaryPage struct {
	app.Compo
	account
	notice string
}

// OnNav names the tab.
func (p *SummaryPage) OnNav(ctx app.Context) { setTitle(ctx, summaryHeading, false) }

// OnMount loads the registration.
func (p *SummaryPage) OnMount(ctx app.Context) {
	p.notice, savedNotice = savedNotice, ""
	p.mount(ctx, summaryHeading, nil)
}

// remove is the "Remove" button of the method k.
func (p *SummaryPage) remove(k api.Kind) app.EventHandler {
	return func(_ app.Context, e app.Event) {
		ctx := p.ctx
		if !p.ready || p.busy {
			return
		}
		p.busy, p.errs, p.notice = true, nil, ""
		ctx.Async(func() {
			r, err := client.RemoveMethod(k)
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					// wrong_state says why: too few would be left.
					p.fail(ctx, err, nil)
					return
				}
				p.reg, p.busy = r, false
				p.notice = kindTitle(k) + ": removed."
				setTitle(ctx, summaryHeading, false)
			})
		})
	}
}

// signOut ends the session and goes to the start page.
func (p *SummaryPage) signOut(_ app.Context, e app.Event) {
	ctx := p.ctx
	if p.busy {
		return
	}
	p.busy = true
	ctx.Async(func() {
		err := client.SignOut()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil && codeOf(err) != api.CodeUnauthenticated {
				p.fail(ctx, err, nil)
				return
			}
			p.busy, signedIn = false, api.Session{}
			ctx.Navigate(PathStart)
		})
	})
}

// registeredCount is how many methods are registered.
func registeredCount(r api.Registration) int {
	n := 0
	for _, k := range api.Kinds {
		if r.Method(k).Registered {
			n++
		}
	}
	return n
}

// methodsWord is "one method", "two methods".
func methodsWord(n int) string {
	if n == 1 {
		return "one method"
	}
	return countWord(n) + " methods"
}

// registrationStatus says whether enough methods are registered for a
// reset, and if not, how many more.
func registrationStatus(r api.Registration) string {
	req, n := max(r.Required, 1), registeredCount(r)
	switch {
	case r.Complete:
		return "Your registration is complete. You've registered " + methodsWord(n) +
			", and a reset needs " + countWord(req) + "."
	case n == 0:
		return "Your registration isn't complete. A reset needs " + methodsWord(req) +
			", and you haven't registered any yet."
	}
	return "Your registration isn't complete. A reset needs " + methodsWord(req) +
		", and you've registered " + countWord(n) + ". Add " + countWord(max(req-n, 1)) + " more."
}

// methodValue is what the summary shows of a method: the masked address
// or number, how many questions, or that it isn't registered.
func methodValue(k api.Kind, m api.RegisteredMethod) string {
	switch {
	case !m.Registered:
		return "Not registered"
	case k == api.KindQuestions:
		if m.Count == 1 {
			return "1 question answered"
		}
		return strconv.Itoa(m.Count) + " questions answered"
	}
	return m.Hint
}

// confirmedText is "Confirmed 23 November 2026", in the device's time
// zone, or "" when the server didn't say.
func confirmedText(m api.RegisteredMethod) string {
	if !m.Registered || m.ConfirmedAt == nil {
		return ""
	}
	return "Confirmed " + m.ConfirmedAt.Local().Format("2 January 2006")
}

// methodRow is one method: its name, value, date, and what can be done.
func (p *SummaryPage) methodRow(k api.Kind) app.UI {
	m := p.reg.Method(k)
	if m == nil || !m.Enabled {
		return nil
	}
	id, title := string(k), kindTitle(k)
	value := app.P().Class("summary-row__value").Text(methodValue(k, *m))
	action, verb := "add-", "Add"
	var due, confirmed, remove app.UI
	if m.Registered {
		action, verb = "change-", "Change"
		if k != api.KindQuestions {
			value = value.Class("masked")
		}
		remove = button("remove-"+id, "Remove", false, true, !p.ready || p.busy).
			Aria("label", "Remove "+title).OnClick(p.remove(k))
	}
	if m.Due {
		due = app.Strong().Class("tag tag--due").Text("Confirm again")
	}
	if t := confirmedText(*m); t != "" {
		confirmed = app.P().Class("hint").Text(t)
	}
	return app.Div().ID("method-"+id).Class("summary-row").Body(
		div("summary-row__key", app.H2().Class("heading-s").Text(title), value, due, confirmed),
		div("summary-row__actions",
			app.A().ID(action+id).Href(kindPath(k)).Body(
				app.Text(verb), app.Span().Class("visually-hidden").Text(" "+title),
			),
			remove,
		),
	)
}

// methodRows are the rows of every method, in the order of api.Kinds.
func (p *SummaryPage) methodRows() []app.UI {
	rows := make([]app.UI, 0, len(api.Kinds))
	for _, k := range api.Kinds {
		rows = append(rows, p.methodRow(k))
	}
	return rows
}

// reconfirmText asks for the details to be confirmed again.
const reconfirmText = "It's time to confirm your details again. Check the methods marked " +
	"\"Confirm again\" are still right: change them to confirm them, or remove any you no longer use."

// Render shows the summary.
func (p *SummaryPage) Render() app.UI {
	r := p.reg
	var who, body app.UI
	if signedIn.User != "" {
		who = app.P().ID("signed-in-as").Class("caption").Text("Signed in as " + signedIn.User)
	}
	if !p.ready {
		body = loadingP()
	} else {
		var due app.UI
		if r.ReconfirmDue {
			due = app.P().ID("reconfirm").Class("inset").Text(reconfirmText)
		}
		body = app.Div().Body(
			app.P().ID("registration-status").Class("lead").Text(registrationStatus(r)),
			due,
			para("To reset your password or unlock your account, you'll prove it's you with "+
				countWord(max(r.Required, 1))+" of these. Register all of them if you can, in case "+
				"one isn't to hand."),
			div("summary-list", p.methodRows()...),
		)
	}
	return p.view(
		noticeView(p.notice),
		who,
		app.H1().Text(summaryHeading),
		body,
		h2m("Your password"),
		app.P().Body(link("change-password", PathRegPassword, "Change your password")),
		div("button-group",
			// Working as soon as mounted (heading set), even if the
			// registration didn't load.
			button("sign-out", "Sign out", false, true, p.heading == "" || p.busy).OnClick(p.signOut),
		),
	)
}
