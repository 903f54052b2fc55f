package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/client"
)

// warnBefore is how long before a time limit the page warns. WCAG 2.2.1
// (Timing Adjustable) asks for 20 seconds at least to extend; two minutes
// leave time to read the warning, finish the sentence being typed and
// press Continue, and are more than the minute we promise.
const warnBefore = 2 * time.Minute

// limit is a time limit a page warns about before it runs out: a flow, a
// CAPTCHA or a signed-in session. The page says when its thing expires and
// how to extend it; the limit waits, shows the warning (in a role=alert
// region that is always there, so that screen readers announce it) with a
// Continue button while it can still be extended, and tells the page once
// it has run out. Its fields change on the UI goroutine only.
type limit struct {
	// words is the key of the warning; words+"_final" is the one shown
	// when the thing can't be extended any more.
	words string
	// when says when the thing expires unless extended, and its absolute
	// end; a zero expiry is nothing to watch.
	when func() (expires, ends time.Time)
	// renew extends the thing (Continue): it makes its call, keeps what
	// it answers, and then calls done, on the UI goroutine.
	renew func(ctx app.Context, done func(app.Context, error))
	// expired is what the page does once the thing has run out, or
	// Continue found it gone.
	expired func(app.Context)

	ctx   app.Context // the component's (see wizard.ctx)
	gen   int         // the watch in force; older timers do nothing
	shown bool        // the warning shows
	busy  bool        // Continue is in flight
	// until is the new expiry after a Continue, which the region says.
	until time.Time
}

// watch (again) waits for the warning's time. Call it whenever the expiry
// may have changed. Browser only: a prerendered page has no clock running.
func (l *limit) watch(ctx app.Context) {
	if app.IsServer || l.when == nil {
		return
	}
	l.ctx = ctx
	l.gen++
	gen := l.gen
	exp, _ := l.when()
	if exp.IsZero() {
		return
	}
	wait := exp.Sub(client.Now())
	if !l.shown {
		wait -= warnBefore
	}
	ctx.After(max(wait, 0), func(ctx app.Context) { l.check(ctx, gen) })
}

// check runs at the warning's time, and at the expiry while it shows.
// Timers may fire late (a phone asleep), and the expiry may have moved
// (Continue in another tab): what counts is the clock now.
func (l *limit) check(ctx app.Context, gen int) {
	if gen != l.gen {
		return
	}
	exp, _ := l.when()
	if exp.IsZero() { // nothing timed any more (done, signed out)
		l.shown = false
		return
	}
	switch left := exp.Sub(client.Now()); {
	case left <= 0:
		l.shown, l.until = false, time.Time{}
		l.gen++
		if l.expired != nil {
			l.expired(ctx)
		}
		return
	case left > warnBefore:
		l.shown = false
	default:
		l.shown, l.until = true, time.Time{}
	}
	l.watch(ctx)
}

// extend is the warning's Continue.
func (l *limit) extend(_ app.Context, e app.Event) {
	ctx := l.ctx
	if l.busy || l.renew == nil {
		return
	}
	l.busy = true
	l.renew(ctx, func(ctx app.Context, err error) {
		l.busy, l.shown = false, false
		if err != nil {
			l.gen++
			if l.expired != nil {
				l.expired(ctx)
			}
			return
		}
		l.until, _ = l.when()
		l.watch(ctx)
		// The button has gone: the focus goes to what replaced it.
		ctx.Defer(func(app.Context) { focus("timeout-until") })
	})
}

// view is the warning's region: always there, empty until it speaks.
func (l *limit) view() app.UI {
	var body app.UI
	switch {
	case l.shown && l.when != nil:
		exp, ends := l.when()
		at := clockText(exp.Local())
		if !exp.Before(ends) {
			body = app.Div().Class("timeout").Body(app.P().Text(t(l.words+"_final", "time", at)))
			break
		}
		body = app.Div().Class("timeout").Body(
			app.P().Text(t(l.words, "time", at)),
			button("timeout-continue", t("common.continue"), false, false, l.busy).OnClick(l.extend),
		)
	case !l.until.IsZero():
		body = app.P().ID("timeout-until").Class("timeout timeout--done").TabIndex(-1).
			Text(t("timeout.extended", "time", clockText(l.until.Local())))
	}
	return app.Div().ID("timeout").Class("timeout-slot").Role("alert").Body(body)
}
