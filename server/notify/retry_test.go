package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
)

// flaky fails the first n attempts per recipient with err, then delivers.
type flaky struct {
	mu    sync.Mutex
	n     int
	err   error
	tries map[string]int
	times map[string][]time.Time
}

func newFlaky(n int, err error) *flaky {
	return &flaky{n: n, err: err, tries: map[string]int{}, times: map[string][]time.Time{}}
}

func (f *flaky) Send(_ context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[m.To]++
	f.times[m.To] = append(f.times[m.To], time.Now())
	if f.tries[m.To] <= f.n {
		return f.err
	}
	return nil
}

func (f *flaky) count(to string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries[to]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fastOpts(bool) QueueOptions {
	return QueueOptions{Size: 10, Workers: 1, MaxTries: 4, Backoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond}
}

// A temporary failure is retried after a back-off, and then delivered.
func TestRetryThenDeliver(t *testing.T) {
	noLeak(t)
	log, buf := testkit.NewLog()
	f := newFlaky(2, errors.New("451 4.3.0 try again later"))
	o := fastOpts(true)
	o.Log = log
	q := NewQueueWith(f, o)
	if err := q.Send(context.Background(), secretMsg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return q.Stats().Sent == 1 })
	if n := f.count(secretMsg.To); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	f.mu.Lock()
	times := f.times[secretMsg.To]
	f.mu.Unlock()
	// Back-off with jitter: at least half the base, growing.
	if d := times[1].Sub(times[0]); d < 10*time.Millisecond {
		t.Errorf("first retry after %v, want >= 10ms", d)
	}
	if d := times[2].Sub(times[1]); d < 20*time.Millisecond {
		t.Errorf("second retry after %v, want >= 20ms", d)
	}
	mustClose(t, q)
	s := q.Stats()
	if s.Sent != 1 || s.Retried != 2 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
	out := buf.String()
	if strings.Count(out, "will retry") != 2 || !strings.Contains(out, "delivered after a retry") {
		t.Errorf("log:\n%s", out)
	}
	assertNoSecret(t, out)
}

// A message that keeps failing gives up after MaxTries; a permanent failure
// at once; and neither holds up the other messages.
func TestGiveUp(t *testing.T) {
	noLeak(t)
	log, buf := testkit.NewLog()
	var attempts sync.Map
	s := senderFunc(func(_ context.Context, m Message) error {
		n, _ := attempts.LoadOrStore(m.To, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		switch m.To {
		case "dead@example.net":
			return errors.New("451 mailbox busy")
		case "nobody@example.net":
			return Refused(errors.New("550 5.1.1 no such user"))
		case "auth@example.net":
			return Permanent(errors.New("535 authentication failed"))
		}
		return nil
	})
	o := fastOpts(true)
	o.Log = log
	q := NewQueueWith(s, o)
	ctx := context.Background()
	for _, to := range []string{"dead@example.net", "nobody@example.net", "auth@example.net"} {
		m := secretMsg
		m.To = to
		if err := q.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// While "dead" waits for its retries, others go through at once: one
	// worker, and it is never asleep.
	start := time.Now()
	for i := range 5 {
		m := secretMsg
		m.To = "ok" + string(rune('a'+i)) + "@example.net"
		if err := q.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the good messages", func() bool { return q.Stats().Sent == 5 })
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("good messages took %v behind a failing one", took)
	}
	waitFor(t, "giving up", func() bool { return q.Stats().Failed == 3 })
	count := func(to string) int32 {
		n, _ := attempts.Load(to)
		return n.(*atomic.Int32).Load()
	}
	if count("dead@example.net") != 4 || count("nobody@example.net") != 1 || count("auth@example.net") != 1 {
		t.Errorf("attempts: dead %d nobody %d auth %d, want 4 1 1",
			count("dead@example.net"), count("nobody@example.net"), count("auth@example.net"))
	}
	mustClose(t, q)
	out := buf.String()
	for _, want := range []string{"why=\"out of tries\"", "why=refused", "why=permanent", "tries=4"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	assertNoSecret(t, out)
}

// Close gives a message waiting for its retry one last attempt, at once.
func TestCloseFlushesRetries(t *testing.T) {
	noLeak(t)
	f := newFlaky(1, errors.New("connection refused"))
	o := fastOpts(true)
	o.Backoff, o.MaxBackoff = time.Hour, time.Hour
	q := NewQueueWith(f, o)
	if err := q.Send(context.Background(), secretMsg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a retry to wait", func() bool { return q.Stats().Waiting == 1 })
	start := time.Now()
	mustClose(t, q)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %v", took)
	}
	if s := q.Stats(); s.Sent != 1 || s.Waiting != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// The bound counts messages waiting for a retry: a dead sender can't make
// the queue grow without end.
func TestBoundIncludesRetries(t *testing.T) {
	noLeak(t)
	s := senderFunc(func(context.Context, Message) error { return errors.New("down") })
	q := NewQueueWith(s, QueueOptions{Size: 3, Workers: 2, MaxTries: 10, Backoff: time.Hour})
	for range 3 {
		if err := q.Send(context.Background(), secretMsg); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all waiting", func() bool { return q.Stats().Waiting == 3 })
	if err := q.Send(context.Background(), secretMsg); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err %v, want ErrQueueFull", err)
	}
	if err := q.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("Check: %v", err)
	}
	mustClose(t, q)
}

func TestHealth(t *testing.T) {
	noLeak(t)
	var mu sync.Mutex
	var failWith error
	fail := func(err error) {
		mu.Lock()
		failWith = err
		mu.Unlock()
	}
	s := senderFunc(func(context.Context, Message) error {
		mu.Lock()
		defer mu.Unlock()
		return failWith
	})
	q := NewQueueWith(s, QueueOptions{Name: "email", Size: 100, Workers: 1, MaxTries: 1, UnhealthyAfter: 3})
	defer mustClose(t, q)
	send := func(n int) {
		before := q.Stats()
		for range n {
			_ = q.Send(context.Background(), secretMsg)
		}
		waitFor(t, "the sends", func() bool {
			s := q.Stats()
			return s.Sent+s.Failed == before.Sent+before.Failed+uint64(n)
		})
	}
	send(2)
	if err := q.Check(context.Background()); err != nil {
		t.Fatalf("healthy sender: %v", err)
	}
	fail(errors.New("dial tcp 127.0.0.1:25: connection refused"))
	send(2)
	if err := q.Check(context.Background()); err != nil {
		t.Fatalf("2 failures of 3 allowed: %v", err)
	}
	send(1)
	err := q.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "email") {
		t.Fatalf("3 failures in a row: %v", err)
	}
	// A recipient refused is not the sender's fault.
	fail(Refused(errors.New("550 no such user")))
	send(1)
	if err := q.Check(context.Background()); err != nil {
		t.Fatalf("after a refusal: %v", err)
	}
	fail(nil)
	send(1)
	if err := q.Check(context.Background()); err != nil {
		t.Fatalf("after a success: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	q := &Queue{o: QueueOptions{Backoff: time.Second, MaxBackoff: 10 * time.Second}}
	for tries, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		for range 50 {
			if d := q.backoff(tries); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tries, d, want/2, want)
			}
		}
	}
}
