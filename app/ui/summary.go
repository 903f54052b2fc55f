//go:build !sspr_reset

package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// summaryHeading is the key of the page's heading.
const summaryHeading = "summary.heading"

// SummaryPage lists the signed-in user's methods, masked, with a link to
// add or change each and a button to remove it; and says whether enough
// are registered for a reset.
type SummaryPage struct {
	app.Compo
	account
	notice string
}

// OnNav names the tab.
func (p *SummaryPage) OnNav(ctx app.Context) { setTitle(ctx, t(summaryHeading), false) }

// OnMount loads the registration.
func (p *SummaryPage) OnMount(ctx app.Context) {
	p.notice, savedNotice = savedNotice, ""
	p.mount(ctx, t(summaryHeading), nil)
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
				p.notice = t("summary.removed", "method", kindTitle(k))
				setTitle(ctx, t(summaryHeading), false)
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

// registrationStatus says whether enough methods are registered for a
// reset, and if not, how many more.
func registrationStatus(r api.Registration) string {
	req, n := max(r.Required, 1), registeredCount(r)
	switch {
	case r.Complete:
		return tn("summary.complete", n, "number", numberWord(n), "required", numberWord(req))
	case n == 0:
		return tn("summary.incomplete_none", req, "number", numberWord(req))
	}
	return tn("summary.incomplete", req, "required", numberWord(req), "number", numberWord(n),
		"more", numberWord(max(req-n, 1)))
}

// strongRule says, when the account's policy asks for strong methods,
// how many and which: "At least one of them must be: Authenticator app."
func strongRule(r api.Registration) app.UI {
	if r.Strong == 0 {
		return nil
	}
	var names []string
	for _, k := range api.Kinds {
		if m := r.Method(k); m != nil && m.Strong {
			names = append(names, kindTitle(k))
		}
	}
	return app.P().ID("strong-rule").Text(tn("summary.strong", r.Strong, "number", numberWord(r.Strong),
		"methods", strings.Join(names, t("list.or"))))
}

// methodValue is what the summary shows of a method: the masked address
// or number, how many questions, or that it isn't registered.
func methodValue(k api.Kind, m api.RegisteredMethod) string {
	switch {
	case !m.Registered:
		return t("summary.not_registered")
	case k == api.KindQuestions:
		return tn("summary.questions_answered", m.Count)
	case k == api.KindTOTP:
		return t("summary.totp_set_up")
	case k == api.KindPasskey:
		return tn("summary.passkeys", m.Count)
	}
	return m.Hint
}

// confirmedText is "Confirmed 23 November 2026", in the device's time
// zone, or "" when the server didn't say.
func confirmedText(m api.RegisteredMethod) string {
	if !m.Registered || m.ConfirmedAt == nil {
		return ""
	}
	return t("summary.confirmed", "date", dateText(m.ConfirmedAt.Local()))
}

// methodRow is one method: its name, value, date, and what can be done.
func (p *SummaryPage) methodRow(k api.Kind) app.UI {
	m := p.reg.Method(k)
	if m == nil || !m.Enabled {
		return nil
	}
	id, title := string(k), kindTitle(k)
	value := app.P().Class("summary-row__value").Text(methodValue(k, *m))
	action, verb := "add-", "summary.add"
	var due, confirmed, remove app.UI
	if m.Registered {
		action, verb = "change-", "summary.change"
		if m.Hint != "" {
			value = value.Class("masked") // an address or a number
		}
		remove = button("remove-"+id, t("summary.remove"), false, true, !p.ready || p.busy).
			Aria("label", t("summary.remove_label", "method", title)).OnClick(p.remove(k))
	}
	if m.Due {
		due = app.Strong().Class("tag tag--due").Text(t("summary.confirm_again"))
	}
	if s := confirmedText(*m); s != "" {
		confirmed = app.P().Class("hint").Text(s)
	}
	return app.Div().ID("method-"+id).Class("summary-row").Body(
		div("summary-row__key", app.H2().Class("heading-s").Text(title), value, due, confirmed),
		div("summary-row__actions",
			// The verb, and the method's name for screen readers only:
			// "Add<0> {{method}}</0>".
			app.A().ID(action+id).Href(kindPath(k)).Body(rich(t(verb, "method", title), func(s string) app.UI {
				return app.Span().Class("visually-hidden").Text(s)
			})...),
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

// reconfirmText is the key of the request to confirm the details again.
const reconfirmText = "summary.reconfirm"

// Render shows the summary.
func (p *SummaryPage) Render() app.UI {
	r := p.reg
	var who, body app.UI
	if signedIn.User != "" {
		who = app.P().ID("signed-in-as").Class("caption").Text(t("summary.signed_in_as", "user", signedIn.User))
	}
	if !p.ready {
		body = loadingP()
	} else {
		var due app.UI
		if r.ReconfirmDue {
			due = app.P().ID("reconfirm").Class("inset").Text(t(reconfirmText, "tag", t("summary.confirm_again")))
		}
		body = app.Div().Body(
			app.P().ID("registration-status").Class("lead").Text(registrationStatus(r)),
			due,
			para(tn("summary.prove", max(r.Required, 1), "number", numberWord(max(r.Required, 1)))),
			strongRule(r),
			div("summary-list", p.methodRows()...),
		)
	}
	return p.view(
		noticeView(p.notice),
		who,
		app.H1().Text(t(summaryHeading)),
		body,
		h2m(t("summary.password_heading")),
		app.P().Body(link("change-password", PathRegPassword, t("summary.change_password"))),
		div("button-group",
			// Working as soon as mounted (heading set), even if the
			// registration didn't load.
			button("sign-out", t("summary.sign_out"), false, true, p.heading == "" || p.busy).OnClick(p.signOut),
		),
	)
}
