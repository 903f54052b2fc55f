// Package mailer is the SMTP Sender: codes and notifications by email,
// through github.com/wneessen/go-mail, over STARTTLS or implicit TLS (plain
// only to a loopback relay), with the server's certificate always verified
// and AUTH PLAIN, LOGIN or CRAM-MD5.
//
// Each message is multipart/alternative (text and HTML), with Date, a
// Message-ID in the sender's domain, the From name, and Auto-Submitted so
// that autoresponders keep quiet. Errors say what the server answered and
// never carry the message's body or code, because the queue logs them; they
// are marked for the queue: a 5xx reply to RCPT TO is notify.Refused (this
// recipient), any other 5xx or a certificate that doesn't verify is
// notify.Permanent, and 4xx replies and network errors are retried.
//
// Connections are kept open and reused (pool.go): a password reset sends
// up to three messages, and a new TCP connection, TLS handshake, EHLO and
// AUTH for each cost several times the message itself (BenchmarkSend). A
// few authenticated sessions wait between messages, each closed after
// IdleTimeout unused or MaxMessages messages; one that the server dropped
// meanwhile costs a second try on a new connection, never a lost or
// doubled message.
package mailer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Security is how the connection is protected.
type Security string

// The ways to connect.
const (
	// STARTTLS: connect in clear, then switch to TLS; a server that
	// doesn't offer it gets nothing (no downgrade).
	STARTTLS Security = "starttls"
	// TLS: TLS from the first byte (SMTPS, usually port 465).
	TLS Security = "tls"
	// Plain: no TLS at all. Only for a relay on a loopback address; the
	// configuration refuses it anywhere else.
	Plain Security = "plain"
)

// Config is what a Mailer needs. Host, Port and From are required.
type Config struct {
	Host     string
	Port     int
	Security Security
	// RootCAs verify the server's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Auth is "auto" (the strongest of the server's mechanisms, when
	// Username is set), "plain", "login", "cram-md5" or "none".
	Auth     string
	Username string
	Password string
	From     string
	FromName string
	// HELO is the name given in EHLO; empty means "localhost".
	HELO string
	// Timeout bounds each message: connecting if need be, and every
	// exchange until the server has it; 0 means 30 s.
	Timeout time.Duration
	// MaxIdle is how many open connections wait for the next messages; 0
	// means 4 (the outbox's default workers), below 0 none: a new
	// connection per message.
	MaxIdle int
	// IdleTimeout closes a connection unused this long; 0 means 30 s, under
	// servers' own idle limits (RFC 5321 asks for at least 5 minutes; some
	// wait only one), so that the portal is usually the one that hangs up.
	IdleTimeout time.Duration
	// MaxMessages closes a connection once it has carried this many
	// messages, for servers that limit messages per session; 0 means 100.
	MaxMessages int
}

// The defaults of Config's pool settings.
const (
	DefaultMaxIdle     = 4
	DefaultIdleTimeout = 30 * time.Second
	DefaultMaxMessages = 100
)

var _ sspr.Sender = (*Mailer)(nil)

// Mailer sends email through one SMTP server, reusing its connections:
// each carries one message at a time, and up to MaxIdle wait open between
// messages. It is safe for concurrent use. Close closes the waiting ones.
type Mailer struct {
	c Config
	// client holds the settings (TLS, AUTH, HELO) and opens sessions; each
	// session is an smtp.Client of its own, so one Client serves them all.
	client *gomail.Client
	domain string
	tlsCfg *tls.Config
	now    func() time.Time

	mu     sync.Mutex
	idle   []*session // newest last
	closed bool
}

// New checks c and returns a Mailer. It does not connect.
func New(c Config) (*Mailer, error) {
	if c.Host == "" {
		return nil, errors.New("mailer: no host")
	}
	if c.Port <= 0 || c.Port > 65535 {
		return nil, fmt.Errorf("mailer: port %d", c.Port)
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil || from.Address != c.From {
		return nil, fmt.Errorf("mailer: from %q is not an address", c.From)
	}
	_, domain, _ := strings.Cut(c.From, "@")
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.HELO == "" {
		c.HELO = "localhost"
	}
	if c.Security == "" {
		c.Security = STARTTLS
	}
	if c.MaxIdle == 0 {
		c.MaxIdle = DefaultMaxIdle
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxMessages <= 0 {
		c.MaxMessages = DefaultMaxMessages
	}
	m := &Mailer{c: c, domain: domain, now: time.Now}
	// Never InsecureSkipVerify: a code sent to whoever answers on the path
	// is a reset for them.
	m.tlsCfg = &tls.Config{ServerName: c.Host, RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12}

	opts := []gomail.Option{
		gomail.WithPort(c.Port),
		gomail.WithTimeout(c.Timeout),
		gomail.WithHELO(c.HELO),
		gomail.WithTLSConfig(m.tlsCfg),
		gomail.WithDialContextFunc(m.dial),
		// No NOOP before each message and before the RSET after it: a
		// connection that died shows itself at MAIL FROM just as cheaply,
		// before anything of the message is sent (Send, stale), so the
		// NOOPs would only cost two round trips per message.
		gomail.WithoutNoop(),
	}
	switch c.Security {
	case STARTTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLS:
		// dial speaks TLS itself; "opportunistic" then only reads the
		// connection's state, so that go-mail knows it is encrypted.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case Plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("mailer: security %q", c.Security)
	}
	switch {
	case c.Auth == "none" || (c.Auth == "auto" || c.Auth == "") && c.Username == "":
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthNoAuth))
	default:
		var t gomail.SMTPAuthType
		switch c.Auth {
		case "auto", "":
			t = gomail.SMTPAuthAutoDiscover
		case "plain":
			t = gomail.SMTPAuthPlain
		case "login":
			t = gomail.SMTPAuthLogin
		case "cram-md5":
			t = gomail.SMTPAuthCramMD5
		default:
			return nil, fmt.Errorf("mailer: auth %q", c.Auth)
		}
		opts = append(opts, gomail.WithSMTPAuth(t), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	cl, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	m.client = cl
	return m, nil
}

// dial connects for open: the TCP connection goes into the *conn that
// open put in ctx (go-mail hands back only an smtp.Client, which doesn't
// show its connection), whose deadline then bounds every read and write
// (go-mail bounds only the connect until it starts sending), so a server
// that stops answering mid-way can't hold a worker for longer than the
// message's deadline. For implicit TLS it also does the handshake.
func (m *Mailer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	cn, ok := ctx.Value(connKey{}).(*conn)
	if !ok {
		return nil, errors.New("mailer: dial outside open")
	}
	var d net.Dialer // ctx carries the deadline
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cn.attach(nc)
	if m.c.Security == TLS {
		tc := tls.Client(cn, m.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		return tc, nil
	}
	return cn, nil
}

// Send delivers msg, its body as text and its HTML (if any) as the
// alternative, over a waiting connection or a new one, within Timeout (or
// ctx's deadline if sooner) in all.
func (m *Mailer) Send(ctx context.Context, msg notify.Message) error {
	if msg.Channel != "" && msg.Channel != notify.Email {
		return notify.Permanent(fmt.Errorf("mailer: a %s message", msg.Channel))
	}
	to, err := mail.ParseAddress(msg.To)
	if err != nil || to.Address != msg.To {
		return notify.Refused(fmt.Errorf("mailer: %q is not an email address", msg.To))
	}
	gm, err := m.build(msg)
	if err != nil {
		return notify.Permanent(err)
	}
	// One deadline for the whole message, a retry included, set on every
	// connection it uses.
	deadline := time.Now().Add(m.c.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if s := m.take(); s != nil {
		err := m.sendOn(ctx, s, gm, deadline)
		if err == nil || !stale(err) || ctx.Err() != nil || !time.Now().Before(deadline) {
			return sendResult(err)
		}
		// The server had closed the connection while it waited (EOF,
		// reset, 421): the message got no further than MAIL FROM, so it
		// goes again, once, on a new connection. Any later failure is the
		// queue's to retry, with its backoff.
	}
	s, err := m.open(ctx, deadline)
	if err != nil {
		return classify(fmt.Errorf("dial failed: %w", err))
	}
	return sendResult(m.sendOn(ctx, s, gm, deadline))
}

// sendResult is classify for a failure after connecting, with the same
// words DialAndSend used.
func sendResult(err error) error {
	if err == nil {
		return nil
	}
	return classify(fmt.Errorf("send failed: %w", err))
}

func (m *Mailer) build(msg notify.Message) (*gomail.Msg, error) {
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP))
	if m.c.FromName != "" {
		if err := gm.FromFormat(m.c.FromName, m.c.From); err != nil {
			return nil, fmt.Errorf("mailer: from: %w", err)
		}
	} else if err := gm.From(m.c.From); err != nil {
		return nil, fmt.Errorf("mailer: from: %w", err)
	}
	if err := gm.To(msg.To); err != nil {
		return nil, fmt.Errorf("mailer: to: %w", err)
	}
	gm.Subject(msg.Subject)
	gm.SetDateWithValue(m.now())
	id := msg.ID // the same on every attempt (server/dispatch)
	if id == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	gm.SetMessageIDWithValue(id + "@" + m.domain)
	// RFC 3834: no out-of-office replies to a machine.
	gm.SetGenHeader("Auto-Submitted", "auto-generated")
	gm.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	gm.SetBodyString(gomail.TypeTextPlain, msg.Body)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return gm, nil
}

// classify turns go-mail's error into one the queue understands, with the
// server's reply but never the message.
func classify(err error) error {
	text := "smtp: " + notify.Clip(err.Error(), 300)
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		switch {
		case se.IsTemp() || code/100 == 4:
			return errors.New(text)
		case code/100 == 5 && se.Reason == gomail.ErrSMTPRcptTo:
			return notify.Refused(errors.New(text))
		case code/100 == 5:
			return notify.Permanent(errors.New(text))
		}
		return errors.New(text)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code/100 == 5 {
			return notify.Permanent(errors.New(text))
		}
		return errors.New(text)
	}
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &he) {
		return notify.Permanent(errors.New(text))
	}
	if strings.Contains(err.Error(), "does not support STARTTLS") || strings.Contains(err.Error(), "SMTP AUTH") {
		return notify.Permanent(errors.New(text))
	}
	// A reply code at the start of an error go-mail built itself.
	if c, rest := replyCode(err.Error()); c/100 == 5 && rest != "" {
		return notify.Permanent(errors.New(text))
	}
	return errors.New(text)
}

// replyCode finds "NNN " after go-mail's "dial failed: " or at the start.
func replyCode(s string) (int, string) {
	s = strings.TrimPrefix(s, "dial failed: ")
	if len(s) < 4 || s[3] != ' ' {
		return 0, ""
	}
	n, err := strconv.Atoi(s[:3])
	if err != nil {
		return 0, ""
	}
	return n, s[4:]
}
