package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/server/canon"
	dbrows "github.com/sspr-portal/sspr/server/internal/rows"
	"github.com/sspr-portal/sspr/server/sspr"
)

var _ sspr.Store = (*Store)(nil)

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

// registrationQuery reads a registration and its answers in one
// statement, so in one snapshot. It does the same work for every user id,
// registered or not: the row of the id itself (k) always exists, and the
// answers are looked up by that id, not by the registration found, so
// both tables' indexes are searched either way (joined through the
// registration, the answers of an id without one were never looked for).
// A reset's start reads the typed id whether or not it is registered, and
// what it costs must not tell which. The answers can't outlive their
// registration (ON DELETE CASCADE), so looking them up by the id finds no
// others.
const registrationQuery = `
SELECT r.user_id IS NOT NULL, coalesce(r.email, ''), r.email_confirmed_at, coalesce(r.phone, ''),
	r.phone_confirmed_at, r.answers_confirmed_at, coalesce(r.lang, ''), r.totp_key, r.totp_confirmed_at,
	(SELECT coalesce(json_agg(json_build_array(encode(p.id, 'hex'), p.name, encode(p.credential, 'hex'), p.created_at, p.last_used_at)
		ORDER BY p.created_at, p.id), '[]')::text FROM registration_passkeys p WHERE p.user_id = k.user_id),
	a.question_id, a.hash
FROM (SELECT $1::text AS user_id) k
LEFT JOIN registrations r ON r.user_id = k.user_id
LEFT JOIN registration_answers a ON a.user_id = k.user_id
ORDER BY a.position`

// Registration returns what userID has registered, with the answer hashes
// in the order they were registered, or nil and no error when the user has
// registered nothing. One statement, so one snapshot: never half of a
// registration being replaced; and the same work whether or not the user
// has registered.
func (s *Store) Registration(ctx context.Context, userID string) (*sspr.Registration, error) {
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	rows, err := s.pool.Query(ctx, registrationQuery, userID)
	if err != nil {
		return nil, wrap("read registration", err)
	}
	defer rows.Close()
	var r *sspr.Registration
	for rows.Next() {
		var (
			found                           bool
			got                             sspr.Registration
			emailAt, phoneAt, ansAt, totpAt *time.Time
			passkeys                        string
			questionID, hash                *string
		)
		if err := rows.Scan(&found, &got.Email, &emailAt, &got.Phone, &phoneAt, &ansAt, &got.Lang,
			&got.TOTPKey, &totpAt, &passkeys, &questionID, &hash); err != nil {
			return nil, wrap("read registration", err)
		}
		if !found {
			// Not registered: the id's one row, all NULLs, read to the
			// end like any other.
			continue
		}
		if r == nil {
			got.UserID = userID
			got.EmailConfirmed, got.PhoneConfirmed, got.AnswersConfirmed = utc(emailAt), utc(phoneAt), utc(ansAt)
			got.TOTPConfirmed = utc(totpAt)
			if got.Passkeys, err = dbrows.Passkeys([]byte(passkeys)); err != nil {
				return nil, wrap("read registration", err)
			}
			r = &got
		}
		if questionID != nil && hash != nil {
			r.Answers = append(r.Answers, sspr.Answer{QuestionID: *questionID, Hash: *hash})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("read registration", err)
	}
	return r, nil
}

// populationQuery counts the registrations of each shape in one
// statement, grouped by PostgreSQL: the program gets a row per shape, not
// one per registration. The answers are counted in one pass over
// registration_answers and joined, rather than looked up user by user: a
// subquery per registration took longer, and its higher estimated cost
// made PostgreSQL spend a second compiling it (JIT).
//
// Of a confirmed address it keeps only what the shape is made of, as a
// short address: the first character, then everything from the first '@'
// ("a@example.net" for "alice@example.net"). Population reads the initial
// and the domain from it with canon.EmailInitial and canon.EmailDomain,
// exactly as from the whole address (both look for the last '@', which
// the short address keeps, and neither reads more of the local part than
// its first character), and as the hints of real addresses are made. The
// lower case is Go's, not PostgreSQL's, whose lower depends on the
// database's locale (only ASCII in the C locale). position, left and
// substr count characters, not bytes, so no character is cut in two.
const populationQuery = `
SELECT has_email, has_phone, answers, has_totp, has_passkey,
	CASE WHEN NOT has_email OR at = 0 THEN ''
		WHEN at = 1 THEN email
		ELSE left(email, 1) || substr(email, at) END AS hint,
	count(*)
FROM (
	SELECT r.email, position('@' in r.email) AS at,
		r.email <> '' AND r.email_confirmed_at IS NOT NULL AS has_email,
		r.phone <> '' AND r.phone_confirmed_at IS NOT NULL AS has_phone,
		r.totp_key IS NOT NULL AND r.totp_confirmed_at IS NOT NULL AS has_totp,
		pk.user_id IS NOT NULL AS has_passkey,
		CASE WHEN r.answers_confirmed_at IS NULL THEN 0 ELSE coalesce(a.n, 0) END AS answers
	FROM registrations r
	LEFT JOIN (SELECT user_id, count(*)::int AS n FROM registration_answers GROUP BY user_id) a ON a.user_id = r.user_id
	-- Joined, not an EXISTS for each registration: that subplan ran a
	-- million times for a million registrations, and was 3.6 s of the
	-- statement's 3.9 (1.3 s joined).
	LEFT JOIN (SELECT DISTINCT user_id FROM registration_passkeys) pk ON pk.user_id = r.user_id
) s
GROUP BY has_email, has_phone, answers, has_totp, has_passkey, hint`

// populationTimeout is the least time Population is given, whatever the
// configured timeout: it reads every registration (about 1.3 s for a
// million on the 2-core test machine), once an hour and with no user
// waiting, so the per-query timeout, there to keep users from waiting on a
// database that does not answer, would only make it fail.
const populationTimeout = time.Minute

// Population counts the registrations of each shape (see sspr.Shape),
// for the flows of unknown user ids to copy in their proportions. One
// statement, so one snapshot, however many registrations there are.
func (s *Store) Population(ctx context.Context) (sspr.Population, error) {
	timeout := max(s.timeout, populationTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	p := sspr.Population{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// The connection's statement_timeout is the per-query timeout;
		// SET LOCAL lifts it for this transaction alone.
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", timeout.Milliseconds())); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, populationQuery)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				shape sspr.Shape
				hint  string
				n     int
			)
			if err := rows.Scan(&shape.Email, &shape.Phone, &shape.Answers, &shape.TOTP, &shape.Passkey, &hint, &n); err != nil {
				return err
			}
			// Groups that differ only in case (or, for an address with
			// several '@', in what lies between them) merge here.
			shape.Domain, shape.Initial = canon.EmailDomain(hint), canon.EmailInitial(hint)
			p[shape] += n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("count registrations by shape", err)
	}
	return p, nil
}

// totpKey is NULL for no key, not an empty bytea.
func totpKey(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
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
func (s *Store) PutRegistration(ctx context.Context, r sspr.Registration) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("pgstore: put registration: %w", err)
	}
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return wrap("put registration", pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if r.Empty() {
			// Its answers go with it (ON DELETE CASCADE).
			_, err := tx.Exec(ctx, `DELETE FROM registrations WHERE user_id = $1`, r.UserID)
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at, lang,
	totp_key, totp_confirmed_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (user_id) DO UPDATE SET
	email = excluded.email, email_confirmed_at = excluded.email_confirmed_at,
	phone = excluded.phone, phone_confirmed_at = excluded.phone_confirmed_at,
	answers_confirmed_at = excluded.answers_confirmed_at, lang = excluded.lang,
	totp_key = excluded.totp_key, totp_confirmed_at = excluded.totp_confirmed_at, updated_at = excluded.updated_at`,
			r.UserID, r.Email, pgTime(r.EmailConfirmed), r.Phone, pgTime(r.PhoneConfirmed), pgTime(r.AnswersConfirmed), r.Lang,
			totpKey(r.TOTPKey), pgTime(r.TOTPConfirmed)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM registration_answers WHERE user_id = $1`, r.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM registration_passkeys WHERE user_id = $1`, r.UserID); err != nil {
			return err
		}
		for _, p := range r.Passkeys {
			if _, err := tx.Exec(ctx, `
INSERT INTO registration_passkeys (user_id, id, name, credential, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				r.UserID, p.ID, p.Name, p.Credential, p.Created, pgTime(p.LastUsed)); err != nil {
				return err
			}
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
// the current time; an event without a kind is refused. It returns once
// the event is committed, with those recorded at the same time
// (events.go). The write is not ctx's to cancel: it may be another
// request's too, and is bounded by the store's timeout.
func (s *Store) Record(ctx context.Context, e sspr.Event) error {
	if e.Kind == "" {
		return errors.New("pgstore: record audit event: no kind")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	// The schema in place, as for any operation, within ctx's time; the
	// write itself is the event writer's, bounded by its own. Once it is,
	// no timer: a reset records fourteen events.
	if !s.migrated.Load() {
		ready, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		if err := s.ready(ready); err != nil {
			return err
		}
	}
	return wrap("record audit event", s.events.Add(e))
}

// DefaultEventsLimit is how many events Events returns when asked for 0 or
// fewer.
const DefaultEventsLimit = 100

// Events returns the audit events q selects, newest first (of two at the
// same time, the later recorded first), at most q.Limit of them
// (DefaultEventsLimit when 0 or less).
func (s *Store) Events(ctx context.Context, q sspr.EventQuery) ([]sspr.Event, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultEventsLimit
	}
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	var (
		where []string
		args  []any
	)
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.User != "" {
		arg("user_id = $%d", q.User)
	}
	if q.Flow != "" {
		arg("flow = $%d", q.Flow)
	}
	if len(q.Kinds) > 0 {
		arg("kind = ANY($%d)", q.Kinds)
	}
	if !q.Since.IsZero() {
		arg("at >= $%d", pgTime(q.Since))
	}
	if !q.Until.IsZero() {
		arg("at < $%d", pgTime(q.Until))
	}
	query := `SELECT at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	rows, err := s.pool.Query(ctx, query+fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, wrap("list audit events", err)
	}
	defer rows.Close()
	var events []sspr.Event
	for rows.Next() {
		var e sspr.Event
		if err := rows.Scan(&e.At, &e.Kind, &e.UserID, &e.Flow, &e.Request, &e.Outcome, &e.ClientAddr, &e.UserAgent, &e.Detail); err != nil {
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

// PurgeEvents deletes the audit events older than before.
func (s *Store) PurgeEvents(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel, err := s.op(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_events WHERE at < $1`, pgTime(before))
	if err != nil {
		return 0, wrap("purge audit events", err)
	}
	return tag.RowsAffected(), nil
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
