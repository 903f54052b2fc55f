package notify

// An internal test: it reaches the queue's internals (classification, back-off).

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/testkit"
)

// senderFunc adapts a function to Sender.
type senderFunc func(ctx context.Context, m Message) error

func (f senderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

var secretMsg = Message{Channel: SMS, To: "+447700900123", Subject: "Code", Body: "Your code is 31415926.", Code: "31415926"}

// assertNoSecret fails if the log holds the body or the code.
func assertNoSecret(t *testing.T, log string) {
	t.Helper()
	for _, s := range []string{secretMsg.Code, "Your code is"} {
		if strings.Contains(log, s) {
			t.Errorf("log contains %q:\n%s", s, log)
		}
	}
}

// noLeak fails the test if it ends with more goroutines than it began
// with, once the stragglers have had a moment to exit.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

func mustClose(t *testing.T, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// blocking is a sender that holds every delivery until released.
type blocking struct {
	started chan Message
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{started: make(chan Message, 100), release: make(chan struct{})}
}

func (b *blocking) Send(ctx context.Context, m Message) error {
	b.started <- m
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestSendDoesNotWait: Send returns while the sender is stuck, so delivery
// time can't show through the request (docs/SECURITY.md#same-answer).
func TestSendDoesNotWait(t *testing.T) {
	noLeak(t)
	b := newBlocking()
	q := NewQueue(b, 10, 1, nil)
	start := time.Now()
	for range 5 {
		if err := q.Send(context.Background(), secretMsg); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	<-b.started // the worker is now stuck in the sender
	// Generous for -race on a loaded machine; a Send that waited for the
	// sender would never return at all.
	if took > 50*time.Millisecond {
		t.Errorf("5 Sends took %v", took)
	}
	if s := q.Stats(); s.Sent != 0 || s.Queued != 4 {
		t.Errorf("stats %+v while the sender is stuck", s)
	}
	close(b.release)
	mustClose(t, q)
	if s := q.Stats(); s.Sent != 5 || s.Failed != 0 || s.Dropped != 0 || s.Queued != 0 {
		t.Errorf("stats %+v, want 5 sent", s)
	}
}

func TestQueueFull(t *testing.T) {
	noLeak(t)
	log, buf := testkit.NewLog()
	b := newBlocking()
	q := NewQueue(b, 2, 1, log)
	ctx := context.Background()
	if err := q.Send(ctx, secretMsg); err != nil {
		t.Fatal(err)
	}
	<-b.started // the worker holds one: it counts against the bound too
	if err := q.Send(ctx, secretMsg); err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, secretMsg); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err %v, want ErrQueueFull", err)
	}
	if s := q.Stats(); s.Dropped != 1 || s.Queued != 1 {
		t.Errorf("stats %+v, want 1 dropped and 1 queued", s)
	}
	if err := q.Check(ctx); err == nil || !strings.Contains(err.Error(), "queue full") {
		t.Errorf("Check after a drop: %v", err)
	}
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "channel=sms") {
		t.Errorf("no warning with the channel:\n%s", out)
	}
	assertNoSecret(t, out)
	close(b.release)
	mustClose(t, q)
	if s := q.Stats(); s.Sent != 2 {
		t.Errorf("stats %+v, want 2 sent", s)
	}
}

func TestCloseDrains(t *testing.T) {
	noLeak(t)
	var (
		mu  sync.Mutex
		got []string
	)
	s := senderFunc(func(ctx context.Context, m Message) error {
		time.Sleep(time.Millisecond)
		mu.Lock()
		got = append(got, m.To)
		mu.Unlock()
		return nil
	})
	q := NewQueue(s, 100, 3, nil)
	for i := range 50 {
		if err := q.Send(context.Background(), Message{Channel: Email, To: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, q)
	if len(got) != 50 {
		t.Fatalf("%d delivered, want 50", len(got))
	}
	if st := q.Stats(); st.Sent != 50 {
		t.Fatalf("stats %+v", st)
	}
	t.Run("ErrClosed", func(t *testing.T) {
		if err := q.Send(context.Background(), secretMsg); !errors.Is(err, ErrClosed) {
			t.Fatalf("err %v, want ErrClosed", err)
		}
		if st := q.Stats(); st.Dropped != 1 {
			t.Fatalf("stats %+v, want 1 dropped", st)
		}
		mustClose(t, q) // a second Close is fine
	})
}

func TestCloseGivesUp(t *testing.T) {
	noLeak(t)
	b := newBlocking()
	q := NewQueue(b, 10, 1, nil)
	for range 3 {
		if err := q.Send(context.Background(), secretMsg); err != nil {
			t.Fatal(err)
		}
	}
	<-b.started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v, want DeadlineExceeded", err)
	}
	// The delivery in flight was cancelled and the rest abandoned, so the
	// worker exits (noLeak checks) and a second Close returns.
	mustClose(t, q)
	if s := q.Stats(); s.Failed != 1 || s.Dropped != 2 || s.Sent != 0 {
		t.Errorf("stats %+v, want 1 failed and 2 dropped", s)
	}
}

func TestDeliveryFailures(t *testing.T) {
	tests := []struct {
		name    string
		send    senderFunc
		timeout time.Duration
		inLog   string
	}{
		{"an error", func(context.Context, Message) error {
			return errors.New("554 gateway refused")
		}, time.Second, "554 gateway refused"},
		{"a timeout", func(ctx context.Context, _ Message) error {
			<-ctx.Done()
			return ctx.Err()
		}, 10 * time.Millisecond, "deadline exceeded"},
		{"a panic", func(context.Context, Message) error {
			panic("nil map")
		}, time.Second, "sender panicked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeak(t)
			log, buf := testkit.NewLog()
			q := NewQueueWith(tt.send, QueueOptions{Size: 10, Workers: 2, Timeout: tt.timeout, Log: log})
			for range 3 {
				if err := q.Send(context.Background(), secretMsg); err != nil {
					t.Fatal(err)
				}
			}
			mustClose(t, q)
			if s := q.Stats(); s.Failed != 3 || s.Sent != 0 {
				t.Errorf("stats %+v, want 3 failed", s)
			}
			out := buf.String()
			if n := strings.Count(out, "level=ERROR"); n != 3 {
				t.Errorf("%d error lines, want 3:\n%s", n, out)
			}
			for _, want := range []string{tt.inLog, "channel=sms", "to=+447700900123"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			assertNoSecret(t, out)
		})
	}
}

// TestDeliveryOutlivesRequest: the request's context ends when the handler
// returns, but the message must still go.
func TestDeliveryOutlivesRequest(t *testing.T) {
	noLeak(t)
	b := newBlocking()
	q := NewQueue(b, 10, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Send(ctx, secretMsg); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-b.started
	close(b.release)
	mustClose(t, q)
	if s := q.Stats(); s.Sent != 1 {
		t.Errorf("stats %+v, want 1 sent", s)
	}
}

func TestConcurrentSendAndClose(t *testing.T) {
	noLeak(t)
	q := NewQueue(senderFunc(func(context.Context, Message) error { return nil }), 8, 2, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				_ = q.Send(context.Background(), secretMsg)
			}
		})
	}
	time.Sleep(time.Millisecond)
	mustClose(t, q)
	wg.Wait()
	s := q.Stats()
	if s.Sent+s.Dropped != 8*200 || s.Failed != 0 {
		t.Errorf("stats %+v: sent+dropped != %d", s, 8*200)
	}
}

func BenchmarkQueueSend(b *testing.B) {
	q := NewQueue(senderFunc(func(context.Context, Message) error { return nil }), 1<<16, 4, nil)
	defer q.Close(context.Background())
	ctx := context.Background()
	for b.Loop() {
		_ = q.Send(ctx, secretMsg)
	}
}
