package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/internal/smtptest"
)

// codeBook hands the codes that arrive to the virtual users waiting for
// them, by recipient: the alternate address for an email, the number in
// E.164 for a text. Each account is used by one virtual user at a time, so
// there is at most one waiter per recipient.
type codeBook struct {
	mu      sync.Mutex
	waiting map[string]*waiter
	kick    chan struct{} // a waiter arrived (for the outbox poller)

	messages atomic.Int64 // messages arrived, codes or not
	last     atomic.Int64 // when the last one arrived, Unix ns
}

type waiter struct {
	// since: a code sent before this is an older flow's.
	since time.Time
	ch    chan string
}

func newCodeBook() *codeBook {
	return &codeBook{waiting: map[string]*waiter{}, kick: make(chan struct{}, 1)}
}

// expect registers a wait for the next code sent to `to`. Call it before
// the request that sends the code: the code may arrive before the answer.
func (b *codeBook) expect(to string) *waiter {
	w := &waiter{since: time.Now(), ch: make(chan string, 1)}
	b.mu.Lock()
	b.waiting[strings.ToLower(to)] = w
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
	return w
}

// forget drops w's registration, if it is still there.
func (b *codeBook) forget(to string, w *waiter) {
	b.mu.Lock()
	if b.waiting[strings.ToLower(to)] == w {
		delete(b.waiting, strings.ToLower(to))
	}
	b.mu.Unlock()
}

// pending is how many waits are registered.
func (b *codeBook) pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting)
}

// arrived counts a message that arrived.
func (b *codeBook) arrived() {
	b.messages.Add(1)
	b.last.Store(time.Now().UnixNano())
}

// deliver gives code, sent at sentAt, to whoever waits for it; false when
// nobody does (a notice, or an older flow's code).
func (b *codeBook) deliver(to, code string, sentAt time.Time) bool {
	key := strings.ToLower(to)
	b.mu.Lock()
	w := b.waiting[key]
	if w == nil || sentAt.Before(w.since) {
		b.mu.Unlock()
		return false
	}
	delete(b.waiting, key)
	b.mu.Unlock()
	w.ch <- code
	return true
}

// quiet waits until no message has arrived for d, or for at most max.
func (b *codeBook) quiet(ctx context.Context, d, max time.Duration) {
	end := time.Now().Add(max)
	for time.Now().Before(end) && ctx.Err() == nil {
		last := time.Unix(0, b.last.Load())
		if time.Since(last) >= d {
			return
		}
		time.Sleep(d / 4)
	}
}

// errCodeTimeout: the code never came.
var errCodeTimeout = errors.New("code_not_delivered")

// wait returns the code, or errCodeTimeout after timeout.
func (w *waiter) wait(ctx context.Context, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case c := <-w.ch:
		return c, nil
	case <-t.C:
		return "", errCodeTimeout
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// findCode returns the first run of exactly digits ASCII digits in text.
func findCode(text string, digits int) (string, bool) {
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		if j-i == digits {
			return text[i:j], true
		}
		i = j
	}
	return "", false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// messageText is the text/plain part of an email as the portal's mailer
// writes it (multipart/alternative, text and HTML), decoded; or the body
// of a single-part text message.
func messageText(data []byte) (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		mt = "text/plain"
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, err := decodePart(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		return string(b), err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return "", errors.New("no text/plain part")
		}
		if err != nil {
			return "", err
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if ct == "text/plain" {
			b, err := decodePart(part, part.Header.Get("Content-Transfer-Encoding"))
			return string(b), err
		}
	}
}

func decodePart(r io.Reader, cte string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &crlfDropper{r: r})
	}
	return io.ReadAll(r)
}

// crlfDropper drops line ends, for base64 in lines.
type crlfDropper struct{ r io.Reader }

func (c *crlfDropper) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	k := 0
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' {
			p[k] = b
			k++
		}
	}
	return k, err
}

// startSMTPSink starts a plain SMTP relay on loopback (server/internal/
// smtptest, without TLS) that takes every message, finds the code in each
// and hands it to the code book, keeping nothing. The portal sends its
// email there ([email] kind = "smtp", security = "plain"), as it would to
// a real relay.
func startSMTPSink(book *codeBook, digits int) (*smtptest.Server, error) {
	return smtptest.New(smtptest.Options{NoTLS: true, Received: func(m smtptest.Message) {
		now := time.Now()
		book.arrived()
		text, err := messageText(m.Data)
		if err != nil {
			return // not ours to judge: a notice we can't read
		}
		if code, ok := findCode(text, digits); ok {
			for _, to := range m.To {
				book.deliver(to, code, now)
			}
		}
	}}, "127.0.0.1:0", "")
}

// smsSink is an SMS gateway on loopback in the form of [sms] preset =
// "json": POST {"to", "from", "text"}. It finds the code in each text and
// hands it to the code book.
type smsSink struct {
	srv *http.Server
	URL string
}

func startSMSSink(book *codeBook, digits int) (*smsSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, From, Text string }
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&m); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		now := time.Now()
		book.arrived()
		if code, ok := findCode(m.Text, digits); ok {
			book.deliver(m.To, code, now)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"queued"}`)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &smsSink{srv: srv, URL: "http://" + ln.Addr().String() + "/sms"}, nil
}

func (s *smsSink) Close() { _ = s.srv.Close() }

// outboxPoller reads codes from the dev outbox instead (-delivery
// outbox): whenever someone waits, GET /dev/outbox every interval, shared
// by every waiter. The page has no filter: each read is the whole ring of
// up to 1,000 messages, encoded, which costs the server CPU that no real
// reset spends; polls counts the reads, so the cost can be told apart.
type outboxPoller struct {
	url      string
	client   *http.Client
	book     *codeBook
	interval time.Duration
	polls    atomic.Int64
	errs     atomic.Int64
}

func (p *outboxPoller) run(ctx context.Context) {
	seen := map[string]bool{} // channel, to, code: handed out once
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.book.kick:
		}
		for p.book.pending() > 0 && ctx.Err() == nil {
			p.poll(ctx, seen)
			time.Sleep(p.interval)
		}
	}
}

func (p *outboxPoller) poll(ctx context.Context, seen map[string]bool) {
	p.polls.Add(1)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	res, err := p.client.Do(req)
	if err != nil {
		p.errs.Add(1)
		return
	}
	defer res.Body.Close()
	var box api.Outbox
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&box) != nil {
		p.errs.Add(1)
		return
	}
	for _, m := range box.Messages {
		if m.Code == "" {
			continue
		}
		k := fmt.Sprintf("%s\x00%s\x00%s", m.Channel, m.To, m.Code)
		if seen[k] {
			continue
		}
		if p.book.deliver(m.To, m.Code, m.SentAt) {
			seen[k] = true
		}
	}
}
