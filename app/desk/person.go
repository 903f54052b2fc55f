package desk

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
)

const personHeading = "Find a person"

// PersonPage is where the service desk finds a person (by user id or
// name) and sees everything about their self-service: the account, what
// they registered, what pauses them and what happened lately; and, for
// the service_desk role, acts on it with a ticket reference and a reason.
// The person's id travels in the address (?user=), so a lookup can be
// bookmarked, sent back with the Back button or linked from a ticket.
type PersonPage struct {
	app.Compo
	ready, busy bool
	errs        problems
	notice      string

	term     string // what the search box holds
	hits     []deskapi.PersonHit
	searched bool // hits are a search's answer (maybe none)

	user   string         // the ?user= looked up
	person deskapi.Person // zero until loaded
	// pass is a recovery pass just issued: shown once, here, and gone on
	// the next page.
	pass deskapi.RecoveryPassResponse

	ticket, reason string
	// confirmClear asks "are you sure?" before a registration is cleared:
	// the one action that can't be undone by the person or the desk.
	confirmClear bool
}

// OnNav loads the person named in the address, once the staff session is
// known to be open.
func (p *PersonPage) OnNav(ctx app.Context) {
	setTitle(ctx, personHeading, false)
	shown(ctx)
	user := ctx.Page().URL().Query().Get("user")
	p.pass, p.notice, p.errs = deskapi.RecoveryPassResponse{}, "", nil
	requireStaff(ctx, func(ctx app.Context) {
		p.ready = true
		p.user = user
		if user == "" {
			p.person = deskapi.Person{}
			return
		}
		p.load(ctx, user)
	})
}

// clearAction empties the ticket and the reason, in the component and in
// the page (the inputs have no Value for go-app to empty).
func (p *PersonPage) clearAction() {
	p.ticket, p.reason = "", ""
	clearInput("desk-ticket")
	clearInput("desk-reason")
}

// load looks the person up.
func (p *PersonPage) load(ctx app.Context, user string) {
	p.busy, p.confirmClear = true, false
	p.clearAction()
	ctx.Async(func() {
		person, err := lookUpPerson(user)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err != nil {
				p.person = deskapi.Person{}
				p.failed(ctx, err, nil)
				return
			}
			p.person = person
			setTitle(ctx, personTitle(person), false)
		})
	})
}

// personTitle names the tab after the person shown.
func personTitle(person deskapi.Person) string {
	if person.DisplayName != "" {
		return person.DisplayName + " (" + person.User + ")"
	}
	return person.User
}

// failed shows a refusal, or goes to sign-in when the session ended.
func (p *PersonPage) failed(ctx app.Context, err error, field func(api.Code) string) {
	ps, gone := failed(ctx, err, field)
	if gone {
		return
	}
	p.errs = ps
	showProblems(ctx, personHeading, ps)
}

// search finds people by name or user id. A term that is a whole user id
// found as such opens that person at once.
func (p *PersonPage) search(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	term := strings.TrimSpace(p.term)
	if len([]rune(term)) < 2 {
		p.errs = problems{{field: "desk-q", msg: "Enter at least 2 characters of a name or user ID"}}
		showProblems(ctx, personHeading, p.errs)
		return
	}
	p.busy = true
	ctx.Async(func() {
		hits, err := searchPeople(term)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err != nil {
				p.failed(ctx, err, func(api.Code) string { return "desk-q" })
				return
			}
			p.errs, p.hits, p.searched = nil, hits, true
			for _, h := range hits {
				if strings.EqualFold(h.User, term) || strings.EqualFold(strings.SplitN(h.User, "@", 2)[0], term) {
					ctx.Navigate(personPath(h.User))
					return
				}
			}
			setTitle(ctx, personHeading, false)
			focus("desk-results")
		})
	})
}

// personPath is the console's page of the person with that id.
func personPath(user string) string {
	return PathPerson + "?" + url.Values{"user": {user}}.Encode()
}

// actionField is the field an action's refusal is about.
func actionField(c api.Code) string {
	if c == api.CodeBadRequest {
		return "desk-ticket"
	}
	return ""
}

// act does one of the desk's actions on the person shown; done is what
// the notice says afterwards.
func (p *PersonPage) act(path, done string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		in, ok := p.actionRequest(ctx)
		if !ok {
			return
		}
		p.busy = true
		ctx.Async(func() {
			person, err := deskAct(path, in)
			ctx.Dispatch(func(ctx app.Context) { p.acted(ctx, person, err, done) })
		})
	}
}

// issuePass issues a recovery pass for the person shown.
func (p *PersonPage) issuePass(ctx app.Context, e app.Event) {
	e.PreventDefault()
	in, ok := p.actionRequest(ctx)
	if !ok {
		return
	}
	p.busy = true
	ctx.Async(func() {
		res, err := issueRecoveryPass(in)
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil {
				p.pass = res
			}
			p.acted(ctx, res.Person, err, "Recovery pass issued. Give it to the person now: it is shown only once.")
			if err == nil {
				focus("recovery-pass")
			}
		})
	})
}

// actionRequest is the body of an action, after checking that the ticket
// and the reason are there; a refusal is shown.
func (p *PersonPage) actionRequest(ctx app.Context) (deskapi.ActionRequest, bool) {
	if !p.ready || p.busy || !p.person.Exists {
		return deskapi.ActionRequest{}, false
	}
	in := deskapi.ActionRequest{User: p.person.User, Ticket: strings.TrimSpace(p.ticket), Reason: strings.TrimSpace(p.reason)}
	var ps problems
	if in.Ticket == "" {
		ps = append(ps, problem{field: "desk-ticket", msg: "Enter the ticket reference"})
	}
	if in.Reason == "" {
		ps = append(ps, problem{field: "desk-reason", msg: "Enter the reason"})
	}
	if p.errs = ps; len(ps) > 0 {
		showProblems(ctx, personHeading, ps)
		return in, false
	}
	return in, true
}

// acted shows the outcome of an action.
func (p *PersonPage) acted(ctx app.Context, person deskapi.Person, err error, done string) {
	p.busy = false
	if err != nil {
		p.notice = ""
		p.failed(ctx, err, actionField)
		return
	}
	p.person, p.errs, p.notice, p.confirmClear = person, nil, done, false
	// Each action is done under its own ticket and reason: the fields are
	// emptied, so that none is used again unseen.
	p.clearAction()
	setTitle(ctx, personTitle(person), false)
	if done != "" && p.pass.Pass == "" {
		focus("notice")
	}
}

// Render shows the search, its results and the person.
func (p *PersonPage) Render() app.UI {
	off := !p.ready || p.busy
	q := app.Input().Type("search").Name("q").Attr("autocomplete", "off").Spellcheck(false).OnInput(typed(&p.term))
	if off {
		q = q.Disabled(true)
	}
	return view(
		app.Div().Class("summary-slot").Body(errorSummary(p.errs)),
		notice(p.notice),
		app.H1().Text(personHeading),
		form("desk-search-form", p.search,
			field("desk-q", "Name or user ID", "At least 2 characters, for example archer or alice@example.edu.",
				p.errs.of("desk-q"), "width-20", q),
			button("desk-find", "Find", true, false, off),
		),
		p.resultsView(),
		p.personView(off),
	)
}

// resultsView lists what the search found.
func (p *PersonPage) resultsView() app.UI {
	if !p.searched {
		return nil
	}
	if len(p.hits) == 0 {
		return app.P().ID("desk-results").TabIndex(-1).Text("Nobody's name or user ID contains that.")
	}
	return app.Div().ID("desk-results").TabIndex(-1).Body(
		app.H2().Class("heading-m").Text("People found"),
		app.Ul().Class("list").Body(app.Range(p.hits).Slice(func(i int) app.UI {
			h := p.hits[i]
			text := h.User
			if h.DisplayName != "" {
				text = h.DisplayName + " (" + h.User + ")"
			}
			return app.Li().Body(app.A().Href(personPath(h.User)).Text(text))
		})),
	)
}

// personView shows the person looked up.
func (p *PersonPage) personView(off bool) app.UI {
	person := p.person
	if p.user == "" || person.User == "" {
		return nil
	}
	if !person.Exists {
		return app.Section().ID("person").Body(
			app.H2().Class("heading-l").Text(person.User),
			para("There is no account with this user ID."),
		)
	}
	account := "Active"
	switch {
	case person.Disabled:
		account = "Disabled"
	case person.Locked:
		account = "Locked"
	}
	selfService := "Not paused"
	if len(person.Blocks) > 0 {
		parts := make([]string, len(person.Blocks))
		for i, b := range person.Blocks {
			parts[i] = blockText(b)
		}
		selfService = strings.Join(parts, "; ")
	}
	reg := person.Registration
	state := "Not complete: fewer than " + countWord(max(reg.Required, 1)) + " methods registered"
	if reg.Complete {
		state = "Complete"
	}
	if reg.ReconfirmDue {
		state += "; due for re-confirmation"
	}
	rows := []app.UI{
		fact("fact-user", "User ID", person.User),
		fact("fact-name", "Name", person.DisplayName),
		fact("fact-account", "Account", account),
		fact("fact-password-set", "Password last set", passwordSet(person)),
		fact("fact-self-service", "Self-service", selfService),
		fact("fact-registration", "Registration", state),
	}
	for _, k := range api.Kinds {
		m := reg.Method(k)
		if m == nil || (!m.Enabled && !m.Registered) {
			continue
		}
		v := "Not registered"
		if m.Registered {
			v = m.Hint
			switch k {
			case api.KindQuestions:
				v = countWord(m.Count) + " answered"
			case api.KindTOTP:
				v = "Set up"
			case api.KindPasskey:
				v = countWord(m.Count) + " registered"
			}
			if m.ConfirmedAt != nil {
				v += ", confirmed " + timeText(*m.ConfirmedAt)
			}
			if m.Due {
				v += " (due for re-confirmation)"
			}
		}
		rows = append(rows, fact("fact-"+string(k), kindTitle(k), v))
	}
	return app.Section().ID("person").Aria("labelledby", "person-name").Body(
		app.H2().ID("person-name").Class("heading-l").Text(personTitle(person)),
		app.Dl().Class("facts").Body(rows...),
		p.passView(),
		p.actionsView(off),
		p.timelineView(),
	)
}

// passwordSet says when the password was last set, as the directory says.
func passwordSet(person deskapi.Person) string {
	if person.PasswordSetAt == nil {
		return "The directory doesn't say"
	}
	return timeText(*person.PasswordSetAt)
}

// fact is one row of the person's facts.
func fact(id, name, value string) app.UI {
	return app.Div().ID(id).Class("facts__row").Body(
		app.Dt().Class("facts__key").Text(name),
		app.Dd().Class("facts__value").Text(value),
	)
}

// passView shows a recovery pass just issued, the only time it is shown.
func (p *PersonPage) passView() app.UI {
	if p.pass.Pass == "" {
		return nil
	}
	return app.Div().Class("panel").Body(
		app.H2().Class("panel__title").Text("Recovery pass"),
		app.Div().Class("panel__body").Body(
			app.P().Body(app.Strong().ID("recovery-pass").TabIndex(-1).Class("pass").Text(p.pass.Pass)),
			para("Valid until "+timeText(p.pass.ExpiresAt)+", once. Give it to the person now: "+
				"it won't be shown again. They start a reset, choose \"I can't use any of these\" "+
				"and type it; then they set a new password and register new methods."),
		),
	)
}

// actionsView is the form of the desk's actions, for the service_desk
// role: the ticket and the reason, then a button for each action that
// fits the person's state.
func (p *PersonPage) actionsView(off bool) app.UI {
	if staffNow.Role != deskapi.RoleServiceDesk {
		return para("Your role can look people up, but not act on their accounts.")
	}
	person := p.person
	reg := person.Registration
	registered := reg.Email.Registered || reg.SMS.Registered || reg.Questions.Registered
	ticket := app.Input().Type("text").Name("ticket").Attr("autocomplete", "off").Spellcheck(false).OnInput(typed(&p.ticket))
	reason := app.Input().Type("text").Name("reason").Attr("autocomplete", "off").OnInput(typed(&p.reason))
	if off {
		ticket, reason = ticket.Disabled(true), reason.Disabled(true)
	}
	return app.Section().Class("desk-actions").Aria("labelledby", "actions-heading").Body(
		app.H2().ID("actions-heading").Class("heading-m").Text("Help this person"),
		para("Every action is recorded with your user ID, the ticket and the reason, and the person is told at their addresses."),
		form("desk-action-form", preventSubmit,
			field("desk-ticket", "Ticket reference", "For example INC0012345.", p.errs.of("desk-ticket"), "width-10", ticket),
			field("desk-reason", "Reason", "How you checked who they are, and why.", p.errs.of("desk-reason"), "width-30", reason),
			app.Div().Class("button-group").Body(
				when(person.Locked, button("desk-unlock", "Unlock the account", false, false, off).
					OnClick(p.act(deskapi.PathUnlock, "Account unlocked."))),
				when(len(person.Blocks) > 0, button("desk-lift-block", "Lift the block", false, false, off).
					OnClick(p.act(deskapi.PathLiftBlock, "Block lifted: they can use self-service again."))),
				when(registered && !p.confirmClear, button("desk-clear-registration", "Clear the registration", false, true, off).
					OnClick(p.askClear)),
				button("desk-recovery-pass", "Issue a recovery pass", false, true, off).OnClick(p.issuePass),
			),
			when(registered && p.confirmClear, app.Div().ID("confirm-clear").Class("inset").Body(
				app.P().ID("confirm-clear-text").Text("This removes every method "+personTitle(person)+
					" registered. They won't be able to reset their password themselves until they register again."),
				app.Div().Class("button-group").Body(
					button("desk-clear-confirm", "Yes, clear the registration", false, false, off).
						Aria("describedby", "confirm-clear-text").
						OnClick(p.act(deskapi.PathClearRegistration, "Registration cleared: they register again next time they sign in.")),
					button("desk-clear-cancel", "Cancel", false, true, off).OnClick(func(ctx app.Context, e app.Event) {
						p.confirmClear = false
						focus("desk-clear-registration")
					}),
				),
			)),
		),
	)
}

// askClear asks for a confirmation before clearing the registration.
func (p *PersonPage) askClear(ctx app.Context, e app.Event) {
	if _, ok := p.actionRequest(ctx); !ok {
		return
	}
	p.confirmClear = true
	ctx.Defer(func(app.Context) { focus("desk-clear-confirm") })
}

// preventSubmit keeps Enter in the actions' fields from sending the
// form: each action is a button of its own, never a default.
func preventSubmit(ctx app.Context, e app.Event) { e.PreventDefault() }

// timelineView is the person's recent audit events, newest first.
func (p *PersonPage) timelineView() app.UI {
	events := p.person.Events
	if len(events) == 0 {
		return app.Section().Body(app.H2().Class("heading-m").Text("Recent activity"), para("Nothing recorded."))
	}
	return app.Section().Body(
		app.H2().ID("timeline-heading").Class("heading-m").Text("Recent activity"),
		app.Div().Class("table-wrap").Body(app.Table().ID("timeline").Class("table").Aria("labelledby", "timeline-heading").Body(
			app.THead().Body(app.Tr().Body(
				app.Th().Scope("col").Text("When"),
				app.Th().Scope("col").Text("What"),
				app.Th().Scope("col").Text("Outcome"),
				app.Th().Scope("col").Text("Details"),
				app.Th().Scope("col").Text("From"),
			)),
			app.TBody().Body(app.Range(events).Slice(func(i int) app.UI {
				ev := events[i]
				return app.Tr().Body(
					app.Td().Text(timeText(ev.Time)),
					app.Td().Text(strings.ReplaceAll(ev.Event, "_", " ")),
					app.Td().Text(ev.Outcome),
					app.Td().Text(ev.Detail),
					app.Td().Text(ev.ClientAddr),
				)
			})),
		)),
	)
}
