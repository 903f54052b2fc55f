package sqlite

import (
	"context"
	"database/sql"
	"time"

	dbrows "github.com/sspr-portal/sspr/server/internal/rows"
	"github.com/sspr-portal/sspr/server/sspr"
)

var _ sspr.Reminders = (*Store)(nil)

// Each calls fn with every account, ordered by id. The rows are read in
// one statement (one snapshot); fn runs while it is open, which in WAL
// mode holds up no writer.
func (d *Directory) Each(ctx context.Context, fn func(sspr.Account) error) error {
	rows, err := d.db.read.QueryContext(ctx,
		`SELECT id, display_name, mail, locked, disabled, ou, password_set_at FROM accounts ORDER BY id`)
	if err != nil {
		return wrap(sspr.BackendDirectory, "walk accounts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a     sspr.Account
			setAt sql.NullString
		)
		err := rows.Scan(&a.ID, &a.DisplayName, &a.Mail, &a.Locked, &a.Disabled, &a.OU, &setAt)
		if err == nil {
			a.PasswordSetAt, err = parseTime(setAt)
		}
		if err != nil {
			return wrap(sspr.BackendDirectory, "walk accounts", err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return wrap(sspr.BackendDirectory, "walk accounts", rows.Err())
}

// EachRegistration calls fn with every registration, ordered by user id,
// its answers in the order they were registered: one statement, the
// answers joined in, so a report over many users is one query, not one
// each.
func (s *Store) EachRegistration(ctx context.Context, fn func(sspr.Registration) error) error {
	rows, err := s.db.read.QueryContext(ctx, `
SELECT r.user_id, r.email, r.email_confirmed_at, r.phone, r.phone_confirmed_at, r.answers_confirmed_at,
	r.lang, r.totp_key, r.totp_confirmed_at,
	(SELECT json_group_array(json_array(hex(p.id), p.name, hex(p.credential), p.created_at, p.last_used_at))
		FROM (SELECT * FROM registration_passkeys p WHERE p.user_id = r.user_id ORDER BY p.rowid) p),
	a.question_id
FROM registrations r
LEFT JOIN registration_answers a ON a.user_id = r.user_id
ORDER BY r.user_id, a.rowid`)
	if err != nil {
		return wrap(sspr.BackendStore, "read registrations", err)
	}
	defer rows.Close()
	var cur *sspr.Registration
	for rows.Next() {
		var (
			got                                 sspr.Registration
			emailAt, phoneAt, answersAt, totpAt sql.NullString
			passkeys                            []byte
			questionID                          sql.NullString
		)
		if err := rows.Scan(&got.UserID, &got.Email, &emailAt, &got.Phone, &phoneAt, &answersAt, &got.Lang,
			&got.TOTPKey, &totpAt, &passkeys, &questionID); err != nil {
			return wrap(sspr.BackendStore, "read registrations", err)
		}
		if cur == nil || cur.UserID != got.UserID {
			if cur != nil {
				if err := fn(*cur); err != nil {
					return err
				}
			}
			if got.EmailConfirmed, err = parseTime(emailAt); err != nil {
				return wrap(sspr.BackendStore, "read registrations", err)
			}
			if got.PhoneConfirmed, err = parseTime(phoneAt); err != nil {
				return wrap(sspr.BackendStore, "read registrations", err)
			}
			if got.AnswersConfirmed, err = parseTime(answersAt); err != nil {
				return wrap(sspr.BackendStore, "read registrations", err)
			}
			if got.TOTPConfirmed, err = parseTime(totpAt); err != nil {
				return wrap(sspr.BackendStore, "read registrations", err)
			}
			if got.Passkeys, err = dbrows.Passkeys(passkeys); err != nil {
				return wrap(sspr.BackendStore, "read registrations", err)
			}
			cur = &got
		}
		if questionID.Valid {
			cur.Answers = append(cur.Answers, sspr.Answer{QuestionID: questionID.String})
		}
	}
	if err := rows.Err(); err != nil {
		return wrap(sspr.BackendStore, "read registrations", err)
	}
	if cur != nil {
		return fn(*cur)
	}
	return nil
}

// ClaimReminder records that user is reminded at at unless they were
// reminded after since, in one conditional upsert: SQLite's one writer
// makes it atomic, so of two runs at once (other processes on the same
// file too) only one sees its row written.
func (s *Store) ClaimReminder(ctx context.Context, user string, at, since time.Time) (bool, error) {
	var n int64
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
INSERT INTO reminders (user_id, reminded_at) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET reminded_at = excluded.reminded_at
WHERE reminders.reminded_at <= ?`, user, formatTime(at), formatTime(since))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, wrap(sspr.BackendStore, "claim reminder", err)
	}
	return n == 1, nil
}

// ReleaseReminder deletes user's claim made at at, and nothing later.
func (s *Store) ReleaseReminder(ctx context.Context, user string, at time.Time) error {
	return wrap(sspr.BackendStore, "release reminder", s.db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM reminders WHERE user_id = ? AND reminded_at = ?`, user, formatTime(at))
		return err
	}))
}
