package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// DefaultBatch is how many lines Run reads before it writes them, in one
// transaction: big enough that a transaction's cost is spread thin, small
// enough that the embedded database's writer, which the portal's own
// requests share, is held for milliseconds, not seconds.
const DefaultBatch = 2000

// Sink writes a batch of valid lines, each id once, in one transaction
// (dryRun: reads, decides, and writes nothing), and returns what became of
// each, in order. Its error stops the run: the batches written before stay
// written, which a second run finds unchanged.
type Sink[T item] func(ctx context.Context, batch []T, dryRun bool) ([]Result, error)

// Check refuses lines of a batch for what only a backend can tell (an
// account that doesn't exist): nil for a line it takes, in order.
type Check[T item] func(ctx context.Context, batch []T) ([]*Rejection, error)

// Seen remembers the ids a run has taken, so that a second line for one
// id is refused (duplicate_id) rather than undoing the first: a file that
// gives an id twice would otherwise never come out unchanged on a second
// run. sqlite.Seen keeps them on disk, in constant memory; MemorySeen
// keeps them in a map, for tests and small files.
type Seen interface {
	// Add records each id, with its line, and returns for each the line
	// that gave it first: 0 for an id not seen before (in this call too).
	Add(ctx context.Context, ids []string, lines []int) ([]int, error)
}

// MemorySeen is a Seen in memory: one map entry per id.
type MemorySeen map[string]int

// Add implements Seen.
func (m MemorySeen) Add(_ context.Context, ids []string, lines []int) ([]int, error) {
	first := make([]int, len(ids))
	for i, id := range ids {
		if l, ok := m[id]; ok {
			first[i] = l
			continue
		}
		m[id] = lines[i]
	}
	return first, nil
}

// Options are how Run imports.
type Options[T item] struct {
	// Batch is how many lines are read, checked and written together
	// (DefaultBatch when 0).
	Batch int
	// DryRun reads and checks every line and asks Sink what it would do,
	// writing nothing.
	DryRun bool
	// Sink writes the valid lines.
	Sink Sink[T]
	// Seen refuses an id given twice; required.
	Seen Seen
	// Check, when set, refuses lines for what only a backend can tell.
	// It runs while the batch before is being written.
	Check Check[T]
	// Reject is told of each refused line, in line order within a batch
	// (batches in file order). Its error stops the run.
	Reject func(Rejection) error
	// Progress, when set, is told the counts after each batch.
	Progress func(Summary)
}

// Run reads every line of rd, checks it, and writes the valid ones with
// o.Sink, o.Batch lines at a time. It returns the counts; an error
// (reading the file, a backend, ctx) stops it, with the counts of the
// batches written.
//
// Reading and checking a batch (the lines checked in parallel: parsing
// mobile numbers and addresses is most of the work) runs while the batch
// before is written, so that a run takes about as long as the slower of
// the two; never more than three batches are held, so memory stays the
// same however long the file.
func Run[T item](ctx context.Context, rd *Reader[T], o Options[T]) (Summary, error) {
	if o.Seen == nil || o.Sink == nil {
		return Summary{}, errors.New("importer: Run needs a Sink and a Seen")
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the reading, when the writing stops first
	batches := make(chan *batch[T], 1)
	go read(ctx, rd, &o, batches)

	var sum Summary
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if b.err != nil {
			return sum, b.err
		}
		if err := b.write(ctx, &o, &sum); err != nil {
			return sum, err
		}
		if o.Progress != nil {
			o.Progress(sum)
		}
	}
	return sum, ctx.Err()
}

// batch is o.Batch lines of the file, checked: those to write, and those
// refused.
type batch[T item] struct {
	read  int // lines read
	items []T
	rejs  []Rejection
	err   error // reading or checking failed: the run ends here
}

// read sends the file's batches, each checked, until the end of the file,
// an error (sent as the last batch) or ctx's end.
func read[T item](ctx context.Context, rd *Reader[T], o *Options[T], out chan<- *batch[T]) {
	defer close(out)
	for {
		b, eof := readBatch(rd, o.Batch)
		if b.err == nil {
			b.err = b.dedupe(ctx, o.Seen)
		}
		if b.err == nil {
			b.err = b.check(ctx, o.Check)
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return
		}
		if eof || b.err != nil {
			return
		}
	}
}

// readBatch reads up to size lines and checks them, several at once.
func readBatch[T item](rd *Reader[T], size int) (b *batch[T], eof bool) {
	b = &batch[T]{}
	type line struct {
		rec  record
		item T
		rej  *Rejection
	}
	lines := make([]line, 0, size)
	for len(lines) < size {
		rec, rej, err := rd.read()
		if errors.Is(err, io.EOF) {
			eof = true
			break
		}
		if err != nil {
			b.err = fmt.Errorf("reading the file: %w", err)
			return b, false
		}
		lines = append(lines, line{rec: rec, rej: rej})
	}
	b.read = len(lines)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(lines)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(lines); i += workers {
				if l := &lines[i]; l.rej == nil {
					l.item, l.rej, _ = rd.build(&l.rec)
				}
			}
		})
	}
	wg.Wait()
	b.items = make([]T, 0, len(lines))
	for _, l := range lines {
		if l.rej != nil {
			b.rejs = append(b.rejs, *l.rej)
			continue
		}
		b.items = append(b.items, l.item)
	}
	return b, eof
}

// write writes the batch's lines with o.Sink, then reports the refused
// lines, in order.
func (b *batch[T]) write(ctx context.Context, o *Options[T], sum *Summary) error {
	if len(b.items) > 0 {
		res, err := o.Sink(ctx, b.items, o.DryRun)
		if err != nil {
			return err
		}
		if len(res) != len(b.items) {
			return fmt.Errorf("importer: the sink answered %d results for %d lines", len(res), len(b.items))
		}
		for _, r := range res {
			sum.count(r)
		}
	}
	sum.Read += b.read
	slices.SortFunc(b.rejs, func(x, y Rejection) int { return cmp.Compare(x.Line, y.Line) })
	for _, r := range b.rejs {
		sum.Rejected++
		if o.Reject != nil {
			if err := o.Reject(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// dedupe refuses each line whose id an earlier line gave.
func (b *batch[T]) dedupe(ctx context.Context, seen Seen) error {
	if len(b.items) == 0 {
		return nil
	}
	ids, lines := make([]string, len(b.items)), make([]int, len(b.items))
	for i, it := range b.items {
		ids[i], lines[i] = it.key()
	}
	first, err := seen.Add(ctx, ids, lines)
	if err != nil {
		return fmt.Errorf("importer: remembering the ids: %w", err)
	}
	rejs := make([]*Rejection, len(b.items))
	for i, f := range first {
		if f != 0 {
			rejs[i] = reject(lines[i], ids[i], ReasonDuplicateID, "line %d gave this id already", f)
		}
	}
	b.drop(rejs)
	return nil
}

// check refuses the lines check refuses.
func (b *batch[T]) check(ctx context.Context, check Check[T]) error {
	if check == nil || len(b.items) == 0 {
		return nil
	}
	rejs, err := check(ctx, b.items)
	if err != nil {
		return err
	}
	if len(rejs) != len(b.items) {
		return fmt.Errorf("importer: the check answered %d results for %d lines", len(rejs), len(b.items))
	}
	b.drop(rejs)
	return nil
}

// drop moves the items with a Rejection to the refused lines.
func (b *batch[T]) drop(rejs []*Rejection) {
	kept := b.items[:0]
	for i, it := range b.items {
		if rejs[i] != nil {
			b.rejs = append(b.rejs, *rejs[i])
			continue
		}
		kept = append(kept, it)
	}
	clear(b.items[len(kept):]) // no secret left behind in the slice's tail
	b.items = kept
}

// Mails says what the embedded directory holds of the accounts a
// registrations import names: the primary address of each id that is an
// account, and none for an id that isn't.
type Mails func(ctx context.Context, ids []string) (map[string]string, error)

// CheckAccounts is the Check of a registrations import into a portal with
// the embedded directory: a line for an id that is no account is refused
// (account_unknown), and so is an alternate address that is the account's
// own (email_is_primary, the engine's rule when a person registers one).
func CheckAccounts(mails Mails) Check[Registration] {
	return func(ctx context.Context, batch []Registration) ([]*Rejection, error) {
		ids := make([]string, len(batch))
		for i, r := range batch {
			ids[i] = r.ID
		}
		known, err := mails(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("importer: reading the accounts: %w", err)
		}
		rejs := make([]*Rejection, len(batch))
		for i, r := range batch {
			mail, ok := known[r.ID]
			switch {
			case !ok:
				rejs[i] = reject(r.Line, r.ID, ReasonAccountUnknown, "no such account in the embedded directory (import the accounts first)")
			case r.Email != "" && strings.EqualFold(r.Email, mail):
				rejs[i] = reject(r.Line, r.ID, ReasonEmailIsPrimary, "email: the account's own address, which is no help when the account can't be used")
			}
		}
		return rejs, nil
	}
}
