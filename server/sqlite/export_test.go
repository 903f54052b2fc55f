package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"iter"

	"github.com/sspr-portal/sspr/server/sspr"
)

// Migrations are the schema's steps, for the tests that open a file made
// by an older program.
var Migrations = migrations[:]

// PutRegistrations adds many registrations to a store that has none of
// their users yet, in one transaction and through prepared statements,
// for benchmarks that need a large store quickly: PutRegistration's one
// commit (and its statements compiled afresh) per registration would take
// minutes for a million. The rows are those putRegistration writes.
func PutRegistrations(ctx context.Context, db *DB, rs iter.Seq[sspr.Registration]) error {
	return wrap(sspr.BackendStore, "put registrations", db.writeTx(ctx, func(tx *sql.Tx) error {
		reg, err := tx.PrepareContext(ctx, `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at, lang)
VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer reg.Close()
		ans, err := tx.PrepareContext(ctx, `INSERT INTO registration_answers (user_id, question_id, hash) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ans.Close()
		for r := range rs {
			if err := r.Check(); err != nil {
				return err
			}
			if r.Email == "" && r.Phone == "" && len(r.Answers) == 0 {
				return errors.New("an empty registration is no row")
			}
			if _, err := reg.ExecContext(ctx, r.UserID, r.Email, formatTime(r.EmailConfirmed), r.Phone,
				formatTime(r.PhoneConfirmed), formatTime(r.AnswersConfirmed), r.Lang); err != nil {
				return err
			}
			for _, a := range r.Answers {
				if _, err := ans.ExecContext(ctx, r.UserID, a.QuestionID, a.Hash); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}
