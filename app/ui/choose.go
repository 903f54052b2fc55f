package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// chooseHeading is the key of the page's heading.
const chooseHeading = "choose.heading"

// The keys of the two choices, worded as in the guides (step 3).
const (
	labelReset  = "choose.reset"
	labelUnlock = "choose.unlock"
)

// ChoosePage asks whether the user resets a forgotten password or unlocks
// the account (step 3 of the guides).
type ChoosePage struct {
	app.Compo
	wizard
	intent api.Intent
}

// OnNav names the tab.
func (p *ChoosePage) OnNav(ctx app.Context) { setTitle(ctx, t(chooseHeading), false) }

// chooseField is the field a refusal of the choice is about.
func chooseField(c api.Code) string {
	if c == api.CodeBadRequest {
		return "intent-reset"
	}
	return ""
}

// OnInit takes over the prerendered page.
func (p *ChoosePage) OnInit() {
	if pg, ok := p.init(PathChoose, t(chooseHeading), chooseField); ok {
		p.took(pg)
	}
}

// OnPreRender draws the page with the server's state.
func (p *ChoosePage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathChoose, t(chooseHeading), chooseField); ok {
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
		p.invalid(ctx, problems{{field: "intent-reset", msg: t("choose.missing")}})
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
			radios("intent", app.H1().Text(t(chooseHeading)), t("choose.hint"), p.errs, []radio{
				{id: "intent-reset", value: string(api.IntentReset), label: t(labelReset),
					hint:    t("choose.reset_hint"),
					checked: p.intent == api.IntentReset, disabled: off},
				{id: "intent-unlock", value: string(api.IntentUnlock), label: t(labelUnlock),
					hint:    t("choose.unlock_hint"),
					checked: p.intent == api.IntentUnlock, disabled: off},
			}, p.choose),
			button("next", t("common.next"), true, false, off),
		),
	)
}
