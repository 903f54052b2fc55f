package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
)

// fakeDB is a database that records what it was asked to write.
type fakeDB struct {
	gate       chan struct{} // Acquire waits for it to close; nil: no wait
	acquireErr error
	bad        map[int]bool // items refused: a batch holding one fails

	mu       sync.Mutex
	batches  [][]int // the batches written whole
	ones     []int   // the items written alone
	acquired int
	released int
	deadline bool // every call's context had a deadline
}

var errRefused = errors.New("refused")

func (db *fakeDB) funcs() Funcs[*fakeDB, int] {
	return Funcs[*fakeDB, int]{
		Acquire: func(ctx context.Context) (*fakeDB, error) {
			if db.gate != nil {
				<-db.gate
			}
			db.mu.Lock()
			defer db.mu.Unlock()
			db.seeCtx(ctx)
			if db.acquireErr != nil {
				return nil, db.acquireErr
			}
			db.acquired++
			return db, nil
		},
		Release: func(c *fakeDB) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.released++
		},
		WriteBatch: func(ctx context.Context, c *fakeDB, items []int) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.seeCtx(ctx)
			for _, it := range items {
				if c.bad[it] {
					return fmt.Errorf("batch of %d: item %d: %w", len(items), it, errRefused)
				}
			}
			c.batches = append(c.batches, slices.Clone(items))
			return nil
		},
		WriteOne: func(ctx context.Context, c *fakeDB, item int) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.seeCtx(ctx)
			if c.bad[item] {
				return fmt.Errorf("item %d: %w", item, errRefused)
			}
			c.ones = append(c.ones, item)
			return nil
		},
	}
}

func (db *fakeDB) seeCtx(ctx context.Context) {
	_, ok := ctx.Deadline()
	db.deadline = db.deadline && ok
}

// written is every item written, each once, sorted.
func (db *fakeDB) written(t *testing.T) []int {
	t.Helper()
	db.mu.Lock()
	defer db.mu.Unlock()
	all := slices.Clone(db.ones)
	for _, b := range db.batches {
		all = append(all, b...)
	}
	slices.Sort(all)
	if len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Errorf("an item was written twice: %v", all)
	}
	return all
}

// addAll adds items 0..n-1 at once and returns each one's error. With
// gated, the first round's Acquire waits until all n are waiting, so that
// they all make one batch.
func addAll(t *testing.T, w *Writer[*fakeDB, int], db *fakeDB, n int, gated bool) []error {
	t.Helper()
	if gated {
		db.gate = make(chan struct{})
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = w.Add(i) })
	}
	if gated {
		testkit.Eventually(t, 10*time.Second, fmt.Sprintf("%d items waiting", n), func() bool { return w.Waiting() == n })
		close(db.gate)
	}
	wg.Wait()
	return errs
}

func TestWriter(t *testing.T) {
	errDown := errors.New("the database is down")
	notRetried := func(err error) bool { return !errors.Is(err, errRefused) }
	for _, tc := range []struct {
		name       string
		n          int
		gated      bool             // all n in one batch
		bad        []int            // items the database refuses
		retry      func(error) bool // Funcs.Retry
		acquireErr error

		batches     [][]int // the batches written whole
		ones        []int   // the items written alone
		commits     int64
		failed      []int // the items whose Add fails
		failedError error // what their error wraps
	}{
		{name: "one item alone is one write", n: 1,
			ones: []int{0}, commits: 1},
		{name: "items waiting together are one batch", n: 50, gated: true,
			batches: [][]int{seq(50)}, commits: 1},
		{name: "a failed batch is written again item by item", n: 10, gated: true, bad: []int{3, 7},
			ones: []int{0, 1, 2, 4, 5, 6, 8, 9}, commits: 8, failed: []int{3, 7}, failedError: errRefused},
		{name: "a batch Retry refuses fails whole", n: 10, gated: true, bad: []int{3}, retry: notRetried,
			failed: seq(10), failedError: errRefused},
		{name: "a batch Retry accepts is written again", n: 10, gated: true, bad: []int{3}, retry: func(error) bool { return true },
			ones: []int{0, 1, 2, 4, 5, 6, 7, 8, 9}, commits: 9, failed: []int{3}, failedError: errRefused},
		{name: "an item alone that fails has its error", n: 1, bad: []int{0},
			failed: []int{0}, failedError: errRefused},
		{name: "an Acquire error is every waiting item's", n: 20, gated: true, acquireErr: errDown,
			failed: seq(20), failedError: errDown},
		{name: "an Acquire error is the error of an item alone", n: 1, acquireErr: errDown,
			failed: []int{0}, failedError: errDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := &fakeDB{acquireErr: tc.acquireErr, bad: map[int]bool{}, deadline: true}
			for _, i := range tc.bad {
				db.bad[i] = true
			}
			f := db.funcs()
			f.Retry = tc.retry
			f.Timeout = time.Minute
			w := New(f)
			errs := addAll(t, w, db, tc.n, tc.gated)

			var failed []int
			for i, err := range errs {
				if err == nil {
					continue
				}
				failed = append(failed, i)
				if !errors.Is(err, tc.failedError) {
					t.Errorf("item %d: %v; want %v", i, err, tc.failedError)
				}
				// Written again on its own, an item's error is its own
				// (WriteOne's, which names it), not the batch's.
				if errors.Is(err, tc.failedError) && tc.failedError == errRefused && (tc.retry == nil || tc.retry(err)) {
					if want := fmt.Sprintf("item %d: ", i); !strings.HasPrefix(err.Error(), want) {
						t.Errorf("item %d: %v; want its own error, beginning %q", i, err, want)
					}
				}
			}
			if !slices.Equal(failed, tc.failed) {
				t.Errorf("items failed: %v; want %v", failed, tc.failed)
			}
			if got := w.Commits(); got != tc.commits {
				t.Errorf("%d commits; want %d", got, tc.commits)
			}
			db.mu.Lock()
			batches, ones := db.batches, slices.Sorted(slices.Values(db.ones))
			acquired, released, deadline := db.acquired, db.released, db.deadline
			db.mu.Unlock()
			if !equalBatches(batches, tc.batches) {
				t.Errorf("batches written: %v; want %v", batches, tc.batches)
			}
			if !slices.Equal(ones, tc.ones) {
				t.Errorf("items written alone: %v; want %v", ones, tc.ones)
			}
			if acquired != released {
				t.Errorf("%d acquired, %d released", acquired, released)
			}
			if !deadline {
				t.Error("a call's context had no deadline, with a Timeout")
			}
			db.written(t)
		})
	}
}

// Many items added at once, in no set order, from many goroutines: each
// is written once, in no more commits than items, and each Add returns
// once its own item is written. How many share a batch is the
// scheduler's to say (logged); TestWriter's gated cases pin batching.
func TestWriterConcurrent(t *testing.T) {
	db := &fakeDB{bad: map[int]bool{}}
	w := New(db.funcs())
	const n, rounds = 200, 5
	var wg sync.WaitGroup
	for r := range rounds {
		for i := range n {
			wg.Go(func() {
				item := r*n + i
				if err := w.Add(item); err != nil {
					t.Errorf("item %d: %v", item, err)
				}
				if !slices.Contains(db.written(t), item) {
					t.Errorf("Add(%d) returned before its item was written", item)
				}
			})
		}
	}
	wg.Wait()
	if got := db.written(t); !slices.Equal(got, seq(n*rounds)) {
		t.Errorf("%d items written, want %d", len(got), n*rounds)
	}
	t.Logf("%d items in %d commits", n*rounds, w.Commits())
	if got := w.Commits(); got > n*rounds {
		t.Errorf("%d commits for %d items", got, n*rounds)
	}

	// Idle, then used again.
	if err := w.Add(-1); err != nil {
		t.Fatal(err)
	}
	if got := db.written(t); got[0] != -1 {
		t.Error("the item added after an idle spell was not written")
	}
}

// Without Acquire nor Release the zero connection is written on, and
// without a Timeout the context has no deadline.
func TestWriterNoAcquire(t *testing.T) {
	var deadline []bool
	var mu sync.Mutex
	w := New(Funcs[struct{}, string]{
		WriteBatch: func(ctx context.Context, _ struct{}, items []string) error {
			return errors.New("not expected")
		},
		WriteOne: func(ctx context.Context, _ struct{}, item string) error {
			mu.Lock()
			defer mu.Unlock()
			_, ok := ctx.Deadline()
			deadline = append(deadline, ok)
			return ctx.Err()
		},
	})
	if err := w.Add("a"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deadline, []bool{false}) {
		t.Errorf("deadlines: %v", deadline)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// equalBatches compares batches, each as a set: the order within a batch
// is the order of the Adds, which goroutines make in no set order.
func equalBatches(got, want [][]int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !slices.Equal(slices.Sorted(slices.Values(got[i])), want[i]) {
			return false
		}
	}
	return true
}
