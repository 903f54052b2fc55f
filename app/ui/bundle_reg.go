//go:build !sspr_reset

package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// resetBundle is true in app.wasm, the reset wizard's bundle, which lacks
// the registration pages; false in reg.wasm and on the server, which have
// every page.
const resetBundle = false

// registerRegistration declares the registration pages' routes.
func registerRegistration() {
	app.Route(PathRegister, app.NewZeroComponentFactory(&RegisterPage{}))
	app.Route(PathRegSummary, app.NewZeroComponentFactory(&SummaryPage{}))
	app.Route(PathRegEmail, app.NewZeroComponentFactory(&RegEmailPage{}))
	app.Route(PathRegSMS, app.NewZeroComponentFactory(&RegSMSPage{}))
	app.Route(PathRegQuestions, app.NewZeroComponentFactory(&RegQuestionsPage{}))
	app.Route(PathRegTOTP, app.NewZeroComponentFactory(&RegTOTPPage{}))
	app.Route(PathRegPasskey, app.NewZeroComponentFactory(&RegPasskeyPage{}))
	app.Route(PathRegPassword, app.NewZeroComponentFactory(&ChangePasswordPage{}))
}

// kindPath is the page that adds or changes the method k.
func kindPath(k api.Kind) string { return methodTexts[k].regPath }

// dateText is a date in the page's language, such as "2 January 2026".
func dateText(d time.Time) string { return words.Date("date.full", d) }

// kindTitle names a method as the summary does.
func kindTitle(k api.Kind) string {
	if mt, ok := methodTexts[k]; ok {
		return t(mt.title)
	}
	return string(k)
}

// form is a form the page checks itself (no browser validation), sent
// by onSubmit. Its method is post, so that a form sent before the wasm
// runs never puts what was typed (a password) in an address.
func form(id string, onSubmit app.EventHandler, body ...app.UI) app.UI {
	return app.Form().ID(id).Method("post").NoValidate(true).OnSubmit(onSubmit).Body(body...)
}
