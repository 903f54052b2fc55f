package ui

import (
	"errors"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// captchaForm is what the two pages with a CAPTCHA share: the start page
// and the sign-in page. Its fields change on the UI goroutine only.
type captchaForm struct {
	ctx         app.Context // the component's (see wizard.ctx)
	heading     string
	ready       bool // mounted: the controls work
	busy        bool // the form's call is in flight
	captchaBusy bool // fetching a picture
	answer      string
	captcha     api.Captcha
	errs        problems
	// lim warns before the CAPTCHA expires, and offers to extend it.
	lim limit
}

// watchCaptcha starts the CAPTCHA's time-limit warning. Once it has run
// out, or Continue found it gone, a new picture replaces it.
func (f *captchaForm) watchCaptcha(ctx app.Context) {
	f.lim.words = "timeout.captcha"
	f.lim.when = func() (time.Time, time.Time) { return f.captcha.ExpiresAt, f.captcha.EndsBy }
	f.lim.renew = func(ctx app.Context, done func(app.Context, error)) {
		id := f.captcha.ID
		ctx.Async(func() {
			ct, err := client.ExtendCaptcha(id)
			ctx.Dispatch(func(ctx app.Context) {
				if err == nil && f.captcha.ID == id {
					f.captcha.ExpiresAt, f.captcha.EndsBy = ct.ExpiresAt, ct.EndsBy
				}
				done(ctx, err)
			})
		})
	}
	f.lim.expired = f.newCaptcha
	f.lim.watch(ctx)
}

// mountCaptcha enables the form and fetches a CAPTCHA, unless the page
// took one over from the prerendered page.
func (f *captchaForm) mountCaptcha(ctx app.Context, heading string) {
	f.ctx, f.heading, f.ready = ctx, heading, true
	if f.captcha.ID == "" {
		f.newCaptcha(ctx)
	} else {
		f.watchCaptcha(ctx)
	}
	pageShown(ctx)
	if len(f.errs) > 0 {
		showProblems(ctx, heading, f.errs)
	}
}

// took takes the CAPTCHA, unless it has expired (a page read from a
// cache), and the refusal of the form from the page's state.
func (f *captchaForm) took(pg api.Page, field func(api.Code) string) {
	now := client.Now()
	if pg.Captcha != nil && (pg.CaptchaExpires.IsZero() || now.Before(pg.CaptchaExpires)) {
		f.captcha = *pg.Captcha
	}
	if pg.Error != nil {
		f.errs = problems{problemFor(pg.Error, now, field)}
	}
	f.ready = true
}

// newCaptcha fetches a new picture and clears the answer.
func (f *captchaForm) newCaptcha(ctx app.Context) {
	f.captchaBusy, f.answer = true, ""
	clearInput("captcha-answer")
	ctx.Async(func() {
		c, err := client.NewCaptcha()
		ctx.Dispatch(func(ctx app.Context) {
			f.captchaBusy = false
			if err != nil {
				pr := problemFor(err, client.Now(), nil)
				if !errors.Is(err, client.ErrOffline) {
					pr.msg = t("captcha.load_failed", "error", pr.msg)
				}
				for _, e := range f.errs {
					if e.msg == pr.msg {
						return // said already
					}
				}
				f.errs = append(f.errs, pr)
				showProblems(ctx, f.heading, f.errs)
				return
			}
			f.captcha = c
			f.watchCaptcha(ctx)
		})
	})
}

// renew is the "New picture" button. Without the wasm it posts the form,
// and the server answers the page with a new picture.
func (f *captchaForm) renew(ctx app.Context, e app.Event) {
	e.PreventDefault()
	f.newCaptcha(f.ctx)
}

// listen is the "Listen" link: it plays the CAPTCHA's sound in the page.
// Without the wasm the link opens the sound itself.
func (f *captchaForm) listen(ctx app.Context, e app.Event) {
	e.PreventDefault()
	e.Call("stopPropagation") // go-app's own handler would follow the link
	el := app.Window().GetElementByID("captcha-audio")
	if !el.Truthy() {
		return
	}
	el.Set("currentTime", 0)
	// play() answers a promise that fails if the sound can't play; a
	// failure must not become an uncaught error in the console.
	if pr := el.Call("play"); pr.Truthy() && pr.Get("catch").Truthy() {
		if ignore == nil {
			ignore = app.FuncOf(func(app.Value, []app.Value) any { return nil })
		}
		pr.Call("catch", ignore)
	}
}

// ignore is a JavaScript function that does nothing, kept for the life of
// the page: the rejection handler of play().
var ignore app.Func

// checkAnswer adds the CAPTCHA's problem, if any, to ps.
func (f *captchaForm) checkAnswer(ps problems, answer string) problems {
	if answer == "" {
		return append(ps, problem{field: "captcha-answer", msg: t("captcha.answer_missing")})
	}
	if f.captcha.ID == "" {
		return append(ps, problem{field: "captcha-answer", msg: t("captcha.not_loaded")})
	}
	return ps
}

// failed shows the refusal of the form's call. The CAPTCHA is good for one
// try, right or wrong: a new one replaces it unless the call never reached
// the server.
func (f *captchaForm) failed(ctx app.Context, err error, field func(api.Code) string) {
	f.busy = false
	f.errs = problems{problemFor(err, client.Now(), field)}
	showProblems(ctx, f.heading, f.errs)
	if !errors.Is(err, client.ErrOffline) {
		f.newCaptcha(ctx)
	}
}

// typedAnswer stores the answer field's value.
func (f *captchaForm) typedAnswer(ctx app.Context, e app.Event) {
	f.answer = ctx.JSSrc().Get("value").String()
}

// captchaView draws the picture, its buttons and the answer field.
func (f *captchaForm) captchaView(off bool) app.UI {
	c := Config()
	answerIn := app.Input().Type("text").Name("captcha-answer").Value(f.answer).
		Attr("inputmode", "numeric").Attr("autocomplete", "off").Spellcheck(false).
		OnInput(f.typedAnswer)
	if off {
		answerIn = answerIn.Disabled(true)
	}
	return div("captcha",
		f.lim.view(),
		div("captcha__picture",
			either(f.captcha.Image != "", app.Img().ID("captcha-image").Src(f.captcha.Image).Width(240).Height(80).
				Alt(t("captcha.alt")), app.Div().Class("captcha__placeholder").Text(t("captcha.loading"))),
		),
		div("button-group",
			button("captcha-new", t("captcha.new"), true, true, off || f.captchaBusy).Name("do").Value("captcha").OnClick(f.renew),
			when(c.Captcha.Audio && f.captcha.ID != "", app.A().ID("captcha-listen").Class("button button--secondary").
				Href(api.CaptchaAudioPath+"?id="+f.captcha.ID).OnClick(f.listen).Text(t("captcha.listen"))),
		),
		hidden("captcha-id", f.captcha.ID),
		textField{id: "captcha-answer", label: t("captcha.label"),
			err: f.errs.of("captcha-answer"), input: answerIn, width: "width-10"}.render(),
		// Last, so that its coming doesn't move the field above.
		when(c.Captcha.Audio && f.captcha.ID != "", app.Audio().ID("captcha-audio").Src(captchaSound(f.captcha)).Preload("none").Controls(true)),
	)
}

// userIDField is the user id field, as both forms have it.
func userIDField(v, err string, onInput app.EventHandler, off bool) app.UI {
	in := app.Input().Type("text").Name("user").Value(v).
		Attr("autocomplete", "username").Attr("autocapitalize", "none").Spellcheck(false).
		OnInput(onInput)
	if off {
		in = in.Disabled(true)
	}
	hint := ""
	if h := Config().UserIDHint; h != "" {
		hint = t("captcha.user_id_hint", "example", h)
	}
	return textField{id: "user", label: t("captcha.user_id_label"), hint: hint, err: err, input: in, width: "width-20"}.render()
}

// captchaSound is where the CAPTCHA's sound is: the data the API sent with
// it, or else its address.
func captchaSound(c api.Captcha) string {
	if c.Audio != "" {
		return c.Audio
	}
	return api.CaptchaAudioPath + "?id=" + c.ID
}
