package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema's steps, in order: migrations[i] takes the
// database from version i to version i+1 (the highest version in
// sspr_schema_migrations). Never edit a step that has shipped, and never
// drop or rewrite data in one: add a step.
var migrations = [...]string{
	// 1: registrations and the audit log. No foreign key to accounts: the
	// directory is elsewhere (LDAP, or the embedded SQLite file).
	`
CREATE TABLE registrations (
	user_id              text PRIMARY KEY,        -- canonical user id (package canon)
	email                text NOT NULL DEFAULT '',
	email_confirmed_at   timestamptz,
	phone                text NOT NULL DEFAULT '', -- E.164
	phone_confirmed_at   timestamptz,
	answers_confirmed_at timestamptz,
	updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registration_answers (
	user_id     text NOT NULL REFERENCES registrations(user_id) ON DELETE CASCADE,
	position    integer NOT NULL,                  -- the order they were registered in
	question_id text NOT NULL,
	hash        text NOT NULL,                     -- argon2id of the normalised answer
	PRIMARY KEY (user_id, question_id),
	UNIQUE (user_id, position)
);

CREATE TABLE audit_events (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at          timestamptz NOT NULL,
	kind        text NOT NULL,
	user_id     text NOT NULL DEFAULT '',
	client_addr text NOT NULL DEFAULT '',
	user_agent  text NOT NULL DEFAULT '',
	detail      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_user_at ON audit_events (user_id, at);
CREATE INDEX audit_events_at ON audit_events (at);
`,
	// 2: each audit event names its flow, its request and its outcome.
	`
ALTER TABLE audit_events ADD COLUMN flow text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN request_id text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN outcome text NOT NULL DEFAULT '';
CREATE INDEX audit_events_flow ON audit_events (flow) WHERE flow <> '';
`,
	// 3: when each person was last reminded to register (sspr remind
	// unregistered). The role that runs the servers needs SELECT,
	// INSERT, UPDATE and DELETE on it.
	`
CREATE TABLE reminders (
	user_id     text PRIMARY KEY,
	reminded_at timestamptz NOT NULL
);
`,
	// 4: the language each person last used the registration pages in
	// ('': not known, as for registrations made before this step), for
	// the messages sent outside their own requests. A column with a
	// constant default is added without rewriting the table.
	`
ALTER TABLE registrations ADD COLUMN lang text NOT NULL DEFAULT '';
`,
	// 5: the authenticator app's key, sealed (server/seal), and when a
	// first code confirmed it. Nullable columns: no rewrite either.
	`
ALTER TABLE registrations ADD COLUMN totp_key bytea;
ALTER TABLE registrations ADD COLUMN totp_confirmed_at timestamptz;
`,
	// 6: passkeys (WebAuthn credentials), several per person, each named;
	// the credential as go-webauthn's JSON (nothing secret), its id
	// unique across accounts.
	`
CREATE TABLE registration_passkeys (
	user_id      text NOT NULL REFERENCES registrations(user_id) ON DELETE CASCADE,
	id           bytea NOT NULL,
	name         text NOT NULL,
	credential   bytea NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX registration_passkeys_id ON registration_passkeys(id);
`,
}

// SchemaVersion is the schema version this program creates and expects.
const SchemaVersion = len(migrations)

// migrationLock is the key of the transaction-level advisory lock taken
// around every migration step, so that servers starting at once apply each
// step once (the others wait, then find it applied). The number is fixed
// for ever: "sspr" in ASCII.
const migrationLock = 0x73737072

// runMigrations applies the steps the database has not had yet, each in
// its own transaction together with its row in sspr_schema_migrations, so
// a step is either wholly applied and recorded or not at all. It refuses a
// database whose schema is newer than this program knows.
func (s *Store) runMigrations(ctx context.Context) error {
	for {
		done, applied := false, 0
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
				return err
			}
			// Under the lock: no other server is creating it. Only when
			// it is missing: CREATE TABLE IF NOT EXISTS needs the right to
			// create even when the table is there, and a role with data
			// rights alone must be able to start once the owner migrated.
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT to_regclass('sspr_schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := tx.Exec(ctx, `
CREATE TABLE sspr_schema_migrations (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
					return err
				}
			}
			var v int
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM sspr_schema_migrations`).Scan(&v); err != nil {
				return err
			}
			switch {
			case v > SchemaVersion:
				return &newerError{v}
			case v == SchemaVersion:
				done = true
				return nil
			}
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			applied = v + 1
			_, err := tx.Exec(ctx, `INSERT INTO sspr_schema_migrations (version) VALUES ($1)`, applied)
			return err
		})
		if err != nil {
			var ne *newerError
			if errors.As(err, &ne) {
				return fmt.Errorf("pgstore: migrate: %w", err)
			}
			return wrap("migrate", err)
		}
		if done {
			return nil
		}
		s.log.Info("PostgreSQL schema migrated", "version", applied)
	}
}

// newerError is a schema from a newer program: never touched, never
// downgraded.
type newerError struct{ version int }

func (e *newerError) Error() string {
	return fmt.Sprintf("schema version %d is newer than this program's %d: run the newer program, or restore a backup", e.version, SchemaVersion)
}

// Version returns the schema version of the database; after a successful
// Open it is SchemaVersion.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM sspr_schema_migrations`).Scan(&v)
	return v, wrap("schema version", err)
}
