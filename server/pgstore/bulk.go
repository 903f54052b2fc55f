package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	dbrows "github.com/sspr-portal/sspr/server/internal/rows"
	"github.com/sspr-portal/sspr/server/sspr"
)

var (
	_ sspr.Reminders = (*Store)(nil)
	_ sspr.IDOrdered = (*Store)(nil)
)

// EachInIDOrder is true: EachRegistration orders by user_id COLLATE "C",
// the ids' bytes whatever the database's collation, as the embedded
// directory walks its accounts (and Go compares strings).
func (s *Store) EachInIDOrder() bool { return true }

// bulkTimeout is the least time EachRegistration is given, whatever the
// per-query timeout: a report over a million registrations reads for a
// while, and nobody waits on it at a page.
const bulkTimeout = 10 * time.Minute

// EachRegistration calls fn with every registration, ordered by user id
// byte by byte (COLLATE "C": the database's own collation may be a
// language's, which puts "a_b" before "a-b" or "é" before "f"), its
// answers in the order they were registered: one statement in one
// read-only transaction (one snapshot), streamed, so the rows are never
// all held at once.
func (s *Store) EachRegistration(ctx context.Context, fn func(sspr.Registration) error) error {
	timeout := max(s.timeout, bulkTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	var fnErr error
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// As Population: the per-query timeout is lifted for this
		// transaction alone.
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", timeout.Milliseconds())); err != nil {
			return err
		}
		// The passkeys are aggregated once, by user, and joined: a
		// subquery for them in the select list ran once for every
		// registration, passkeys or not, and was four fifths of the
		// statement's time over a million registrations (EXPLAIN
		// ANALYZE: 3.9 s, against 0.95 s joined).
		rows, err := tx.Query(ctx, `
SELECT r.user_id, r.email, r.email_confirmed_at, r.phone, r.phone_confirmed_at, r.answers_confirmed_at,
	r.lang, r.totp_key, r.totp_confirmed_at, coalesce(p.passkeys, '[]'), a.question_id
FROM registrations r
LEFT JOIN (
	SELECT user_id, json_agg(json_build_array(encode(id, 'hex'), name, encode(credential, 'hex'), created_at, last_used_at)
		ORDER BY created_at, id)::text AS passkeys
	FROM registration_passkeys GROUP BY user_id) p ON p.user_id = r.user_id
LEFT JOIN registration_answers a ON a.user_id = r.user_id
ORDER BY r.user_id COLLATE "C", a.position`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur *sspr.Registration
		for rows.Next() {
			var (
				got                             sspr.Registration
				emailAt, phoneAt, ansAt, totpAt *time.Time
				passkeys                        string
				questionID                      *string
			)
			if err := rows.Scan(&got.UserID, &got.Email, &emailAt, &got.Phone, &phoneAt, &ansAt, &got.Lang,
				&got.TOTPKey, &totpAt, &passkeys, &questionID); err != nil {
				return err
			}
			if cur == nil || cur.UserID != got.UserID {
				if cur != nil {
					if fnErr = fn(*cur); fnErr != nil {
						return fnErr
					}
				}
				got.EmailConfirmed, got.PhoneConfirmed, got.AnswersConfirmed = utc(emailAt), utc(phoneAt), utc(ansAt)
				got.TOTPConfirmed = utc(totpAt)
				var err error
				if got.Passkeys, err = dbrows.Passkeys([]byte(passkeys)); err != nil {
					return err
				}
				cur = &got
			}
			if questionID != nil {
				cur.Answers = append(cur.Answers, sspr.Answer{QuestionID: *questionID})
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if cur != nil {
			fnErr = fn(*cur)
		}
		return fnErr
	})
	if fnErr != nil {
		// fn's own error, as it is.
		return fnErr
	}
	return wrap("read registrations", err)
}

// ClaimReminder records that user is reminded at at unless they were
// reminded after since: one conditional upsert, which PostgreSQL runs
// under the row's lock, so of two servers claiming the same person at
// once the second sees the first's time and writes nothing.
func (s *Store) ClaimReminder(ctx context.Context, user string, at, since time.Time) (bool, error) {
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return false, err
	}
	defer cancel()
	tag, err := s.pool.Exec(ctx, `
INSERT INTO reminders (user_id, reminded_at) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET reminded_at = excluded.reminded_at
WHERE reminders.reminded_at <= $3`, user, at.UTC().Truncate(time.Microsecond), since.UTC())
	if err != nil {
		return false, wrap("claim reminder", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseReminder deletes user's claim made at at, and nothing later.
func (s *Store) ReleaseReminder(ctx context.Context, user string, at time.Time) error {
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	_, err = s.pool.Exec(ctx, `DELETE FROM reminders WHERE user_id = $1 AND reminded_at = $2`, user, at.UTC().Truncate(time.Microsecond))
	return wrap("release reminder", err)
}
