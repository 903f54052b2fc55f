package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Bulk imports (`sspr accounts import`, `sspr registrations import`,
// docs/IMPORT.md), by package importer's rules: each batch of lines in one
// transaction, and in a few statements whatever its size, the batch's rows
// given as one JSON array that SQLite reads with json_each: a statement
// run once per row costs far more than the row itself (twice a million
// statements made an import of a million registrations three times
// slower).

// rowContext is ctx for the statements inside a batch's transaction:
// never cancelled, so that database/sql starts no goroutine to watch it
// for each statement. The transaction itself is begun with ctx: its end
// rolls the batch back, and the statements after that fail.
func rowContext(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// jsonParam is v as a statement's JSON parameter.
func jsonParam(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// storedAccount is an account as an import reads it, with its
// password_set_at as stored: kept as it is when the import keeps the
// password.
type storedAccount struct {
	importer.StoredAccount
	setAt sql.NullString
}

// readAccounts reads the accounts of ids that exist, in one statement.
func readAccounts(ctx context.Context, tx *sql.Tx, ids []string) (map[string]storedAccount, error) {
	list, err := jsonParam(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
SELECT a.id, a.display_name, a.mail, a.ou, a.locked, a.disabled, a.password_hash, a.must_change, a.password_set_at
FROM json_each(?) j JOIN accounts a ON a.id = j.value`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]storedAccount, len(ids))
	for rows.Next() {
		var (
			id, hash string
			a        storedAccount
		)
		if err := rows.Scan(&id, &a.Name, &a.Mail, &a.OU, &a.Locked, &a.Disabled, &hash, &a.MustChange, &a.setAt); err != nil {
			return nil, err
		}
		a.PasswordHash, a.SetByOwner = importer.Secret(hash), a.setAt.Valid
		out[id] = a
	}
	return out, rows.Err()
}

// lookup is ids' entry in m: nil for none.
func lookup(m map[string]storedAccount, id string) *storedAccount {
	if a, ok := m[id]; ok {
		return &a
	}
	return nil
}

// stored is a's importer.StoredAccount, nil for none.
func (a *storedAccount) stored() *importer.StoredAccount {
	if a == nil {
		return nil
	}
	return &a.StoredAccount
}

// samePassword reports whether a and b hold the password alike: an
// account changed meanwhile in anything else is planned again as it is.
func samePassword(a, b *importer.StoredAccount) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.PasswordHash == b.PasswordHash && a.MustChange == b.MustChange && a.SetByOwner == b.SetByOwner
}

// passwordWork is the argon2id work done for a line with an initial
// password before its batch's transaction: against what was stored then
// (seen), the step it came to and the hash to write.
type passwordWork struct {
	seen *importer.StoredAccount
	step importer.PasswordStep
	hash importer.Secret
}

// accountRow is an account as the batch's upsert writes it (json_each's
// element).
type accountRow struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Mail       string  `json:"mail"`
	OU         string  `json:"ou"`
	Locked     bool    `json:"locked"`
	Disabled   bool    `json:"disabled"`
	Hash       string  `json:"hash"`
	MustChange bool    `json:"must_change"`
	SetAt      *string `json:"set_at"` // NULL: the import wrote the password (not its owner's)
}

// upsertAccounts writes the batch's new and changed accounts. A JSON true
// is SQLite's 1, as the columns' CHECKs want.
const upsertAccounts = `
INSERT INTO accounts (id, display_name, mail, ou, locked, disabled, password_hash, must_change, updated_at, password_set_at)
SELECT value->>'id', value->>'name', value->>'mail', value->>'ou', value->>'locked', value->>'disabled', value->>'hash',
	value->>'must_change', ?, value->>'set_at'
FROM json_each(?) WHERE true
ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, mail = excluded.mail, ou = excluded.ou,
	locked = excluded.locked, disabled = excluded.disabled, password_hash = excluded.password_hash,
	must_change = excluded.must_change, updated_at = excluded.updated_at, password_set_at = excluded.password_set_at`

// ImportAccounts writes a batch of accounts (an importer.Sink): each
// added, or updated to what its line says, by importer.PasswordPlan's and
// importer.PlanAccount's rules; a password a person set through the
// portal is kept. The argon2id work of the initial passwords (hashing,
// and verifying those a first run gave) runs first, concurrently, bounded
// by the hasher, with no lock held; then one write transaction reads the
// accounts again and writes. An account whose password changed in between
// is planned again: kept if its owner set it, and the batch tried again
// (three times at most) if it now needs argon2id work. dryRun does the
// reads and the verifying, no hashing, and writes nothing.
func (d *Directory) ImportAccounts(ctx context.Context, batch []importer.Account, dryRun bool) ([]importer.Result, error) {
	for range 3 {
		res, err := d.importAccounts(ctx, batch, dryRun)
		if !errors.Is(err, errChanged) {
			return res, err
		}
	}
	return nil, wrap(sspr.BackendDirectory, "import accounts", errChanged)
}

func (d *Directory) importAccounts(ctx context.Context, batch []importer.Account, dryRun bool) ([]importer.Result, error) {
	work, err := d.passwordWork(ctx, batch, dryRun)
	if err != nil {
		return nil, err
	}
	res := make([]importer.Result, len(batch))
	txFn := d.db.writeTx
	if dryRun {
		txFn = d.db.readTx
	}
	err = txFn(ctx, func(tx *sql.Tx) error {
		rctx := rowContext(ctx)
		stored, err := readAccounts(rctx, tx, ids(batch, func(a importer.Account) string { return a.ID }))
		if err != nil {
			return err
		}
		var rows []accountRow
		for i, a := range batch {
			cur := lookup(stored, a.ID)
			step, hash := importer.PasswordPlan(cur.stored(), a), importer.Secret("")
			switch w := work[i]; {
			case w.step != 0 && samePassword(w.seen, cur.stored()):
				step, hash = w.step, w.hash
			case step == importer.PasswordSet:
				hash = a.PasswordHash
			case step == importer.PasswordVerify || step == importer.PasswordHash:
				return errChanged // argon2id work to do again, outside the transaction
			}
			next, r := importer.PlanAccount(cur.stored(), a, step, hash)
			res[i] = r
			if r.Outcome == importer.Unchanged {
				continue
			}
			row := accountRow{ID: a.ID, Name: next.Name, Mail: next.Mail, OU: next.OU, Locked: next.Locked, Disabled: next.Disabled,
				Hash: string(next.PasswordHash), MustChange: next.MustChange}
			if cur != nil && cur.setAt.Valid && step != importer.PasswordSet && step != importer.PasswordHash {
				row.SetAt = &cur.setAt.String // the password stays, and when it was set with it
			}
			rows = append(rows, row)
		}
		if dryRun || len(rows) == 0 {
			return nil
		}
		list, err := jsonParam(rows)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(rctx, upsertAccounts, formatTime(time.Now()), list)
		return err
	})
	if errors.Is(err, errChanged) {
		return nil, err
	}
	if err != nil {
		return nil, wrap(sspr.BackendDirectory, "import accounts", err)
	}
	return res, nil
}

// ids are the batch's ids.
func ids[T any](batch []T, id func(T) string) []string {
	out := make([]string, len(batch))
	for i, x := range batch {
		out[i] = id(x)
	}
	return out
}

// passwordWork does the argon2id work of the batch's initial passwords,
// against the accounts as they are now (one read transaction): verifying
// the initial password a first run stored (a second run), or hashing a
// new one. Nothing is hashed for a dry run: it writes no hash.
func (d *Directory) passwordWork(ctx context.Context, batch []importer.Account, dryRun bool) ([]passwordWork, error) {
	work := make([]passwordWork, len(batch))
	var initial []string
	for _, a := range batch {
		if a.InitialPassword != "" {
			initial = append(initial, a.ID)
		}
	}
	if len(initial) == 0 {
		return work, nil // hashes only: nothing to do before the transaction
	}
	var stored map[string]storedAccount
	err := d.db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		stored, err = readAccounts(rowContext(ctx), tx, initial)
		return err
	})
	if err != nil {
		return nil, wrap(sspr.BackendDirectory, "import accounts", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i, a := range batch {
		if a.InitialPassword == "" {
			continue
		}
		w := &work[i]
		w.seen = lookup(stored, a.ID).stored()
		w.step = importer.PasswordPlan(w.seen, a)
		if w.step != importer.PasswordVerify && (w.step != importer.PasswordHash || dryRun) {
			continue
		}
		// One goroutine each: the hasher lets so many run at once, and
		// each goroutine writes its own element.
		wg.Go(func() {
			if err := d.hashInitial(ctx, w, string(a.InitialPassword), dryRun); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("line %d: %w", a.Line, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sqlite: import accounts: %w", err)
	}
	return work, nil
}

// hashInitial settles w for an initial password: verified against the
// stored one (PasswordSame when it matches), else hashed (PasswordHash).
// The errors name no password.
func (d *Directory) hashInitial(ctx context.Context, w *passwordWork, password string, dryRun bool) error {
	if w.step == importer.PasswordVerify {
		same, err := d.h.Verify(ctx, string(w.seen.PasswordHash), password)
		if err != nil {
			return fmt.Errorf("verify the stored initial password: %w", err)
		}
		if same {
			w.step = importer.PasswordSame
			return nil
		}
		w.step = importer.PasswordHash
		if dryRun {
			return nil
		}
	}
	hash, err := d.h.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("hash the initial password: %w", err)
	}
	w.hash = importer.Secret(hash)
	return nil
}

// Mails returns the primary address of each of ids that is an account,
// in one statement (an importer.Mails, for importer.CheckAccounts).
func (d *Directory) Mails(ctx context.Context, ids []string) (map[string]string, error) {
	list, err := jsonParam(ids)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.read.QueryContext(ctx,
		`SELECT a.id, a.mail FROM json_each(?) j JOIN accounts a ON a.id = j.value`, list)
	if err != nil {
		return nil, wrap(sspr.BackendDirectory, "read accounts", err)
	}
	defer rows.Close()
	out := make(map[string]string, len(ids))
	for rows.Next() {
		var id, mail string
		if err := rows.Scan(&id, &mail); err != nil {
			return nil, wrap(sspr.BackendDirectory, "read accounts", err)
		}
		out[id] = mail
	}
	return out, wrap(sspr.BackendDirectory, "read accounts", rows.Err())
}

// registrationRow is a registration's email and mobile as the batch's
// upsert writes them (json_each's element).
type registrationRow struct {
	ID      string `json:"id"`
	Email   string `json:"email"`
	EmailAt any    `json:"email_at"` // formatTime's: text, or null
	Phone   string `json:"phone"`
	PhoneAt any    `json:"phone_at"`
}

// upsertRegistrations writes the batch's new and changed registrations:
// only the email and the mobile; the answers, the authenticator app, the
// passkeys and the language stay as they are.
const upsertRegistrations = `
INSERT INTO registrations (user_id, email, email_confirmed_at, phone, phone_confirmed_at)
SELECT value->>'id', value->>'email', value->>'email_at', value->>'phone', value->>'phone_at'
FROM json_each(?) WHERE true
ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, email_confirmed_at = excluded.email_confirmed_at,
	phone = excluded.phone, phone_confirmed_at = excluded.phone_confirmed_at`

// ImportRegistrations writes a batch of registrations (an importer.Sink)
// in one write transaction: each person's alternate address and mobile
// as their line says, confirmed (importer.PlanRegistration's rules); the
// rest of an existing registration is left as it is, and none is ever
// deleted. dryRun reads and writes nothing.
func (s *Store) ImportRegistrations(ctx context.Context, batch []importer.Registration, dryRun bool) ([]importer.Result, error) {
	now := time.Now()
	res := make([]importer.Result, len(batch))
	txFn := s.db.writeTx
	if dryRun {
		txFn = s.db.readTx
	}
	err := txFn(ctx, func(tx *sql.Tx) error {
		rctx := rowContext(ctx)
		stored, err := readRegistrations(rctx, tx, ids(batch, func(r importer.Registration) string { return r.ID }))
		if err != nil {
			return err
		}
		var rows []registrationRow
		for i, r := range batch {
			var cur *importer.StoredRegistration
			if st, ok := stored[r.ID]; ok {
				cur = &st
			}
			next, out := importer.PlanRegistration(cur, r, now)
			res[i].Outcome = out
			if out != importer.Unchanged {
				rows = append(rows, registrationRow{ID: r.ID, Email: next.Email, EmailAt: formatTime(next.EmailConfirmed),
					Phone: next.Phone, PhoneAt: formatTime(next.PhoneConfirmed)})
			}
		}
		if dryRun || len(rows) == 0 {
			return nil
		}
		list, err := jsonParam(rows)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(rctx, upsertRegistrations, list)
		return err
	})
	if err != nil {
		return nil, wrap(sspr.BackendStore, "import registrations", err)
	}
	return res, nil
}

// readRegistrations reads the email and mobile of the registrations of
// ids that exist, in one statement.
func readRegistrations(ctx context.Context, tx *sql.Tx, ids []string) (map[string]importer.StoredRegistration, error) {
	list, err := jsonParam(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
SELECT r.user_id, r.email, r.email_confirmed_at, r.phone, r.phone_confirmed_at
FROM json_each(?) j JOIN registrations r ON r.user_id = j.value`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]importer.StoredRegistration, len(ids))
	for rows.Next() {
		var (
			id               string
			r                importer.StoredRegistration
			emailAt, phoneAt sql.NullString
		)
		if err := rows.Scan(&id, &r.Email, &emailAt, &r.Phone, &phoneAt); err != nil {
			return nil, err
		}
		if r.EmailConfirmed, err = parseTime(emailAt); err != nil {
			return nil, err
		}
		if r.PhoneConfirmed, err = parseTime(phoneAt); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}

// Seen is an importer.Seen on disk: a private temporary SQLite database
// of its own, which SQLite deletes when it is closed, so that the ids of
// a file of any length are remembered in constant memory (SQLite's page
// cache), whichever store the import writes to.
type Seen struct {
	db *sql.DB
}

// OpenSeen opens an empty Seen. Close it to delete it.
func OpenSeen(ctx context.Context) (*Seen, error) {
	// An empty file name is a private temporary database, on disk.
	db, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the import's ids: %w", err)
	}
	// The database lives as long as its one connection.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, `
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE seen (id TEXT PRIMARY KEY NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID;`); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open the import's ids: %w", err)
	}
	return &Seen{db: db}, nil
}

// Add implements importer.Seen, in two statements: the ids not seen
// before are added, with their lines (of an id twice in ids, the first:
// json_each reads the array in order, and the insert keeps the first row
// of an id); then each id's line is read back, which is its own for an id
// new here.
func (s *Seen) Add(ctx context.Context, ids []string, lines []int) ([]int, error) {
	pairs := make([][2]any, len(ids))
	for i, id := range ids {
		pairs[i] = [2]any{id, lines[i]}
	}
	list, err := jsonParam(pairs)
	if err != nil {
		return nil, err
	}
	rctx := rowContext(ctx)
	if _, err := s.db.ExecContext(rctx, `
INSERT INTO seen (id, line) SELECT value->>0, value->>1 FROM json_each(?) WHERE true ON CONFLICT (id) DO NOTHING`, list); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(rctx, `
SELECT j.key, s.line FROM json_each(?) j JOIN seen s ON s.id = j.value->>0`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	first := make([]int, len(ids))
	for rows.Next() {
		var i, line int
		if err := rows.Scan(&i, &line); err != nil {
			return nil, err
		}
		if i < 0 || i >= len(ids) {
			return nil, fmt.Errorf("sqlite: the import's ids: index %d of %d", i, len(ids))
		}
		if line != lines[i] {
			first[i] = line
		}
	}
	return first, rows.Err()
}

// Close deletes the ids.
func (s *Seen) Close() error { return s.db.Close() }

var _ importer.Seen = (*Seen)(nil)
