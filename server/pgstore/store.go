package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/enrol"
	"github.com/sspr-portal/sspr/server/flow"
)

var (
	_ flow.Registrations = (*Store)(nil)
	_ flow.Auditor       = (*Store)(nil)
	_ enrol.Store        = (*Store)(nil)
)

// op bounds one operation, waiting for a connection included, and makes
// sure the schema is in place.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	if err := s.ready(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, cancel, nil
}

// Registration returns what userID has registered, with the answer hashes
// in the order they were registered, or nil and no error when the user has
// registered nothing. One statement, so one snapshot: never half of a
// registration being replaced.
func (s *Store) Registration(ctx context.Context, userID string) (*account.Registration, error) {
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	rows, err := s.pool.Query(ctx, `
SELECT r.email, r.email_confirmed_at, r.phone, r.phone_confirmed_at, r.answers_confirmed_at, a.question_id, a.hash
FROM registrations r LEFT JOIN registration_answers a ON a.user_id = r.user_id
WHERE r.user_id = $1
ORDER BY a.position`, userID)
	if err != nil {
		return nil, wrap("read registration", err)
	}
	defer rows.Close()
	var r *account.Registration
	for rows.Next() {
		var (
			got                     account.Registration
			emailAt, phoneAt, ansAt *time.Time
			questionID, hash        *string
		)
		if err := rows.Scan(&got.Email, &emailAt, &got.Phone, &phoneAt, &ansAt, &questionID, &hash); err != nil {
			return nil, wrap("read registration", err)
		}
		if r == nil {
			got.UserID = userID
			got.EmailConfirmed, got.PhoneConfirmed, got.AnswersConfirmed = utc(emailAt), utc(phoneAt), utc(ansAt)
			r = &got
		}
		if questionID != nil && hash != nil {
			r.Answers = append(r.Answers, account.Answer{QuestionID: *questionID, Hash: *hash})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("read registration", err)
	}
	return r, nil
}

// PutRegistration replaces everything r.UserID has registered with r, in
// one transaction. A registration with no email, phone or answers removes
// the user's registration, so that Registration then returns nil. Answer
// hashes must be argon2id encodings (see package secret): a plain answer
// is refused rather than stored.
//
// Two servers replacing the same user's registration at once are
// serialised by the registration row's lock (the upsert takes it): the
// last to commit wins whole, and neither fails.
func (s *Store) PutRegistration(ctx context.Context, r account.Registration) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("pgstore: put registration: %w", err)
	}
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return wrap("put registration", pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if r.Email == "" && r.Phone == "" && len(r.Answers) == 0 {
			// Its answers go with it (ON DELETE CASCADE).
			_, err := tx.Exec(ctx, `DELETE FROM registrations WHERE user_id = $1`, r.UserID)
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, now())
ON CONFLICT (user_id) DO UPDATE SET
	email = excluded.email, email_confirmed_at = excluded.email_confirmed_at,
	phone = excluded.phone, phone_confirmed_at = excluded.phone_confirmed_at,
	answers_confirmed_at = excluded.answers_confirmed_at, updated_at = excluded.updated_at`,
			r.UserID, r.Email, pgTime(r.EmailConfirmed), r.Phone, pgTime(r.PhoneConfirmed), pgTime(r.AnswersConfirmed)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM registration_answers WHERE user_id = $1`, r.UserID); err != nil {
			return err
		}
		if len(r.Answers) == 0 {
			return nil
		}
		ids := make([]string, len(r.Answers))
		hashes := make([]string, len(r.Answers))
		for i, a := range r.Answers {
			ids[i], hashes[i] = a.QuestionID, a.Hash
		}
		_, err := tx.Exec(ctx, `
INSERT INTO registration_answers (user_id, position, question_id, hash)
SELECT $1, a.n, a.question_id, a.hash FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS a(question_id, hash, n)`,
			r.UserID, ids, hashes)
		return err
	}))
}

// Record appends an audit event. An event without a time is stamped with
// the current time; an event without a kind is refused.
func (s *Store) Record(ctx context.Context, e account.Event) error {
	if e.Kind == "" {
		return errors.New("pgstore: record audit event: no kind")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	_, err = s.pool.Exec(ctx, `
INSERT INTO audit_events (at, kind, user_id, client_addr, user_agent, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		pgTime(e.At), e.Kind, e.UserID, e.ClientAddr, e.UserAgent, e.Detail)
	return wrap("record audit event", err)
}

// DefaultEventsLimit is how many events Events returns when asked for 0 or
// fewer.
const DefaultEventsLimit = 100

// Events returns userID's audit events, newest first (of two at the same
// time, the later recorded first), at most limit of them
// (DefaultEventsLimit when limit <= 0). An empty userID returns every
// user's events.
func (s *Store) Events(ctx context.Context, userID string, limit int) ([]account.Event, error) {
	if limit <= 0 {
		limit = DefaultEventsLimit
	}
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	const cols = `SELECT at, kind, user_id, client_addr, user_agent, detail FROM audit_events`
	var rows pgx.Rows
	if userID == "" {
		rows, err = s.pool.Query(ctx, cols+` ORDER BY at DESC, id DESC LIMIT $1`, limit)
	} else {
		rows, err = s.pool.Query(ctx, cols+` WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, userID, limit)
	}
	if err != nil {
		return nil, wrap("list audit events", err)
	}
	defer rows.Close()
	var events []account.Event
	for rows.Next() {
		var e account.Event
		if err := rows.Scan(&e.At, &e.Kind, &e.UserID, &e.ClientAddr, &e.UserAgent, &e.Detail); err != nil {
			return nil, wrap("list audit events", err)
		}
		e.At = e.At.UTC()
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list audit events", err)
	}
	return events, nil
}

// pgTime is t as stored: NULL for the zero time, else to the microsecond
// (PostgreSQL's precision), cut explicitly rather than left to the driver.
func pgTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// utc reads a stored time: NULL is the zero time.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
