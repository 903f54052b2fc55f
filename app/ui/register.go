package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// RegisterPage is where users will register their methods. A placeholder
// until the registration pages are built.
type RegisterPage struct {
	app.Compo
}

// Render shows the registration placeholder.
func (p *RegisterPage) Render() app.UI {
	return page(
		app.H1().Text("Register for self-service password reset"),
		app.P().Text("Registration is not open yet. Until it is, the service "+
			"desk can reset your password or unlock your account."),
		app.P().Body(app.A().Href(PathStart).Text("Back to the start")),
	)
}
