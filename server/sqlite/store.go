package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/flow"
)

var (
	_ flow.Registrations = (*Store)(nil)
	_ flow.Auditor       = (*Store)(nil)
)

// Store keeps registrations and audit events in the SQLite file. It
// implements flow.Registrations and flow.Auditor.
type Store struct {
	db *DB
}

// NewStore returns the store in db.
func NewStore(db *DB) *Store { return &Store{db: db} }

// Registration returns what userID has registered, with the answer hashes
// in the order they were registered, or nil and no error when the user has
// registered nothing.
func (s *Store) Registration(ctx context.Context, userID string) (*account.Registration, error) {
	var r *account.Registration
	err := s.db.readTx(ctx, func(tx *sql.Tx) error {
		var got account.Registration
		var emailAt, phoneAt, answersAt sql.NullString
		err := tx.QueryRowContext(ctx, `
SELECT email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at
FROM registrations WHERE user_id = ?`, userID,
		).Scan(&got.Email, &emailAt, &got.Phone, &phoneAt, &answersAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		got.UserID = userID
		if got.EmailConfirmed, err = parseTime(emailAt); err != nil {
			return err
		}
		if got.PhoneConfirmed, err = parseTime(phoneAt); err != nil {
			return err
		}
		if got.AnswersConfirmed, err = parseTime(answersAt); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx,
			`SELECT question_id, hash FROM registration_answers WHERE user_id = ? ORDER BY rowid`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a account.Answer
			if err := rows.Scan(&a.QuestionID, &a.Hash); err != nil {
				return err
			}
			got.Answers = append(got.Answers, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		r = &got
		return nil
	})
	if err != nil {
		return nil, wrap("read registration", err)
	}
	return r, nil
}

// PutRegistration replaces everything r.UserID has registered with r, in
// one transaction. A registration with no email, phone or answers removes
// the user's registration, so that Registration then returns nil. Answer
// hashes must be argon2id encodings (see package secret): a plain answer
// is refused rather than stored.
func (s *Store) PutRegistration(ctx context.Context, r account.Registration) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("sqlite: put registration: %w", err)
	}
	return wrap("put registration", s.db.writeTx(ctx, func(tx *sql.Tx) error {
		return putRegistration(ctx, tx, r)
	}))
}

// putRegistration writes r inside tx; r has been checked.
func putRegistration(ctx context.Context, tx *sql.Tx, r account.Registration) error {
	// Deleting the row deletes its answers too (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE user_id = ?`, r.UserID); err != nil {
		return err
	}
	if r.Email == "" && r.Phone == "" && len(r.Answers) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at)
VALUES (?, ?, ?, ?, ?, ?)`,
		r.UserID, r.Email, formatTime(r.EmailConfirmed), r.Phone, formatTime(r.PhoneConfirmed),
		formatTime(r.AnswersConfirmed)); err != nil {
		return err
	}
	for _, a := range r.Answers {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO registration_answers (user_id, question_id, hash) VALUES (?, ?, ?)`,
			r.UserID, a.QuestionID, a.Hash); err != nil {
			return err
		}
	}
	return nil
}

// Record appends an audit event. An event without a time is stamped with
// the current time; an event without a kind is refused.
func (s *Store) Record(ctx context.Context, e account.Event) error {
	if e.Kind == "" {
		return errors.New("sqlite: record audit event: no kind")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := s.db.write.ExecContext(ctx, `
INSERT INTO audit_events (at, kind, user_id, client_addr, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		formatTime(e.At), e.Kind, e.UserID, e.ClientAddr, e.UserAgent, e.Detail)
	return wrap("record audit event", err)
}

// DefaultEventsLimit is how many events Events returns when asked for 0 or
// fewer.
const DefaultEventsLimit = 100

// Events returns userID's audit events, newest first, at most limit of them
// (DefaultEventsLimit when limit <= 0). An empty userID returns every
// user's events.
func (s *Store) Events(ctx context.Context, userID string, limit int) ([]account.Event, error) {
	if limit <= 0 {
		limit = DefaultEventsLimit
	}
	const cols = `SELECT at, kind, user_id, client_addr, user_agent, detail FROM audit_events`
	var (
		rows *sql.Rows
		err  error
	)
	if userID == "" {
		rows, err = s.db.read.QueryContext(ctx, cols+` ORDER BY at DESC, id DESC LIMIT ?`, limit)
	} else {
		rows, err = s.db.read.QueryContext(ctx,
			cols+` WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT ?`, userID, limit)
	}
	if err != nil {
		return nil, wrap("list audit events", err)
	}
	defer rows.Close()
	var events []account.Event
	for rows.Next() {
		var e account.Event
		var at sql.NullString
		if err := rows.Scan(&at, &e.Kind, &e.UserID, &e.ClientAddr, &e.UserAgent, &e.Detail); err != nil {
			return nil, wrap("list audit events", err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, wrap("list audit events", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list audit events", err)
	}
	return events, nil
}
