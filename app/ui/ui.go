// Package ui holds the portal's pages as go-app components. The same
// components run in the browser (compiled to app.wasm by app/cmd/wasm) and
// on the server, which prerenders each page's HTML so that it shows before
// the wasm has loaded.
//
// The reset and unlock wizard is one page per step, GOV.UK style: start
// (user id and CAPTCHA), choose (reset or unlock), verify (choose a method),
// one page per method, new password, done; and three help pages drawn from
// the help-desk guides. The server decides every step: each wizard page
// asks for the current flow when it is mounted and moves to the page of the
// state the server reports, so reloading and the Back button always land on
// a page that fits.
//
// Registration sits behind a sign-in (/register): a summary of the
// methods, a page to add or change each, and a password change. Those
// pages ask for the registration when mounted; a session that has ended
// sends them back to the sign-in page.
//
// Two bundles carry these pages (docs/PERFORMANCE.md "Bundles"): app.wasm,
// built with the tag sspr_reset, has the reset wizard alone, which people
// locked out and in a hurry load, and must stay smallest; reg.wasm has
// every page, for the registration pages (/register...). The files of the
// registration pages are built without sspr_reset (bundle_reg.go).
//
// This package imports go-app, app/api and app/client only: never server/
// packages, which would pull server code into the wasm bundle.
package ui

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// The paths of the pages.
const (
	PathStart           = api.PageStart
	PathRegister        = "/register"
	PathRegSummary      = "/register/summary"
	PathRegEmail        = "/register/email"
	PathRegSMS          = "/register/sms"
	PathRegQuestions    = "/register/questions"
	PathRegTOTP         = "/register/totp"
	PathRegPasskey      = "/register/passkey"
	PathRegPassword     = "/register/password"
	PathChoose          = api.PageChoose
	PathVerify          = api.PageVerify
	PathVerifyEmail     = api.PageVerifyEmail
	PathVerifySMS       = api.PageVerifySMS
	PathVerifyQuestions = api.PageVerifyQuestions
	PathVerifyPass      = api.PageVerifyPass
	PathNewPassword     = api.PageNewPassword
	PathDone            = api.PageDone
	PathHelpBefore      = "/help/before-you-begin"
	PathHelpFAQ         = "/help/faq"
	PathHelpContact     = "/help/contact"
)

var registerOnce sync.Once

// Register declares every page's route. Both binaries call it: the server,
// so that it prerenders the pages (its handler answers 404 for a path no
// route matches), and the wasm, so that it renders them. Calling it again
// does nothing.
//
// Every route has its own component type: go-app reuses a mounted component
// of the same type when navigating, and then OnMount, which loads the flow,
// would not run again.
func Register() {
	registerOnce.Do(func() {
		app.Route(PathStart, app.NewZeroComponentFactory(&StartPage{}))
		registerRegistration()
		app.Route(PathChoose, app.NewZeroComponentFactory(&ChoosePage{}))
		app.Route(PathVerify, app.NewZeroComponentFactory(&VerifyPage{}))
		app.Route(PathVerifyEmail, app.NewZeroComponentFactory(&EmailPage{}))
		app.Route(PathVerifySMS, app.NewZeroComponentFactory(&SMSPage{}))
		app.Route(PathVerifyQuestions, app.NewZeroComponentFactory(&QuestionsPage{}))
		app.Route(PathNewPassword, app.NewZeroComponentFactory(&NewPasswordPage{}))
		app.Route(PathDone, app.NewZeroComponentFactory(&DonePage{}))
		registerHelp()
	})
}
