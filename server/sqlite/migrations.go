package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sspr-portal/sspr/server/sspr"
)

// migrations are the schema's steps, in order: migrations[i] takes the
// database from version i to version i+1 (the version is SQLite's
// PRAGMA user_version). Never edit a step that has shipped; add one.
var migrations = [...]string{
	// 1: the embedded directory, registrations and the audit log.
	`
CREATE TABLE accounts (
	id            TEXT PRIMARY KEY NOT NULL, -- canonical user id (package canon)
	display_name  TEXT NOT NULL DEFAULT '',
	mail          TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',  -- argon2id, PHC-style encoding
	locked        INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	updated_at    TEXT NOT NULL
) STRICT;

-- Hashes of passwords that were replaced, newest with the highest id.
CREATE TABLE password_history (
	id         INTEGER PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	set_at     TEXT NOT NULL -- when this password stopped being the current one
) STRICT;
CREATE INDEX password_history_account ON password_history(account_id, id);

-- No foreign key to accounts: with an LDAP directory the accounts table is
-- empty, and registrations still live here.
CREATE TABLE registrations (
	user_id              TEXT PRIMARY KEY NOT NULL,
	email                TEXT NOT NULL DEFAULT '',
	email_confirmed_at   TEXT,
	phone                TEXT NOT NULL DEFAULT '', -- E.164
	phone_confirmed_at   TEXT,
	answers_confirmed_at TEXT
) STRICT;

CREATE TABLE registration_answers (
	user_id     TEXT NOT NULL REFERENCES registrations(user_id) ON DELETE CASCADE,
	question_id TEXT NOT NULL,
	hash        TEXT NOT NULL, -- argon2id of the normalised answer
	PRIMARY KEY (user_id, question_id)
) STRICT;

CREATE TABLE audit_events (
	id          INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	kind        TEXT NOT NULL,
	user_id     TEXT NOT NULL DEFAULT '',
	client_addr TEXT NOT NULL DEFAULT '',
	user_agent  TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_events_user_at ON audit_events(user_id, at);
CREATE INDEX audit_events_at ON audit_events(at);
`,
	// 2: each audit event names its flow, its request and its outcome.
	`
ALTER TABLE audit_events ADD COLUMN flow TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_events_flow ON audit_events(flow) WHERE flow != '';
`,
	// 3: the embedded directory's groups (the service desk's staff).
	`
CREATE TABLE account_groups (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	group_name TEXT NOT NULL,
	PRIMARY KEY (account_id, group_name)
) STRICT;
`,
	// 4: the embedded directory's organisational units (the coverage
	// report's groups), and when each person was last reminded to
	// register (sspr remind unregistered).
	`
ALTER TABLE accounts ADD COLUMN ou TEXT NOT NULL DEFAULT '';
CREATE TABLE reminders (
	user_id     TEXT PRIMARY KEY NOT NULL,
	reminded_at TEXT NOT NULL -- timeLayout: the text sorts in time order
) STRICT;
`,
	// 5: when each embedded account's password was last set, for the
	// service desk's console (NULL: not known, as for accounts made
	// before this step).
	`
ALTER TABLE accounts ADD COLUMN password_set_at TEXT;
`,
	// 6: the language each person last used the registration pages in
	// ('': not known, as for registrations made before this step), for
	// the messages sent outside their own requests.
	`
ALTER TABLE registrations ADD COLUMN lang TEXT NOT NULL DEFAULT '';
`,
	// 7: the authenticator app's key, sealed (server/seal), and when a
	// first code confirmed it.
	`
ALTER TABLE registrations ADD COLUMN totp_key BLOB;
ALTER TABLE registrations ADD COLUMN totp_confirmed_at TEXT;
`,
	// 8: an embedded account whose password must be changed at the next
	// sign-in (an initial password given by an import).
	`
ALTER TABLE accounts ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1));
`,
	// 9: passkeys (WebAuthn credentials), several per person, each named.
	// The credential is go-webauthn's, as JSON: the public key, the sign
	// counter, the backup flags, the transports; nothing secret. Its id
	// is unique across accounts: one authenticator's credential belongs
	// to one account.
	`
CREATE TABLE registration_passkeys (
	user_id      TEXT NOT NULL REFERENCES registrations(user_id) ON DELETE CASCADE,
	id           BLOB NOT NULL,
	name         TEXT NOT NULL,
	credential   BLOB NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT,
	PRIMARY KEY (user_id, id)
) STRICT;
CREATE UNIQUE INDEX registration_passkeys_id ON registration_passkeys(id);
`,
}

// SchemaVersion is the schema version this program creates and expects.
const SchemaVersion = len(migrations)

// migrate applies the steps the database has not had yet, each in its own
// write transaction together with the new user_version, so a step is either
// wholly applied and recorded or not at all. The version is read inside the
// transaction: two processes opening a fresh file at once can't both apply
// a step.
func (db *DB) migrate(ctx context.Context) error {
	for {
		done := false
		err := db.writeTx(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return err
			}
			switch {
			case v > SchemaVersion:
				return fmt.Errorf("schema version %d is newer than this program's %d", v, SchemaVersion)
			case v == SchemaVersion:
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			// PRAGMA takes no parameters; v+1 is an int we computed.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1))
			return err
		})
		if err != nil {
			return wrap(sspr.BackendStore, "migrate "+db.path, err)
		}
		if done {
			return nil
		}
	}
}

// Version returns the schema version of the open database (its
// PRAGMA user_version); after Open it is SchemaVersion.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	if err := db.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, wrap(sspr.BackendStore, "schema version", err)
	}
	return v, nil
}
