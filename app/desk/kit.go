package desk

import (
	"errors"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
	"github.com/sspr-portal/sspr/app/ui"
)

// The console's form parts: the same markup and classes as the wizard's
// (app/ui/form.go), so that app.css styles both alike, in a smaller set of
// the console's own. They are not shared with app/ui on purpose: any
// change to a package the student's app.wasm links moves its data about,
// and brotli's size with it by kilobytes, while app/desk costs the student
// nothing (docs/PERFORMANCE.md#two-bundles).

// problem is one error a page shows: in the error summary, and next to
// its field when it has one.
type problem struct {
	field string // the id of the field in error; "": the page as a whole
	msg   string
}

type problems []problem

// of returns the message for the field with that id, or "".
func (ps problems) of(field string) string {
	for _, p := range ps {
		if p.field == field {
			return p.msg
		}
	}
	return ""
}

// problemFor turns a failed call into what the page shows; field picks the
// field an API error code belongs to ("" for the page as a whole).
func problemFor(err error, field func(api.Code) string) problem {
	var ae *api.Error
	switch {
	case errors.Is(err, client.ErrOffline):
		return problem{msg: "You're offline. The console needs a connection to the portal."}
	case errors.Is(err, client.ErrTimeout):
		return problem{msg: "The portal took too long to answer. Try again."}
	case !errors.As(err, &ae) || ae.Message == "":
		return problem{msg: "Something went wrong on the portal's side. Try again."}
	}
	p := problem{msg: ae.Message}
	if field != nil {
		p.field = field(ae.Code)
	}
	if ae.Code == api.CodeThrottled && ae.RetryAfterSeconds > 0 && !strings.Contains(p.msg, "Try again") {
		p.msg += " Try again in " + strconv.Itoa((ae.RetryAfterSeconds+59)/60) + " minutes."
	}
	return p
}

// codeOf returns the API error code of err, or "".
func codeOf(err error) api.Code {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// errorSummary is the box at the top of a page titled "There is a
// problem", with a link to each field in error; showProblems focuses it.
func errorSummary(ps problems) app.UI {
	if len(ps) == 0 {
		return nil
	}
	items := make([]app.UI, len(ps))
	for i, p := range ps {
		if p.field == "" {
			items[i] = app.Li().Text(p.msg)
			continue
		}
		id := p.field
		items[i] = app.Li().Body(app.A().Href("#" + id).OnClick(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			e.Call("stopPropagation")
			focus(id)
		}).Text(p.msg))
	}
	return app.Div().ID("error-summary").Class("error-summary").
		Role("alert").TabIndex(-1).Aria("labelledby", "error-summary-title").
		Body(
			app.H2().ID("error-summary-title").Class("error-summary__title").Text("There is a problem"),
			app.Ul().Class("error-summary__list").Body(items...),
		)
}

// showProblems names the tab after heading ("Error: " in front when there
// are problems) and focuses the error summary once it is drawn.
func showProblems(ctx app.Context, heading string, ps problems) {
	setTitle(ctx, heading, len(ps) > 0)
	if len(ps) == 0 || app.IsServer {
		return
	}
	ctx.Defer(func(app.Context) { focus("error-summary") })
}

// setTitle names the browser tab after the page's heading.
func setTitle(ctx app.Context, heading string, errors bool) {
	t := heading + " – Service desk – " + ui.Config().Organisation.Name
	if errors {
		t = "Error: " + t
	}
	ctx.Page().SetTitle(t)
}

// focus moves the keyboard focus to the element with that id. Browser only.
func focus(id string) {
	if app.IsServer {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}

// shown marks main#main data-ready once the page has rendered (the wasm
// has taken over: what the browser tests wait for) and, after a
// navigation inside the console, moves the focus to the new page's
// heading, so that screen readers announce it as after a page load.
func shown(ctx app.Context) {
	if app.IsServer {
		return
	}
	first := !navigated
	navigated = true
	ctx.Defer(func(app.Context) {
		w := app.Window()
		if m := w.GetElementByID("main"); m.Truthy() {
			m.Call("setAttribute", "data-ready", "")
		}
		if first {
			return
		}
		w.Call("scrollTo", 0, 0)
		if h := w.Get("document").Call("querySelector", "main h1"); h.Truthy() {
			h.Call("setAttribute", "tabindex", "-1")
			h.Call("focus", map[string]any{"preventScroll": true})
		}
	})
}

var navigated bool // a page of the console has been shown before

// field is a labelled input with its hint and error. The input has no
// Value: a field whose value follows the component's state loses keys
// typed while it renders, so pages keep what OnInput reports.
func field(id, label, hint, err, width string, in app.HTMLInput) app.UI {
	in = in.ID(id).Class("input").Class(width)
	var describedBy []string
	if hint != "" {
		describedBy = append(describedBy, id+"-hint")
	}
	group := app.Div().Class("form-group")
	if err != "" {
		describedBy = append(describedBy, id+"-error")
		in = in.Class("input--error").Aria("invalid", "true")
		group = group.Class("form-group--error")
	}
	if len(describedBy) > 0 {
		in = in.Aria("describedby", strings.Join(describedBy, " "))
	}
	var hintEl, errEl app.UI
	if hint != "" {
		hintEl = app.Div().ID(id + "-hint").Class("hint").Text(hint)
	}
	if err != "" {
		errEl = app.P().ID(id+"-error").Class("error-message").Body(
			app.Span().Class("visually-hidden").Text("Error: "), app.Text(err))
	}
	return group.Body(app.Label().Class("label").For(id).Text(label), hintEl, errEl, in)
}

// typed is an OnInput handler keeping the input's value in *dst.
func typed(dst *string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { *dst = ctx.JSSrc().Get("value").String() }
}

// clearInput empties the field with that id in the page: the inputs have
// no Value for go-app to clear.
func clearInput(id string) {
	if app.IsServer {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", "")
	}
}

// button is a button; submit sends its form. Only ever Disabled(true):
// go-app writes Disabled(false) as disabled="false", which is disabled.
func button(id, text string, submit, secondary, disabled bool) app.HTMLButton {
	b := app.Button().ID(id).Class("button")
	if secondary {
		b = b.Class("button--secondary")
	}
	if submit {
		b = b.Type("submit")
	} else {
		b = b.Type("button")
	}
	if disabled {
		b = b.Disabled(true)
	}
	return b.Text(text)
}

// form is a form the page checks itself, sent by onSubmit. Its method is
// post, so that a form sent before the wasm runs never puts a password in
// an address.
func form(id string, onSubmit app.EventHandler, body ...app.UI) app.UI {
	return app.Form().ID(id).Method("post").NoValidate(true).OnSubmit(onSubmit).Body(body...)
}

// notice is a success message in a slot that is always there, so that
// screen readers announce the text put into it.
func notice(msg string) app.UI {
	var n app.UI
	if msg != "" {
		n = app.Div().ID("notice").Class("notice").Text(msg)
	}
	return app.Div().Class("notice-slot").Role("status").Body(n)
}

// para is a paragraph of text.
func para(text string) app.UI { return app.P().Text(text) }

// when is ui if cond, else nothing.
func when(cond bool, ui app.UI) app.UI {
	if cond {
		return ui
	}
	return nil
}

// countWord is n in words, for the small counts pages show.
func countWord(n int) string {
	if n >= 0 && n < len(numberWords) {
		return numberWords[n]
	}
	return strconv.Itoa(n)
}

var numberWords = []string{"no", "one", "two", "three", "four", "five"}
