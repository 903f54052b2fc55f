package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// helpDeskBlock lists the ways to reach the help desk, and its opening
// hours; the headings are of level h ("h2" or "h3").
func helpDeskBlock(hd api.HelpDesk, h string) app.UI {
	heading := func(text string) app.UI {
		if h == "h3" {
			return app.H3().Class("heading-s").Text(text)
		}
		return h2m(text)
	}
	return app.Div().ID("help-desk").Class("help-desk").Body(
		heading(capitalise(hd.Name)),
		app.Ul().Class("list help-desk__ways").Body(
			when(hd.InPerson != "", app.Li().Body(app.Strong().Text(t("helpdesk.in_person")+" "), app.Text(hd.InPerson))),
			when(hd.TicketPortal != "", app.Li().Body(app.Strong().Text(t("helpdesk.online")+" "),
				nativeLink(hd.TicketPortal, t("helpdesk.ticket")).ID("help-desk-portal"))),
			when(hd.Phone != "", app.Li().Body(app.Strong().Text(t("helpdesk.phone")+" "),
				nativeLink("tel:"+telNumber(hd.Phone), hd.Phone).ID("help-desk-phone"))),
			when(hd.Email != "", app.Li().Body(app.Strong().Text(t("helpdesk.email")+" "),
				nativeLink("mailto:"+hd.Email, hd.Email).ID("help-desk-email"))),
		),
		when(len(hd.Hours) > 0, app.Div().Body(
			heading(t("helpdesk.hours")),
			app.Ul().Class("list help-desk__hours").Body(
				app.Range(hd.Hours).Slice(func(i int) app.UI { return li(hd.Hours[i]) }),
			),
		)),
	)
}

// telNumber keeps the digits and a leading "+" of a phone number, for a
// tel: link.
func telNumber(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// capitalise puts the first letter of s in upper case ("service desk" as
// a heading).
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
