package ui

import (
	"errors"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// passwordHeading is the key of the page's heading.
const passwordHeading = "password.heading"

// NewPasswordPage is step 5 of the guides: enter the new password, confirm
// it, Finish. A live checklist shows the password rules as the user types.
type NewPasswordPage struct {
	app.Compo
	wizard
	newPassword
}

// OnNav names the tab.
func (p *NewPasswordPage) OnNav(ctx app.Context) { setTitle(ctx, t(passwordHeading), false) }

// OnInit takes over the prerendered page.
func (p *NewPasswordPage) OnInit() {
	if pg, ok := p.init(PathNewPassword, t(passwordHeading), passwordField); ok {
		p.took(pg)
	}
}

// OnPreRender draws the page with the server's state.
func (p *NewPasswordPage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathNewPassword, t(passwordHeading), passwordField); ok {
		p.took(pg)
	}
}

// took takes the policy, and a refusal by the policy, from the page's
// state.
func (p *NewPasswordPage) took(pg api.Page) {
	if pg.Policy != nil {
		p.policy = *pg.Policy
	}
	if pg.Error != nil {
		if ps := p.refusal(pg.Error, "", "password"); ps != nil {
			p.errs = ps
		}
	}
}

// OnMount loads the flow, then the policy.
func (p *NewPasswordPage) OnMount(ctx app.Context) { p.mount(ctx, p.loadPolicy) }

// submit sets the password.
func (p *NewPasswordPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	if ps := p.checkTyped("password"); len(ps) > 0 {
		p.invalid(ctx, ps)
		return
	}
	p.busy, p.errs = true, nil
	pw := p.password
	ctx.Async(func() {
		f, err := client.SetPassword(pw)
		ctx.Dispatch(func(ctx app.Context) {
			if ps := p.refusal(err, pw, "password"); ps != nil {
				p.busy = false
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

// passwordField is the field an error of the password call is about.
func passwordField(c api.Code) string {
	if c == api.CodeBadRequest {
		return "password"
	}
	return ""
}

// Render shows the form.
func (p *NewPasswordPage) Render() app.UI {
	c := Config()
	return p.view(
		app.H1().Text(t(passwordHeading)),
		passwordIntro(c),
		postForm("password-form", PathNewPassword, p.submit,
			p.fields("password", t("password.new_label"), p.errs, startedAs, !p.ready || p.busy),
			button("finish", t("password.finish"), true, false, !p.ready || p.busy),
		),
	)
}

// passwordIntro says the rules apply, with a link to the guidelines.
func passwordIntro(c api.Config) app.UI {
	return app.P().Body(
		app.Text(t("password.intro", "org", c.Organisation.Name)),
		when(c.Organisation.PasswordHelp != "", app.Span().Body(app.Text(" "),
			nativeLink(c.Organisation.PasswordHelp, t("password.guidelines")))),
	)
}

// newPassword is a new password typed twice, with its live checklist: the
// wizard's last step and the password change share it.
type newPassword struct {
	policy     api.Policy
	password   string
	confirm    string
	show       bool
	passErr    string          // the message next to the password field
	refused    map[string]bool // rules the server refused refusedFor for
	refusedFor string
}

// loadPolicy fetches the policy for the checklist, once.
func (n *newPassword) loadPolicy(ctx app.Context) {
	if len(n.policy.Rules) > 0 {
		return
	}
	ctx.Async(func() {
		pol, err := client.Policy()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				// The checklist is a help, not a need: the server
				// still checks every rule.
				return
			}
			n.policy = pol
		})
	})
}

// typedPassword and typedConfirm store the fields' values.
func (n *newPassword) typedPassword(ctx app.Context, e app.Event) {
	n.password = ctx.JSSrc().Get("value").String()
}

func (n *newPassword) typedConfirm(ctx app.Context, e app.Event) {
	n.confirm = ctx.JSSrc().Get("value").String()
}

// toggleShow is the "Show password" checkbox.
func (n *newPassword) toggleShow(ctx app.Context, e app.Event) {
	n.show = ctx.JSSrc().Get("checked").Bool()
}

// checkTyped returns the problems of what is typed, the new password's
// field being id.
func (n *newPassword) checkTyped(id string) problems {
	n.passErr = ""
	switch {
	case n.password == "":
		return problems{{field: id, msg: t("password.required")}}
	case n.confirm == "":
		return problems{{field: "confirm", msg: t("password.confirm_required")}}
	case n.confirm != n.password:
		return problems{{field: "confirm", msg: t("password.mismatch")}}
	}
	return nil
}

// refusal turns the server's refusal of the password pw under the policy
// into a problem per rule broken, on the field id, and marks those rules
// unmet in the checklist. Any other answer is nil.
func (n *newPassword) refusal(err error, pw, id string) problems {
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodePasswordPolicy {
		return nil
	}
	n.refused, n.refusedFor = make(map[string]bool, len(ae.Rules)), pw
	var ps problems
	for _, r := range ae.Rules {
		n.refused[r.Code] = true
		ps = append(ps, problem{field: id, msg: r.Message})
	}
	if len(ps) == 0 {
		ps = problems{{field: id, msg: ae.Message}}
	}
	n.passErr = ae.Message
	return ps
}

// checklist returns each rule's state for the checklist: true met, false
// unmet, absent not known until the server answers. The server's refusal
// of the password now typed overrides the browser's checks. user is the
// user id, or "" when not known.
func (n *newPassword) checklist(user string) map[string]bool {
	res := checkPassword(n.policy, Config().Organisation, user, n.password, n.confirm)
	if n.password != "" && n.password == n.refusedFor {
		for code := range n.refused {
			res[code] = false
		}
	}
	return res
}

// checklistView draws the rules with a tick, a cross or a dash: the state
// is in words too (visually hidden), never in colour alone. Under it, for
// screen readers, a polite live region says how many are met: announced
// when that number changes, not at every key, and the list is there to
// read in full.
func checklistView(rules []api.Rule, res map[string]bool, empty bool) app.UI {
	all := append(append([]api.Rule(nil), rules...), api.Rule{Code: ruleMatch, Message: t("password.rule_match")})
	ul := app.Ul().ID("checklist").Class("checklist")
	status := ""
	if empty {
		ul = ul.Class("checklist--empty")
	} else {
		met := 0
		for _, r := range all {
			if ok, known := res[r.Code]; known && ok {
				met++
			}
		}
		status = t("password.rules_met", "met", strconv.Itoa(met), "total", strconv.Itoa(len(all)))
	}
	return app.Div().Body(ul.Body(
		app.Range(all).Slice(func(i int) app.UI {
			r := all[i]
			met, known := res[r.Code]
			class, mark, said := "unknown", "–", "password.rule_unknown"
			if known && met {
				class, mark, said = "met", "✓", "password.rule_met"
			} else if known {
				class, mark, said = "unmet", "✗", "password.rule_unmet"
			}
			return app.Li().Class(class).DataSet("rule", r.Code).Body(
				app.Span().Class("checklist__mark").Aria("hidden", "true").Text(mark),
				app.Span().Class("visually-hidden").Text(t(said)+" "),
				app.Text(r.Message),
			)
		}),
	), app.P().ID("checklist-status").Class("visually-hidden").Aria("live", "polite").Text(status))
}

// fields draws the new password (input#<id>), the checklist, the
// confirmation (input#confirm) and the "Show password" checkbox.
func (n *newPassword) fields(id, label string, errs problems, user string, off bool) app.UI {
	typ := "password"
	if n.show {
		typ = "text"
	}
	// The boxes have no Value: what the person typed is in the box, and
	// the component only reads it (typedPassword). Were the value set from
	// the component's state, go-app would write it to the box whenever it
	// changed, and a render between two keys, on a slow phone, would put
	// back the value of the first and lose the second (seen in the browser
	// tests under load). A password is never shown again anyway.
	pwIn := app.Input().Type(typ).Name(id).
		Attr("autocomplete", "new-password").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(n.typedPassword)
	confirmIn := app.Input().Type(typ).Name("confirm").
		Attr("autocomplete", "new-password").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(n.typedConfirm)
	showIn := app.Input().ID("show-password").Class("checkboxes__input").Type("checkbox").
		Aria("controls", id+" confirm").OnChange(n.toggleShow)
	if n.show {
		showIn = showIn.Checked(true)
	}
	if off {
		pwIn, confirmIn, showIn = pwIn.Disabled(true), confirmIn.Disabled(true), showIn.Disabled(true)
	}
	passErr := n.passErr
	if passErr == "" {
		passErr = errs.of(id)
	}
	return app.Div().Body(
		textField{id: id, label: label, err: passErr, input: pwIn,
			width: "width-20", describedBy: []string{"checklist-title"}}.render(),
		app.H2().ID("checklist-title").Class("heading-s").Text(t("password.rules_heading")),
		checklistView(n.policy.Rules, n.checklist(user), n.password == ""),
		textField{id: "confirm", label: t("password.confirm_label"), err: errs.of("confirm"),
			input: confirmIn, width: "width-20"}.render(),
		div("form-group checkboxes",
			div("checkboxes__item",
				showIn,
				app.Label().Class("label checkboxes__label").For("show-password").Text(t("password.show")),
			),
		),
	)
}
