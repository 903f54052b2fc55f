// Package desk is the service desk's console: the pages staff use to look
// people up and help them (docs/PAGES.md#the-service-desks-console). It is
// a bundle of its own, desk.wasm (app/cmd/desk), loaded only under
// Prefix: the student's app.wasm doesn't import this package, so it
// carries none of it. The server imports it too, to prerender the pages.
// The console needs its wasm (it is staff's, on a desk computer), and
// every call it makes is the API's, which refuses anyone but verified
// staff.
package desk

import (
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/app/ui"
)

// The console's pages.
const (
	// Prefix is where the console lives: app.js starts desk.wasm under it.
	Prefix       = "/desk"
	PathSignIn   = Prefix
	PathPerson   = Prefix + "/person"
	PathCoverage = Prefix + "/coverage"
)

var registerOnce sync.Once

// Register declares the console's routes to go-app.
func Register() {
	registerOnce.Do(func() {
		app.Route(PathSignIn, app.NewZeroComponentFactory(&SignInPage{}))
		app.Route(PathPerson, app.NewZeroComponentFactory(&PersonPage{}))
		app.Route(PathCoverage, app.NewZeroComponentFactory(&CoveragePage{}))
	})
}

// staffNow is the staff session the console last saw (zero: not signed in,
// or not known yet). UI goroutine only.
var staffNow deskapi.StaffSession

// staffEnded is set when a page found the staff session gone: the sign-in
// page then says why it is shown.
var staffEnded bool

// view lays out a console page: the header, who is signed in and the
// console's navigation, then the content. Its header is the console's own
// colour, whatever the organisation's theme, so that staff always know
// which side of the portal they are on.
func view(content ...app.UI) app.UI {
	var nav app.UI
	if staffNow.Verified {
		role := "Service desk"
		if staffNow.Role == deskapi.RoleAuditor {
			role = "Auditor"
		}
		nav = app.Nav().Class("desk-nav").Aria("label", "Console").Body(
			app.Ul().Class("desk-nav__links").Body(
				app.Li().Body(app.A().ID("nav-person").Href(PathPerson).Text("Find a person")),
				app.Li().Body(app.A().ID("nav-coverage").Href(PathCoverage).Text("Who could reset")),
			),
			app.P().Class("desk-nav__who").Body(
				app.Text("Signed in as "),
				app.Strong().ID("staff-user").Text(staffNow.User),
				app.Text(" ("+role+") "),
				button("sign-out", "Sign out", false, true, false).OnClick(signOut),
			),
		)
	}
	return app.Div().Class("page desk").Body(
		app.A().Class("skip-link").Href("#main").OnClick(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			focus("main")
		}).Text("Skip to main content"),
		&ui.DevBanner{},
		app.Header().Class("site-header").Body(
			app.Div().Class("width-container site-header__inner").Body(
				app.Span().Class("site-header__org").Text(ui.Config().Organisation.Name),
				app.A().Class("site-header__service").Href(PathSignIn).Text("Service desk console"),
			),
		),
		app.Div().Class("width-container").Body(
			nav,
			app.Main().ID("main").Class("main main--wide").TabIndex(-1).Body(content...),
		),
	)
}

// signOut ends the staff session and goes back to the sign-in page.
func signOut(ctx app.Context, e app.Event) {
	e.PreventDefault()
	ctx.Async(func() {
		_ = staffSignOut()
		ctx.Dispatch(func(ctx app.Context) {
			staffNow = deskapi.StaffSession{}
			ctx.Navigate(PathSignIn)
		})
	})
}

// failed is what a console page shows for a failed call; field picks the
// field an error code is about. An ended staff session sends the page
// back to sign-in instead, and reports true.
func failed(ctx app.Context, err error, field func(api.Code) string) (problems, bool) {
	if codeOf(err) == api.CodeUnauthenticated && staffNow.Verified {
		staffNow, staffEnded = deskapi.StaffSession{}, true
		ctx.Navigate(PathSignIn)
		return nil, true
	}
	return problems{problemFor(err, field)}, false
}

// requireStaff checks that a verified staff session is open, then calls
// next on the UI goroutine; without one it sends the page to sign-in.
func requireStaff(ctx app.Context, next func(app.Context)) {
	if staffNow.Verified {
		next(ctx)
		return
	}
	ctx.Async(func() {
		s, err := staffSession()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil || !s.Verified {
				ctx.Navigate(PathSignIn)
				return
			}
			staffNow = s
			next(ctx)
		})
	})
}

// timeText shows a time in the console: the day and the time, on the
// desk's clock.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2 Jan 2006 15:04")
}

// kindTitle is a method's name in the console.
func kindTitle(k api.Kind) string {
	switch k {
	case api.KindEmail:
		return "Alternate email"
	case api.KindSMS:
		return "Mobile phone"
	case api.KindQuestions:
		return "Security questions"
	case api.KindTOTP:
		return "Authenticator app"
	case api.KindPasskey:
		return "Passkeys"
	}
	return string(k)
}

// blockText says what a block is, in the desk's words.
func blockText(b deskapi.Block) string {
	var what string
	switch b.Kind {
	case deskapi.BlockSelfService:
		what = "Self-service paused after failed verifications"
	case deskapi.BlockSignIn:
		what = "Signing in paused after wrong passwords"
	case deskapi.BlockClosed:
		what = "Self-service closed after failures in a row"
	default:
		what = strings.ReplaceAll(string(b.Kind), "_", " ")
	}
	if b.Until.IsZero() {
		return what
	}
	return what + ", until " + timeText(b.Until)
}
