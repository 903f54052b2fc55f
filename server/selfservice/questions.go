package selfservice

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

// questionsMethod is "Answer my security questions": QuestionsAsked of the
// QuestionsCount questions registered, drawn for the account and the same
// until answered (decoy.go: question-draw), answers hashed with argon2id
// (docs/SECURITY.md#questions). Never enough alone: a reset needs another
// method besides.
type questionsMethod struct{}

func (questionsMethod) Kind() api.Kind { return api.KindQuestions }

func (questionsMethod) Registered(e *Engine, r *sspr.Registration) bool {
	return r.HasQuestions(e.cfg.QuestionsAsked)
}

func (questionsMethod) InShape(e *Engine, s sspr.Shape) bool {
	return s.Answers >= e.cfg.QuestionsAsked
}

// Offer draws the questions asked from those registered whose text the
// catalogue still has.
func (m questionsMethod) Offer(e *Engine, r *record, reg *sspr.Registration, gen string) {
	ids := make([]string, 0, len(reg.Answers))
	for _, a := range reg.Answers {
		if _, ok := e.d.Catalog.Text(a.QuestionID); ok {
			ids = append(ids, a.QuestionID)
		}
	}
	if len(ids) < e.cfg.QuestionsAsked {
		return
	}
	r.Questions = e.drawQuestions(r.User, gen, ids)
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Count: len(r.Questions)})
}

func (m questionsMethod) Decoy(e *Engine, r *record, p profile, gen string) {
	r.Questions = e.drawQuestions(r.User, gen, p.questions)
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Count: len(r.Questions)})
}

func (questionsMethod) Describe(e *Engine, reg *sspr.Registration) api.RegisteredMethod {
	return e.described(reg.HasQuestions(e.cfg.QuestionsCount), "", len(reg.Answers), reg.AnswersConfirmed)
}

func (questionsMethod) Remove(reg *sspr.Registration) {
	reg.Answers, reg.AnswersConfirmed = nil, time.Time{}
}

// Questions returns the questions drawn for this flow.
func (e *Engine) Questions(ctx context.Context, id string) ([]api.Question, error) {
	r, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := usable(r, api.KindQuestions); err != nil {
		return nil, err
	}
	qs := make([]api.Question, 0, len(r.Questions))
	for _, qid := range r.Questions {
		text, _ := e.d.Catalog.Text(qid)
		qs = append(qs, api.Question{ID: qid, Text: text})
	}
	return qs, nil
}

// VerifyAnswers checks the answers to this flow's questions. Every answer
// is hashed whatever the others gave, and a decoy's against a dummy hash,
// so the time taken says nothing.
func (e *Engine) VerifyAnswers(ctx context.Context, id string, answers map[string]string, c sspr.Client) (api.Flow, error) {
	r, release, err := e.attempt(ctx, id, api.KindQuestions, c)
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	if len(answers) != len(r.Questions) {
		return api.Flow{}, sspr.Errorf(sspr.CodeBadRequest, "Answer all %d questions.", len(r.Questions))
	}
	for _, qid := range r.Questions {
		a, ok := answers[qid]
		if !ok || strings.TrimSpace(a) == "" {
			return api.Flow{}, sspr.Errorf(sspr.CodeBadRequest, "Answer all %d questions.", len(r.Questions))
		}
		if len(a) > 1024 {
			return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "That answer is too long."}
		}
	}
	hashes := map[string]string{}
	if !r.Decoy {
		reg, err := e.d.Registrations.Registration(ctx, r.User)
		if err != nil {
			return api.Flow{}, sspr.Unavailable(sspr.BackendStore, fmt.Errorf("read registration: %w", err))
		}
		if reg != nil {
			for _, a := range reg.Answers {
				hashes[a.QuestionID] = a.Hash
			}
		}
	}
	all := !r.Decoy
	for _, qid := range r.Questions {
		h, ok := hashes[qid]
		if !ok {
			h, all = e.d.DummyHash, false
		}
		match, err := e.d.Hasher.Verify(ctx, h, canon.Answer(answers[qid]))
		if err != nil {
			return api.Flow{}, fmt.Errorf("check answer: %w", err)
		}
		all = all && match
	}
	if !all {
		e.note(ctx, sspr.Event{Kind: sspr.EventAnswersWrong, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused}, c)
		if err := e.fail(ctx, failVerify, r.User, r.addr(api.KindEmail), c); err != nil {
			return api.Flow{}, err
		}
		return api.Flow{}, &sspr.Error{Code: sspr.CodeAnswersInvalid, Message: "One or more answers didn't match. Check them and try again."}
	}
	if r, err = e.passed(ctx, id, api.KindQuestions, c); err != nil {
		return api.Flow{}, err
	}
	e.redraw(ctx, r.User)
	return e.advance(ctx, r, c)
}

// SetAnswers registers the user's security questions and answers, stored
// only as argon2id hashes of the normalised answers
// (docs/SECURITY.md#questions).
func (e *Engine) SetAnswers(ctx context.Context, id string, in []api.AnswerInput, c sspr.Client) (api.Registration, error) {
	m, ok := e.method(api.KindQuestions)
	if !ok {
		return api.Registration{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "Security questions aren't offered here."}
	}
	s, _, err := e.live(ctx, id)
	if err != nil {
		return api.Registration{}, err
	}
	if err := e.recent(s); err != nil {
		return api.Registration{}, err
	}
	if err := e.checkAnswers(in, s.User); err != nil {
		return api.Registration{}, err
	}
	answers := make([]sspr.Answer, 0, len(in))
	for _, a := range in {
		h, err := e.d.Hasher.Hash(ctx, canon.Answer(a.Answer))
		if err != nil {
			return api.Registration{}, fmt.Errorf("hash answer: %w", err)
		}
		answers = append(answers, sspr.Answer{QuestionID: a.ID, Hash: h})
	}
	err = e.changeRegistration(ctx, s.User, s.Ref, c, questionsSetMsg, string(m.Kind()), func(reg *sspr.Registration) error {
		reg.Answers, reg.AnswersConfirmed = answers, e.now()
		return nil
	})
	if err != nil {
		return api.Registration{}, err
	}
	return e.Registration(ctx, id)
}

// checkAnswers applies the rules of a good answer: the configured number of
// questions from the catalogue, none twice, no two answers alike, 3 to 64
// characters, and no answer made of the question's own words or the user id.
func (e *Engine) checkAnswers(in []api.AnswerInput, user string) error {
	bad := func(msg string) error { return &sspr.Error{Code: sspr.CodeBadRequest, Message: msg} }
	if len(in) != e.cfg.QuestionsCount {
		return bad(fmt.Sprintf("Choose and answer %d questions.", e.cfg.QuestionsCount))
	}
	local, _, _ := strings.Cut(user, "@")
	seenQ, seenA := map[string]bool{}, map[string]bool{}
	for _, a := range in {
		text, ok := e.d.Catalog.Text(a.ID)
		if !ok {
			return bad("Choose the questions from the list.")
		}
		if seenQ[a.ID] {
			return bad("Choose a different question each time.")
		}
		seenQ[a.ID] = true
		norm := canon.Answer(a.Answer)
		if n := utf8.RuneCountInString(norm); n < 3 || n > 64 {
			return bad("Each answer must be 3 to 64 characters long.")
		}
		if seenA[norm] {
			return bad("Give a different answer to each question.")
		}
		seenA[norm] = true
		if len(local) >= 3 && strings.Contains(norm, canon.Answer(local)) {
			return bad("Don't use your user ID in an answer.")
		}
		for _, w := range strings.FieldsFunc(canon.Answer(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) >= 4 && strings.Contains(norm, w) {
				return bad("Don't repeat the words of the question in its answer.")
			}
		}
	}
	return nil
}
