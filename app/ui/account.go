//go:build !sspr_reset

package ui

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// The registration pages live behind a sign-in of their own: a signed-in
// session (its own cookie, never a flow's) that ends after 15 minutes
// without use. The summary lists the methods; each method has a page to
// add or change it; the password can be changed while signed in.

// signedIn is the session this visit signed in with, for the summary's
// "Signed in as" and the password checklist's "not your user id" rule.
// In memory only: after a reload both wait for what the server says.
var signedIn api.Session

// sessionIdle is the signed-in session's idle timeout, as the server last
// told it (its expiry less the time of the call that told it); 0 until
// then.
var sessionIdle time.Duration

// noteSession keeps the session the server answered: its expiry tells the
// idle timeout, by which the pages know when it ends (client.SessionUsed).
func noteSession(s api.Session) {
	signedIn = s
	if d := s.ExpiresAt.Sub(client.SessionUsed()); d > 0 {
		sessionIdle = d
	}
}

// sessionEnded says that a signed-in page found the session gone: the
// sign-in page says so once.
var sessionEnded bool

// savedNotice is what the summary says first: the change just saved.
var savedNotice string

// account is what every signed-in page shares: the registration as the
// server last reported it, and the page's problems. Its fields are changed
// on the UI goroutine only.
type account struct {
	ctx     app.Context // the component's (see wizard.ctx)
	heading string
	loaded  func(app.Context)

	shown bool // the page has been shown once (pageShown)
	ready bool // the registration is loaded: the controls work
	busy  bool // a call is in flight
	reg   api.Registration
	errs  problems
	// reauth is set when the server asked for the password again before
	// a change (reauth_required); password is what is typed for it, and
	// confirmed says it was taken, so the change can be made again.
	reauth, confirmed bool
	reauthPW          string
	// lim warns before the session ends, and offers to extend it.
	lim limit
}

// watchSession starts the session's time-limit warning. Every call the
// pages make extends the session, so its expiry is worked out afresh from
// the last one; Continue is one more (GET /session). Once it has run out
// the sign-in page says so, without another call, which would be one
// more use if the server's clock were a moment behind.
func (a *account) watchSession(ctx app.Context) {
	a.lim.words = "timeout.session"
	a.lim.when = func() (time.Time, time.Time) {
		if signedIn.EndsBy.IsZero() || sessionIdle == 0 {
			return time.Time{}, time.Time{}
		}
		exp := client.SessionUsed().Add(sessionIdle)
		if exp.After(signedIn.EndsBy) {
			exp = signedIn.EndsBy
		}
		return exp, signedIn.EndsBy
	}
	a.lim.renew = func(ctx app.Context, done func(app.Context, error)) {
		ctx.Async(func() {
			s, err := client.CurrentSession()
			ctx.Dispatch(func(ctx app.Context) {
				if err == nil {
					noteSession(s)
				}
				done(ctx, err)
			})
		})
	}
	a.lim.expired = signedOut
	if !signedIn.EndsBy.IsZero() && sessionIdle > 0 {
		a.lim.watch(ctx)
		return
	}
	// After a reload: ask.
	ctx.Async(func() {
		s, err := client.CurrentSession()
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil {
				noteSession(s)
				a.lim.watch(ctx)
			}
		})
	})
}

// mount asks for the registration, which also proves the session is
// there; loaded runs once it is.
func (a *account) mount(ctx app.Context, heading string, loaded func(app.Context)) {
	a.ctx, a.heading, a.loaded = ctx, heading, loaded
	a.load(ctx)
	a.watchSession(ctx)
}

// load asks for the registration. Browser only.
func (a *account) load(ctx app.Context) {
	ctx.Async(func() {
		r, err := client.Registration()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				a.fail(ctx, err, nil)
				return
			}
			a.reg, a.ready = r, true
			if a.loaded != nil {
				a.loaded(ctx)
			}
			if !a.shown {
				a.shown = true
				pageShown(ctx)
			}
		})
	})
}

// retry is the "Try again" button of a page that didn't load.
func (a *account) retry(ctx app.Context, e app.Event) {
	a.errs = nil
	a.load(a.ctx)
}

// fail shows a failed call: unauthenticated means the session has ended,
// and the sign-in page says so; anything else becomes a problem, on the
// field that field picks for its code.
func (a *account) fail(ctx app.Context, err error, field func(api.Code) string) {
	a.busy, a.confirmed = false, false
	switch codeOf(err) {
	case api.CodeUnauthenticated:
		signedOut(ctx)
		return
	case api.CodePasswordChangeRequired:
		// An initial password: the page that changes it is the only one
		// that works until it is changed (a summary opened directly).
		ctx.Navigate(PathRegPassword)
		return
	case api.CodeReauthRequired:
		// What the user typed on the page stays: once the password is
		// confirmed, they press their button again.
		a.reauth, a.errs = true, nil
		ctx.Defer(func(app.Context) { focus("reauth-password") })
		return
	}
	a.invalid(ctx, problems{problemFor(err, client.Now(), field)})
}

// confirmPassword sends the password typed again (POST /session/reauth).
func (a *account) confirmPassword(_ app.Context, e app.Event) {
	ctx := a.ctx
	e.PreventDefault()
	if a.busy {
		return
	}
	if a.reauthPW == "" {
		a.invalid(ctx, problems{{field: "reauth-password", msg: t("account.reauth_missing")}})
		return
	}
	a.busy = true
	pw := a.reauthPW
	ctx.Async(func() {
		_, err := client.Reauth(pw)
		ctx.Dispatch(func(ctx app.Context) {
			a.reauthPW = ""
			clearInput("reauth-password")
			if err != nil {
				a.busy = false
				if codeOf(err) == api.CodeUnauthenticated {
					signedOut(ctx)
					return
				}
				// A wrong password is reauth_required again, saying so.
				a.invalid(ctx, problems{problemFor(err, client.Now(), func(api.Code) string { return "reauth-password" })})
				return
			}
			a.busy, a.reauth, a.confirmed, a.errs = false, false, true, nil
		})
	})
}

// reauthView is the prompt for the password, above the page it guards.
func (a *account) reauthView() app.UI {
	if a.confirmed {
		return noticeView(t("account.reauth_done"))
	}
	if !a.reauth {
		return nil
	}
	in := app.Input().Type("password").Attr("autocomplete", "current-password").
		OnInput(func(ctx app.Context, e app.Event) { a.reauthPW = ctx.JSSrc().Get("value").String() })
	return form("reauth", a.confirmPassword,
		h2m(t("account.reauth_heading")),
		para(t("account.reauth_why")),
		textField{id: "reauth-password", label: t("common.password"), err: a.errs.of("reauth-password"), input: in, width: "width-20"}.render(),
		button("reauth-continue", t("common.continue"), true, false, a.busy),
	)
}

// invalid shows problems.
func (a *account) invalid(ctx app.Context, ps problems) {
	a.errs = ps
	showProblems(ctx, a.heading, ps)
}

// saved goes back to the summary after a change, which it announces.
func (a *account) saved(ctx app.Context, r api.Registration, notice string) {
	a.reg, a.busy, a.errs = r, false, nil
	savedNotice = notice
	ctx.Navigate(PathRegSummary)
}

// afterSignIn is the signed-in page a person was sent from to sign in
// (the link in a reminder to change their password, say): the sign-in
// goes back to it. In memory only, like the rest of the visit.
var afterSignIn string

// signedOut goes to the sign-in page, which says the session has ended,
// and comes back to this page once signed in again.
func signedOut(ctx app.Context) {
	sessionEnded, signedIn = true, api.Session{}
	if p := app.Window().URL().Path; p != PathRegister && p != PathRegSummary && strings.HasPrefix(p, PathRegister+"/") {
		afterSignIn = p
	}
	redirect(ctx, PathRegister)
}

// view draws a signed-in page: the error summary first (and "Try again"
// when the page didn't load), then its content.
func (a *account) view(content ...app.UI) app.UI {
	var retry app.UI
	if !a.ready && len(a.errs) > 0 {
		retry = app.P().Body(button("retry", t("common.try_again"), false, false, false).OnClick(a.retry))
	}
	return page(
		a.lim.view(),
		div("summary-slot", errorSummary(a.errs), retry),
		a.reauthView(),
		app.Div().Body(content...),
	)
}

// noticeView is a GOV.UK-style success message, in a slot that is always
// there (see wizard.view): the slot is the live region, there before its
// words, which a screen reader then announces.
func noticeView(msg string) app.UI {
	var n app.UI
	if msg != "" {
		n = app.Div().ID("notice").Class("notice").Text(msg)
	}
	return app.Div().Class("notice-slot").Role("status").Body(n)
}
