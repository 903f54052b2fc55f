package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// worker delivers one stored message per attempt.
type worker struct {
	river.WorkerDefaults[job]
	q *Queue
}

// Timeout bounds one attempt (River cancels its context).
func (w *worker) Timeout(*river.Job[job]) time.Duration { return w.q.o.Timeout }

// NextRetry is when a failed attempt is tried again: the back-off, but
// never later than the message's deadline, so that the last try comes
// while it is still worth sending.
func (w *worker) NextRetry(j *river.Job[job]) time.Time {
	next := w.q.o.Now().Add(w.q.backoff(j.Attempt))
	if next.After(j.Args.Until) {
		next = j.Args.Until
	}
	return next
}

// Work makes one attempt. It returns nil when the message is delivered
// (or was a decoy's stand-in); a sender's temporary failure, returned as
// it is, makes River try again at NextRetry; a message that can't be
// delivered at all, or no longer in time, is cancelled (River keeps the
// row, in state "cancelled", with the reason) and told to GaveUp.
func (w *worker) Work(ctx context.Context, j *river.Job[job]) error {
	q := w.q
	a := j.Args
	v, err := q.seal.open(a.ID, a.Channel, a.Sealed)
	if err != nil {
		q.o.Log.ErrorContext(ctx, "dispatch: delivery failed, giving up", "id", a.ID, "channel", string(a.Channel),
			"template", string(a.Template), "attempt", j.Attempt, "reason", "unopenable", "err", err)
		w.attempted(a.Channel, "unopenable", 0)
		return river.JobCancel(err)
	}
	if v.Decoy {
		return nil
	}
	m := v.Message
	if !q.o.Now().Before(a.Until) {
		w.attempted(a.Channel, "expired", 0)
		return w.giveUp(ctx, j, m, "expired", ErrExpired)
	}
	s := q.o.Senders[a.Channel]
	if s == nil {
		w.attempted(a.Channel, "permanent", 0)
		return w.giveUp(ctx, j, m, "permanent", fmt.Errorf("dispatch: no sender for channel %q", a.Channel))
	}
	began := time.Now()
	err = s.Send(ctx, m)
	took := time.Since(began)
	if err == nil {
		w.attempted(a.Channel, "delivered", took)
		if q.o.Delivered != nil {
			q.o.Delivered(context.WithoutCancel(ctx), m)
		}
		if j.Attempt > 1 {
			q.o.Log.InfoContext(ctx, "dispatch: delivered after retries", "id", a.ID, "channel", string(a.Channel),
				"template", string(a.Template), "flow", m.Flow, "attempt", j.Attempt)
		}
		return nil
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		// The server is stopping: River puts the message back, this
		// attempt uncounted, for the next worker.
		return err
	}
	c := class(err)
	if c != "temporary" {
		w.attempted(a.Channel, c, took)
		return w.giveUp(ctx, j, m, c, err)
	}
	if !w.NextRetry(j).Before(a.Until) {
		// The next try would come too late: better to say so now.
		w.attempted(a.Channel, "expired", took)
		return w.giveUp(ctx, j, m, "expired", fmt.Errorf("%w: %w", ErrExpired, err))
	}
	w.attempted(a.Channel, "retry", took)
	why := redacted(err, m)
	q.o.Log.WarnContext(ctx, "dispatch: delivery failed, will retry", "id", a.ID, "channel", string(a.Channel),
		"template", string(a.Template), "flow", m.Flow, "attempt", j.Attempt, "err", why)
	// River keeps the error in the job's row, next to the sealed message:
	// it must say no more than the log does.
	return errors.New(why)
}

// redacted is err's text for a log line or the job's row: a sender's
// error may quote the address, the number, the code or the text (an SMTP
// 550 echoes the recipient; "…is not an email address"), which the
// message is sealed to keep from the database and its backups.
func redacted(err error, m sspr.Message) string {
	s := err.Error()
	for _, secret := range []string{m.Code, m.To, m.Body} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "…")
		}
	}
	return notify.Clip(s, 300)
}

// giveUp logs the end of a message, tells GaveUp, and cancels the job.
func (w *worker) giveUp(ctx context.Context, j *river.Job[job], m sspr.Message, reason string, err error) error {
	q := w.q
	// Channel, id and the flow's reference only: never the body, the code
	// or the address.
	why := redacted(err, m)
	q.o.Log.ErrorContext(ctx, "dispatch: delivery failed, giving up", "id", j.Args.ID, "channel", string(j.Args.Channel),
		"template", string(j.Args.Template), "flow", m.Flow, "attempt", j.Attempt, "reason", reason, "err", why)
	if q.o.GaveUp != nil {
		q.o.GaveUp(context.WithoutCancel(ctx), m, err)
	}
	return river.JobCancel(fmt.Errorf("%s: %s", reason, why))
}

// attempted tells Options.Attempted of an attempt's end.
func (w *worker) attempted(ch sspr.Channel, result string, took time.Duration) {
	if w.q.o.Attempted != nil {
		w.q.o.Attempted(ch, result, took)
	}
}
