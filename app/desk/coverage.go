package desk

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/deskapi"
)

const coverageHeading = "Who could reset today"

// CoveragePage shows what share of the directory's accounts could reset
// their password today (registered enough methods for the policy), over
// all and by organisational unit: where to send reminders, or a poster.
// Both roles see it. `sspr report coverage` prints the same figures.
type CoveragePage struct {
	app.Compo
	loaded bool
	errs   problems
	report deskapi.Coverage
}

// OnNav loads the report once the staff session is known to be open.
func (p *CoveragePage) OnNav(ctx app.Context) {
	setTitle(ctx, coverageHeading, false)
	shown(ctx)
	requireStaff(ctx, func(ctx app.Context) {
		ctx.Async(func() {
			r, err := coverage()
			ctx.Dispatch(func(ctx app.Context) {
				p.loaded = true
				if err != nil {
					ps, gone := failed(ctx, err, nil)
					if !gone {
						p.errs = ps
						showProblems(ctx, coverageHeading, ps)
					}
					return
				}
				p.report, p.errs = r, nil
			})
		})
	})
}

// Render shows the report as a table: every account, then each unit.
func (p *CoveragePage) Render() app.UI {
	r := p.report
	var body app.UI
	switch {
	case !p.loaded:
		body = app.P().ID("coverage-loading").Text("Counting…")
	case len(p.errs) > 0:
		body = nil
	default:
		rows := make([]app.UI, 0, len(r.OUs)+1)
		rows = append(rows, coverageRow("All accounts", r.CoverageCounts))
		for _, g := range r.OUs {
			name := g.OU
			if name == "" {
				name = "(none)"
			}
			rows = append(rows, coverageRow(name, g.CoverageCounts))
		}
		body = app.Div().Body(
			app.P().ID("coverage-summary").Class("lead").Text(percent(r.CanResetPercent)+" of accounts ("+
				strconv.Itoa(r.CanReset)+" of "+strconv.Itoa(r.Accounts)+") could reset their password today: they "+
				"registered at least "+countWord(r.Required)+" of the methods offered."),
			para("Disabled accounts are counted apart and left out of the shares. Counted "+timeText(r.At)+"."),
			app.Div().Class("table-wrap").Body(app.Table().ID("coverage").Class("table").Body(
				app.Caption().Class("visually-hidden").Text("Registration by organisational unit"),
				app.THead().Body(app.Tr().Body(
					app.Th().Scope("col").Text("Unit"),
					app.Th().Scope("col").Class("num").Text("Accounts"),
					app.Th().Scope("col").Class("num").Text("Could reset"),
					app.Th().Scope("col").Class("num").Text("Share"),
					app.Th().Scope("col").Class("num").Text("Some methods"),
					app.Th().Scope("col").Class("num").Text("None"),
					app.Th().Scope("col").Class("num").Text("Due to re-confirm"),
					app.Th().Scope("col").Class("num").Text("Disabled"),
				)),
				app.TBody().Body(rows...),
			)),
			para("To raise it, the IT team's \"sspr remind unregistered\" emails the people who haven't "+
				"registered enough, or whose methods are due to be confirmed again, with a link to register."),
		)
	}
	return view(
		app.Div().Class("summary-slot").Body(errorSummary(p.errs)),
		app.H1().Text(coverageHeading),
		body,
	)
}

// coverageRow is one line of the table: a unit, or all accounts.
func coverageRow(name string, c deskapi.CoverageCounts) app.UI {
	return app.Tr().Body(
		app.Th().Scope("row").Text(name),
		num(c.Accounts), num(c.CanReset),
		app.Td().Class("num").Text(percent(c.CanResetPercent)),
		num(c.Partial), num(c.None), num(c.ReconfirmDue), num(c.Disabled),
	)
}

// num is a cell of a count.
func num(n int) app.UI { return app.Td().Class("num").Text(strconv.Itoa(n)) }

// percent shows a share to one decimal place.
func percent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }
