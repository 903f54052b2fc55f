package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	dbrows "github.com/sspr-portal/sspr/server/internal/rows"
	"github.com/sspr-portal/sspr/server/sspr"
)

var _ sspr.Store = (*Store)(nil)

// Store keeps registrations and audit events in the SQLite file: an
// sspr.Store.
//
// Its statements are prepared once per connection, like every statement
// on the file (stmtcache.go): a reset reads the registration several
// times and records a dozen audit events.
type Store struct {
	db     *DB
	events *eventWriter
}

// NewStore returns the store in db.
func NewStore(db *DB) *Store { return &Store{db: db, events: newEventWriter(db.write)} }

// registrationQuery reads a registration and its answers in one
// statement, so in one snapshot. It reads the same for every user id,
// registered or not: the row of the id itself (k) always exists, and the
// answers are looked up by that id, not by the registration found, so both
// tables' indexes are searched either way. A reset's start reads the typed
// id whether or not it is registered, and what it costs must not tell
// which (a second statement for a registered id made its start about
// 0.4 ms slower). The answers can't outlive their registration (ON DELETE
// CASCADE), so looking them up by the id finds no others.
const registrationQuery = `
SELECT r.user_id IS NOT NULL, coalesce(r.email, ''), r.email_confirmed_at, coalesce(r.phone, ''),
	r.phone_confirmed_at, r.answers_confirmed_at, coalesce(r.lang, ''), r.totp_key, r.totp_confirmed_at,
	(SELECT json_group_array(json_array(hex(p.id), p.name, hex(p.credential), p.created_at, p.last_used_at))
		FROM (SELECT * FROM registration_passkeys p WHERE p.user_id = k.user_id ORDER BY p.rowid) p),
	a.question_id, a.hash
FROM (SELECT ? AS user_id) k
LEFT JOIN registrations r ON r.user_id = k.user_id
LEFT JOIN registration_answers a ON a.user_id = k.user_id
ORDER BY a.rowid`

// Registration returns what userID has registered, with the answer hashes
// in the order they were registered, or nil and no error when the user has
// registered nothing. It runs the same statement, and searches the same
// indexes, whether or not the user has registered.
func (s *Store) Registration(ctx context.Context, userID string) (*sspr.Registration, error) {
	rows, err := s.db.read.QueryContext(ctx, registrationQuery, userID)
	if err != nil {
		return nil, wrap(sspr.BackendStore, "read registration", err)
	}
	defer rows.Close()
	var r *sspr.Registration
	for rows.Next() {
		var (
			found                               bool
			got                                 sspr.Registration
			emailAt, phoneAt, answersAt, totpAt sql.NullString
			passkeys                            []byte
			questionID, hash                    sql.NullString
		)
		if err := rows.Scan(&found, &got.Email, &emailAt, &got.Phone, &phoneAt, &answersAt, &got.Lang,
			&got.TOTPKey, &totpAt, &passkeys, &questionID, &hash); err != nil {
			return nil, wrap(sspr.BackendStore, "read registration", err)
		}
		if !found {
			// Not registered: the id's one row, all NULLs, read to the
			// end like any other.
			continue
		}
		if r == nil {
			got.UserID = userID
			if got.EmailConfirmed, err = parseTime(emailAt); err != nil {
				return nil, wrap(sspr.BackendStore, "read registration", err)
			}
			if got.PhoneConfirmed, err = parseTime(phoneAt); err != nil {
				return nil, wrap(sspr.BackendStore, "read registration", err)
			}
			if got.AnswersConfirmed, err = parseTime(answersAt); err != nil {
				return nil, wrap(sspr.BackendStore, "read registration", err)
			}
			if got.TOTPConfirmed, err = parseTime(totpAt); err != nil {
				return nil, wrap(sspr.BackendStore, "read registration", err)
			}
			if got.Passkeys, err = dbrows.Passkeys(passkeys); err != nil {
				return nil, wrap(sspr.BackendStore, "read registration", err)
			}
			r = &got
		}
		if questionID.Valid && hash.Valid {
			r.Answers = append(r.Answers, sspr.Answer{QuestionID: questionID.String, Hash: hash.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(sspr.BackendStore, "read registration", err)
	}
	return r, nil
}

// PutRegistration replaces everything r.UserID has registered with r, in
// one transaction. A registration with no email, phone or answers removes
// the user's registration, so that Registration then returns nil. Answer
// hashes must be argon2id encodings (see package secret): a plain answer
// is refused rather than stored.
func (s *Store) PutRegistration(ctx context.Context, r sspr.Registration) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("sqlite: put registration: %w", err)
	}
	return wrap(sspr.BackendStore, "put registration", s.db.writeTx(ctx, func(tx *sql.Tx) error {
		return putRegistration(ctx, tx, r)
	}))
}

// putRegistration writes r inside tx; r has been checked.
func putRegistration(ctx context.Context, tx *sql.Tx, r sspr.Registration) error {
	// Deleting the row deletes its answers too (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE user_id = ?`, r.UserID); err != nil {
		return err
	}
	if r.Empty() {
		return nil
	}
	var totpKey []byte
	if len(r.TOTPKey) > 0 {
		totpKey = r.TOTPKey // NULL, not an empty blob, for none
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at, answers_confirmed_at, lang,
	totp_key, totp_confirmed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.UserID, r.Email, formatTime(r.EmailConfirmed), r.Phone, formatTime(r.PhoneConfirmed),
		formatTime(r.AnswersConfirmed), r.Lang, totpKey, formatTime(r.TOTPConfirmed)); err != nil {
		return err
	}
	for _, a := range r.Answers {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO registration_answers (user_id, question_id, hash) VALUES (?, ?, ?)`,
			r.UserID, a.QuestionID, a.Hash); err != nil {
			return err
		}
	}
	for _, p := range r.Passkeys {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO registration_passkeys (user_id, id, name, credential, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.UserID, p.ID, p.Name, p.Credential, formatTime(p.Created), formatTime(p.LastUsed)); err != nil {
			return err
		}
	}
	return nil
}

// populationQuery counts the registrations of each shape in one pass over
// registrations, grouped by SQLite: the program gets a row per shape, not
// one per registration. The answers are counted through
// registration_answers' primary key index (user_id first), and only when
// confirmed.
//
// Of a confirmed address it keeps only what the shape is made of, as a
// short address: the first character, then everything from the first '@'
// ("a@example.net" for "alice@example.net"). Population reads the initial
// and the domain from it with canon.EmailInitial and canon.EmailDomain,
// exactly as from the whole address (both look for the last '@', which
// the short address keeps, and neither reads more of the local part than
// its first character), and as the hints of real addresses are made. That
// leaves SQLite a search for the first '@' (it has no "last index of"),
// and leaves the lower case to Go (SQLite's lower knows only ASCII).
// instr and substr count characters, not bytes, so no character is cut
// in two.
const populationQuery = `
SELECT has_email, has_phone, answers, has_totp, has_passkey,
	CASE WHEN NOT has_email OR at = 0 THEN ''
		WHEN at = 1 THEN email
		ELSE substr(email, 1, 1) || substr(email, at) END AS hint,
	count(*)
FROM (
	SELECT email, instr(email, '@') AS at,
		email != '' AND email_confirmed_at IS NOT NULL AS has_email,
		phone != '' AND phone_confirmed_at IS NOT NULL AS has_phone,
		totp_key IS NOT NULL AND totp_confirmed_at IS NOT NULL AS has_totp,
		EXISTS (SELECT 1 FROM registration_passkeys p WHERE p.user_id = r.user_id) AS has_passkey,
		CASE WHEN answers_confirmed_at IS NULL THEN 0
			ELSE (SELECT count(*) FROM registration_answers a WHERE a.user_id = r.user_id) END AS answers
	FROM registrations r
)
GROUP BY has_email, has_phone, answers, has_totp, has_passkey, hint`

// Population counts the registrations of each shape (see sspr.Shape),
// for the flows of unknown user ids to copy in their proportions. One
// statement, so one snapshot, however many registrations there are.
func (s *Store) Population(ctx context.Context) (sspr.Population, error) {
	rows, err := s.db.read.QueryContext(ctx, populationQuery)
	if err != nil {
		return nil, wrap(sspr.BackendStore, "count registrations by shape", err)
	}
	defer rows.Close()
	p := sspr.Population{}
	for rows.Next() {
		var (
			shape sspr.Shape
			hint  string
			n     int
		)
		if err := rows.Scan(&shape.Email, &shape.Phone, &shape.Answers, &shape.TOTP, &shape.Passkey, &hint, &n); err != nil {
			return nil, wrap(sspr.BackendStore, "count registrations by shape", err)
		}
		// Groups that differ only in case (or, for an address with
		// several '@', in what lies between them) merge here.
		shape.Domain, shape.Initial = canon.EmailDomain(hint), canon.EmailInitial(hint)
		p[shape] += n
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(sspr.BackendStore, "count registrations by shape", err)
	}
	return p, nil
}

// Record appends an audit event. An event without a time is stamped with
// the current time; an event without a kind is refused. It returns once
// the event is committed, with those recorded at the same time (events.go).
func (s *Store) Record(_ context.Context, e sspr.Event) error {
	if e.Kind == "" {
		return errors.New("sqlite: record audit event: no kind")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	args := []any{formatTime(e.At), e.Kind, e.UserID, e.Flow, e.Request, e.Outcome, e.ClientAddr, e.UserAgent, e.Detail}
	return wrap(sspr.BackendStore, "record audit event", s.events.Add(args))
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
	var (
		where []string
		args  []any
	)
	if q.User != "" {
		where, args = append(where, "user_id = ?"), append(args, q.User)
	}
	if q.Flow != "" {
		where, args = append(where, "flow = ?"), append(args, q.Flow)
	}
	if len(q.Kinds) > 0 {
		where = append(where, "kind IN (?"+strings.Repeat(", ?", len(q.Kinds)-1)+")")
		for _, k := range q.Kinds {
			args = append(args, k)
		}
	}
	// The times are stored as fixed-width UTC text (formatTime), which
	// sorts as the times do.
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, formatTime(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, formatTime(q.Until))
	}
	query := `SELECT at, kind, user_id, flow, request_id, outcome, client_addr, user_agent, detail FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.read.QueryContext(ctx, query+` ORDER BY at DESC, id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, wrap(sspr.BackendStore, "list audit events", err)
	}
	defer rows.Close()
	var events []sspr.Event
	for rows.Next() {
		var e sspr.Event
		var at sql.NullString
		if err := rows.Scan(&at, &e.Kind, &e.UserID, &e.Flow, &e.Request, &e.Outcome, &e.ClientAddr, &e.UserAgent, &e.Detail); err != nil {
			return nil, wrap(sspr.BackendStore, "list audit events", err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, wrap(sspr.BackendStore, "list audit events", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(sspr.BackendStore, "list audit events", err)
	}
	return events, nil
}

// PurgeEvents deletes the audit events older than before.
func (s *Store) PurgeEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM audit_events WHERE at < ?`, formatTime(before))
	if err != nil {
		return 0, wrap(sspr.BackendStore, "purge audit events", err)
	}
	n, err := res.RowsAffected()
	return n, wrap(sspr.BackendStore, "purge audit events", err)
}
