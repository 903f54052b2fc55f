package dispatch

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr-portal/sspr/server/sspr"
)

// stats is one channel's queue as the table shows it. Ages are in
// seconds; nil: none.
type stats struct {
	// Waiting: not yet delivered (available, scheduled, retryable or
	// running); OldestAge is the oldest one's.
	Waiting   int
	OldestAge *float64
	// Retrying: waiting after at least one failed attempt; MostTries is
	// the most attempts one of them has had; SinceFailure is the age of
	// the latest such attempt.
	Retrying     int
	MostTries    *int
	SinceFailure *float64
	// SinceDelivery is the age of the latest delivery.
	SinceDelivery *float64
	// GaveUp: given up since the recent time for the sender's sake
	// (permanent or expired, not a refused recipient); SinceGaveUp is
	// the age of the latest.
	GaveUp      int
	SinceGaveUp *float64
}

// failedBefore matches a message waiting after at least one failed
// attempt, or on its next attempt after one (running: its attempt count
// includes the one under way); failedTries is how many of its attempts
// failed.
const (
	failedBefore = `(state IN ('available','scheduled','retryable') AND attempt > 0 OR state = 'running' AND attempt > 1)`
	failedTries  = `(CASE WHEN state = 'running' THEN attempt - 1 ELSE attempt END)`
)

// senderFault matches the reason River keeps for a message given up for
// the sender's sake (worker.go: giveUp).
const senderFault = `(%s LIKE '%%permanent: %%' OR %s LIKE '%%expired: %%')`

func sqliteStats(db *sql.DB) func(context.Context, string, time.Time) (stats, error) {
	last := `json_extract(json(errors), '$[#-1].error')`
	q := `SELECT
  count(*) FILTER (WHERE state IN ('available','scheduled','retryable','running')),
  (julianday('now') - julianday(min(created_at) FILTER (WHERE state IN ('available','scheduled','retryable','running')))) * 86400.0,
  count(*) FILTER (WHERE ` + failedBefore + `),
  max(` + failedTries + `) FILTER (WHERE ` + failedBefore + `),
  (julianday('now') - max(julianday(attempted_at)) FILTER (WHERE ` + failedBefore + `)) * 86400.0,
  (julianday('now') - max(julianday(finalized_at)) FILTER (WHERE state = 'completed')) * 86400.0,
  count(*) FILTER (WHERE state = 'cancelled' AND julianday(finalized_at) >= julianday(?2) AND ` + fmt.Sprintf(senderFault, last, last) + `),
  (julianday('now') - max(julianday(finalized_at)) FILTER (WHERE state = 'cancelled' AND julianday(finalized_at) >= julianday(?2) AND ` + fmt.Sprintf(senderFault, last, last) + `)) * 86400.0
FROM river_job WHERE queue = ?1 AND kind = '` + jobKind + `'`
	return func(ctx context.Context, queue string, recent time.Time) (stats, error) {
		var s stats
		err := db.QueryRowContext(ctx, q, queue, recent.UTC().Format("2006-01-02 15:04:05.000")).Scan(
			&s.Waiting, &s.OldestAge, &s.Retrying, &s.MostTries, &s.SinceFailure, &s.SinceDelivery, &s.GaveUp, &s.SinceGaveUp)
		return s, err
	}
}

func pgStats(pool *pgxpool.Pool) func(context.Context, string, time.Time) (stats, error) {
	last := `(errors[array_length(errors, 1)]->>'error')`
	q := `SELECT
  count(*) FILTER (WHERE state IN ('available','scheduled','retryable','running')),
  extract(epoch FROM now() - min(created_at) FILTER (WHERE state IN ('available','scheduled','retryable','running')))::float8,
  count(*) FILTER (WHERE ` + failedBefore + `),
  max(` + failedTries + `) FILTER (WHERE ` + failedBefore + `),
  extract(epoch FROM now() - max(attempted_at) FILTER (WHERE ` + failedBefore + `))::float8,
  extract(epoch FROM now() - max(finalized_at) FILTER (WHERE state = 'completed'))::float8,
  count(*) FILTER (WHERE state = 'cancelled' AND finalized_at >= $2 AND ` + fmt.Sprintf(senderFault, last, last) + `),
  extract(epoch FROM now() - max(finalized_at) FILTER (WHERE state = 'cancelled' AND finalized_at >= $2 AND ` + fmt.Sprintf(senderFault, last, last) + `))::float8
FROM river_job WHERE queue = $1 AND kind = '` + jobKind + `'`
	return func(ctx context.Context, queue string, recent time.Time) (stats, error) {
		var s stats
		err := pool.QueryRow(ctx, q, queue, recent).Scan(
			&s.Waiting, &s.OldestAge, &s.Retrying, &s.MostTries, &s.SinceFailure, &s.SinceDelivery, &s.GaveUp, &s.SinceGaveUp)
		return s, err
	}
}

// recentWindow is how far back a message given up for the sender's sake
// keeps the channel degraded, unless one was delivered since.
const recentWindow = 5 * time.Minute

// check reports whether the channel's messages are getting through, for
// /readyz: an error says why not. It reads the shared table, so every
// server says the same. Degraded when a message has waited longer than
// StaleAfter; when UnhealthyAfter messages wait for a retry, or one
// after UnhealthyAfter failed attempts, and nothing was delivered since
// the latest failure; or when a message was given up for
// the sender's sake in the last minutes and nothing was delivered since.
func (q *Queue) check(ctx context.Context, ch string) error {
	s, err := q.db.stats(ctx, ch, q.o.Now().Add(-recentWindow))
	if err != nil {
		return fmt.Errorf("%s: the outbox can't be read: %w", ch, err)
	}
	return s.verdict(ch, q.o)
}

func (s stats) verdict(ch string, o Options) error {
	age := func(p *float64) string {
		if p == nil {
			return "never"
		}
		return (time.Duration(*p * float64(time.Second))).Round(time.Second).String() + " ago"
	}
	deliveredAfter := func(p *float64) bool {
		return s.SinceDelivery != nil && p != nil && *s.SinceDelivery < *p
	}
	switch {
	case s.Waiting > 0 && s.OldestAge != nil && *s.OldestAge > o.StaleAfter.Seconds():
		return fmt.Errorf("%s: %d messages waiting, the oldest for %s (last delivery: %s)", ch, s.Waiting,
			time.Duration(*s.OldestAge*float64(time.Second)).Round(time.Second), age(s.SinceDelivery))
	case (s.Retrying >= o.UnhealthyAfter || s.MostTries != nil && *s.MostTries >= o.UnhealthyAfter) && !deliveredAfter(s.SinceFailure):
		return fmt.Errorf("%s: %d messages waiting for a retry, after up to %d failed attempts (last delivery: %s)", ch, s.Retrying, *s.MostTries, age(s.SinceDelivery))
	case s.GaveUp > 0 && !deliveredAfter(s.SinceGaveUp):
		return fmt.Errorf("%s: %d messages given up in the last %s, the sender at fault (last delivery: %s)", ch, s.GaveUp, recentWindow, age(s.SinceDelivery))
	}
	return nil
}

// Depth is how many of the channel's messages are not yet delivered
// (waiting, retrying or being sent), and how long the oldest of them has
// waited (0: none), read from the shared table: the same on every server.
// For metrics.
func (q *Queue) Depth(ctx context.Context, ch sspr.Channel) (waiting int, oldest time.Duration, err error) {
	s, err := q.db.stats(ctx, string(ch), q.o.Now().Add(-recentWindow))
	if err != nil {
		return 0, 0, fmt.Errorf("dispatch: read the %s queue: %w", ch, err)
	}
	if s.OldestAge != nil {
		oldest = time.Duration(*s.OldestAge * float64(time.Second))
	}
	return s.Waiting, oldest, nil
}
