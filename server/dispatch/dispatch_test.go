package dispatch_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/dispatch"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// sender records what it is given; while down it fails every attempt
// with fail (a temporary error unless marked).
type sender struct {
	mu       sync.Mutex
	down     bool
	fail     error
	attempts map[string]int          // by message id
	got      map[string]sspr.Message // delivered, by id
	dupes    int                     // deliveries of an id already delivered
}

func newSender() *sender {
	return &sender{attempts: map[string]int{}, got: map[string]sspr.Message{}, fail: errors.New("421 service not available")}
}

func (s *sender) Send(ctx context.Context, m sspr.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[m.ID]++
	if s.down {
		return s.fail
	}
	if _, ok := s.got[m.ID]; ok {
		s.dupes++
	}
	s.got[m.ID] = m
	return nil
}

func (s *sender) setDown(down bool, fail error) {
	s.mu.Lock()
	s.down = down
	if fail != nil {
		s.fail = fail
	}
	s.mu.Unlock()
}

func (s *sender) delivered() (n, dupes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got), s.dupes
}

var key = bytes.Repeat([]byte{7}, 32)

// rig is a SQLite file and the pools of the "servers" that share it.
type rig struct {
	t  testing.TB
	db *sqlite.DB
}

func newRig(t testing.TB) *rig {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &rig{t: t, db: db}
}

// server is one portal server's outbox on the rig's file, not started.
func (r *rig) server(s sspr.Sender, o dispatch.Options) *dispatch.Queue {
	r.t.Helper()
	pool, err := r.db.OpenPool(2)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { pool.Close() })
	o.Senders = map[sspr.Channel]sspr.Sender{sspr.Email: s, sspr.SMS: s}
	o.Key = key
	if o.Poll == 0 {
		o.Poll = 20 * time.Millisecond
	}
	if o.Backoff == 0 {
		o.Backoff, o.MaxBackoff = 20*time.Millisecond, 80*time.Millisecond
	}
	q, err := dispatch.NewSQLite(pool, o)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = q.Close(context.Background()) })
	return q
}

func (r *rig) raw() *sql.DB {
	p, err := r.db.OpenPool(1)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { p.Close() })
	return p
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not after 15 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func codeMessage(to, code string) sspr.Message {
	return sspr.Message{Channel: sspr.Email, To: to, Subject: "Your code", Body: "Your code is " + code, Code: code,
		Kind: sspr.KindCode, Expires: time.Now().Add(10 * time.Minute)}
}

// An outage far longer than the in-memory queue's give-up time (~48 s at
// its defaults, five tries; here hundreds of tries), then the sender is
// back: every message arrives, exactly once, each attempt under its one
// id.
func TestOutageThenDeliveredOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	s.setDown(true, nil)
	q := r.server(s, dispatch.Options{})
	q.Start(t.Context())
	for i := range 20 {
		if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("alice@example.net", "12345"+string(rune('0'+i%10)))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "several attempts each", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, n := range s.attempts {
			if n < 5 {
				return false
			}
		}
		return len(s.attempts) == 20
	})
	if err := q.Channel(sspr.Email).Check(t.Context()); err == nil {
		t.Error("email is healthy while every attempt fails")
	}
	s.setDown(false, nil)
	eventually(t, "all 20 delivered", func() bool { n, _ := s.delivered(); return n == 20 })
	time.Sleep(200 * time.Millisecond)
	if n, dupes := s.delivered(); n != 20 || dupes != 0 {
		t.Errorf("delivered %d, %d twice; want 20, none twice", n, dupes)
	}
	// River records the ends in batches, a moment after the sends.
	eventually(t, "email healthy after recovery", func() bool { return q.Channel(sspr.Email).Check(t.Context()) == nil })
}

// Messages stored by a server that stops before delivering them (it died,
// or was stopped) are delivered by another server on the same database.
func TestAnotherServerDelivers(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	first := r.server(s, dispatch.Options{}) // never started: it only stores
	for range 5 {
		if err := first.Channel(sspr.SMS).Send(t.Context(), sspr.Message{Channel: sspr.SMS, To: "+447700900123", Body: "Your code is 424242", Code: "424242"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	second := r.server(s, dispatch.Options{})
	second.Start(t.Context())
	eventually(t, "the second server delivers the first's messages", func() bool { n, _ := s.delivered(); return n == 5 })
}

// A message stored by a server wakes that server's workers at once: the
// poll is for what other processes store. Nothing is written for it
// either, where River's SQLite driver would write a notification row with
// every message and read that table every 50 ms.
func TestStoredWakesTheWorkers(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	q := r.server(s, dispatch.Options{Poll: time.Hour})
	q.Start(t.Context())
	time.Sleep(100 * time.Millisecond) // past River's first fetch at start
	for i := range 3 {
		start := time.Now()
		if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("alice@example.net", fmt.Sprintf("12345%d", i))); err != nil {
			t.Fatal(err)
		}
		for n, _ := s.delivered(); n <= i; n, _ = s.delivered() {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("message %d not delivered after 5 s with an hour's poll: stored messages don't wake the workers", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	var notes int
	if err := r.raw().QueryRowContext(t.Context(), `SELECT count(*) FROM river_notification`).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if notes != 0 {
		t.Errorf("%d rows in river_notification, want none", notes)
	}
}

// Messages stored while the workers start (a reminder run as the server
// comes up): River sets up a producer's wake-up as it starts, and an
// insert without a listener calls it, so the two must not overlap (go
// test -race saw them do so).
func TestStoredWhileStarting(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	q := r.server(s, dispatch.Options{Poll: time.Hour})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("alice@example.net", fmt.Sprintf("22222%d", i))); err != nil {
				t.Error(err)
			}
		})
	}
	q.Start(t.Context())
	wg.Wait()
	eventually(t, "all 4 delivered", func() bool { n, _ := s.delivered(); return n == 4 })
}

// A failure the sender marks permanent ends the message at once, GaveUp
// is told, and the channel is degraded until a message gets through; a
// code whose time runs out is given up with ErrExpired.
func TestGiveUp(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	var mu sync.Mutex
	var gaveUp []error
	q := r.server(s, dispatch.Options{GaveUp: func(_ context.Context, m sspr.Message, err error) {
		mu.Lock()
		gaveUp = append(gaveUp, err)
		mu.Unlock()
	}})
	q.Start(t.Context())
	s.setDown(true, notify.Permanent(errors.New("535 authentication failed")))
	if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("bob@example.net", "111111")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "given up", func() bool { mu.Lock(); defer mu.Unlock(); return len(gaveUp) == 1 })
	s.mu.Lock()
	if n := len(s.attempts); n != 1 {
		t.Errorf("%d messages tried", n)
	}
	for _, n := range s.attempts {
		if n != 1 {
			t.Errorf("a permanent failure was tried %d times", n)
		}
	}
	s.mu.Unlock()
	// GaveUp runs before River records the end.
	eventually(t, "email degraded after a permanent failure", func() bool {
		err := q.Channel(sspr.Email).Check(t.Context())
		return err != nil && strings.Contains(err.Error(), "given up")
	})
	if err := q.Channel(sspr.SMS).Check(t.Context()); err != nil {
		t.Errorf("sms, untouched: %v", err)
	}

	// A temporary outage past the code's expiry.
	s.setDown(true, errors.New("connection refused"))
	m := codeMessage("bob@example.net", "222222")
	m.Expires = time.Now().Add(300 * time.Millisecond)
	if err := q.Channel(sspr.Email).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the expired code given up", func() bool { mu.Lock(); defer mu.Unlock(); return len(gaveUp) == 2 })
	mu.Lock()
	if !errors.Is(gaveUp[1], dispatch.ErrExpired) {
		t.Errorf("reason %v, want ErrExpired", gaveUp[1])
	}
	mu.Unlock()

	s.setDown(false, nil)
	if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("carol@example.net", "333333")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "delivered", func() bool { n, _ := s.delivered(); return n == 1 })
	eventually(t, "healthy once a message got through", func() bool { return q.Channel(sspr.Email).Check(t.Context()) == nil })
}

// Two servers on one database say the same about a channel's health.
func TestHealthIsShared(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	s.setDown(true, nil)
	a := r.server(s, dispatch.Options{UnhealthyAfter: 2})
	b := r.server(s, dispatch.Options{UnhealthyAfter: 2})
	a.Start(t.Context()) // only a delivers
	for _, to := range []string{"a@example.net", "b@example.net"} {
		if err := a.Channel(sspr.Email).Send(t.Context(), codeMessage(to, "123456")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both servers degraded", func() bool {
		return a.Channel(sspr.Email).Check(t.Context()) != nil && b.Channel(sspr.Email).Check(t.Context()) != nil
	})
	s.setDown(false, nil)
	eventually(t, "both servers healthy", func() bool {
		return a.Channel(sspr.Email).Check(t.Context()) == nil && b.Channel(sspr.Email).Check(t.Context()) == nil
	})
}

// The table holds neither the code nor the address: the message is
// sealed. A decoy's stand-in is stored like a message and sent to nobody.
func TestSealedAndDecoys(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	logger, log := testkit.NewLog()
	q := r.server(s, dispatch.Options{Log: logger})
	if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("dora@example.net", "987123")); err != nil {
		t.Fatal(err)
	}
	if err := q.Channel(sspr.Email).SendDecoy(t.Context()); err != nil {
		t.Fatal(err)
	}
	var rows int
	var all string
	err := r.raw().QueryRowContext(t.Context(), `SELECT count(*), group_concat(json(args), ' ') FROM river_job`).Scan(&rows, &all)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 2 {
		t.Errorf("%d rows, want 2 (the message and the decoy's)", rows)
	}
	for _, secret := range []string{"987123", "dora@example.net", "Your code"} {
		if strings.Contains(all, secret) {
			t.Errorf("the table holds %q", secret)
		}
	}
	q.Start(t.Context())
	eventually(t, "delivered", func() bool { n, _ := s.delivered(); return n == 1 })
	time.Sleep(200 * time.Millisecond)
	s.mu.Lock()
	for _, m := range s.got {
		if m.To != "dora@example.net" || m.Code != "987123" || m.ID == "" {
			t.Errorf("delivered %+v", m)
		}
	}
	if len(s.attempts) != 1 {
		t.Errorf("%d messages sent; the decoy's stand-in was sent", len(s.attempts))
	}
	s.mu.Unlock()
	log.NoSecret(t, "987123", "dora@example.net")
}

// TestErrorsKeepNoAddress: a sender's error that quotes the address and
// the code (as an SMTP 550 does) reaches neither the job's row, where
// River keeps each attempt's error, nor the log.
func TestErrorsKeepNoAddress(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	s.setDown(true, errors.New("450 mailbox busy: <erin@example.net> code 555123"))
	logger, log := testkit.NewLog()
	q := r.server(s, dispatch.Options{Log: logger})
	if err := q.Channel(sspr.Email).Send(t.Context(), codeMessage("erin@example.net", "555123")); err != nil {
		t.Fatal(err)
	}
	q.Start(t.Context())
	var errs string
	eventually(t, "two failed attempts recorded", func() bool {
		var n int
		_ = r.raw().QueryRowContext(t.Context(), `SELECT attempt, coalesce(json(errors), '') FROM river_job`).Scan(&n, &errs)
		return n >= 2 && strings.Contains(errs, "mailbox busy")
	})
	for _, secret := range []string{"erin@example.net", "555123"} {
		if strings.Contains(errs, secret) {
			t.Errorf("the job's errors hold %q: %s", secret, errs)
		}
	}
	log.NoSecret(t, "erin@example.net", "555123")
}

// SendAll stores several messages in one write, each delivered once; a
// batch holding a message of another channel is refused whole, before
// anything is stored (River's InsertMany, one transaction, is what makes
// a stored batch all or none).
func TestSendAll(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	s := newSender()
	q := r.server(s, dispatch.Options{})
	ch := q.Channel(sspr.Email)
	notice := func(to string) sspr.Message {
		return sspr.Message{Channel: sspr.Email, To: to, Subject: "Your password was reset", Body: "It was reset.", Kind: sspr.KindReset}
	}
	wrong := codeMessage("+447700900123", "123456")
	wrong.Channel = sspr.SMS
	if err := ch.SendAll(t.Context(), []sspr.Message{notice("a@example.net"), wrong}); err == nil {
		t.Fatal("a batch with a text in it was stored on the email channel")
	}
	count := func() (n int) {
		if err := r.raw().QueryRowContext(t.Context(), `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := ch.SendAll(t.Context(), []sspr.Message{notice("a@example.net"), notice("b@example.org")}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d messages stored, want 2 (none of the refused batch)", n)
	}
	q.Start(t.Context())
	eventually(t, "both delivered", func() bool { n, _ := s.delivered(); return n == 2 })
	s.mu.Lock()
	defer s.mu.Unlock()
	var to []string
	for _, m := range s.got {
		to = append(to, m.To)
	}
	slices.Sort(to)
	if fmt.Sprint(to) != "[a@example.net b@example.org]" || s.dupes != 0 {
		t.Errorf("delivered to %v, %d twice", to, s.dupes)
	}
}
