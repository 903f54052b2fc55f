package ldapdir

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/sspr"
)

// pool keeps a few connections bound as the service account. A connection
// is handed out only while the server has not closed it, and one that
// fails is thrown away: the next operation dials again, so the portal
// recovers by itself when the directory comes back.
type pool struct {
	d *Directory
	// idle holds connections not in use; slots has one token per open
	// connection, so at most cap(slots) are ever open.
	idle   chan *ldap.Conn
	slots  chan struct{}
	mu     sync.Mutex
	closed bool
}

func newPool(d *Directory, size int) *pool {
	return &pool{d: d, idle: make(chan *ldap.Conn, size), slots: make(chan struct{}, size)}
}

func (p *pool) get(ctx context.Context) (*ldap.Conn, error) {
	for {
		var c *ldap.Conn
		select {
		case c = <-p.idle:
		default:
			select {
			case c = <-p.idle:
			case p.slots <- struct{}{}:
				c, err := p.d.dialService(ctx)
				if err != nil {
					<-p.slots
					return nil, err
				}
				return c, nil
			case <-ctx.Done():
				return nil, sspr.Unavailable(sspr.BackendDirectory, ctx.Err())
			}
		}
		if c.IsClosing() {
			// The server closed it while it sat idle (a restart, an idle
			// timeout): throw it away and look again.
			c.Close()
			<-p.slots
			continue
		}
		return c, nil
	}
}

// put returns a connection; a broken one is closed and its slot freed.
func (p *pool) put(c *ldap.Conn, broken bool) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if broken || closed || c.IsClosing() {
		c.Close()
		<-p.slots
		return
	}
	p.idle <- c
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			c.Close()
			<-p.slots
		default:
			return
		}
	}
}

// do runs fn on a service connection under the operation timeout. When the
// connection turns out broken, an idempotent operation is tried once more
// on a fresh one; a password change is not (it may have been applied
// before the answer was lost), and its error is directory_unavailable.
func (p *pool) do(ctx context.Context, idempotent bool, fn func(*ldap.Conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := p.get(ctx)
		if err != nil {
			return err
		}
		err = run(ctx, c, p.d.cfg.Timeout, fn)
		if connBroken(err) {
			p.put(c, true)
			if attempt == 0 && idempotent && ctx.Err() == nil {
				continue
			}
			return sspr.Unavailable(sspr.BackendDirectory, err)
		}
		p.put(c, false)
		return err
	}
}

// errCanceled is what an operation returns when its context ended it.
var errCanceled = errors.New("ldapdir: operation canceled or timed out")

// run runs fn on c with the operation timeout, shortened to the context's
// deadline; when the context ends first, the connection is closed, which
// ends the operation at once (go-ldap has no contexts of its own).
func run(ctx context.Context, c *ldap.Conn, timeout time.Duration, fn func(*ldap.Conn) error) error {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = left
		}
	}
	if timeout <= 0 {
		return fmt.Errorf("%w: %w", errCanceled, context.DeadlineExceeded)
	}
	c.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err := fn(c)
	if !stop() {
		return fmt.Errorf("%w: %w", errCanceled, ctx.Err())
	}
	return err
}

// connBroken reports whether err means the connection can't be trusted
// any more: a network error, a timeout, a malformed answer.
func connBroken(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errCanceled) {
		return true
	}
	var le *ldap.Error
	if !errors.As(err, &le) {
		return true
	}
	switch le.ResultCode {
	case ldap.ErrorNetwork, ldap.ErrorUnexpectedMessage, ldap.ErrorUnexpectedResponse, ldap.ErrorMalformedPacket:
		return true
	}
	return false
}

// dialService dials and binds as the service account.
func (d *Directory) dialService(ctx context.Context) (*ldap.Conn, error) {
	c, err := d.dial(ctx)
	if err != nil {
		return nil, err
	}
	err = run(ctx, c, d.cfg.Timeout, func(c *ldap.Conn) error {
		return c.Bind(d.cfg.BindDN, d.cfg.BindPassword)
	})
	if err != nil {
		c.Close()
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			d.cfg.Log.Error("ldap: the directory refused the service account's bind: check bind_dn and its password")
		}
		return nil, sspr.Unavailable(sspr.BackendDirectory, err)
	}
	return c, nil
}

// dial opens a connection to the first URL that answers, TLS verified.
func (d *Directory) dial(ctx context.Context) (*ldap.Conn, error) {
	var errs []error
	for _, u := range d.urls {
		c, err := d.dialOne(ctx, u)
		if err == nil {
			return c, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", u.Redacted(), err))
		if ctx.Err() != nil {
			break
		}
	}
	err := errors.Join(errs...)
	d.cfg.Log.Warn("ldap: cannot connect", "err", err)
	return nil, sspr.Unavailable(sspr.BackendDirectory, err)
}

func (d *Directory) dialOne(ctx context.Context, u *url.URL) (*ldap.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ConnectTimeout)
	defer cancel()
	port := u.Port()
	if port == "" {
		port = ldap.DefaultLdapPort
		if u.Scheme == "ldaps" {
			port = ldap.DefaultLdapsPort
		}
	}
	tc := d.tls.Clone()
	tc.ServerName = u.Hostname()
	var dialer net.Dialer
	nc, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, err
	}
	isTLS := u.Scheme == "ldaps"
	if isTLS {
		t := tls.Client(nc, tc)
		if err := t.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = t
	}
	c := ldap.NewConn(nc, isTLS)
	c.Start()
	if d.cfg.StartTLS && !isTLS {
		if err := run(ctx, c, d.cfg.ConnectTimeout, func(c *ldap.Conn) error { return c.StartTLS(tc) }); err != nil {
			c.Close()
			return nil, fmt.Errorf("StartTLS: %w", err)
		}
	}
	return c, nil
}

// mapped turns an LDAP error of a read or an unlock into the engine's
// contract: a broken connection, a busy or unavailable server, a refused
// service account are directory_unavailable; anything else is an internal
// error, logged by the caller with detail.
func mapped(err error) error {
	if err == nil {
		return nil
	}
	var ae *sspr.Error
	if errors.As(err, &ae) {
		return err
	}
	if connBroken(err) || ldap.IsErrorAnyOf(err, ldap.LDAPResultBusy, ldap.LDAPResultUnavailable,
		ldap.LDAPResultTimeLimitExceeded, ldap.LDAPResultAdminLimitExceeded, ldap.LDAPResultOther,
		ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultInvalidCredentials, ldap.LDAPResultStrongAuthRequired,
		ldap.LDAPResultConfidentialityRequired, ldap.LDAPResultUnwillingToPerform, ldap.LDAPResultLoopDetect) {
		return sspr.Unavailable(sspr.BackendDirectory, err)
	}
	return fmt.Errorf("ldapdir: %w", err)
}
