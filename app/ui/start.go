package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// StartPage is the first page: what the portal is for and where to begin.
// The reset and unlock wizard starts here (a later step of the work).
type StartPage struct {
	app.Compo
}

// Render shows the start page.
func (p *StartPage) Render() app.UI {
	return page(
		app.H1().Text("Get back into your account"),
		app.P().Text("Forgotten your password, or locked out of your account? "+
			"Prove it's you with two of the methods you registered (a code sent "+
			"to your alternate email, a text to your mobile phone, or your "+
			"security questions), then choose a new password or unlock your "+
			"account, without waiting for the service desk."),
		app.P().Class("before-you-begin").Text("Before you begin: if you use "+
			"several devices, such as a laptop, a phone and a tablet, each may "+
			"still try your old password and lock your account again. Remove "+
			"the saved password from each of them first."),
		app.P().Body(
			app.A().ID("register-link").Href(PathRegister).Text("Register for self-service password reset"),
		),
	)
}
