package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

const chooseHeading = "What do you need?"

// The two choices, worded as in the guides (step 3).
const (
	labelReset  = "I've forgotten my password"
	labelUnlock = "I know my password, but still can't sign in"
)

// ChoosePage asks whether the user resets a forgotten password or unlocks
// the account (step 3 of the guides).
type ChoosePage struct {
	app.Compo
	wizard
	intent api.Intent
}

// OnNav names the tab.
func (p *ChoosePage) OnNav(ctx app.Context) { setTitle(ctx, chooseHeading, false) }

// chooseField is the field a refusal of the choice is about.
func chooseField(c api.Code) string {
	if c == api.CodeBadRequest {
		return "intent-reset"
	}
	return ""
}

// OnInit takes over the prerendered page.
func (p *ChoosePage) OnInit() {
	if pg, ok := p.init(PathChoose, chooseHeading, chooseField); ok {
		p.took(pg)
	}
}

// OnPreRender draws the page with the server's state.
func (p *ChoosePage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathChoose, chooseHeading, chooseField); ok {
		p.took(pg)
	}
}

// took keeps the choice the page showed: the one made before (Back), or
// the one just posted.
func (p *ChoosePage) took(pg api.Page) {
	p.intent = p.flow.Intent
	if v := pg.Values["intent"]; v != "" {
		p.intent = api.Intent(v)
	}
}

// OnMount loads the flow; a choice made before (Back) stays selected.
func (p *ChoosePage) OnMount(ctx app.Context) {
	p.mount(ctx, func(ctx app.Context) {
		if p.intent == "" {
			p.intent = p.flow.Intent
		}
	})
}

// choose records the radio chosen.
func (p *ChoosePage) choose(v string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { p.intent = api.Intent(v) }
}

// submit sends the choice.
func (p *ChoosePage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	if p.intent != api.IntentReset && p.intent != api.IntentUnlock {
		p.invalid(ctx, problems{{field: "intent-reset", msg: "Select what you need"}})
		return
	}
	p.busy, p.errs = true, nil
	intent := p.intent
	ctx.Async(func() {
		f, err := client.ChooseIntent(intent)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err, nil)
				return
			}
			p.next(ctx, f)
		})
	})
}

// Render shows the two choices.
func (p *ChoosePage) Render() app.UI {
	off := !p.ready || p.busy
	return p.view(
		backLink(PathStart),
		postForm("choose-form", PathChoose, p.submit,
			radios("intent", app.H1().Text(chooseHeading), "Select one.", p.errs, []radio{
				{id: "intent-reset", value: string(api.IntentReset), label: labelReset,
					hint:    "Prove it's you, then choose a new password.",
					checked: p.intent == api.IntentReset, disabled: off},
				{id: "intent-unlock", value: string(api.IntentUnlock), label: labelUnlock,
					hint: "Your account is locked after too many wrong attempts to sign in. " +
						"Prove it's you and it's unlocked; your password stays the same.",
					checked: p.intent == api.IntentUnlock, disabled: off},
			}, p.choose),
			button("next", "Next", true, false, off),
		),
	)
}
