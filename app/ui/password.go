package ui

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

const passwordHeading = "Create a new password"

// NewPasswordPage is step 5 of the guides: enter the new password, confirm
// it, Finish. A live checklist shows the password rules as the user types.
type NewPasswordPage struct {
	app.Compo
	wizard
	policy     api.Policy
	password   string
	confirm    string
	show       bool
	passErr    string          // the message next to the password field
	refused    map[string]bool // rules the server refused refusedFor for
	refusedFor string
}

// OnNav names the tab.
func (p *NewPasswordPage) OnNav(ctx app.Context) { setTitle(ctx, passwordHeading, false) }

// OnMount loads the flow, then the policy.
func (p *NewPasswordPage) OnMount(ctx app.Context) {
	p.mount(ctx, PathNewPassword, passwordHeading, func(ctx app.Context) {
		if len(p.policy.Rules) > 0 {
			return
		}
		ctx.Async(func() {
			pol, err := client.Policy()
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					// The checklist is a help, not a need: the server
					// still checks every rule on Finish.
					return
				}
				p.policy = pol
			})
		})
	})
}

// typedPassword and typedConfirm store the fields' values.
func (p *NewPasswordPage) typedPassword(ctx app.Context, e app.Event) {
	p.password = ctx.JSSrc().Get("value").String()
}

func (p *NewPasswordPage) typedConfirm(ctx app.Context, e app.Event) {
	p.confirm = ctx.JSSrc().Get("value").String()
}

// toggleShow is the "Show password" checkbox.
func (p *NewPasswordPage) toggleShow(ctx app.Context, e app.Event) {
	p.show = ctx.JSSrc().Get("checked").Bool()
}

// passwordField is the field an error of the password call is about.
func passwordField(c api.Code) string {
	if c == api.CodeBadRequest {
		return "password"
	}
	return ""
}

// submit sets the password.
func (p *NewPasswordPage) submit(ctx app.Context, e app.Event) {
	ctx = p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	p.passErr = ""
	switch {
	case p.password == "":
		p.invalid(ctx, problems{{field: "password", msg: "Enter a new password"}})
		return
	case p.confirm == "":
		p.invalid(ctx, problems{{field: "confirm", msg: "Enter your new password again to confirm it"}})
		return
	case p.confirm != p.password:
		p.invalid(ctx, problems{{field: "confirm", msg: "The passwords don't match. Enter the same password in both boxes."}})
		return
	}
	p.busy, p.errs = true, nil
	pw := p.password
	ctx.Async(func() {
		f, err := client.SetPassword(pw)
		ctx.Dispatch(func(ctx app.Context) {
			var ae *api.Error
			if errors.As(err, &ae) && ae.Code == api.CodePasswordPolicy {
				p.busy = false
				p.refused, p.refusedFor = make(map[string]bool, len(ae.Rules)), pw
				var ps problems
				for _, r := range ae.Rules {
					p.refused[r.Code] = true
					ps = append(ps, problem{field: "password", msg: r.Message})
				}
				if len(ps) == 0 {
					ps = problems{{field: "password", msg: ae.Message}}
				}
				p.passErr = ae.Message
				p.invalid(ctx, ps)
				return
			}
			if err != nil {
				p.fail(ctx, err, passwordField)
				return
			}
			p.next(ctx, f)
		})
	})
}

// checklist returns each rule's state for the checklist: true met, false
// unmet, absent not known until the server answers. The server's refusal
// of the password now typed overrides the browser's checks.
func (p *NewPasswordPage) checklist() map[string]bool {
	res := checkPassword(p.policy, Config().Organisation, startedAs, p.password, p.confirm)
	if p.password != "" && p.password == p.refusedFor {
		for code := range p.refused {
			res[code] = false
		}
	}
	return res
}

// checklistView draws the rules with a tick, a cross or a dash: the state
// is in words too (visually hidden), never in colour alone.
func checklistView(rules []api.Rule, res map[string]bool, empty bool) app.UI {
	all := append(append([]api.Rule(nil), rules...), api.Rule{Code: ruleMatch, Message: "Passwords match"})
	ul := app.Ul().ID("checklist").Class("checklist")
	if empty {
		ul = ul.Class("checklist--empty")
	}
	return ul.Body(
		app.Range(all).Slice(func(i int) app.UI {
			r := all[i]
			met, known := res[r.Code]
			class, mark, said := "unknown", "–", "Checked when you finish: "
			if known && met {
				class, mark, said = "met", "✓", "Done: "
			} else if known {
				class, mark, said = "unmet", "✗", "Not yet: "
			}
			return app.Li().Class(class).DataSet("rule", r.Code).Body(
				app.Span().Class("checklist__mark").Aria("hidden", "true").Text(mark),
				app.Span().Class("visually-hidden").Text(said),
				app.Text(r.Message),
			)
		}),
	)
}

// Render shows the form.
func (p *NewPasswordPage) Render() app.UI {
	off := !p.ready || p.busy
	c := Config()
	typ := "password"
	if p.show {
		typ = "text"
	}
	pwIn := app.Input().Type(typ).Name("password").Value(p.password).
		Attr("autocomplete", "new-password").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(p.typedPassword)
	confirmIn := app.Input().Type(typ).Name("confirm").Value(p.confirm).
		Attr("autocomplete", "new-password").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(p.typedConfirm)
	showIn := app.Input().ID("show-password").Class("checkboxes__input").Type("checkbox").
		Aria("controls", "password confirm").OnChange(p.toggleShow)
	if p.show {
		showIn = showIn.Checked(true)
	}
	if off {
		pwIn, confirmIn, showIn = pwIn.Disabled(true), confirmIn.Disabled(true), showIn.Disabled(true)
	}
	passErr := p.passErr
	if passErr == "" {
		passErr = p.errs.of("password")
	}
	return p.view(
		app.H1().Text(passwordHeading),
		app.P().Body(
			app.Text("Your new password must follow the "+c.Organisation.Name+" password rules. "+
				"The list below shows which ones it meets as you type."),
			app.If(c.Organisation.PasswordHelp != "", func() app.UI {
				return app.Span().Body(app.Text(" "),
					nativeLink(c.Organisation.PasswordHelp, "Read the password guidelines"))
			}),
		),
		app.Form().ID("password-form").NoValidate(true).OnSubmit(p.submit).Body(
			textField{id: "password", label: "New password", err: passErr, input: pwIn,
				width: "width-20", describedBy: []string{"checklist-title"}}.render(),
			app.H2().ID("checklist-title").Class("heading-s").Text("Your password must meet these rules"),
			checklistView(p.policy.Rules, p.checklist(), p.password == ""),
			textField{id: "confirm", label: "Confirm new password", err: p.errs.of("confirm"),
				input: confirmIn, width: "width-20"}.render(),
			app.Div().Class("form-group checkboxes").Body(
				app.Div().Class("checkboxes__item").Body(
					showIn,
					app.Label().Class("label checkboxes__label").For("show-password").Text("Show password"),
				),
			),
			button("finish", "Finish", true, false, off),
		),
	)
}
