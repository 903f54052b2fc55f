package portal

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// store is the Store backend (registrations and audit events), and its
// readiness check.
type store interface {
	sspr.Store
	Ping(ctx context.Context) error
}

// newStore builds the Store backend that database.kind names: the SQLite
// file (one server), or PostgreSQL (several servers share it).
//
// With PostgreSQL, the embedded directory (if directory.kind says so) still
// keeps its accounts in the SQLite file: only registrations and audit
// events move. PostgreSQL being down at start is no error: /readyz says
// the store is unavailable until it answers.
func (p *Portal) newStore(ctx context.Context, cfg *config.Config, db *sqlite.DB, log *slog.Logger) (store, error) {
	if cfg.Database.Kind != config.DatabasePostgres {
		return sqliteStore{sqlite.NewStore(db), db}, nil
	}
	pw, err := cfg.Database.Password()
	if err != nil {
		return nil, err
	}
	pc := PostgresConfig(cfg, pw)
	pc.Log = log
	s, err := pgstore.Open(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	p.closers = append(p.closers, func(context.Context) error { s.Close(); return nil })
	return s, nil
}

// PostgresConfig is the pgstore configuration for cfg's [database], with
// the role's password already read.
func PostgresConfig(cfg *config.Config, password string) pgstore.Config {
	d := cfg.Database
	return pgstore.Config{
		URL: d.URL, Password: password, TLS: d.TLS, CAFile: d.CAFile, PoolSize: d.PoolSize,
		ConnectTimeout: d.ConnectTimeout.D(), Timeout: d.Timeout.D(),
	}
}

// sqliteStore is the embedded store: its readiness is the database's.
type sqliteStore struct {
	*sqlite.Store
	db *sqlite.DB
}

func (s sqliteStore) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// OpenAuditor opens the store cfg's [database] names, for reading and
// purging the audit (`sspr audit`), without starting a portal. Close
// closes it. The SQLite file must exist: an audit of nothing is a
// mistake in --data or the configuration, said so.
func OpenAuditor(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ sspr.Auditor, closeFn func(), err error) {
	if cfg.Database.Kind == config.DatabasePostgres {
		pw, err := cfg.Database.Password()
		if err != nil {
			return nil, nil, err
		}
		pc := PostgresConfig(cfg, pw)
		pc.Log = log
		s, err := pgstore.Open(ctx, pc)
		if err != nil {
			return nil, nil, fmt.Errorf("database: %w", err)
		}
		return s, s.Close, nil
	}
	path := cfg.DatabasePath()
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("database: %w (set --data, server.data_dir or database.path)", err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	return sqlite.NewStore(db), func() { db.Close() }, nil
}
