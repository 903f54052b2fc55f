package portal

import (
	"context"
	"log/slog"

	"github.com/sspr-portal/sspr/server/account"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// store is what the portal needs of the Store backend: registrations and
// audit events, and a readiness check.
type store interface {
	Registration(ctx context.Context, userID string) (*account.Registration, error)
	PutRegistration(ctx context.Context, r account.Registration) error
	Record(ctx context.Context, e account.Event) error
	Ping(ctx context.Context) error
}

// newStore builds the Store backend that database.kind names: the SQLite
// file (one server), or PostgreSQL (several servers share it).
func (p *Portal) newStore(ctx context.Context, cfg *config.Config, db *sqlite.DB, log *slog.Logger) (store, error) {
	return sqliteStore{sqlite.NewStore(db), db}, nil
}

// sqliteStore is the embedded store: its readiness is the database's.
type sqliteStore struct {
	*sqlite.Store
	db *sqlite.DB
}

func (s sqliteStore) Ping(ctx context.Context) error { return s.db.Ping(ctx) }
