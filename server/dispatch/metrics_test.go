package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/dispatch"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Depth counts what waits, per channel, and Attempted hears every
// attempt's result: a retry while the sender is down, then the delivery;
// a permanent failure by its class.
func TestDepthAndAttempts(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	s.setDown(true, nil)
	var mu sync.Mutex
	results := map[string]int{}
	q := r.server(s, dispatch.Options{Attempted: func(ch sspr.Channel, result string, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		results[string(ch)+" "+result]++
	}})
	count := func(k string) int { mu.Lock(); defer mu.Unlock(); return results[k] }

	for range 3 {
		if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("alice@example.net", "123456")); err != nil {
			t.Fatal(err)
		}
	}
	n, oldest, err := q.Depth(t.Context(), sspr.Email)
	if err != nil || n != 3 || oldest < 0 {
		t.Fatalf("email depth %d, oldest %s, %v; want 3", n, oldest, err)
	}
	if n, oldest, err := q.Depth(t.Context(), sspr.SMS); err != nil || n != 0 || oldest != 0 {
		t.Fatalf("sms depth %d, oldest %s, %v; want none", n, oldest, err)
	}

	q.Start(t.Context())
	eventually(t, "retries counted", func() bool { return count("email retry") >= 3 })
	s.setDown(false, nil)
	eventually(t, "deliveries counted", func() bool { return count("email delivered") == 3 })
	eventually(t, "the queue empty", func() bool { n, _, err := q.Depth(t.Context(), sspr.Email); return err == nil && n == 0 })

	s.setDown(true, notify.Permanent(errors.New("550 no such user")))
	if err := q.Channel(sspr.SMS).Send(context.Background(), sspr.Message{Channel: sspr.SMS, To: "+447700900123", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a permanent failure counted", func() bool { return count("sms permanent") == 1 })
}
