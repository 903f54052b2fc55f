package ui

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// questionsHeading is the key of the page's heading.
const questionsHeading = "questions.heading"

// QuestionsPage is "Option 3. Answer security questions" of the guides:
// the three questions drawn for this flow, in one form. The verify page
// shows the same questions under its choice; this page is where a link,
// or the verify page before its questions have loaded, leads.
type QuestionsPage struct {
	app.Compo
	wizard
	questionSet
}

// OnNav names the tab.
func (p *QuestionsPage) OnNav(ctx app.Context) { setTitle(ctx, t(questionsHeading), false) }

// OnInit takes over the prerendered page.
func (p *QuestionsPage) OnInit() {
	if pg, ok := p.init(PathVerifyQuestions, t(questionsHeading), nil); ok {
		p.took(pg.Questions)
	}
}

// OnPreRender draws the page with the server's state.
func (p *QuestionsPage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathVerifyQuestions, t(questionsHeading), nil); ok {
		p.took(pg.Questions)
	}
}

// OnMount loads the flow, then the questions.
func (p *QuestionsPage) OnMount(ctx app.Context) {
	p.mount(ctx, func(ctx app.Context) {
		m, ok := method(p.flow, api.KindQuestions)
		if !ok || m.Verified {
			redirect(ctx, PathVerify)
			return
		}
		if len(p.questions) > 0 {
			return
		}
		p.ready = false // until the questions are here
		p.loadQuestions(ctx, func(ctx app.Context, err error) {
			if err != nil {
				p.loadFailed(ctx, err)
				return
			}
			p.ready = true
		})
	})
}

// submit checks the answers.
func (p *QuestionsPage) submit(_ app.Context, e app.Event) {
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	p.answer(&p.wizard, nil)
}

// Render shows the questions.
func (p *QuestionsPage) Render() app.UI {
	off := !p.ready || p.busy
	return p.view(
		backLink(PathVerify),
		when(p.flow.State != "", stepCaption(p.flow)),
		app.H1().Text(t(questionsHeading)),
		either(len(p.questions) == 0, loadingP(), postForm("questions-form", PathVerifyQuestions, p.submit,
			p.fields(p.errs, off),
			button("next", t("common.next"), true, false, off),
		)),
		app.P().Body(link("other-method", PathVerify, t("questions.other_method"))),
	)
}

// questionSet is the questions drawn for the flow and what is typed for
// them: on their page, and under their choice on the verify page.
type questionSet struct {
	questions []api.Question
	answers   map[string]string
}

// took takes the questions of the page's state (never answers).
func (q *questionSet) took(qs []api.Question) {
	q.questions = qs
	q.answers = make(map[string]string, len(qs))
}

// loadQuestions asks for the questions, then calls done on the UI
// goroutine.
func (q *questionSet) loadQuestions(ctx app.Context, done func(app.Context, error)) {
	ctx.Async(func() {
		qs, err := client.Questions()
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil {
				q.took(qs)
			}
			done(ctx, err)
		})
	})
}

// answerID is the id of the field for question q.
func answerID(q api.Question) string { return "answer-" + q.ID }

// typed stores what is typed for question id.
func (q *questionSet) typed(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		q.answers[id] = ctx.JSSrc().Get("value").String()
	}
}

// answer checks that every question has an answer and sends them: the
// flow w moves on, or shows the refusal (answers_invalid doesn't say
// which answer: on field when given, else in the summary alone).
func (q *questionSet) answer(w *wizard, field func(api.Code) string) {
	ctx := w.ctx
	var ps problems
	answers := make(map[string]string, len(q.questions))
	for i, qn := range q.questions {
		a := q.answers[qn.ID]
		if strings.TrimSpace(a) == "" {
			ps = append(ps, problem{field: answerID(qn), msg: t("questions.answer_missing", "number", strconv.Itoa(i+1))})
		}
		answers[qn.ID] = a
	}
	if len(ps) > 0 {
		w.invalid(ctx, ps)
		return
	}
	w.busy, w.errs = true, nil
	ctx.Async(func() {
		f, err := client.VerifyAnswers(answers)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				w.fail(ctx, err, field)
				return
			}
			w.next(ctx, f)
		})
	})
}

// fields are the lead and a field for each question.
func (q *questionSet) fields(errs problems, off bool) app.UI {
	n := len(q.questions)
	if n == 0 {
		n = 3
	}
	return app.Div().Body(
		para(tn("questions.lead", n, "number", numberWord(n))),
		app.Range(q.questions).Slice(func(i int) app.UI {
			qn := q.questions[i]
			in := app.Input().Type("text").Name(answerID(qn)).Value(q.answers[qn.ID]).
				Attr("autocomplete", "off").Spellcheck(false).OnInput(q.typed(qn.ID))
			if off {
				in = in.Disabled(true)
			}
			return textField{id: answerID(qn), label: qn.Text, err: errs.of(answerID(qn)),
				input: in, width: "width-30"}.render()
		}),
	)
}
