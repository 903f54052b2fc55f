//go:build !sspr_reset

package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// regPasskeyHeading is the key of the page's heading.
const regPasskeyHeading = "regpasskey.heading"

// RegPasskeyPage lists the person's passkeys, each named and removable,
// and adds one: they name it, and the browser makes it on this device (or
// a phone or security key nearby), unlocked with their fingerprint, face
// or PIN.
type RegPasskeyPage struct {
	app.Compo
	account
	name string
}

// OnNav names the tab.
func (p *RegPasskeyPage) OnNav(ctx app.Context) { setTitle(ctx, t(regPasskeyHeading), false) }

// OnMount loads the registration.
func (p *RegPasskeyPage) OnMount(ctx app.Context) { p.mount(ctx, t(regPasskeyHeading), nil) }

// typedName stores the name field's value.
func (p *RegPasskeyPage) typedName(ctx app.Context, e app.Event) {
	p.name = ctx.JSSrc().Get("value").String()
}

// add makes and registers a passkey under the name typed.
func (p *RegPasskeyPage) add(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	name := strings.TrimSpace(p.name)
	if name == "" {
		p.invalid(ctx, problems{{field: "passkey-name", msg: t("regpasskey.name_missing")}})
		return
	}
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		r, err := client.AddPasskey(name)
		ctx.Dispatch(func(ctx app.Context) {
			if errors.Is(err, client.ErrPasskey) {
				p.busy = false
				p.invalid(ctx, problems{{field: "passkey-name", msg: t("regpasskey.cancelled")}})
				return
			}
			if err != nil {
				p.fail(ctx, err, func(c api.Code) string {
					if c == api.CodeBadRequest {
						return "passkey-name"
					}
					return ""
				})
				return
			}
			p.name = ""
			p.saved(ctx, r, t("regcode.registered", "method", name))
		})
	})
}

// remove removes one passkey.
func (p *RegPasskeyPage) remove(k api.PasskeyInfo) app.EventHandler {
	return func(_ app.Context, e app.Event) {
		ctx := p.ctx
		e.PreventDefault()
		if !p.ready || p.busy {
			return
		}
		p.busy, p.errs = true, nil
		ctx.Async(func() {
			r, err := client.RemovePasskey(k.ID)
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					p.fail(ctx, err, nil)
					return
				}
				p.saved(ctx, r, t("summary.removed", "method", k.Name))
			})
		})
	}
}

// passkeyRow is one passkey: its name, when added and last used, whether
// it is synced, and its Remove button.
func (p *RegPasskeyPage) passkeyRow(i int, k api.PasskeyInfo) app.UI {
	used := t("regpasskey.never_used")
	if k.LastUsed != nil {
		used = t("regpasskey.last_used", "date", dateText(k.LastUsed.Local()))
	}
	var synced app.UI
	if k.Synced {
		synced = app.P().Class("hint").Text(t("regpasskey.synced"))
	}
	id := "passkey-" + strconv.Itoa(i+1)
	return app.Div().ID(id).Class("summary-row").Body(
		div("summary-row__key",
			app.H2().Class("heading-s").Text(k.Name),
			app.P().Class("hint").Text(t("regpasskey.added", "date", dateText(k.Created.Local()))+" "+used),
			synced,
		),
		div("summary-row__actions",
			button("remove-"+id, t("summary.remove"), false, true, !p.ready || p.busy).
				Aria("label", t("summary.remove_label", "method", k.Name)).OnClick(p.remove(k)),
		),
	)
}

// Render lists the passkeys, then the form that adds one.
func (p *RegPasskeyPage) Render() app.UI {
	off := !p.ready || p.busy
	var body app.UI
	if !p.ready && len(p.errs) == 0 {
		body = loadingP()
	} else {
		rows := make([]app.UI, 0, len(p.reg.Passkeys))
		for i, k := range p.reg.Passkeys {
			rows = append(rows, p.passkeyRow(i, k))
		}
		in := app.Input().Type("text").Name("passkey-name").Value(p.name).Attr("autocomplete", "off").
			Attr("maxlength", "64").OnInput(p.typedName)
		if off {
			in = in.Disabled(true)
		}
		body = app.Div().Body(
			para(t("regpasskey.intro")),
			when(len(rows) > 0, div("summary-list", rows...)),
			form("passkey-form", p.add,
				textField{id: "passkey-name", label: t("regpasskey.name_label"), hint: t("regpasskey.name_hint"),
					err: p.errs.of("passkey-name"), input: in, width: "width-20"}.render(),
				button("passkey-add", t("regpasskey.add"), true, false, off),
			),
		)
	}
	return p.view(
		backLink(PathRegSummary),
		app.H1().Text(t(regPasskeyHeading)),
		body,
	)
}
