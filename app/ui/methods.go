package ui

import "github.com/sspr-portal/sspr/app/api"

// methodText is what the pages call a verification method, in the
// help-desk guides' words (the verify page's choices are worded as in
// their "Verification Methods"): the keys of its name on the registration
// summary and of the choice on the verify page, and the page that
// registers it. A method
// the portal learns gets a row here and its pages
// (docs/ADDING-A-METHOD.md).
type methodText struct {
	title, choice, regPath string
}

var methodTexts = map[api.Kind]methodText{
	api.KindEmail:     {title: "method.email_title", choice: "method.email_choice", regPath: PathRegEmail},
	api.KindSMS:       {title: "method.sms_title", choice: "method.sms_choice", regPath: PathRegSMS},
	api.KindQuestions: {title: "method.questions_title", choice: "method.questions_choice", regPath: PathRegQuestions},
	api.KindTOTP:      {title: "method.totp_title", choice: "method.totp_choice", regPath: PathRegTOTP},
	api.KindPasskey:   {title: "method.passkey_title", choice: "method.passkey_choice", regPath: PathRegPasskey},
}
