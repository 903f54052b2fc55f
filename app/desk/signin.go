package desk

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
)

const signInHeading = "Sign in to the service desk console"

// SignInPage signs a member of staff in: their user id and password,
// then a code sent to one of their own registered methods. Nobody learns
// from it who is staff: a wrong password and an account that isn't staff
// get the same answer.
type SignInPage struct {
	app.Compo
	ready, busy bool
	// pending is the session after the password, until the code passed.
	pending deskapi.StaffSession
	kind    api.Kind // the method chosen for the code
	sent    bool     // a code went to it
	ended   bool
	notice  string
	errs    problems
	// What was typed. No Value on the inputs: a field whose value follows
	// the component's state loses keys typed while it renders.
	user, password, code string
}

// OnNav names the tab and, when a staff session is already open, goes on
// to the console.
func (p *SignInPage) OnNav(ctx app.Context) {
	setTitle(ctx, signInHeading, false)
	shown(ctx)
	p.ended, staffEnded = staffEnded, false
	ctx.Async(func() {
		s, err := staffSession()
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil && s.Verified {
				staffNow = s
				ctx.Navigate(PathPerson)
				return
			}
			staffNow = deskapi.StaffSession{}
			p.ready = true
		})
	})
}

// fieldOf is the field an error of the sign-in is about.
func (p *SignInPage) fieldOf(c api.Code) string {
	switch {
	case c == api.CodeUnauthenticated && p.pending.User == "":
		return "desk-password"
	case c == api.CodeCodeInvalid || c == api.CodeCodeExpired:
		return "desk-code"
	}
	return ""
}

// fail shows the refusal err.
func (p *SignInPage) fail(ctx app.Context, err error) {
	p.busy = false
	p.errs = problems{problemFor(err, p.fieldOf)}
	showProblems(ctx, signInHeading, p.errs)
}

// signIn sends the user id and password.
func (p *SignInPage) signIn(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	user, password := strings.TrimSpace(p.user), p.password
	var ps problems
	if user == "" {
		ps = append(ps, problem{field: "desk-user", msg: "Enter your user ID"})
	}
	if password == "" {
		ps = append(ps, problem{field: "desk-password", msg: "Enter your password"})
	}
	if p.errs = ps; len(ps) > 0 {
		showProblems(ctx, signInHeading, ps)
		return
	}
	p.busy, p.ended = true, false
	ctx.Async(func() {
		s, err := staffSignIn(user, password)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err)
				p.password = ""
				clearInput("desk-password")
				return
			}
			p.busy, p.password, p.pending, p.errs = false, "", s, nil
			if len(s.Methods) > 0 {
				p.kind = s.Methods[0].Kind
			}
			setTitle(ctx, signInHeading, false)
			focus("desk-method-" + string(p.kind))
		})
	})
}

// send sends a code to the chosen method.
func (p *SignInPage) send(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if p.busy || p.kind == "" {
		return
	}
	p.busy = true
	k := p.kind
	ctx.Async(func() {
		s, err := staffSendCode(k)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err)
				return
			}
			p.busy, p.pending, p.sent, p.errs = false, s, true, nil
			p.notice = "We've sent a code to " + p.hintOf(k) + "."
			setTitle(ctx, signInHeading, false)
			focus("desk-code")
		})
	})
}

// hintOf is the masked address of the staff member's method of kind k.
func (p *SignInPage) hintOf(k api.Kind) string {
	for _, m := range p.pending.Methods {
		if m.Kind == k {
			return m.Hint
		}
	}
	return "your " + strings.ToLower(kindTitle(k))
}

// verify checks the code and opens the console.
func (p *SignInPage) verify(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if p.busy {
		return
	}
	code := strings.TrimSpace(p.code)
	if code == "" {
		p.errs = problems{{field: "desk-code", msg: "Enter the code we sent you"}}
		showProblems(ctx, signInHeading, p.errs)
		return
	}
	p.busy = true
	k := p.kind
	ctx.Async(func() {
		s, err := staffVerify(k, code)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				p.fail(ctx, err)
				if codeOf(err) == api.CodeUnauthenticated {
					// The half-open session ended: start again.
					p.pending, p.sent, p.notice = deskapi.StaffSession{}, false, ""
				}
				return
			}
			staffNow, p.pending, p.busy, p.code = s, deskapi.StaffSession{}, false, ""
			ctx.Navigate(PathPerson)
		})
	})
}

// Render shows the step the sign-in is at.
func (p *SignInPage) Render() app.UI {
	off := !p.ready || p.busy
	var step app.UI
	switch {
	case p.pending.User == "":
		pwIn := app.Input().Type("password").Name("password").
			Attr("autocomplete", "current-password").Attr("autocapitalize", "none").Spellcheck(false).
			OnInput(typed(&p.password))
		userIn := app.Input().Type("text").Name("user").
			Attr("autocomplete", "username").Attr("autocapitalize", "none").Spellcheck(false).
			OnInput(typed(&p.user))
		if off {
			pwIn, userIn = pwIn.Disabled(true), userIn.Disabled(true)
		}
		step = form("desk-sign-in-form", p.signIn,
			field("desk-user", "User ID", "", p.errs.of("desk-user"), "width-20", userIn),
			field("desk-password", "Password", "", p.errs.of("desk-password"), "width-20", pwIn),
			button("desk-continue", "Continue", true, false, off),
		)
	case len(p.pending.Methods) == 0:
		step = para("You have no registered alternate email address or mobile number, so we can't send you a code. " +
			"Register one in the portal first.")
	default:
		sendText := "Send a code"
		if p.sent {
			sendText = "Send another code"
		}
		codeIn := app.Input().Type("text").Name("code").Attr("inputmode", "numeric").
			Attr("autocomplete", "one-time-code").OnInput(typed(&p.code))
		if off || !p.sent {
			codeIn = codeIn.Disabled(true)
		}
		step = app.Div().Body(
			form("desk-send-form", p.send,
				p.methodChoice(),
				button("desk-send", sendText, true, p.sent, off),
			),
			form("desk-code-form", p.verify,
				field("desk-code", "Code", "The code in the message we sent you.", p.errs.of("desk-code"), "width-10", codeIn),
				button("desk-sign-in", "Sign in", true, false, off || !p.sent),
			),
		)
	}
	return view(
		app.Div().Class("summary-slot").Body(errorSummary(p.errs)),
		notice(p.noticeText()),
		app.H1().Text(signInHeading),
		para("For the IT service desk's staff. Sign in with your own account, then a code sent to you."),
		step,
	)
}

// methodChoice is the choice of where the code goes: radios, one per
// method of the staff member's own.
func (p *SignInPage) methodChoice() app.UI {
	items := make([]app.UI, len(p.pending.Methods))
	for i, m := range p.pending.Methods {
		k := m.Kind
		id := "desk-method-" + string(k)
		in := app.Input().ID(id).Class("radios__input").Type("radio").Name("method").Value(string(k)).
			OnChange(func(app.Context, app.Event) { p.kind = k })
		if k == p.kind {
			in = in.Checked(true)
		}
		if p.busy {
			in = in.Disabled(true)
		}
		items[i] = app.Div().Class("radios__item").Body(
			in,
			app.Label().Class("label radios__label").For(id).Text(kindTitle(k)+": "+m.Hint),
		)
	}
	return app.Div().Class("form-group").Body(app.FieldSet().Class("fieldset").Body(
		app.Legend().Class("fieldset__legend").Body(app.H2().Class("heading-m").Text("Where should we send a code?")),
		app.Div().Class("radios").Body(items...),
	))
}

// noticeText is the page's notice: a code sent, or why sign-in is shown
// again.
func (p *SignInPage) noticeText() string {
	if p.ended {
		return "Your console session has ended. Sign in again to carry on."
	}
	return p.notice
}
