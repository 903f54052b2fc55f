package ui

import (
	"errors"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// The keys of the messages the pages show for failures that are not the
// API's answers.
const (
	msgOffline  = "error.offline"
	msgTimeout  = "error.timeout"
	msgInternal = "error.internal"
)

// problem is one error shown on a page: in the error summary, and next to
// its field when it has one.
type problem struct {
	// field is the id of the field in error: the summary links to it and
	// the message shows in p#<field>-error. Empty: the page as a whole.
	field string
	msg   string
	// contact adds a link to the contact page after the message.
	contact bool
	// link and linkText add a link to another page after the message.
	link, linkText string
}

// problems are the errors a page shows.
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

// errorSummary is GOV.UK's error summary: a box at the top of the page
// titled "There is a problem", with a link to each field in error. The page
// focuses it when it appears (showProblems), and role=alert has it read out.
func errorSummary(ps problems) app.UI {
	if len(ps) == 0 {
		return nil
	}
	return app.Div().ID("error-summary").Class("error-summary").
		Role("alert").TabIndex(-1).Aria("labelledby", "error-summary-title").
		Body(
			app.H2().ID("error-summary-title").Class("error-summary__title").Text(t("error.summary")),
			app.Ul().Class("error-summary__list").Body(
				app.Range(ps).Slice(func(i int) app.UI {
					p := ps[i]
					if p.field != "" {
						return app.Li().Body(
							app.A().Href("#" + p.field).OnClick(focusOnClick(p.field)).Text(p.msg),
						)
					}
					return app.Li().Body(
						app.Text(p.msg),
						when(p.contact, app.Span().Body(app.Text(" "), link("", PathHelpContact, t("error.contact")))),
						when(p.link != "", app.Span().Body(app.Text(" "), link("", p.link, p.linkText))),
					)
				}),
			),
		)
}

// showProblems shows ps on the page (the caller has put them in its
// fields) and focuses the error summary once it is drawn.
func showProblems(ctx app.Context, heading string, ps problems) {
	setTitle(ctx, heading, len(ps) > 0)
	if len(ps) == 0 || app.IsServer {
		return
	}
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("error-summary"); el.Truthy() {
			el.Call("focus")
			el.Call("scrollIntoView")
		}
	})
}

// problemFor turns a failed call into what the page shows. field picks the
// field an API error code belongs to ("" for the page as a whole); now is
// the clock, for throttles.
func problemFor(err error, now time.Time, field func(api.Code) string) problem {
	var ae *api.Error
	switch {
	case errors.Is(err, client.ErrOffline):
		return problem{msg: t(msgOffline)}
	case errors.Is(err, client.ErrTimeout):
		return problem{msg: t(msgTimeout)}
	case !errors.As(err, &ae):
		return problem{msg: t(msgInternal)}
	}
	p := problem{msg: ae.Message}
	if p.msg == "" {
		p.msg = t(msgInternal)
	}
	if field != nil {
		p.field = field(ae.Code)
	}
	switch ae.Code {
	case api.CodeThrottled:
		p.msg = throttledMessage(ae.Message, ae.RetryAfterSeconds, now)
		p.contact = p.field == "" && ae.RetryAfterSeconds > 3600
	case api.CodeNotRegistered, api.CodeInternal:
		p.contact = p.field == ""
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

// throttledMessage adds to the server's refusal the clock time to try
// again at (the server says why; retry_after_seconds, when): people plan
// by the clock, and "in 20 minutes" is wrong as soon as they have read it.
func throttledMessage(msg string, retryAfterSeconds int, now time.Time) string {
	at := retryText(now, retryAfterSeconds)
	switch {
	case at == "":
		return msg
	case msg == "":
		return at
	}
	return msg + " " + at
}

// retryText says when to try again, as a time on the device's clock:
// "Try again at 14:05." It rounds up to the next whole minute, so that
// trying at the time shown always works; a time on a later day says which.
func retryText(now time.Time, seconds int) string {
	if seconds <= 0 {
		return ""
	}
	at := now.Add(time.Duration(seconds) * time.Second)
	if t := at.Truncate(time.Minute); !t.Equal(at) {
		at = t.Add(time.Minute)
	}
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch day := at.Sub(today); {
	case day < 24*time.Hour:
		return t("error.retry_today", "time", clockText(at))
	case day < 48*time.Hour:
		return t("error.retry_tomorrow", "time", clockText(at))
	}
	return t("error.retry_day", "time", clockText(at), "day", dayText(at))
}

// textField is a labelled input with its hint and error, GOV.UK style.
type textField struct {
	id, label, hint, err string
	// input is the input, with its type, value, handlers and attributes;
	// textField adds the id, class and ARIA attributes.
	input app.HTMLInput
	// width is a class for the input's width, such as "width-10".
	width string
	// labelClass makes the label a heading-sized one ("label--l").
	labelClass string
	// describedBy are more ids that describe the input (a checklist).
	describedBy []string
}

// render draws the field.
func (f textField) render() app.UI {
	in := f.input.ID(f.id).Class("input")
	if f.width != "" {
		in = in.Class(f.width)
	}
	var describedBy []string
	if f.hint != "" {
		describedBy = append(describedBy, f.id+"-hint")
	}
	if f.err != "" {
		describedBy = append(describedBy, f.id+"-error")
		in = in.Class("input--error").Aria("invalid", "true")
	}
	describedBy = append(describedBy, f.describedBy...)
	if len(describedBy) > 0 {
		in = in.Aria("describedby", strings.Join(describedBy, " "))
	}
	group := app.Div().Class("form-group")
	if f.err != "" {
		group = group.Class("form-group--error")
	}
	label := app.Label().Class("label").For(f.id).Text(f.label)
	if f.labelClass != "" {
		label = label.Class(f.labelClass)
	}
	return group.Body(
		label,
		hintP(f.id, f.hint),
		errorP(f.id, f.err),
		in,
	)
}

// hintP is the hint of the field id, or nothing.
func hintP(id, hint string) app.UI {
	if hint == "" {
		return nil
	}
	return app.Div().ID(id + "-hint").Class("hint").Text(hint)
}

// errorP is the error message of the field id, or nothing.
func errorP(id, msg string) app.UI {
	if msg == "" {
		return nil
	}
	return app.P().ID(id+"-error").Class("error-message").Body(
		app.Span().Class("visually-hidden").Text(t("error.prefix")+" "),
		app.Text(msg),
	)
}

// radio is one choice of a radios group.
type radio struct {
	id, value, label, hint string
	checked, disabled      bool
	// done marks a choice already completed (a method passed).
	done bool
	// reveal is what the choice asks for once chosen (GOV.UK's
	// conditional reveal): drawn under it, shown by the stylesheet while
	// the radio is checked, so that it works without the wasm too.
	reveal app.UI
}

// radios is a GOV.UK radios group: a fieldset whose legend is the page's
// heading, a hint, an error, and the choices. The group's error is the
// problem of any of its choices' ids (the error summary links to that
// choice); it shows as p#<that id>-error.
func radios(name string, legend app.UI, hint string, errs problems, items []radio, onChange func(value string) app.EventHandler) app.UI {
	if len(items) == 0 {
		return nil
	}
	errID, err := "", ""
	for _, it := range items {
		if m := errs.of(it.id); m != "" {
			errID, err = it.id, m
			break
		}
	}
	fs := app.FieldSet().Class("fieldset")
	var describedBy []string
	if hint != "" {
		describedBy = append(describedBy, name+"-hint")
	}
	if err != "" {
		describedBy = append(describedBy, errID+"-error")
	}
	if len(describedBy) > 0 {
		fs = fs.Aria("describedby", strings.Join(describedBy, " "))
	}
	group := app.Div().Class("form-group")
	if err != "" {
		group = group.Class("form-group--error")
	}
	return group.Body(fs.Body(
		app.Legend().Class("fieldset__legend").Body(legend),
		hintP(name, hint),
		errorP(errID, err),
		div("radios",
			app.Range(items).Slice(func(i int) app.UI {
				it := items[i]
				in := app.Input().ID(it.id).Class("radios__input").Type("radio").Name(name).Value(it.value)
				if it.hint != "" {
					in = in.Aria("describedby", it.id+"-hint")
				}
				if it.reveal != nil {
					in = in.Aria("controls", it.id+"-reveal")
				}
				if it.checked {
					in = in.Checked(true)
				}
				if it.done {
					in = in.Class("done")
				}
				if it.disabled {
					in = in.Disabled(true)
				} else if onChange != nil {
					in = in.OnChange(onChange(it.value))
				}
				item := app.Div().Class("radios__item")
				if it.done {
					item = item.Class("done")
				}
				return item.Body(
					in,
					app.Label().Class("label radios__label").For(it.id).Body(
						app.Text(it.label),
						when(it.done, app.Strong().Class("tag tag--done").Text(t("common.done"))),
					),
					hintP(it.id, it.hint),
					when(it.reveal != nil, app.Div().ID(it.id+"-reveal").Class("radios__conditional").Body(it.reveal)),
				)
			}),
		),
	))
}

// button is a GOV.UK button. Only ever Disabled(true): go-app writes
// Disabled(false) as disabled="false", which is disabled.
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

// backLink is GOV.UK's back link at the top of a page.
func backLink(href string) app.UI {
	return app.A().Class("back-link").Href(href).Text(t("common.back"))
}

// clearInput empties the field with that id in the page. Setting its
// value to "" in the component is not enough: go-app then removes the
// value attribute, which leaves what was typed in the box.
func clearInput(id string) {
	if app.IsServer {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", "")
	}
}
