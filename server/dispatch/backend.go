package dispatch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// rescueMargin is how long after an attempt's timeout a message still
// "running" is taken to belong to a server that died, and handed to
// another worker (River's rescuer, which looks every 30 s).
const rescueMargin = 10 * time.Second

// NewSQLite returns the outbox in the SQLite database db is a pool of:
// the store's file, through a pool of its own (the store's single writer
// must not wait for the workers). River's tables are created in it if
// need be. Start starts the workers.
func NewSQLite(db *sql.DB, o Options) (*Queue, error) {
	q, err := newQueue(o)
	if err != nil {
		return nil, err
	}
	b, err := newRiverBackend(q, sqliteDriver{riversqlite.New(db)}, sqliteStats(db))
	if err != nil {
		return nil, err
	}
	q.db = b
	return q, nil
}

// sqliteDriver is River's SQLite driver without its emulated LISTEN and
// NOTIFY. That emulation writes a row to river_notification with every
// message stored and reads the table every 50 ms, whatever the load: a
// third of River's CPU per reset, and most of an idle server's
// (flowbench). Without it River runs "poll only": a message stored by
// this server wakes this server's workers at once, with no write and no
// wait at all, and a message stored by another process (`sspr` commands
// on the same file) is found within Options.Poll.
type sqliteDriver struct{ *riversqlite.Driver }

func (sqliteDriver) SupportsListener() bool     { return false }
func (sqliteDriver) SupportsListenNotify() bool { return false }

// NewPostgres returns the outbox in the PostgreSQL database of pool, the
// store's. River's tables are created in it if need be (under an
// advisory lock, so that servers starting together don't race). Start
// starts the workers.
func NewPostgres(pool *pgxpool.Pool, o Options) (*Queue, error) {
	q, err := newQueue(o)
	if err != nil {
		return nil, err
	}
	b, err := newRiverBackend(q, riverpgxv5.New(pool), pgStats(pool))
	if err != nil {
		return nil, err
	}
	b.lock = func(ctx context.Context, migrate func(context.Context) error) error {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		const key = 0x5350_5244_6973_7031 // "SPRDisp1"
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(key)); err != nil {
			return err
		}
		defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(key)) }()
		return migrate(ctx)
	}
	q.db = b
	return q, nil
}

// riverBackend is River on one driver.
type riverBackend[TTx any] struct {
	client  *river.Client[TTx]
	migr    *rivermigrate.Migrator[TTx]
	statsOf func(ctx context.Context, queue string, recent time.Time) (stats, error)
	// lock runs the migration under the database's lock, if it has one.
	lock func(ctx context.Context, migrate func(context.Context) error) error

	mu       sync.Mutex
	migrated bool

	// starting is held while River's client starts, and read by each
	// insert. Without a listener (SQLite), an insert wakes the queue's
	// producer, whose wake-up River sets up as the client starts,
	// unguarded: a message stored at that moment was a data race.
	starting sync.RWMutex
}

func newRiverBackend[TTx any](q *Queue, d riverdriver.Driver[TTx], st func(context.Context, string, time.Time) (stats, error)) (*riverBackend[TTx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{q: q}); err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	// The least time between two fetches of a busy queue: each fetch
	// takes at most Workers messages, so at 20 ms four workers topped out
	// at ~190 messages/s; at 2 ms, ~550 over STARTTLS on SQLite
	// (BenchmarkOutbox).
	cooldown := min(q.o.Poll, 2*time.Millisecond)
	qc := river.QueueConfig{MaxWorkers: q.o.Workers, FetchPollInterval: q.o.Poll, FetchCooldown: cooldown}
	queues := map[string]river.QueueConfig{decoyQueue: {MaxWorkers: 1, FetchPollInterval: q.o.Poll, FetchCooldown: cooldown}}
	for ch := range q.o.Senders {
		queues[string(ch)] = qc
	}
	client, err := river.NewClient(d, &river.Config{
		Queues: queues, Workers: workers,
		JobTimeout:           q.o.Timeout,
		RescueStuckJobsAfter: q.o.Timeout + rescueMargin,
		MaxAttempts:          10_000,
		FetchPollInterval:    q.o.Poll, FetchCooldown: cooldown,
		// River's own lines below a warning (each job, each poll) would
		// drown the portal's; its warnings and errors stay.
		Logger: slog.New(atLeast{q.o.Log.Handler(), slog.LevelWarn}),
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: q.o.Log})
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	return &riverBackend[TTx]{client: client, migr: m, statsOf: st}, nil
}

// ensureMigrated brings River's tables up to date, once.
func (b *riverBackend[TTx]) ensureMigrated(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.migrated {
		return nil
	}
	migrate := func(ctx context.Context) error {
		_, err := b.migr.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	var err error
	if b.lock != nil {
		err = b.lock(ctx, migrate)
	} else {
		err = migrate(ctx)
	}
	if err != nil {
		return fmt.Errorf("dispatch: migrate the outbox's tables: %w", err)
	}
	b.migrated = true
	return nil
}

func (b *riverBackend[TTx]) insert(ctx context.Context, jobs ...river.InsertManyParams) error {
	if err := b.ensureMigrated(ctx); err != nil {
		return err
	}
	b.starting.RLock()
	defer b.starting.RUnlock()
	_, err := b.client.InsertMany(ctx, jobs)
	return err
}

func (b *riverBackend[TTx]) start(ctx context.Context) error {
	if err := b.ensureMigrated(ctx); err != nil {
		return err
	}
	// The workers' context is not the caller's: Close stops them, with a
	// grace period, not a cancelled request.
	b.starting.Lock()
	defer b.starting.Unlock()
	return b.client.Start(context.WithoutCancel(ctx))
}

// stop lets the attempts under way finish until ctx is done, then
// cancels them; River puts a cancelled one back for the next worker.
func (b *riverBackend[TTx]) stop(ctx context.Context) error {
	err := b.client.Stop(ctx)
	if err == nil || !errors.Is(err, ctx.Err()) {
		return err
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return b.client.StopAndCancel(hard)
}

// recent returns the n messages stored last, newest first, whatever
// became of them (River keeps a delivered one for a day).
func (b *riverBackend[TTx]) recent(ctx context.Context, n int) ([]job, error) {
	if err := b.ensureMigrated(ctx); err != nil {
		return nil, err
	}
	res, err := b.client.JobList(ctx, river.NewJobListParams().Kinds(jobKind).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(n))
	if err != nil {
		return nil, fmt.Errorf("dispatch: list messages: %w", err)
	}
	jobs := make([]job, 0, len(res.Jobs))
	for _, row := range res.Jobs {
		var j job
		if err := json.Unmarshal(row.EncodedArgs, &j); err != nil {
			return nil, fmt.Errorf("dispatch: read message %d: %w", row.ID, err)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func (b *riverBackend[TTx]) stats(ctx context.Context, queue string, recent time.Time) (stats, error) {
	if err := b.ensureMigrated(ctx); err != nil {
		return stats{}, err
	}
	return b.statsOf(ctx, queue, recent)
}

// atLeast passes on the records of level min and above.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.min}
}
func (h atLeast) WithGroup(g string) slog.Handler { return atLeast{h.Handler.WithGroup(g), h.min} }
