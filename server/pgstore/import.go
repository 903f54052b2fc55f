package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/server/importer"
)

// importTimeout is the least time a batch of an import is given, whatever
// the per-query timeout: a few thousand rows take milliseconds, but on a
// busy database nobody is waiting at a page for them.
const importTimeout = time.Minute

// ImportRegistrations writes a batch of registrations (an importer.Sink,
// for `sspr registrations import`) in one transaction: each person's
// alternate address and mobile as their line says, confirmed, by
// importer.PlanRegistration's rules; the rest of an existing registration
// (answers, authenticator app, passkeys, language) stays as it is, and
// none is ever deleted. The batch's rows are read in one statement, under
// their locks (taken in id order, so that two imports at once can't
// deadlock), and the changed ones written in one more. dryRun reads, in a
// read-only transaction, and writes nothing.
func (s *Store) ImportRegistrations(ctx context.Context, batch []importer.Registration, dryRun bool) ([]importer.Result, error) {
	timeout := max(s.timeout, importTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.ID
	}
	now := time.Now()
	res := make([]importer.Result, len(batch))
	opts := pgx.TxOptions{}
	if dryRun {
		opts.AccessMode = pgx.ReadOnly
	}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		// As Population: the per-query timeout is lifted for this
		// transaction alone.
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", timeout.Milliseconds())); err != nil {
			return err
		}
		stored, err := readRegistrations(ctx, tx, ids, !dryRun)
		if err != nil {
			return err
		}
		var w registrationWrites
		for i, r := range batch {
			var cur *importer.StoredRegistration
			if st, ok := stored[r.ID]; ok {
				cur = &st
			}
			next, out := importer.PlanRegistration(cur, r, now)
			res[i].Outcome = out
			if out != importer.Unchanged {
				w.add(r.ID, next)
			}
		}
		if dryRun || len(w) == 0 {
			return nil
		}
		return w.exec(ctx, tx)
	})
	if err != nil {
		return nil, wrap("import registrations", err)
	}
	return res, nil
}

// readRegistrations reads the email and mobile of the registrations of
// ids that exist; lock takes their rows' locks, in id order.
func readRegistrations(ctx context.Context, tx pgx.Tx, ids []string, lock bool) (map[string]importer.StoredRegistration, error) {
	q := `SELECT user_id, email, email_confirmed_at, phone, phone_confirmed_at FROM registrations WHERE user_id = ANY($1) ORDER BY user_id`
	if lock {
		q += ` FOR UPDATE`
	}
	rows, err := tx.Query(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]importer.StoredRegistration, len(ids))
	for rows.Next() {
		var (
			id               string
			r                importer.StoredRegistration
			emailAt, phoneAt *time.Time
		)
		if err := rows.Scan(&id, &r.Email, &emailAt, &r.Phone, &phoneAt); err != nil {
			return nil, err
		}
		r.EmailConfirmed, r.PhoneConfirmed = utc(emailAt), utc(phoneAt)
		out[id] = r
	}
	return out, rows.Err()
}

// registrationWrites are the rows a batch changes.
type registrationWrites []registrationWrite

type registrationWrite struct {
	id string
	r  importer.StoredRegistration
}

func (w *registrationWrites) add(id string, r importer.StoredRegistration) {
	*w = append(*w, registrationWrite{id, r})
}

// exec writes the rows in one upsert, new and changed alike, in id order
// (the order of the locks the new ones take).
func (w registrationWrites) exec(ctx context.Context, tx pgx.Tx) error {
	slices.SortFunc(w, func(a, b registrationWrite) int { return cmp.Compare(a.id, b.id) })
	n := len(w)
	ids, emails, phones := make([]string, n), make([]string, n), make([]string, n)
	emailAt, phoneAt := make([]*time.Time, n), make([]*time.Time, n)
	for i, x := range w {
		ids[i], emails[i], phones[i] = x.id, x.r.Email, x.r.Phone
		emailAt[i], phoneAt[i] = orNull(x.r.EmailConfirmed), orNull(x.r.PhoneConfirmed)
	}
	_, err := tx.Exec(ctx, `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at, updated_at)
SELECT u, e, ea, p, pa, now() FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[]) AS t (u, e, ea, p, pa)
ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, email_confirmed_at = excluded.email_confirmed_at,
	phone = excluded.phone, phone_confirmed_at = excluded.phone_confirmed_at, updated_at = excluded.updated_at`,
		ids, emails, emailAt, phones, phoneAt)
	return err
}

// orNull is t for a timestamptz, NULL for the zero time.
func orNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
