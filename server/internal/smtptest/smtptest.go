// Package smtptest is a real SMTP server for tests, on 127.0.0.1: STARTTLS
// (or implicit TLS) on a certificate made for the test, AUTH PLAIN, LOGIN
// and CRAM-MD5, and every message kept (or, with Options.Received, handed
// over and not kept). It can be told to refuse (4xx or 5xx), to be slow,
// or to stop and start again on the same port.
package smtptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sspr-portal/sspr/server/internal/testca"
)

// Options say how the server behaves.
type Options struct {
	// Username and Password, when Username is set, are the only
	// credentials accepted, and mail is refused without them.
	Username, Password string
	// Mechanisms offered for AUTH; nil means PLAIN and LOGIN.
	Mechanisms []string
	// ImplicitTLS serves TLS from the first byte (port 465 style) instead
	// of offering STARTTLS.
	ImplicitTLS bool
	// NoTLS offers no TLS at all (a plain relay).
	NoTLS bool
	// Received, when set, is given each message as it arrives, in the
	// session's goroutine, instead of the server keeping it (Messages,
	// Wait and Count then see none): a long-running sink (flowbench)
	// reads what it needs and keeps nothing.
	Received func(Message)
}

// Message is one message received.
type Message struct {
	From string
	To   []string
	Data []byte
	// User is who authenticated ("" for nobody), Mech how.
	User, Mech string
	// TLS says whether the message came over TLS.
	TLS bool
}

// Server is a running test server.
type Server struct {
	// Host and Port are where it listens; Addr is Host:Port.
	Host string
	Port int
	Addr string
	// CAFile is a PEM file with the certificate that signs the server's,
	// for the client's ca_file; CAPool is the same as a pool.
	CAFile string
	CAPool *x509.CertPool

	o   Options
	tls *tls.Config

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	msgs     []Message
	failCode int            // every MAIL FROM answered with this (0: none)
	rejectTo map[string]int // RCPT TO address -> code
	delay    time.Duration  // each DATA takes this long
	attempts int            // MAIL FROM commands seen
	arrived  chan struct{}  // signalled on every message
}

// Start starts a server on 127.0.0.1:0 and stops it when the test ends.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	s, err := New(o, "127.0.0.1:0", tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// New starts a server on addr (host:port; port 0 for any), writing its CA
// file into dir; with NoTLS there is no CA, and dir is not used. Stop
// stops it. Outside tests (the SMTP sinks of loadgen and flowbench), this
// is the way in.
func New(o Options, addr, dir string) (*Server, error) {
	if o.Mechanisms == nil {
		o.Mechanisms = []string{sasl.Plain, sasl.Login}
	}
	if o.NoTLS && o.ImplicitTLS {
		return nil, errors.New("smtptest: NoTLS and ImplicitTLS both set")
	}
	s := &Server{o: o, rejectTo: map[string]int{}, arrived: make(chan struct{}, 1)}
	if !o.NoTLS {
		ca, err := testca.New("smtptest")
		if err != nil {
			return nil, err
		}
		s.CAFile, s.CAPool = filepath.Join(dir, testca.CAFile), ca.Pool
		if err := os.WriteFile(s.CAFile, ca.CertPEM, 0o600); err != nil {
			return nil, err
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{ca.Server}, MinVersion: tls.VersionTLS12}
	}
	ln, err := s.listen(addr)
	if err != nil {
		return nil, err
	}
	ta := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port, s.Addr = ta.IP.String(), ta.Port, ln.Addr().String()
	s.serve(ln)
	return s, nil
}

// Count is how many messages have arrived.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Forget drops the messages kept so far (a long-running sink).
func (s *Server) Forget() {
	s.mu.Lock()
	s.msgs = s.msgs[:0]
	s.mu.Unlock()
}

func (s *Server) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if s.o.ImplicitTLS {
		ln = tls.NewListener(ln, s.tls)
	}
	return ln, nil
}

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "smtptest.localhost"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	if !s.o.NoTLS && !s.o.ImplicitTLS {
		srv.TLSConfig = s.tls
	}
	// AUTH only over TLS, except on a server with no TLS at all.
	srv.AllowInsecureAuth = s.o.NoTLS
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the listener and every connection: the port refuses
// connections until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if ln != nil {
		// Serve may not have taken the listener yet: close it here too.
		_ = ln.Close()
	}
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart listens again on the same port after Stop.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger for a moment
		if ln, err = s.listen(s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("restart on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// Fail makes every MAIL FROM answer code (such as 451 or 554); 0 ends it.
func (s *Server) Fail(code int) {
	s.mu.Lock()
	s.failCode = code
	s.mu.Unlock()
}

// Reject makes RCPT TO for addr answer code (such as 550).
func (s *Server) Reject(addr string, code int) {
	s.mu.Lock()
	s.rejectTo[strings.ToLower(addr)] = code
	s.mu.Unlock()
}

// Slow makes each message take d to accept (after DATA).
func (s *Server) Slow(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Attempts counts MAIL FROM commands, accepted or not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Messages returns a copy of the messages received, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until at least n messages have arrived, or fails the test
// after timeout.
func (s *Server) Wait(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			tb.Fatalf("smtptest: %d messages arrived within %v, want %d", len(s.Messages()), timeout, n)
			return nil
		}
	}
}

// WaitTo waits for a message to rcpt and returns the newest one.
func (s *Server) WaitTo(tb testing.TB, rcpt string, after int, timeout time.Duration) (Message, int) {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		msgs := s.Messages()
		for i := len(msgs) - 1; i >= after; i-- {
			for _, to := range msgs[i].To {
				if strings.EqualFold(to, rcpt) {
					return msgs[i], len(msgs)
				}
			}
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			tb.Fatalf("smtptest: no message to %s within %v", rcpt, timeout)
			return Message{}, 0
		}
	}
}

type session struct {
	s          *Server
	conn       *smtp.Conn
	user, mech string
	from       string
	to         []string
}

var _ smtp.AuthSession = (*session)(nil)

func (x *session) AuthMechanisms() []string {
	if x.s.o.Username == "" {
		return nil
	}
	return x.s.o.Mechanisms
}

var errBadAuth = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

func (x *session) Auth(mech string) (sasl.Server, error) {
	want, pass := x.s.o.Username, x.s.o.Password
	ok := func(user, p string) error {
		if user != want || p != pass {
			return errBadAuth
		}
		x.user, x.mech = user, mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, p string) error { return ok(user, p) }), nil
	case sasl.Login:
		return &loginServer{check: ok}, nil
	case "CRAM-MD5":
		return &cramServer{check: func(user, digest, challenge string) error {
			mac := hmac.New(md5.New, []byte(pass))
			mac.Write([]byte(challenge))
			if user != want || !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(digest)) {
				return errBadAuth
			}
			x.user, x.mech = user, mech
			return nil
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	x.s.attempts++
	code := x.s.failCode
	x.s.mu.Unlock()
	if x.s.o.Username != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 3, 0}, Message: "Told to fail"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	code := x.s.rejectTo[strings.ToLower(to)]
	x.s.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "No such user here"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	delay := x.s.delay
	x.s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	_, isTLS := x.conn.TLSConnectionState()
	m := Message{From: x.from, To: append([]string(nil), x.to...), Data: b, User: x.user, Mech: x.mech, TLS: isTLS}
	if x.s.o.Received != nil {
		x.s.o.Received(m)
		return nil
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user = string(resp)
		l.step = 2
		return []byte("Password:"), false, nil
	case 1:
		l.user = string(resp)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, true, errors.New("unexpected response")
}

// cramServer is the server side of AUTH CRAM-MD5.
type cramServer struct {
	challenge string
	check     func(user, digest, challenge string) error
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if c.challenge == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.challenge = fmt.Sprintf("<%x.%d@smtptest.localhost>", b, time.Now().Unix())
		return []byte(c.challenge), false, nil
	}
	user, digest, ok := bytes.Cut(resp, []byte(" "))
	if !ok {
		return nil, true, errBadAuth
	}
	return nil, true, c.check(string(user), string(digest), c.challenge)
}

// Parsed is a received message taken apart.
type Parsed struct {
	Header     mail.Header
	Text, HTML string
}

// Parse takes a message apart: headers, and the text and HTML parts of a
// multipart/alternative body, decoded.
func Parse(t *testing.T, data []byte) Parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := Parsed{Header: msg.Header}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = part
		if part.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r = quotedprintable.NewReader(part)
		}
		b, _ := io.ReadAll(r)
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		}
	}
	return p
}
