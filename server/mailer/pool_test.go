package mailer_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/mail"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/smtptest"
	"github.com/sspr-portal/sspr/server/mailer"
	"github.com/sspr-portal/sspr/server/notify"
)

// proxy stands between the Mailer and the test server, as the network
// does: it counts the connections, and can drop them (a server closing
// idle ones), answer 421 first (on a plain relay), or swallow everything
// (a server or a firewall that stopped answering), or hold each reply for
// a while (a slow server).
type proxy struct {
	ln       net.Listener
	upstream string
	black    atomic.Bool
	lag      atomic.Int64 // each reply waits this long (time.Duration)

	mu       sync.Mutex
	conns    map[*pair]bool
	accepted int
}

type pair struct{ client, server net.Conn }

func startProxy(tb testing.TB, upstream string) *proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &proxy{ln: ln, upstream: upstream, conns: map[*pair]bool{}}
	go p.serve()
	tb.Cleanup(func() {
		_ = ln.Close()
		p.drop("")
	})
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = c.Close()
			continue
		}
		pr := &pair{client: c, server: up}
		p.mu.Lock()
		p.accepted++
		p.conns[pr] = true
		p.mu.Unlock()
		go p.pipe(pr)
	}
}

// pipe copies both ways until either side closes, then closes both.
func (p *proxy) pipe(pr *pair) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn, replies bool) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if replies {
				time.Sleep(time.Duration(p.lag.Load()))
			}
			if n > 0 && !p.black.Load() {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}
	go cp(pr.server, pr.client, false)
	go cp(pr.client, pr.server, true)
	<-done
	_ = pr.client.Close()
	_ = pr.server.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, pr)
	p.mu.Unlock()
}

// drop closes every connection, after writing say to the client.
func (p *proxy) drop(say string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.conns {
		if say != "" {
			_, _ = pr.client.Write([]byte(say))
		}
		_ = pr.client.Close()
		_ = pr.server.Close()
	}
}

// counts returns the connections accepted so far and those open now.
func (p *proxy) counts() (accepted, open int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted, len(p.conns)
}

// waitOpen waits until at most n connections are open.
func (p *proxy) waitOpen(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	for end := time.Now().Add(timeout); ; time.Sleep(5 * time.Millisecond) {
		_, open := p.counts()
		if open <= n {
			return
		}
		if time.Now().After(end) {
			tb.Fatalf("%d connections open after %v, want at most %d", open, timeout, n)
		}
	}
}

func (p *proxy) wantAccepted(tb testing.TB, n int) {
	tb.Helper()
	if got, _ := p.counts(); got != n {
		tb.Fatalf("%d connections, want %d", got, n)
	}
}

// setup is a test server of kind o behind a proxy and a Mailer that
// sends through the proxy.
type setup struct {
	s *smtptest.Server
	p *proxy
	m *mailer.Mailer
}

func (k kind) start(t *testing.T, mod func(*mailer.Config)) setup {
	t.Helper()
	s := smtptest.Start(t, k.o)
	p := startProxy(t, s.Addr)
	m := newMailer(t, s, func(c *mailer.Config) {
		c.Port = p.port()
		if k.mod != nil {
			k.mod(c)
		}
		if mod != nil {
			mod(c)
		}
	})
	return setup{s: s, p: p, m: m}
}

// kind is a kind of server and the configuration that goes with it.
type kind struct {
	name string
	o    smtptest.Options
	mod  func(*mailer.Config)
}

var (
	starttls = kind{"STARTTLS and AUTH", smtptest.Options{Username: user, Password: pass}, nil}
	implicit = kind{"implicit TLS", smtptest.Options{Username: user, Password: pass, ImplicitTLS: true},
		func(c *mailer.Config) { c.Security = mailer.TLS }}
	plain = kind{"plain relay", smtptest.Options{NoTLS: true},
		func(c *mailer.Config) { c.Security, c.Username, c.Password = mailer.Plain, "", "" }}
)

// numbered is message i: to rcpt-i, with the id m-i.
func numbered(i int) notify.Message {
	msg := notify.CodeMessage(notify.Email, fmt.Sprintf("rcpt-%d@example.net", i), "31415926", 10*time.Minute, org)
	msg.ID = fmt.Sprintf("m-%d", i)
	return msg
}

// byID checks that the server got each of the messages 0..n-1 exactly
// once, each to its own recipient only.
func byID(t *testing.T, s *smtptest.Server, n int) {
	t.Helper()
	got := s.Wait(t, n, 10*time.Second)
	seen := map[string]int{}
	for _, m := range got {
		h, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		id := h.Header.Get("Message-Id")
		seen[id]++
		var i int
		if _, err := fmt.Sscanf(id, "<m-%d@example.edu>", &i); err != nil {
			t.Fatalf("Message-ID %q", id)
		}
		if want := fmt.Sprintf("rcpt-%d@example.net", i); len(m.To) != 1 || m.To[0] != want {
			t.Errorf("message %d went to %v, want only %s", i, m.To, want)
		}
	}
	for i := range n {
		if c := seen[fmt.Sprintf("<m-%d@example.edu>", i)]; c != 1 {
			t.Errorf("message %d arrived %d times", i, c)
		}
	}
	if len(got) != n {
		t.Errorf("%d messages, want %d", len(got), n)
	}
}

// TestReuse: messages one after another share one connection, with the
// same security and authentication as a new one, and RSET between them.
func TestReuse(t *testing.T) {
	for _, k := range []kind{starttls, implicit, plain} {
		t.Run(k.name, func(t *testing.T) {
			x := k.start(t, nil)
			const n = 5
			for i := range n {
				if err := send(t, x.m, numbered(i)); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			x.p.wantAccepted(t, 1)
			byID(t, x.s, n)
			for _, got := range x.s.Messages() {
				if got.TLS == k.o.NoTLS || (got.User == user) != (k.o.Username != "") {
					t.Errorf("tls %v user %q", got.TLS, got.User)
				}
			}
		})
	}
}

// TestConcurrent: many senders at once, each message delivered once, on
// no more connections than are in use at once, and no more than MaxIdle
// left open after.
func TestConcurrent(t *testing.T) {
	const senders, each = 8, 6
	for _, tt := range []struct {
		name    string
		maxIdle int
		// most is the most connections ever opened (0: not checked).
		most int
	}{
		{"pool as large as the senders", senders, senders},
		{"pool smaller than the senders", 2, 0},
		{"default pool", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := starttls.start(t, func(c *mailer.Config) { c.MaxIdle = tt.maxIdle })
			var wg sync.WaitGroup
			errs := make(chan error, senders*each)
			for g := range senders {
				wg.Go(func() {
					for j := range each {
						if err := send(t, x.m, numbered(g*each+j)); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			byID(t, x.s, senders*each)
			accepted, _ := x.p.counts()
			if tt.most != 0 && accepted > tt.most {
				t.Errorf("%d connections for %d senders", accepted, senders)
			}
			keep := tt.maxIdle
			if keep == 0 {
				keep = mailer.DefaultMaxIdle
			}
			x.p.waitOpen(t, keep, 5*time.Second)
			t.Logf("%d messages over %d connections", senders*each, accepted)
		})
	}
}

// TestServerClosedIdle: a connection the server closed while it waited
// costs the next message a new connection, not the message: it arrives
// once. MAIL FROM never reached the server on the dead one.
func TestServerClosedIdle(t *testing.T) {
	for _, tt := range []struct {
		name string
		k    kind
		kill func(*testing.T, setup)
	}{
		{"dropped", starttls, func(t *testing.T, x setup) { x.p.drop("") }},
		{"dropped, implicit TLS", implicit, func(t *testing.T, x setup) { x.p.drop("") }},
		{"421 then closed", plain, func(t *testing.T, x setup) {
			x.p.drop("421 4.4.2 smtptest.localhost Idle timeout, closing connection\r\n")
		}},
		{"server restarted", starttls, func(t *testing.T, x setup) {
			x.s.Stop()
			x.p.waitOpen(t, 0, 5*time.Second)
			x.s.Restart(t)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.k.start(t, nil)
			if err := send(t, x.m, numbered(0)); err != nil {
				t.Fatal(err)
			}
			tt.kill(t, x)
			x.p.waitOpen(t, 0, 5*time.Second)
			if err := send(t, x.m, numbered(1)); err != nil {
				t.Fatalf("after the server closed the connection: %v", err)
			}
			byID(t, x.s, 2)
			x.p.wantAccepted(t, 2)
			if n := x.s.Attempts(); n != 2 {
				t.Errorf("%d MAIL FROM, want 2", n)
			}
			// And the new connection is reused in turn.
			if err := send(t, x.m, numbered(2)); err != nil {
				t.Fatal(err)
			}
			x.p.wantAccepted(t, 2)
		})
	}
}

// TestNoRetryAfterData: a connection lost once the message's data was
// sent is the queue's to retry: the server may have it (here it does),
// and a second try here would deliver it twice.
func TestNoRetryAfterData(t *testing.T) {
	for _, reused := range []bool{false, true} {
		t.Run(fmt.Sprintf("reused=%v", reused), func(t *testing.T) {
			x := starttls.start(t, nil)
			before := 0
			if reused {
				if err := send(t, x.m, numbered(0)); err != nil {
					t.Fatal(err)
				}
				before = 1
			}
			x.s.Slow(time.Second)
			errc := make(chan error, 1)
			go func() { errc <- send(t, x.m, numbered(before)) }()
			for end := time.Now().Add(5 * time.Second); x.s.Attempts() <= before; time.Sleep(time.Millisecond) {
				if time.Now().After(end) {
					t.Fatal("no MAIL FROM")
				}
			}
			time.Sleep(300 * time.Millisecond) // the data is sent; the server sits on it
			x.p.drop("")
			err := <-errc
			if err == nil || notify.IsPermanent(err) {
				t.Fatalf("err %v, want a temporary error", err)
			}
			byID(t, x.s, before+1) // the server has it, once
			time.Sleep(200 * time.Millisecond)
			if n := x.s.Attempts(); n != before+1 {
				t.Fatalf("%d MAIL FROM, want %d: sent again", n, before+1)
			}
		})
	}
}

// TestIdleTimeout: a connection unused for IdleTimeout is closed, and the
// next message opens another.
func TestIdleTimeout(t *testing.T) {
	x := starttls.start(t, func(c *mailer.Config) { c.IdleTimeout = 150 * time.Millisecond })
	if err := send(t, x.m, numbered(0)); err != nil {
		t.Fatal(err)
	}
	if _, open := x.p.counts(); open != 1 {
		t.Fatalf("%d connections open after a message, want 1 waiting", open)
	}
	x.p.waitOpen(t, 0, 5*time.Second)
	if err := send(t, x.m, numbered(1)); err != nil {
		t.Fatal(err)
	}
	x.p.wantAccepted(t, 2)
	byID(t, x.s, 2)
}

// TestMaxMessages: a connection that has carried MaxMessages is closed,
// and the next message opens another.
func TestMaxMessages(t *testing.T) {
	x := starttls.start(t, func(c *mailer.Config) { c.MaxMessages = 3 })
	for i := range 7 {
		if err := send(t, x.m, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	x.p.wantAccepted(t, 3) // 3 + 3 + 1
	x.p.waitOpen(t, 1, 5*time.Second)
	byID(t, x.s, 7)
}

// TestNoPool: MaxIdle below 0 is a new connection per message, closed
// after it.
func TestNoPool(t *testing.T) {
	x := starttls.start(t, func(c *mailer.Config) { c.MaxIdle = -1 })
	for i := range 3 {
		if err := send(t, x.m, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	x.p.wantAccepted(t, 3)
	x.p.waitOpen(t, 0, 5*time.Second)
	byID(t, x.s, 3)
}

// TestClose: Close closes the waiting connections; a message after it
// still goes, on a connection of its own.
func TestClose(t *testing.T) {
	x := starttls.start(t, nil)
	if err := send(t, x.m, numbered(0)); err != nil {
		t.Fatal(err)
	}
	if err := x.m.Close(); err != nil {
		t.Fatal(err)
	}
	x.p.waitOpen(t, 0, 5*time.Second)
	if err := send(t, x.m, numbered(1)); err != nil {
		t.Fatal(err)
	}
	x.p.waitOpen(t, 0, 5*time.Second)
	x.p.wantAccepted(t, 2)
	byID(t, x.s, 2)
}

// TestReusedErrors: the server's answers on a connection that waited are
// classified as on a new one, and not tried again here, except a 421
// (the server closing the connection), tried once on a new connection.
func TestReusedErrors(t *testing.T) {
	for _, tt := range []struct {
		name               string
		fail               func(*smtptest.Server)
		permanent, refused bool
		attempts           int // MAIL FROM for the failing message
	}{
		{"451", func(s *smtptest.Server) { s.Fail(451) }, false, false, 1},
		{"554", func(s *smtptest.Server) { s.Fail(554) }, true, false, 1},
		{"recipient refused 550", func(s *smtptest.Server) { s.Reject("rcpt-1@example.net", 550) }, true, true, 1},
		{"421 to MAIL FROM", func(s *smtptest.Server) { s.Fail(421) }, false, false, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := starttls.start(t, nil)
			if err := send(t, x.m, numbered(0)); err != nil {
				t.Fatal(err)
			}
			tt.fail(x.s)
			err := send(t, x.m, numbered(1))
			if err == nil {
				t.Fatal("no error")
			}
			if notify.IsPermanent(err) != tt.permanent || notify.IsRefused(err) != tt.refused {
				t.Errorf("%v: permanent %v refused %v, want %v %v", err, notify.IsPermanent(err), notify.IsRefused(err), tt.permanent, tt.refused)
			}
			if n := x.s.Attempts() - 1; n != tt.attempts {
				t.Errorf("%d MAIL FROM for the message, want %d", n, tt.attempts)
			}
			// The failed connection is not reused; the next message goes.
			x.s.Fail(0)
			x.s.Reject("rcpt-1@example.net", 0)
			if err := send(t, x.m, numbered(2)); err != nil {
				t.Fatal(err)
			}
			if got := x.s.Wait(t, 2, 5*time.Second); len(got) != 2 {
				t.Fatalf("%d messages", len(got))
			}
		})
	}
}

// TestReusedTimeout: on a connection that waited, a server that stops
// answering still can't hold the sender for longer than Timeout, nor can
// a message go on once its context has ended.
func TestReusedTimeout(t *testing.T) {
	const timeout = time.Second
	for _, tt := range []struct {
		name  string
		stall func(setup)
		ctx   time.Duration // the context's own limit, if any
	}{
		{"server slow after DATA", func(x setup) { x.s.Slow(3 * time.Second) }, 0},
		{"connection black-holed", func(x setup) { x.p.black.Store(true) }, 0},
		{"context ends mid-message", func(x setup) { x.s.Slow(3 * time.Second) }, 200 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := starttls.start(t, func(c *mailer.Config) { c.Timeout = timeout })
			if err := send(t, x.m, numbered(0)); err != nil {
				t.Fatal(err)
			}
			tt.stall(x)
			ctx := context.Background()
			limit := timeout
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(tt.ctx, cancel)
				defer cancel()
				limit = tt.ctx
			}
			start := time.Now()
			err := x.m.Send(ctx, numbered(1))
			took := time.Since(start)
			if err == nil || notify.IsPermanent(err) {
				t.Fatalf("err %v, want a temporary error", err)
			}
			if took > limit+500*time.Millisecond {
				t.Fatalf("took %v, limit %v", took, limit)
			}
		})
	}
}

// TestSlowReplies: a server that takes its time over every reply can't
// hold the sender for longer than Timeout in all, connecting included
// (go-mail moves the deadline to Timeout from now before each step).
func TestSlowReplies(t *testing.T) {
	const timeout = time.Second
	x := plain.start(t, func(c *mailer.Config) { c.Timeout = timeout })
	// Greeting and EHLO take half the timeout, the message's 5 replies more
	// than the rest.
	x.p.lag.Store(int64(timeout / 4))
	start := time.Now()
	err := send(t, x.m, numbered(0))
	took := time.Since(start)
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("err %v, want a temporary error", err)
	}
	if took > timeout+300*time.Millisecond {
		t.Fatalf("took %v with a %v timeout", took, timeout)
	}
}
