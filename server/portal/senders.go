package portal

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/dispatch"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/mailer"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/outbox"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/smsgateway"
	"github.com/sspr-portal/sspr/server/sqlite"
)

// Delivery is how messages leave: the durable outbox (server/dispatch),
// a queue per channel in the store's database, so that a dead SMS gateway
// never delays an email and nothing waiting is lost, and a router in
// front that writes each message with the operator's templates.
type Delivery struct {
	Router *notify.Router
	Queue  *dispatch.Queue
	Email  dispatch.ChannelSender
	SMS    dispatch.ChannelSender
}

// newDelivery builds the senders [email] and [sms] name, behind the
// durable outbox in the store's database (PostgreSQL when the store is,
// else the SQLite file). In dev mode, "outbox" is
// the dev outbox (p.Outbox); outside it, "outbox" delivers nothing and
// every message fails, loudly (`sspr serve` refuses that configuration
// before it gets here). The caller starts the workers (Queue.Start).
func (p *Portal) newDelivery(ctx context.Context, cfg *config.Config, st store, db *sqlite.DB, key []byte, accepted [][]byte, dev bool,
	now func() time.Time, log *slog.Logger) (*Delivery, error) {
	tpl, err := loadTemplates(cfg)
	if err != nil {
		return nil, err
	}
	if dev {
		p.Outbox = outbox.New(1000, now, log)
	}
	pick := func(ch notify.Channel, kind string) (notify.Sender, error) {
		if kind != config.SenderOutbox {
			return NewSender(cfg, ch)
		}
		if p.Outbox != nil {
			return p.Outbox, nil
		}
		return noSender{ch: ch}, nil
	}
	email, err := pick(notify.Email, cfg.Email.Kind)
	if err != nil {
		return nil, err
	}
	if c, ok := email.(io.Closer); ok {
		// The SMTP sender's waiting connections (server/mailer): closed
		// after the queue's workers stop, which closes run in reverse.
		p.closers = append(p.closers, func(context.Context) error { return c.Close() })
	}
	sms, err := pick(notify.SMS, cfg.SMS.Kind)
	if err != nil {
		return nil, err
	}
	d := cfg.Delivery
	o := dispatch.Options{
		Senders: map[notify.Channel]notify.Sender{notify.Email: email, notify.SMS: sms},
		Key:     key, AcceptedKeys: accepted, Workers: d.Workers, Backoff: d.Backoff.D(), MaxBackoff: d.MaxBackoff.D(),
		Timeout: d.AttemptTimeout.D(), NoticeLifetime: d.NoticeLifetime.D(), Log: log, Now: now,
		// Each attempt's end, for the metrics (nil-safe).
		Attempted: p.metrics.Message,
		// A code that can't arrive in time: its flow says so. The
		// workers start once the engine is there (New).
		GaveUp:    func(ctx context.Context, m notify.Message, _ error) { p.Engine.DeliveryFailed(ctx, m) },
		Delivered: func(ctx context.Context, m notify.Message) { p.Engine.Delivered(ctx, m) },
	}
	var q *dispatch.Queue
	if pg, ok := st.(*pgstore.Store); ok {
		q, err = dispatch.NewPostgres(pg.Pool(), o)
	} else {
		pool, perr := db.OpenPool(2)
		if perr != nil {
			return nil, perr
		}
		p.closers = append(p.closers, func(context.Context) error { return pool.Close() })
		q, err = dispatch.NewSQLite(pool, o)
	}
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, q.Close)
	dl := &Delivery{Queue: q, Email: q.Channel(notify.Email), SMS: q.Channel(notify.SMS)}
	dl.Router = &notify.Router{Templates: tpl, HelpDesk: helpDesk(cfg), Local: localWords(cfg), Email: dl.Email, SMS: dl.SMS, Log: log}
	return dl, nil
}

// messageLanguages are the languages messages are written in: those the
// pages are offered in ([languages] offered), the default first, unless
// [delivery] language names another default (an operator's own
// templates, in a language the pages don't have).
func messageLanguages(cfg *config.Config) []string {
	langs := cfg.Languages.Offered
	if len(langs) == 0 {
		langs = locale.Known
	}
	if l := cfg.Delivery.Language; l != "" && l != notify.DefaultLanguage {
		langs = append([]string{l}, langs...)
	}
	return langs
}

// loadTemplates reads and checks the message templates: each must render,
// and the SMS ones must fit one SMS with this organisation's name and the
// configured code length.
func loadTemplates(cfg *config.Config) (*notify.TemplateSet, error) {
	tpl, err := notify.LoadTemplateSet(cfg.Delivery.TemplatesDir, messageLanguages(cfg)...)
	if err != nil {
		return nil, err
	}
	if err := tpl.CheckSMS(cfg.Organisation.Name, localWords(cfg), cfg.Codes.Digits, cfg.Codes.Lifetime.D()); err != nil {
		return nil, fmt.Errorf("%w (organisation.name is %d characters: shorten it, or the template)", err, len([]rune(cfg.Organisation.Name)))
	}
	return tpl, nil
}

// localWords are [languages.texts] as the messages' words by language.
func localWords(cfg *config.Config) map[string]notify.Local {
	local := map[string]notify.Local{}
	for lang, tx := range cfg.Languages.Texts {
		local[lang] = notify.Local{Org: tx.OrganisationName, HelpDeskName: tx.HelpDeskName,
			HelpDeskInPerson: tx.HelpDeskInPerson, HelpDeskHours: tx.HelpDeskHours}
	}
	return local
}

// helpDesk is [help_desk] as the messages' contact block.
func helpDesk(cfg *config.Config) notify.HelpDesk {
	h := cfg.HelpDesk
	return notify.HelpDesk{Name: h.Name, Phone: h.Phone, Email: h.Email, InPerson: h.InPerson,
		TicketPortal: h.TicketPortal, Hours: h.Hours}
}

// NewSender builds the real sender of a channel, as [email] or [sms]
// configures it (not the outbox, not a queue): SMTP or the SMS gateway.
// Secrets are read now, from their file or environment variable.
func NewSender(cfg *config.Config, ch notify.Channel) (notify.Sender, error) {
	switch ch {
	case notify.Email:
		e := cfg.Email
		if e.Kind != config.SenderSMTP {
			return nil, fmt.Errorf("config: email.kind: %q is not a real sender: set it to \"smtp\"", e.Kind)
		}
		pw, err := config.ReadSecret("email.password_file", "email.password_env", e.PasswordFile, e.PasswordEnv)
		if err != nil {
			return nil, err
		}
		var pool *x509.CertPool
		if e.CAFile != "" {
			pem, err := os.ReadFile(e.CAFile)
			if err != nil {
				return nil, fmt.Errorf("config: email.ca_file: %w", err)
			}
			pool = x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("config: email.ca_file: %s holds no PEM certificate", e.CAFile)
			}
		}
		fromName := e.FromName
		if fromName == "" {
			fromName = cfg.Organisation.Name
		}
		helo := e.HELO
		if helo == "" && cfg.Server.PublicURL != "" {
			helo = cfg.PublicURL().Hostname()
		}
		m, err := mailer.New(mailer.Config{Host: e.Host, Port: e.SMTPPort(), Security: mailer.Security(e.Security),
			RootCAs: pool, Auth: e.Auth, Username: e.Username, Password: pw, From: e.From, FromName: fromName,
			HELO: helo, Timeout: e.Timeout.D()})
		if err != nil {
			return nil, fmt.Errorf("config: [email]: %w", err)
		}
		return m, nil
	case notify.SMS:
		s := cfg.SMS
		if s.Kind != config.SenderGateway {
			return nil, fmt.Errorf("config: sms.kind: %q is not a real sender: set it to \"gateway\"", s.Kind)
		}
		token, err := config.ReadSecret("sms.token_file", "sms.token_env", s.TokenFile, s.TokenEnv)
		if err != nil {
			return nil, err
		}
		c, err := smsgateway.Preset(s.Preset)
		if err != nil {
			return nil, fmt.Errorf("config: sms.preset: %w", err)
		}
		c.URL, c.Username, c.Token, c.From, c.Timeout = s.URL, s.Username, token, s.From, s.Timeout.D()
		if s.Method != "" {
			c.Method = s.Method
		}
		if s.Format != "" {
			c.Format = s.Format
		}
		if len(s.Body) > 0 {
			c.Body = s.Body
		}
		for k, v := range s.CanonicalHeaders() {
			c.Headers[k] = v
		}
		if len(s.SuccessStatuses) > 0 {
			c.Success = s.SuccessStatuses
		}
		g, err := smsgateway.New(c)
		if err != nil {
			return nil, fmt.Errorf("config: [sms]: %w", err)
		}
		return g, nil
	}
	return nil, fmt.Errorf("no channel %q", ch)
}

// SendTest sends the test message to one address or number, now, through
// the real sender of ch (no queue, no retry), so that an operator sees the
// sender's own answer: `sspr send-test`.
func SendTest(ctx context.Context, cfg *config.Config, ch notify.Channel, to string) error {
	tpl, err := loadTemplates(cfg)
	if err != nil {
		return err
	}
	s, err := NewSender(cfg, ch)
	if err != nil {
		return err
	}
	org := org(cfg)
	m := notify.TestMessage(ch, to, org)
	if c, ok := s.(io.Closer); ok {
		defer c.Close() // says QUIT rather than leave a connection open
	}
	r := notify.Router{Templates: tpl, HelpDesk: helpDesk(cfg), Local: localWords(cfg), Email: s, SMS: s}
	return r.Send(ctx, m)
}

// noSender stands for "outbox" outside dev mode: it delivers nothing, and
// says so for every message (and /readyz shows the channel degraded).
type noSender struct{ ch notify.Channel }

func (n noSender) Send(context.Context, notify.Message) error {
	return notify.Permanent(errors.New(string(n.ch) + ".kind is \"outbox\", which delivers nothing outside dev mode"))
}
