package ui

import "github.com/sspr-portal/sspr/app/api"

// methodText is what the pages call a verification method, in the
// help-desk guides' words (the verify page's choices are worded as in
// their "Verification Methods"): its name on the registration summary, the
// choice on the verify page, and the page that registers it. A method
// the portal learns gets a row here and its pages
// (docs/ADDING-A-METHOD.md).
type methodText struct {
	title, choice, regPath string
}

var methodTexts = map[api.Kind]methodText{
	api.KindEmail:     {title: "Alternate email address", choice: "Email my alternate email", regPath: PathRegEmail},
	api.KindSMS:       {title: "Mobile phone number", choice: "Send a text to my mobile phone number", regPath: PathRegSMS},
	api.KindQuestions: {title: "Security questions", choice: "Answer my security questions", regPath: PathRegQuestions},
}

// kindTitle names a method as the summary does.
func kindTitle(k api.Kind) string {
	if t, ok := methodTexts[k]; ok {
		return t.title
	}
	return string(k)
}

// kindPath is the page that adds or changes the method k.
func kindPath(k api.Kind) string { return methodTexts[k].regPath }
