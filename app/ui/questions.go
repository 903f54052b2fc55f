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
// the three questions drawn for this flow, in one form.
type QuestionsPage struct {
	app.Compo
	wizard
	questions []api.Question
	answers   map[string]string
}

// OnNav names the tab.
func (p *QuestionsPage) OnNav(ctx app.Context) { setTitle(ctx, t(questionsHeading), false) }

// OnInit takes over the prerendered page.
func (p *QuestionsPage) OnInit() {
	if pg, ok := p.init(PathVerifyQuestions, t(questionsHeading), nil); ok {
		p.took(pg)
	}
}

// OnPreRender draws the page with the server's state.
func (p *QuestionsPage) OnPreRender(ctx app.Context) {
	if pg, ok := p.prerender(ctx, PathVerifyQuestions, t(questionsHeading), nil); ok {
		p.took(pg)
	}
}

// took takes the questions from the page's state (never the answers).
func (p *QuestionsPage) took(pg api.Page) {
	p.questions = pg.Questions
	p.answers = make(map[string]string, len(pg.Questions))
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
		ctx.Async(func() {
			qs, err := client.Questions()
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					p.loadFailed(ctx, err)
					return
				}
				p.questions, p.ready = qs, true
				if p.answers == nil {
					p.answers = make(map[string]string, len(qs))
				}
			})
		})
	})
}

// answerID is the id of the field for question q.
func answerID(q api.Question) string { return "answer-" + q.ID }

// typed stores what is typed for question id.
func (p *QuestionsPage) typed(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p.answers[id] = ctx.JSSrc().Get("value").String()
	}
}

// submit checks the answers.
func (p *QuestionsPage) submit(_ app.Context, e app.Event) {
	ctx := p.ctx
	e.PreventDefault()
	if !p.ready || p.busy {
		return
	}
	var ps problems
	answers := make(map[string]string, len(p.questions))
	for i, q := range p.questions {
		a := p.answers[q.ID]
		if strings.TrimSpace(a) == "" {
			ps = append(ps, problem{field: answerID(q), msg: t("questions.answer_missing", "number", strconv.Itoa(i+1))})
		}
		answers[q.ID] = a
	}
	if len(ps) > 0 {
		p.invalid(ctx, ps)
		return
	}
	p.busy, p.errs = true, nil
	ctx.Async(func() {
		f, err := client.VerifyAnswers(answers)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				// answers_invalid doesn't say which answer: the summary
				// alone says so.
				p.fail(ctx, err, nil)
				return
			}
			p.next(ctx, f)
		})
	})
}

// Render shows the questions.
func (p *QuestionsPage) Render() app.UI {
	off := !p.ready || p.busy
	n := len(p.questions)
	if n == 0 {
		n = 3
	}
	return p.view(
		backLink(PathVerify),
		when(p.flow.State != "", stepCaption(p.flow)),
		app.H1().Text(t(questionsHeading)),
		either(len(p.questions) == 0, loadingP(), postForm("questions-form", PathVerifyQuestions, p.submit,
			para(tn("questions.lead", n, "number", numberWord(n))),
			app.Range(p.questions).Slice(func(i int) app.UI {
				q := p.questions[i]
				in := app.Input().Type("text").Name(answerID(q)).Value(p.answers[q.ID]).
					Attr("autocomplete", "off").Spellcheck(false).OnInput(p.typed(q.ID))
				if off {
					in = in.Disabled(true)
				}
				return textField{id: answerID(q), label: q.Text, err: p.errs.of(answerID(q)),
					input: in, width: "width-30"}.render()
			}),
			button("next", t("common.next"), true, false, off),
		)),
		app.P().Body(link("other-method", PathVerify, t("questions.other_method"))),
	)
}
