package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

var _ sspr.Directory = (*Directory)(nil)

// DefaultHistoryLen is how many previous passwords are refused, besides the
// current one, when NewDirectory is given 0.
const DefaultHistoryLen = 5

// ErrNotFound is returned by the methods that change an account when there
// is no account with that id. It wraps sql.ErrNoRows.
var ErrNotFound = fmt.Errorf("sqlite: no such account: %w", sql.ErrNoRows)

// errChanged means the password changed between our read and our write.
var errChanged = errors.New("sqlite: the password changed meanwhile")

// Directory is the embedded directory: accounts in the SQLite file, with
// argon2id password hashes: an sspr.Directory.
type Directory struct {
	db         *DB
	h          *secret.Argon2
	historyLen int

	// locks serialise SetPassword per account (striped, so memory stays
	// bounded): the argon2id work runs before the write transaction, and
	// two resets of one account must not both pass the history check
	// against the same old state.
	locks [64]sync.Mutex
	seed  maphash.Seed

	dummyMu sync.Mutex
	dummy   string // a hash to verify against for unknown ids
}

// NewDirectory returns the directory in db, hashing with h. historyLen is
// how many previous passwords SetPassword refuses besides the current one:
// 0 means DefaultHistoryLen, a negative number keeps no history (only the
// current password is refused).
func NewDirectory(db *DB, h *secret.Argon2, historyLen int) *Directory {
	switch {
	case historyLen == 0:
		historyLen = DefaultHistoryLen
	case historyLen < 0:
		historyLen = 0
	}
	return &Directory{db: db, h: h, historyLen: historyLen, seed: maphash.MakeSeed()}
}

// Lookup returns the account whose canonical id is exactly id, or nil and
// no error when there is none. An account given an initial password by an
// import is MustChange until its password is set (SetPassword), and has no
// PasswordSetAt meanwhile.
func (d *Directory) Lookup(ctx context.Context, id string) (*sspr.Account, error) {
	a := sspr.Account{ID: id}
	var setAt sql.NullString
	err := d.db.read.QueryRowContext(ctx,
		`SELECT display_name, mail, locked, disabled, ou, password_set_at, must_change FROM accounts WHERE id = ?`, id,
	).Scan(&a.DisplayName, &a.Mail, &a.Locked, &a.Disabled, &a.OU, &setAt, &a.MustChange)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err == nil && !a.MustChange {
		a.PasswordSetAt, err = parseTime(setAt)
	}
	if err != nil {
		return nil, wrap(sspr.BackendDirectory, "look up account", err)
	}
	return &a, nil
}

// CheckPassword reports whether password is the account's current
// password. An unknown id is (false, nil), after the same argon2id work as
// a known one, so that timing doesn't tell which ids exist. It checks the
// password only: whether a locked or disabled account may sign in is the
// caller's decision.
func (d *Directory) CheckPassword(ctx context.Context, id, password string) (bool, error) {
	var hash string
	err := d.db.read.QueryRowContext(ctx,
		`SELECT password_hash FROM accounts WHERE id = ?`, id).Scan(&hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		dummy, err := d.dummyHash(ctx)
		if err != nil {
			return false, err
		}
		_, err = d.h.Verify(ctx, dummy, password)
		return false, err
	case err != nil:
		return false, wrap(sspr.BackendDirectory, "read password hash", err)
	case hash == "":
		// No password set: nothing can match.
		return false, nil
	}
	ok, err := d.h.Verify(ctx, hash, password)
	if err != nil {
		return false, fmt.Errorf("sqlite: check password: %w", err)
	}
	return ok, nil
}

func (d *Directory) dummyHash(ctx context.Context) (string, error) {
	d.dummyMu.Lock()
	defer d.dummyMu.Unlock()
	if d.dummy == "" {
		h, err := d.h.Hash(ctx, "no such account")
		if err != nil {
			return "", err
		}
		d.dummy = h
	}
	return d.dummy, nil
}

// historyRule is the rule SetPassword reports for a reused password.
var historyRule = sspr.Rule{Code: sspr.RuleHistory, Message: "You have used this password recently. Choose a new one."}

// SetPassword replaces the account's password with an argon2id hash of
// password. A password equal to the current one or to any of the last
// historyLen ones is refused with an *sspr.Error, code password_policy, rule
// history, and nothing changes. Otherwise the old hash joins the history,
// which is trimmed to historyLen, in the same transaction as the new hash.
// SetPassword does not change whether the account is locked; it ends an
// initial password's must_change (the password is the owner's now). An
// unknown id is ErrNotFound.
func (d *Directory) SetPassword(ctx context.Context, id, password string) error {
	mu := &d.locks[maphash.String(d.seed, id)%uint64(len(d.locks))]
	mu.Lock()
	defer mu.Unlock()

	// The per-account lock makes a change between read and write impossible
	// within this process; another process on the same file (a CLI tool)
	// could still make one, so the write checks and we try again.
	for range 3 {
		err := d.setPassword(ctx, id, password)
		if !errors.Is(err, errChanged) {
			return err
		}
	}
	return errChanged
}

func (d *Directory) setPassword(ctx context.Context, id, password string) error {
	// Hashing is slow (tens of ms each) and must not hold the single write
	// connection: read the hashes and do the argon2id work first, then
	// write in a short transaction that checks nothing moved meanwhile.
	var current string
	var old []string
	err := d.db.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx,
			`SELECT password_hash FROM accounts WHERE id = ?`, id).Scan(&current); err != nil {
			return err
		}
		var err error
		old, err = d.history(ctx, tx, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return wrap(sspr.BackendDirectory, "read password history", err)
	}

	used, err := d.usedBefore(ctx, password, append([]string{current}, old...))
	if err != nil {
		return fmt.Errorf("sqlite: check password history: %w", err)
	}
	if used {
		return &sspr.Error{
			Code:    sspr.CodePasswordPolicy,
			Message: "Choose a password you have not used recently.",
			Rules:   []sspr.Rule{historyRule},
		}
	}
	hash, err := d.h.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("sqlite: hash password: %w", err)
	}

	now := formatTime(time.Now())
	err = d.db.writeTx(ctx, func(tx *sql.Tx) error {
		var still string
		if err := tx.QueryRowContext(ctx,
			`SELECT password_hash FROM accounts WHERE id = ?`, id).Scan(&still); err != nil {
			return err
		}
		if still != current {
			return errChanged
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE accounts SET password_hash = ?, updated_at = ?, password_set_at = ?, must_change = 0 WHERE id = ?`, hash, now, now, id); err != nil {
			return err
		}
		if d.historyLen > 0 && current != "" {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO password_history (account_id, hash, set_at) VALUES (?, ?, ?)`,
				id, current, now); err != nil {
				return err
			}
		}
		// Keep the newest historyLen entries (none when history is off).
		_, err := tx.ExecContext(ctx, `
DELETE FROM password_history WHERE account_id = ? AND id NOT IN (
	SELECT id FROM password_history WHERE account_id = ? ORDER BY id DESC LIMIT ?)`,
			id, id, d.historyLen)
		return err
	})
	switch {
	case errors.Is(err, errChanged):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return wrap(sspr.BackendDirectory, "set password", err)
	}
	return nil
}

// history returns the account's previous password hashes, newest first,
// at most historyLen.
func (d *Directory) history(ctx context.Context, tx *sql.Tx, id string) ([]string, error) {
	if d.historyLen == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT hash FROM password_history WHERE account_id = ? ORDER BY id DESC LIMIT ?`, id, d.historyLen)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		hashes = append(hashes, h)
	}
	return hashes, rows.Err()
}

// usedBefore reports whether password matches any of hashes. The checks
// run concurrently (the hasher bounds how many at once), so a reset waits
// for about one argon2id computation rather than historyLen+1 of them. An
// unreadable stored hash is an error: corruption should be loud, not make
// the history check pass quietly.
func (d *Directory) usedBefore(ctx context.Context, password string, hashes []string) (bool, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		matched bool
		errs    []error
	)
	for _, h := range hashes {
		if h == "" {
			continue
		}
		wg.Go(func() {
			ok, err := d.h.Verify(ctx, h, password)
			mu.Lock()
			defer mu.Unlock()
			matched = matched || ok
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	return matched, nil
}

// Unlock clears the account's lockout. Unlocking an account that is not
// locked is not an error; an unknown id is ErrNotFound.
func (d *Directory) Unlock(ctx context.Context, id string) error {
	return d.setLocked(ctx, id, false)
}

// Lock locks the account out, as too many failed sign-ins would. An
// unknown id is ErrNotFound.
func (d *Directory) Lock(ctx context.Context, id string) error {
	return d.setLocked(ctx, id, true)
}

func (d *Directory) setLocked(ctx context.Context, id string, locked bool) error {
	op := "unlock account"
	if locked {
		op = "lock account"
	}
	// SQLite counts a row matched by UPDATE as changed even when the value
	// stays the same, so zero rows means no such account.
	res, err := d.db.write.ExecContext(ctx,
		`UPDATE accounts SET locked = ?, updated_at = ? WHERE id = ?`, locked, formatTime(time.Now()), id)
	if err != nil {
		return wrap(sspr.BackendDirectory, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(sspr.BackendDirectory, op, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// MemberOf reports whether the account is in the embedded directory's
// group of that name (account_groups; the dev seed puts its staff there).
// Its groups don't nest. An unknown account is no member.
func (d *Directory) MemberOf(ctx context.Context, id, group string) (bool, error) {
	var in bool
	err := d.db.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM account_groups WHERE account_id = ? AND group_name = ?)`, id, group).Scan(&in)
	if err != nil {
		return false, wrap(sspr.BackendDirectory, "group membership", err)
	}
	return in, nil
}

// Find returns at most limit accounts whose id or display name contains
// term, case aside, ordered by id.
func (d *Directory) Find(ctx context.Context, term string, limit int) ([]sspr.Account, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(term)) + "%"
	rows, err := d.db.read.QueryContext(ctx, `
SELECT id, display_name, mail, locked, disabled, must_change FROM accounts
WHERE lower(id) LIKE ? ESCAPE '\' OR lower(display_name) LIKE ? ESCAPE '\'
ORDER BY id LIMIT ?`, like, like, limit)
	if err != nil {
		return nil, wrap(sspr.BackendDirectory, "find accounts", err)
	}
	defer rows.Close()
	var out []sspr.Account
	for rows.Next() {
		var a sspr.Account
		if err := rows.Scan(&a.ID, &a.DisplayName, &a.Mail, &a.Locked, &a.Disabled, &a.MustChange); err != nil {
			return nil, wrap(sspr.BackendDirectory, "find accounts", err)
		}
		out = append(out, a)
	}
	return out, wrap(sspr.BackendDirectory, "find accounts", rows.Err())
}
