//go:build !sspr_reset

package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// regTOTPHeading is the key of the page's heading.
const regTOTPHeading = "regtotp.heading"

// RegTOTPPage sets up an authenticator app: the server makes a key and
// draws its QR code, the person scans it (or types the key) and types the
// first code the app shows, which registers it. The key is shown on this
// page only, once: a reload starts again with a new one.
type RegTOTPPage struct {
	app.Compo
	account
	setup *api.TOTPSetup // the key being set up; nil before "Set up an app"
	code  string
}

// OnNav names the tab.
func (p *RegTOTPPage) OnNav(ctx app.Context) { setTitle(ctx, t(regTOTPHeading), false) }

// OnMount loads the registration.
func (p *RegTOTPPage) OnMount(ctx app.Context) { p.mount(ctx, t(regTOTPHeading), nil) }

// typedCode stores the code field's value.
func (p *RegTOTPPage) typedCode(ctx app.Context, e app.Event) {
	p.code = ctx.JSSrc().Get("value").String()
}

// begin asks the server for a new key ("Set up an app", "Start again").
func (p *RegTOTPPage) begin(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		s, err := client.StartTOTP()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err, nil)
				return
			}
			p.setup, p.code, p.busy = &s, "", false
			ctx.Defer(func(app.Context) { focus("totp-qr-heading") })
		})
	})
}

// confirm sends the first code; the app is registered and the summary
// shows it.
func (p *RegTOTPPage) confirm(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	code := strings.TrimSpace(p.code)
	if code == "" {
		p.invalid(ctx, problems{{field: "code", msg: t("totp.code_missing")}})
		return
	}
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		r, err := client.ConfirmTOTP(code)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.code = ""
				if codeOf(err) == api.CodeWrongState {
					p.setup = nil // the key was dropped: start again
				}
				p.fail(ctx, err, totpCodeField("code"))
				return
			}
			p.setup = nil
			p.saved(ctx, r, t("regcode.registered", "method", kindTitle(api.KindTOTP)))
		})
	})
}

// groupKey writes a key in groups of four, as apps show and people type
// them.
func groupKey(k string) string {
	var b strings.Builder
	for i, r := range k {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Render shows the introduction and its button, then the QR code, the key
// and the code field.
func (p *RegTOTPPage) Render() app.UI {
	off := !p.ready || p.busy
	var body app.UI
	switch {
	case !p.ready && len(p.errs) == 0:
		body = loadingP()
	case p.setup == nil:
		body = app.Div().Body(
			para(t("regtotp.intro")),
			para(t("regtotp.apps")),
			when(p.reg.TOTP.Registered, para(t("regtotp.replace"))),
			form("totp-start", p.begin, button("totp-start-button", t("regtotp.start"), true, false, off)),
		)
	default:
		s := p.setup
		body = app.Div().Body(
			app.H2().ID("totp-qr-heading").Class("heading-m").TabIndex(-1).Text(t("regtotp.scan")),
			app.Img().ID("totp-qr").Class("totp-qr").Src(s.QR).Alt(t("regtotp.qr_alt")).
				Width(200).Height(200),
			para(t("regtotp.cant_scan")),
			app.P().Body(app.Code().ID("totp-key").Class("totp-key ltr").Text(groupKey(s.Key))),
			app.P().Class("hint").Text(t("regtotp.details", "account", s.Account)),
			app.Div().Class("inset").Body(app.P().Body(app.Strong().Text(t("regtotp.once")))),
			form("totp-confirm", p.confirm,
				para(t("regtotp.enter_code", "org", s.Issuer)),
				totpField("code", p.code, p.errs.of("code"), p.typedCode, off),
				button("confirm", t("regcode.confirm"), true, false, off),
			),
			form("totp-again", p.begin, button("totp-again-button", t("wizard.start_again"), false, true, off)),
		)
	}
	return p.view(
		backLink(PathRegSummary),
		app.H1().Text(t(regTOTPHeading)),
		body,
	)
}
