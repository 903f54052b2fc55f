package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// totpField is where a code from the authenticator app is typed, on the
// verify page (under "Use my authenticator app") and on the page that
// sets the app up: one field, so both read the same and autofill alike.
func totpField(id, v, err string, onInput app.EventHandler, off bool) app.UI {
	in := app.Input().Type("text").Name(id).Value(v).
		Attr("inputmode", "numeric").Attr("autocomplete", "one-time-code").Spellcheck(false).
		OnInput(onInput)
	if off {
		in = in.Disabled(true)
	}
	return textField{id: id, label: t("totp.code_label"), hint: t("totp.code_hint"),
		err: err, input: in, width: "width-10"}.render()
}

// totpCodeField is the field a refusal of a code from the app is shown
// on: the code's, for a code that is malformed or didn't match.
func totpCodeField(id string) func(api.Code) string {
	return func(c api.Code) string {
		if c == api.CodeBadRequest || c == api.CodeCodeInvalid {
			return id
		}
		return ""
	}
}
