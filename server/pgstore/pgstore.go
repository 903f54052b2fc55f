// Package pgstore is the Store backend for several servers: registrations
// and audit events in PostgreSQL, through pgx's connection pool, so that
// every server behind the load balancer sees the same registrations.
//
// It behaves as the SQLite store does (package sqlite; one behavioural test
// table, server/internal/storetest, runs against both), with one
// difference: PostgreSQL keeps times to the microsecond, not the
// nanosecond.
//
// Errors: a database that can't be reached, times out, is shutting down or
// refuses the service's role is unavailable (sspr.Unavailable: an
// *sspr.Error with code service_unavailable, 503: try again later) that
// wraps the driver's error, for the log (docs/SECURITY.md#backend-down: fail closed). An error
// that can only be a bug (a malformed query, a broken constraint) and a
// registration refused before it reaches the database are plain errors,
// which callers treat as internal.
//
// The schema is migrated on first use, under a PostgreSQL advisory lock,
// so that servers starting together migrate it once. A server that starts
// while PostgreSQL is down starts anyway (its readiness check says why it
// is not ready) and migrates when PostgreSQL answers.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr-portal/sspr/server/pgstore/pgspec"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The TLS modes.
const (
	// TLSVerifyFull encrypts and verifies the server's certificate and
	// name (libpq's sslmode=verify-full).
	TLSVerifyFull = "verify-full"
	// TLSOff sends everything in the clear: only for a loopback address or
	// a Unix socket, where nothing crosses a network.
	TLSOff = "off"
)

// Config is how to reach PostgreSQL.
type Config struct {
	// URL is a connection URL without a password, such as
	// "postgres://sspr@db.example.edu:5432/sspr" (pgspec.CheckURL).
	URL string
	// Password is the role's password; empty means none (peer or
	// certificate authentication, or a ~/.pgpass file).
	Password string
	// TLS is TLSVerifyFull (the default) or TLSOff.
	TLS string
	// CAFile is a PEM file of the CAs that sign the server's certificate;
	// empty means the system's roots.
	CAFile string
	// PoolSize is the most connections open at once (default 8).
	PoolSize int
	// ConnectTimeout bounds opening a connection (default 5s).
	ConnectTimeout time.Duration
	// Timeout bounds each operation, waiting for a connection included,
	// and is the server's statement_timeout (default 5s).
	Timeout time.Duration
	// Log gets the outage and recovery messages (never a secret).
	Log *slog.Logger
}

// Store keeps registrations and audit events in PostgreSQL: an sspr.Store.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	log     *slog.Logger
	events  *eventWriter // the audit's group commit (events.go)

	migrated atomic.Bool
	migrate  sync.Mutex // held while a migration runs
}

// Open builds the pool and migrates the schema. PostgreSQL being
// unreachable is not an error: the store migrates on first use, and until
// then every call is service_unavailable. Anything else that stops the
// migration (a schema newer than this program, a role that may not create
// the tables, a wrong password) is, so that the server does not start with
// a database it can never use.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, timeout: pc.ConnConfig.ConnectTimeout + cfg.Timeout, log: cfg.Log}
	if cfg.Timeout <= 0 {
		s.timeout = pc.ConnConfig.ConnectTimeout + DefaultTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.events = newEventWriter(pool, s.timeout)
	if err := s.ready(ctx); err != nil {
		if !unreachable(err) {
			pool.Close()
			return nil, err
		}
		s.log.Warn("PostgreSQL is unreachable: the store will migrate its schema when it answers", "err", err)
	}
	return s, nil
}

// Defaults for the zero values of Config.
const (
	DefaultPoolSize       = 8
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 5 * time.Second
)

// poolConfig turns cfg into pgx's configuration: the TLS mode and CA file
// become sslmode and sslrootcert, so that pgx sets up verification exactly
// as libpq would, and the password is set after parsing, so that it never
// sits in a string that could be logged.
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	if _, err := pgspec.CheckURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	u, _ := url.Parse(cfg.URL)
	q := u.Query()
	switch cfg.TLS {
	case TLSVerifyFull, "":
		q.Set("sslmode", "verify-full")
		if cfg.CAFile != "" {
			q.Set("sslrootcert", cfg.CAFile)
		}
	case TLSOff:
		local, _ := pgspec.IsLocal(cfg.URL)
		if !local {
			return nil, errors.New("pgstore: TLS may only be off for a loopback address or a Unix socket")
		}
		q.Set("sslmode", "disable")
	default:
		return nil, fmt.Errorf("pgstore: unknown TLS mode %q", cfg.TLS)
	}
	u.RawQuery = q.Encode()
	pc, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		// pgx's ParseConfigError quotes the whole connection string: it
		// holds no password, but say only what went wrong.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && errors.Unwrap(pe) != nil {
			return nil, fmt.Errorf("pgstore: database URL: %w", errors.Unwrap(pe))
		}
		return nil, fmt.Errorf("pgstore: database URL: %w", err)
	}
	// Never skip verification, whatever pgx or the environment (PGSSLMODE)
	// made of the settings.
	cc := pc.ConnConfig
	tlsConfigs := []*pgconn.FallbackConfig{{Host: cc.Host, TLSConfig: cc.TLSConfig}}
	tlsConfigs = append(tlsConfigs, cc.Fallbacks...)
	for _, f := range tlsConfigs {
		if f.TLSConfig != nil && f.TLSConfig.InsecureSkipVerify {
			return nil, errors.New("pgstore: refusing a TLS setting that skips verification")
		}
		if f.TLSConfig == nil && cfg.TLS != TLSOff && !strings.HasPrefix(f.Host, "/") {
			return nil, errors.New("pgstore: refusing a connection without TLS")
		}
	}
	cc.Password = cfg.Password
	cc.ConnectTimeout = cfg.ConnectTimeout
	if cc.ConnectTimeout <= 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cc.RuntimeParams["statement_timeout"] = fmt.Sprint(timeout.Milliseconds())
	cc.RuntimeParams["application_name"] = "sspr"
	// Times are read back as UTC whatever the server's TimeZone.
	cc.RuntimeParams["timezone"] = "UTC"
	pc.MaxConns = int32(cfg.PoolSize)
	if pc.MaxConns <= 0 {
		pc.MaxConns = DefaultPoolSize
	}
	pc.MinConns = 0
	// Connections cut by a restart or a failover are found and replaced:
	// pgxpool pings a connection idle for over a second before handing it
	// out, and checks the idle ones in the background.
	pc.HealthCheckPeriod = 15 * time.Second
	pc.MaxConnIdleTime = 5 * time.Minute
	pc.MaxConnLifetime = time.Hour
	return pc, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool is the store's connection pool, for the durable outbox
// (server/dispatch), which keeps its tables in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping reports whether PostgreSQL answers (and the schema is in place), for
// the readiness check.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	return wrap("ping", s.pool.Ping(ctx))
}

// ready migrates the schema if this store has not yet.
func (s *Store) ready(ctx context.Context) error {
	if s.migrated.Load() {
		return nil
	}
	s.migrate.Lock()
	defer s.migrate.Unlock()
	if s.migrated.Load() {
		return nil
	}
	if err := s.runMigrations(ctx); err != nil {
		return err
	}
	s.migrated.Store(true)
	return nil
}

// wrap adds what was being done to a database error. Everything but a bug
// is unavailable (service_unavailable), with the driver's error in the
// chain for the log: an outage must fail closed with 503, never 500.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*sspr.Error](err); ok {
		return err
	}
	err = fmt.Errorf("pgstore: %s: %w", op, err)
	if bug(err) {
		return err
	}
	return sspr.Unavailable(sspr.BackendStore, err)
}

// bug reports whether PostgreSQL refused a statement for what it is rather
// than for the state of the server: a data exception (class 22), a broken
// constraint (23), a syntax error or an unknown name (42, but for 42501,
// insufficient privilege: a role's rights are the operator's to fix),
// a feature not supported (0A).
func bug(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) != 5 {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "0A":
		return true
	case "42":
		return pe.Code != "42501"
	}
	return false
}

// unreachable reports whether err means PostgreSQL could not be reached at
// all (rather than reached and refusing): a network error, a timeout, or a
// server still starting or shutting down.
func unreachable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P03" || pe.Code == "57P01" || pe.Code == "57P02"
	}
	var ne net.Error
	return errors.As(err, &ne) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded)
}
