package mailer

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// goodbye bounds the QUIT of a connection closed while nobody waits for it
// (idle too long, Close): a courtesy, since the server ends the session
// when the connection closes anyway.
const goodbye = 2 * time.Second

// session is one open, authenticated SMTP connection. It carries one
// message at a time: it belongs to the Send using it, or waits in
// Mailer.idle (since and timer are then guarded by Mailer.mu).
type session struct {
	c     *smtp.Client
	conn  *conn
	sent  int         // messages tried on it
	since time.Time   // when it last went idle
	timer *time.Timer // closes it after IdleTimeout idle
}

// close says QUIT within the deadline already set and closes the
// connection whatever the answer (go-mail's Quit leaves it open when the
// QUIT fails).
func (s *session) close() {
	_ = s.c.Quit()
	_ = s.c.Close()
}

// open connects, says EHLO, switches to TLS and authenticates, within
// deadline. ctx's end interrupts it.
func (m *Mailer) open(ctx context.Context, deadline time.Time) (*session, error) {
	cn := &conn{limit: deadline}
	stop := context.AfterFunc(ctx, cn.interrupt)
	defer stop()
	dctx, cancel := context.WithDeadline(context.WithValue(ctx, connKey{}, cn), deadline)
	defer cancel()
	c, err := m.client.DialToSMTPClientWithContext(dctx)
	if err != nil {
		// go-mail leaves the connection open when EHLO, STARTTLS or AUTH
		// fails.
		cn.close()
		return nil, err
	}
	return &session{c: c, conn: cn}, nil
}

// sendOn sends gm over s within deadline, ctx's end interrupting it, then
// puts s back for the next message or closes it. After a delivered
// message go-mail has already sent RSET (sendSingleMsg), so a session put
// back has no transaction open; after any failure it is closed, as its
// state is unknown.
func (m *Mailer) sendOn(ctx context.Context, s *session, gm *gomail.Msg, deadline time.Time) error {
	if err := ctx.Err(); err != nil {
		m.put(s) // unused: as good as before
		return err
	}
	s.conn.bound(deadline)
	stop := context.AfterFunc(ctx, s.conn.interrupt)
	err := m.client.SendWithSMTPClient(s.c, gm)
	interrupted := !stop()
	s.sent++
	if err == nil && !interrupted {
		m.put(s)
		return nil
	}
	s.close()
	if gm.IsDelivered() {
		// The server answered 250 to the message; only the RSET after it
		// failed. Sending it again would deliver it twice.
		return nil
	}
	return err
}

// stale says whether err, from a connection that had been waiting, shows
// that the server closed it meanwhile (no reply: EOF, reset, broken pipe;
// or a 421) at MAIL FROM, the first command of the message, so that
// nothing of the message was accepted and it can go again elsewhere. Any
// other reply is the server's answer to this message, and a failure at a
// later step may come after the message was accepted: neither is retried
// here.
func stale(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrConnCheck: // before any command: the connection was gone
		return true
	case gomail.ErrSMTPMailFrom:
		code := se.ErrorCode()
		return code == 0 || code == 421
	}
	return false
}

// take returns the connection that waited least, or nil.
func (m *Mailer) take() *session {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.idle)
	if n == 0 {
		return nil
	}
	s := m.idle[n-1]
	if time.Since(s.since) >= m.c.IdleTimeout {
		// Its timer is late, and the older ones' too: they close them.
		return nil
	}
	m.idle[n-1] = nil
	m.idle = m.idle[:n-1]
	s.timer.Stop()
	return s
}

// put keeps s for the next message, unless it has carried MaxMessages,
// MaxIdle already wait, or the Mailer is closed: then it closes s, within
// the deadline of the message that used it.
func (m *Mailer) put(s *session) {
	m.mu.Lock()
	keep := !m.closed && s.sent < m.c.MaxMessages && len(m.idle) < m.c.MaxIdle
	if keep {
		s.since = time.Now()
		s.timer = time.AfterFunc(m.c.IdleTimeout, func() { m.expire(s) })
		m.idle = append(m.idle, s)
	}
	m.mu.Unlock()
	if !keep {
		s.close()
	}
}

// expire closes s if it is still waiting and has waited IdleTimeout: a
// timer that fires late, after s was taken and put back, finds it waiting
// since less long and leaves it to the newer timer.
func (m *Mailer) expire(s *session) {
	m.mu.Lock()
	i := slices.Index(m.idle, s)
	if i < 0 || time.Since(s.since) < m.c.IdleTimeout {
		m.mu.Unlock()
		return
	}
	m.idle = slices.Delete(m.idle, i, i+1)
	m.mu.Unlock()
	s.conn.bound(time.Now().Add(min(m.c.Timeout, goodbye)))
	s.close()
}

// Close closes the connections waiting for messages, saying QUIT, within
// a couple of seconds in all. The server should call it at shutdown, after
// the queue's workers have stopped. A Send after Close still works, on a
// connection of its own that it closes at once. The error is always nil
// (the server's answer to QUIT changes nothing); Close is an io.Closer.
func (m *Mailer) Close() error {
	m.mu.Lock()
	idle := m.idle
	m.idle, m.closed = nil, true
	m.mu.Unlock()
	deadline := time.Now().Add(min(m.c.Timeout, goodbye))
	for _, s := range idle {
		s.timer.Stop()
		s.conn.bound(deadline)
	}
	for _, s := range idle {
		s.close()
	}
	return nil
}

// connKey is the context key under which open hands dial its *conn.
type connKey struct{}

// conn is the TCP connection under a session, whatever TLS runs over it.
// No deadline set on it can pass limit: go-mail moves the deadline to
// Timeout from now before each step of a message (checkConn), which would
// let a server that answers each step slowly hold a worker for several
// Timeouts, and it knows nothing of ctx.
type conn struct {
	net.Conn // set once, by attach, before any I/O

	mu    sync.Mutex
	limit time.Time
}

// longAgo is a deadline that has passed: I/O fails at once.
var longAgo = time.Unix(1, 0)

// attach makes nc the connection, with the deadline limit.
func (c *conn) attach(nc net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Conn = nc
	_ = nc.SetDeadline(c.limit)
}

// bound makes t the deadline of every read and write from now on: the end
// of the message about to use the connection.
func (c *conn) bound(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = t
	if c.Conn != nil {
		_ = c.Conn.SetDeadline(t)
	}
}

// interrupt makes the I/O under way, and all after it, fail at once: the
// caller's context has ended.
func (c *conn) interrupt() { c.bound(longAgo) }

// close closes the connection if there is one yet.
func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Conn != nil {
		_ = c.Conn.Close()
	}
}

// SetDeadline sets the deadline t, or limit if t is later.
func (c *conn) SetDeadline(t time.Time) error { return c.clamp(t, c.Conn.SetDeadline) }

// SetReadDeadline sets the read deadline t, or limit if t is later.
func (c *conn) SetReadDeadline(t time.Time) error { return c.clamp(t, c.Conn.SetReadDeadline) }

// SetWriteDeadline sets the write deadline t, or limit if t is later.
func (c *conn) SetWriteDeadline(t time.Time) error { return c.clamp(t, c.Conn.SetWriteDeadline) }

func (c *conn) clamp(t time.Time, set func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() || t.After(c.limit) {
		t = c.limit
	}
	return set(t)
}
