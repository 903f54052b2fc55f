//go:build !sspr_reset

package ui

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// regQuestionsHeading is the key of the page's heading.
const regQuestionsHeading = "regquestions.heading"

// RegQuestionsPage sets the security questions: count rows, each a
// question picked from the catalogue and its answer. Saving replaces the
// questions registered before.
type RegQuestionsPage struct {
	app.Compo
	account
	catalog []api.Question
	chosen  []string // the question id of each row ("" none yet)
	answers []string
}

// OnNav names the tab.
func (p *RegQuestionsPage) OnNav(ctx app.Context) { setTitle(ctx, t(regQuestionsHeading), false) }

// OnMount loads the registration, then the catalogue.
func (p *RegQuestionsPage) OnMount(ctx app.Context) {
	p.mount(ctx, t(regQuestionsHeading), func(ctx app.Context) {
		if len(p.catalog) > 0 {
			return
		}
		p.ready = false // until the catalogue is here
		ctx.Async(func() {
			c, err := client.Catalog()
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					p.fail(ctx, err, nil)
					return
				}
				n := c.Count
				if n <= 0 {
					n = 5
				}
				p.catalog, p.ready = c.Questions, true
				p.chosen, p.answers = make([]string, n), make([]string, n)
			})
		})
	})
}

// rowID is the id of row i's question (kind "question") or answer.
func rowID(kind string, i int) string { return kind + "-" + strconv.Itoa(i+1) }

// picked and typed store row i's question and answer. The question is
// found by its position: the first option is "Choose a question", which
// has no value (go-app writes no empty attribute, so its value would be
// its text).
func (p *RegQuestionsPage) picked(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p.chosen[i] = ""
		if j := ctx.JSSrc().Get("selectedIndex").Int(); j > 0 && j <= len(p.catalog) {
			p.chosen[i] = p.catalog[j-1].ID
		}
	}
}

func (p *RegQuestionsPage) typed(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) { p.answers[i] = ctx.JSSrc().Get("value").String() }
}

// checkAnswers finds what the browser can: a row without a question, a
// question twice, an answer too short or too long, two answers alike. The
// server checks these and the rest (the question's words, the user id).
func checkAnswers(chosen, answers []string) problems {
	var ps problems
	seen := map[string]bool{}
	for i, q := range chosen {
		num := strconv.Itoa(i + 1)
		switch {
		case q == "":
			ps = append(ps, problem{field: rowID("question", i), msg: t("regquestions.question_missing", "number", num)})
		case seen[q]:
			ps = append(ps, problem{field: rowID("question", i), msg: t("regquestions.question_twice", "number", num)})
		}
		// Answers alike are answers the same but for case and spaces.
		a := "a:" + strings.ToLower(strings.Join(strings.Fields(answers[i]), " "))
		switch l := utf8.RuneCountInString(a) - 2; {
		case l < 3 || l > 64:
			ps = append(ps, problem{field: rowID("answer", i), msg: t("regquestions.answer_length", "number", num)})
		case seen[a]:
			ps = append(ps, problem{field: rowID("answer", i), msg: t("regquestions.answer_same", "number", num)})
		}
		seen[q], seen[a] = true, true
	}
	return ps
}

// save sends the questions and answers.
func (p *RegQuestionsPage) save(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	if ps := checkAnswers(p.chosen, p.answers); len(ps) > 0 {
		p.invalid(ctx, ps)
		return
	}
	in := make([]api.AnswerInput, len(p.chosen))
	for i := range in {
		in[i] = api.AnswerInput{ID: p.chosen[i], Answer: strings.TrimSpace(p.answers[i])}
	}
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		r, err := client.SetQuestions(in)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				// bad_request doesn't say which answer: the summary alone
				// says what is wrong.
				p.fail(ctx, err, nil)
				return
			}
			p.saved(ctx, r, t("regquestions.saved", "method", kindTitle(api.KindQuestions)))
		})
	})
}

// row draws question i: the choice of question and the answer.
func (p *RegQuestionsPage) row(i int, off bool) app.UI {
	qid, aid := rowID("question", i), rowID("answer", i)
	qErr := p.errs.of(qid)
	sel := app.Select().ID(qid).Name(qid).Class("input select").OnChange(p.picked(i))
	group := app.Div().Class("form-group")
	if qErr != "" {
		sel = sel.Class("input--error").Aria("describedby", qid+"-error")
		group = group.Class("form-group--error")
	}
	in := app.Input().Type("text").Name(aid).Value(p.answers[i]).
		Attr("autocomplete", "off").Spellcheck(false).OnInput(p.typed(i))
	if off {
		sel, in = sel.Disabled(true), in.Disabled(true)
	}
	opts := make([]app.UI, 0, len(p.catalog)+1)
	none := app.Option().Text(t("regquestions.choose_option"))
	if p.chosen[i] == "" {
		none = none.Selected(true)
	}
	opts = append(opts, none)
	for _, q := range p.catalog {
		o := app.Option().Value(q.ID).Text(q.Text)
		if p.chosen[i] == q.ID {
			o = o.Selected(true)
		} else if slices.Contains(p.chosen, q.ID) {
			// One question per row: the others' are taken.
			o = o.Disabled(true)
		}
		opts = append(opts, o)
	}
	return app.FieldSet().Class("fieldset question-row").Body(
		app.Legend().Class("fieldset__legend heading-s").Text(t("regquestions.legend", "number", strconv.Itoa(i+1))),
		group.Body(
			app.Label().Class("label").For(qid).Text(t("regquestions.question_label")),
			errorP(qid, qErr),
			sel.Body(opts...),
		),
		textField{id: aid, label: t("regquestions.answer_label"), err: p.errs.of(aid), input: in, width: "width-20"}.render(),
	)
}

// Render shows the rows.
func (p *RegQuestionsPage) Render() app.UI {
	off := !p.ready || p.busy
	n := len(p.chosen)
	var body app.UI
	switch {
	case n > 0:
		rows := make([]app.UI, n)
		for i := range rows {
			rows[i] = p.row(i, off)
		}
		body = form("questions-form", p.save,
			para(tn("regquestions.intro", n, "number", numberWord(n))),
			app.Div().ID("questions-hint").Class("inset").Body(
				para(t("regquestions.rules")),
				app.Ul().Class("list list--bullet").Body(
					li(t("regquestions.rule_length")),
					li(t("regquestions.rule_different")),
					li(t("regquestions.rule_own_words")),
				),
				para(t("regquestions.advice")),
			),
			app.Div().Body(rows...),
			button("save", t("regquestions.save"), true, false, off),
		)
	case len(p.errs) == 0:
		body = loadingP()
	}
	return p.view(
		backLink(PathRegSummary),
		app.H1().Text(t(regQuestionsHeading)),
		body,
	)
}
