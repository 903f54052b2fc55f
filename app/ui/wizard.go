package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// startedAs is the user id this visit started its flow with, for the
// password checklist's "not your user id" rule. Kept in memory only: after
// a reload the rule waits for the server's answer.
var startedAs string

// wizard is what every wizard page after the start shares: the flow as the
// server last reported it, and the page's problems. Its fields are changed
// on the UI goroutine only (in OnMount, event handlers and ctx.Dispatch).
type wizard struct {
	// ctx is the component's context, from OnMount. Event handlers use it
	// rather than their own, whose source is the element clicked: go-app
	// may replace that element when the page is drawn again (when an error
	// summary appears above it), and then drops every ctx.Dispatch and
	// ctx.Defer made through it.
	ctx app.Context
	// path and heading are the page's; loaded runs after every load of
	// the flow that leaves the user on this page.
	path, heading string
	loaded        func(app.Context)
	// field picks the field an error code is about, for a refusal the
	// server prerendered.
	field func(api.Code) string
	// srv is the server's state of the page, while it is prerendered;
	// adopted says the page took the prerendered page's state over.
	srv     *api.Page
	adopted bool

	shown bool // the page has been shown once (pageShown)
	ready bool // the flow is loaded: the page's controls work
	ended bool // the flow is missing: the session ended or expired
	busy  bool // a call is in flight: its button is disabled
	flow  api.Flow
	errs  problems
	// lim warns before the flow expires, and offers to extend it.
	lim limit
}

// watchFlow starts the flow's time-limit warning (the flow as last
// loaded; a flow that is done has none).
func (w *wizard) watchFlow(ctx app.Context) {
	w.lim.words = "timeout.flow"
	w.lim.when = func() (time.Time, time.Time) {
		if w.flow.State == api.StateDone {
			return time.Time{}, time.Time{}
		}
		return w.flow.ExpiresAt, w.flow.EndsBy
	}
	w.lim.renew = func(ctx app.Context, done func(app.Context, error)) {
		ctx.Async(func() {
			f, err := client.ExtendFlow()
			ctx.Dispatch(func(ctx app.Context) {
				if err == nil {
					w.flow.ExpiresAt, w.flow.EndsBy = f.ExpiresAt, f.EndsBy
				}
				done(ctx, err)
			})
		})
	}
	// Run out, or gone when Continue was pressed: loading it again shows
	// that the session has ended (or, offline, says why it can't tell).
	w.lim.expired = w.load
	w.lim.watch(ctx)
}

// prerender takes the server's state of the page while the server
// prerenders it (OnPreRender): the page is then drawn whole, and its forms
// work without the wasm.
func (w *wizard) prerender(ctx app.Context, path, heading string, field func(api.Code) string) (api.Page, bool) {
	w.path, w.heading, w.field = path, heading, field
	pg, ok := serverPage(ctx, path)
	if ok {
		w.srv = &pg
		w.adopt(pg)
	}
	return pg, ok
}

// init takes the state of the prerendered page the wasm took over, before
// the page is first drawn (OnInit, browser only), so that the page starts
// as the server drew it, without asking the server again.
func (w *wizard) init(path, heading string, field func(api.Code) string) (api.Page, bool) {
	w.path, w.heading, w.field = path, heading, field
	pg, ok := takenPage(path)
	if ok && (pg.Flow != nil || pg.FlowMissing) {
		w.adopt(pg)
		w.adopted = true
		return pg, true
	}
	return pg, false
}

// adopt shows the flow and the refusal of the page's state.
func (w *wizard) adopt(pg api.Page) {
	if pg.FlowMissing {
		w.ended = true
		return
	}
	if pg.Flow != nil {
		w.flow, w.ready = *pg.Flow, true
	}
	if pg.Error != nil {
		f := w.field
		if pg.Field != "" {
			f = func(api.Code) string { return pg.Field }
		}
		w.errs = problems{problemFor(pg.Error, client.Now(), f)}
	}
}

// mount starts the page: with the flow taken from the prerendered page
// (init), or asked for; then it moves to the page that fits the flow's
// state, or stays and calls loaded.
func (w *wizard) mount(ctx app.Context, loaded func(app.Context)) {
	w.ctx, w.loaded = ctx, loaded
	if !w.adopted {
		w.load(ctx)
		return
	}
	if w.ended {
		setTitle(ctx, t(expiredHeading), false)
	} else {
		w.watchFlow(ctx)
		if w.loaded != nil {
			w.loaded(ctx)
		}
	}
	w.shown = true
	pageShown(ctx)
	if len(w.errs) > 0 {
		showProblems(ctx, w.heading, w.errs)
	}
}

// load asks for the current flow. Browser only (from OnMount and events).
func (w *wizard) load(ctx app.Context) {
	ctx.Async(func() {
		f, err := client.CurrentFlow()
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				w.loadFailed(ctx, err)
				return
			}
			if !fits(w.path, f) {
				redirect(ctx, pathFor(f))
				return
			}
			w.flow, w.ready = f, true
			w.watchFlow(ctx)
			if w.loaded != nil {
				w.loaded(ctx)
			}
			if !w.shown {
				w.shown = true
				pageShown(ctx)
			}
		})
	})
}

// loadFailed shows a failure to load what the page needs. Never w.fail,
// which may load again: with a backend down, the page would ask for ever.
func (w *wizard) loadFailed(ctx app.Context, err error) {
	w.busy = false
	if codeOf(err) == api.CodeFlowMissing {
		w.ended, w.ready, w.errs = true, false, nil
		setTitle(ctx, t(expiredHeading), false)
		return
	}
	w.ready = false // the "Try again" button loads again
	w.errs = problems{problemFor(err, client.Now(), nil)}
	showProblems(ctx, w.heading, w.errs)
}

// retry is the "Try again" button of a page whose flow didn't load.
func (w *wizard) retry(_ app.Context, e app.Event) {
	ctx := w.ctx
	w.errs = nil
	w.load(ctx)
}

// fail shows a failed call: flow_missing ends the page (the session has
// ended or expired); wrong_state and method_unavailable mean the flow has
// moved on (another tab, the Back button), and directory_unavailable or
// service_unavailable may have left a method passed with the account not
// yet unlocked, so the flow is loaded again, which moves to the page that fits; anything else
// becomes a problem, on the field that field picks for its code.
func (w *wizard) fail(ctx app.Context, err error, field func(api.Code) string) {
	w.busy = false
	switch codeOf(err) {
	case api.CodeFlowMissing:
		w.ended, w.ready, w.errs = true, false, nil
		setTitle(ctx, t(expiredHeading), false)
		return
	case api.CodeWrongState, api.CodeMethodUnavailable, api.CodeDirectoryUnavailable, api.CodeServiceUnavailable:
		w.errs = problems{problemFor(err, client.Now(), nil)}
		showProblems(ctx, w.heading, w.errs)
		w.load(ctx)
		return
	}
	w.errs = problems{problemFor(err, client.Now(), field)}
	showProblems(ctx, w.heading, w.errs)
}

// invalid shows problems found on the page itself, before any call.
func (w *wizard) invalid(ctx app.Context, ps problems) {
	w.errs = ps
	showProblems(ctx, w.heading, ps)
}

// next moves on after a call that answered the flow f: to the page of its
// state (verify: the choice of the next method).
func (w *wizard) next(ctx app.Context, f api.Flow) {
	w.flow, w.busy, w.errs = f, false, nil
	ctx.Navigate(pathFor(f))
}

// view draws the page: the expired message when the flow is gone, else
// the page's own content, with the error summary first and a "Try again"
// button if the flow could not be loaded.
func (w *wizard) view(content ...app.UI) app.UI {
	if w.ended {
		return page(expiredView(), stateHolder(w.srv))
	}
	// The summary and the retry button sit in a div that is always
	// there: go-app matches children by position, and an element that
	// comes and goes before the form would have the form replaced (and
	// the focus lost) each time.
	return page(
		w.lim.view(),
		div("summary-slot",
			errorSummary(w.errs),
			when(!w.ready && len(w.errs) > 0, app.P().Body(button("retry", t("common.try_again"), false, false, false).OnClick(w.retry))),
		),
		app.Div().Body(content...),
		stateHolder(w.srv),
	)
}

// expiredHeading is the key of the heading of the page shown when the
// flow is gone.
const expiredHeading = "wizard.expired_heading"

// expiredView is shown when the flow is missing: it has expired, or ended,
// or this browser never started one.
func expiredView() app.UI {
	return app.Div().Body(
		app.H1().Text(t(expiredHeading)),
		para(t("wizard.expired_security")),
		para(t("wizard.expired_start_again")),
		app.A().ID("start-again").Class("button").Href(PathStart).Text(t("wizard.start_again")),
	)
}

// pathFor returns the page for the flow's state.
func pathFor(f api.Flow) string { return api.PageFor(f) }

// fits reports whether the page at path can be shown for the flow f.
func fits(path string, f api.Flow) bool { return api.PageFits(path, f) }

// method returns the flow's method of kind k.
func method(f api.Flow, k api.Kind) (api.Method, bool) {
	for _, m := range f.Methods {
		if m.Kind == k {
			return m, true
		}
	}
	return api.Method{}, false
}

// verifiedCount is how many of the flow's methods have passed.
func verifiedCount(f api.Flow) int {
	n := 0
	for _, m := range f.Methods {
		if m.Verified {
			n++
		}
	}
	return n
}

// stepText is "Step N of M": N is the method being done now.
func stepText(f api.Flow) string {
	req := f.Required
	if req < 1 {
		req = 1
	}
	n := min(verifiedCount(f)+1, req)
	return t("wizard.step", "step", strconv.Itoa(n), "total", strconv.Itoa(req))
}

// stepCaption is the "Step N of M" caption above a heading.
func stepCaption(f api.Flow) app.UI {
	return app.Span().ID("step").Class("caption").Text(stepText(f))
}
