// Package portal wires the portal together: it builds every backend named by
// the configuration, the flow engine and the HTTP handler, and closes them
// in order. It is the only package that knows them all.
package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/captcha"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/logctx"
	"github.com/sspr-portal/sspr/server/metrics"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/outbox"
	"github.com/sspr-portal/sspr/server/policy"
	"github.com/sspr-portal/sspr/server/questions"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
	"github.com/sspr-portal/sspr/server/web"
	"github.com/sspr-portal/sspr/static"
)

// Options are what the command line adds to the configuration.
type Options struct {
	Config *config.Config
	Keys   *keys.Keys
	// Dev turns on dev mode: the seed, the dev outbox, the banner.
	Dev bool
	// DevCaptchaAnswer, in dev mode, is every CAPTCHA's answer.
	DevCaptchaAnswer string
	// Version names the build, for the service worker's cache.
	Version string
	// Tool builds the portal for a command that reads or sends and ends
	// (`sspr report`, `sspr remind`), not a server: no delivery workers
	// (messages are stored, and the servers deliver them), no decoy
	// refresh, no audit purge.
	Tool bool
	// Now is the clock; nil means time.Now. Tests set it to move time.
	Now func() time.Time
	Log *slog.Logger
}

// Portal is a running portal's handler and the backends behind it.
type Portal struct {
	handler http.Handler
	closers []func(context.Context) error
	// Outbox is the dev outbox (nil outside dev mode).
	Outbox *outbox.Outbox
	// Engine is the flow engine.
	Engine *selfservice.Engine
	// Delivery is the durable outbox and its router (senders.go).
	Delivery *Delivery
	// Reminders is the store, as `sspr remind unregistered` keeps when
	// each person was last reminded in it.
	Reminders sspr.Reminders

	log *slog.Logger
	// metrics are the collectors, nil when [metrics] listen is empty
	// (metrics.go).
	metrics       *metrics.Metrics
	metricsListen string
	profiling     bool // [metrics] profiling
}

// New builds the portal.
func New(ctx context.Context, o Options) (_ *Portal, err error) {
	cfg, log := o.Config, o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Every line logged with a request's context names the request, and
	// durations read as durations (server/logctx).
	log = logctx.New(log)
	if o.Keys == nil {
		return nil, fmt.Errorf("portal: no keys")
	}
	if o.DevCaptchaAnswer != "" && !o.Dev {
		return nil, fmt.Errorf("portal: a fixed CAPTCHA answer is for dev mode only")
	}
	p := &Portal{log: log}
	if cfg.Metrics.Listen != "" && !o.Tool {
		p.metrics, p.metricsListen, p.profiling = metrics.New(), cfg.Metrics.Listen, cfg.Metrics.Profiling
	}
	defer func() {
		if err != nil {
			_ = p.Close(context.WithoutCancel(ctx))
		}
	}()
	now := o.Now
	if now == nil {
		now = time.Now
	}

	h := cfg.Hashing
	hasher := secret.NewArgon2(secret.Params{Time: uint32(h.Argon2Time), Memory: uint32(h.Argon2MemoryKiB),
		Threads: uint8(h.Argon2Threads), KeyLen: 32, SaltLen: 16}, h.Concurrency)
	if p.metrics != nil {
		// Every wait for a hashing slot, the embedded directory's too.
		hasher.OnWait = p.metrics.HashWait
	}

	// The SQLite file holds the embedded directory's accounts and, unless
	// PostgreSQL does, the store and the outbox. A server with neither
	// (LDAP and PostgreSQL: a replica behind a load balancer) makes no
	// file at all.
	var db *sqlite.DB
	if cfg.KeepsSQLite() {
		if db, err = sqlite.Open(ctx, cfg.DatabasePath()); err != nil {
			return nil, err
		}
		p.closers = append(p.closers, func(context.Context) error { return db.Close() })
		if o.Dev {
			if err := sqlite.Seed(ctx, db, hasher, now()); err != nil {
				return nil, fmt.Errorf("dev seed: %w", err)
			}
		}
	}
	dir, err := p.newDirectory(cfg, db, hasher, now, log)
	if err != nil {
		return nil, err
	}
	store, err := p.newStore(ctx, cfg, db, log)
	if err != nil {
		return nil, err
	}
	if r, ok := store.(sspr.Reminders); ok {
		p.Reminders = r
	}
	state, err := p.newState(ctx, cfg, now, log)
	if err != nil {
		return nil, err
	}

	catalog, err := questions.Load(static.FS, "en")
	if err != nil {
		return nil, err
	}
	bl, err := policy.LoadBlocklist(static.FS, "passwords/common.txt")
	if err != nil {
		return nil, err
	}
	pc := policyConfig(cfg)
	if err := pc.Validate(); err != nil {
		return nil, fmt.Errorf("password policy: %w", err)
	}
	pol := policy.New(pc, bl)

	// During a key rotation the key file also holds sets still accepted:
	// what other servers made with them is read, never made (server/keys).
	var acceptedCode, acceptedEnc, acceptedSession [][]byte
	for _, k := range o.Keys.Accepted {
		acceptedCode = append(acceptedCode, k.Code)
		acceptedEnc = append(acceptedEnc, k.SessionEnc)
		acceptedSession = append(acceptedSession, k.SessionAuth, k.SessionEnc)
	}
	// Messages are stored in the durable outbox and leave from there,
	// off the request path (docs/SECURITY.md#same-answer), through the
	// senders [email] and [sms] name: senders.go.
	delivery, err := p.newDelivery(ctx, cfg, store, db, o.Keys.SessionEnc, acceptedEnc, o.Dev, now, log)
	if err != nil {
		return nil, err
	}
	p.Delivery = delivery

	// With metrics on, the backends, the hasher and the CAPTCHAs are timed
	// and counted (metrics.go): wrapped after the store has been asked
	// what else it is (Reminders, PostgreSQL's pool for the outbox).
	m := p.metrics
	if m != nil {
		dir, store, state = timedDirectory{dir, m}, timedStore{store, m}, timedState{state, m}
		m.WatchOutbox(delivery.Queue.Depth)
	}

	dummy, err := hasher.Hash(ctx, "no answer matches this")
	if err != nil {
		return nil, err
	}
	// One index of each account's sessions and flows, so that a reset
	// ends the sessions and a password change the flows. It keeps an end
	// for as long as anything it ends lives.
	sessions := revoke.New(state, now, max(cfg.Flow.MaxLifetime.D(), cfg.Registration.SessionMax.D()))
	deps := selfservice.Deps{
		Directory: dir, Registrations: dir.Registrations(store), Store: store, Sender: delivery.Router, Hasher: hasher,
		Policy: pol, Catalog: catalog, State: state, Sessions: sessions, Now: now, Rand: rand.Reader,
		CodeKey: o.Keys.Code, AcceptedCodeKeys: acceptedCode, DummyHash: dummy, Log: log,
	}
	if m != nil {
		deps.Events = m.Event // the counters and the audit from one place
	}
	ecfg := engineConfig(cfg)
	if ecfg.ProbeAccount, ecfg.ProbeTokenHash, err = probe(cfg); err != nil {
		return nil, err
	}
	engine, err := selfservice.New(ecfg, deps)
	if err != nil {
		return nil, err
	}
	p.Engine = engine
	if !o.Tool {
		delivery.Queue.Start(ctx)
		p.purgeAudit(store, cfg.Audit.Retention.D(), now, log)
		p.refreshDecoys(engine, cfg.Flow.DecoyRefresh.D(), log)
		if len(o.Keys.Accepted) > 0 {
			p.resealTOTP(engine, log)
		}
	}
	var catalogQuestions []api.Question
	for _, q := range catalog.All() {
		catalogQuestions = append(catalogQuestions, api.Question{ID: q.ID, Text: q.Text})
	}

	var cap httpapi.Captcha = captcha.New(state, captcha.Config{Length: cfg.Captcha.Length, TTL: cfg.Captcha.Lifetime.D(),
		MaxTTL: cfg.Captcha.MaxLifetime.D(), Audio: cfg.Captcha.Audio, DevAnswer: o.DevCaptchaAnswer})
	// A nil *metrics.Metrics must stay a nil interface: httpapi tells
	// Requests only when there is one.
	var requests httpapi.RequestObserver
	if m != nil {
		cap = countedCaptcha{cap, m}
		requests = m
	}

	// The pages and GET /api/v1/config show one and the same public
	// configuration.
	texts := map[string]map[string]string{}
	for lang, tx := range cfg.Languages.Texts {
		texts[lang] = tx.Catalogue()
	}
	loc, err := locale.LoadWith(cfg.Languages.Offered, texts)
	if err != nil {
		return nil, fmt.Errorf("[languages] offered: %w", err)
	}
	wo := web.OptionsFromConfig(cfg, o.Version, o.Dev, loc)
	site, err := web.New(wo)
	if err != nil {
		return nil, fmt.Errorf("web (%s): %w", filepath.Clean(wo.WebDir), err)
	}

	// A nil *outbox.Outbox must stay a nil interface: httpapi serves the
	// page only when there is an outbox.
	var devOutbox httpapi.DevOutbox
	if p.Outbox != nil {
		devOutbox = p.Outbox
	}
	t := cfg.Throttle
	p.handler = httpapi.New(httpapi.Options{
		Engine: engine, Captcha: cap,
		Catalog:        api.CatalogResponse{Questions: catalogQuestions, Count: cfg.Registration.QuestionsCount},
		CaptchaLimit:   selfservice.Limit{Max: t.AddressCaptchas, Window: t.AddressCaptchasWindow.D()},
		Config:         wo.Public,
		Policy:         pol.Describe(),
		PolicyRules:    pol.Rules(),
		Locale:         loc,
		SessionAuthKey: o.Keys.SessionAuth, SessionEncKey: o.Keys.SessionEnc, SessionKeysAccepted: acceptedSession,
		Version:      o.Version,
		CookieName:   cfg.Session.CookieName,
		FlowLifetime: cfg.Flow.Lifetime.D(),
		SessionIdle:  cfg.Registration.SessionIdle.D(),
		StaffIdle:    cfg.Staff.SessionIdle.D(),
		PublicURL:    cfg.PublicURL(),
		Dev:          o.Dev, Outbox: devOutbox,
		TrustedProxies: cfg.TrustedProxies(),
		Monitoring:     cfg.Monitoring(),
		IPv6Prefix:     t.IPv6Prefix,
		Ready: []httpapi.Check{
			{Name: "directory", Check: dir.Ping},
			{Name: "store", Check: store.Ping},
			{Name: "state", Check: state.Ping},
			// A sender that fails makes the portal degraded, not down:
			// the other methods still work.
			{Name: "email", Check: delivery.Email.Check, Degrades: true},
			{Name: "sms", Check: delivery.SMS.Check, Degrades: true},
		},
		Web: site, Pages: site,
		Log:      log,
		Requests: requests,
	})
	return p, nil
}

// refreshDecoys reads the proportions decoy flows copy at once, and again
// every interval until the portal closes, off the start's path: with a
// million registrations a read takes seconds. A failure is logged and the
// last proportions kept (at first, the fallback): decoys never stop flows.
func (p *Portal) refreshDecoys(e *selfservice.Engine, every time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	refresh := func() {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := e.RefreshDecoys(ctx); err != nil && ctx.Err() == nil {
			log.Error("refresh decoys", "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			refresh()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	stop := cancel
	p.closers = append(p.closers, func(context.Context) error {
		stop()
		<-done
		return nil
	})
}

// resealTOTP, during a key rotation, seals the authenticator apps' keys
// again under the key in use, once, off the start's path: every server
// restarts after the promotion, a day before the old key is retired
// (docs/OPERATIONS.md#rotating-the-keys), so none is left that only the
// retired key opens. Several servers doing it at once write the same.
func (p *Portal) resealTOTP(e *selfservice.Engine, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if n, err := e.ResealTOTP(ctx); err != nil && ctx.Err() == nil {
			log.Error("seal authenticator keys again", "err", err)
		} else if n > 0 {
			log.Info("authenticator keys sealed again under the key in use", "count", n)
		}
	}()
	p.closers = append(p.closers, func(context.Context) error {
		cancel()
		<-done
		return nil
	})
}

// auditPurgeEvery is how often each server deletes the audit events older
// than [audit] retention (a delete of nothing is cheap; several servers
// doing it is harmless).
const auditPurgeEvery = time.Hour

// purgeAudit deletes the audit events older than retention now and every
// auditPurgeEvery until the portal closes.
func (p *Portal) purgeAudit(st sspr.Auditor, retention time.Duration, now func() time.Time, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(auditPurgeEvery)
		defer t.Stop()
		for {
			pctx, pcancel := context.WithTimeout(ctx, time.Minute)
			if n, err := st.PurgeEvents(pctx, now().Add(-retention)); err != nil && ctx.Err() == nil {
				log.Error("purge audit events", "err", err)
			} else if n > 0 {
				log.Info("audit events purged", "count", n, "older_than", now().Add(-retention).Format(time.RFC3339))
			}
			pcancel()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	p.closers = append(p.closers, func(context.Context) error {
		cancel()
		<-done
		return nil
	})
}

// Handler is the portal's HTTP handler.
func (p *Portal) Handler() http.Handler { return p.handler }

// Close closes the backends, last opened first.
func (p *Portal) Close(ctx context.Context) error {
	var first error
	for i := len(p.closers) - 1; i >= 0; i-- {
		if err := p.closers[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	p.closers = nil
	return first
}

func kinds(methods []string) []api.Kind {
	var k []api.Kind
	for _, m := range methods {
		k = append(k, api.Kind(m))
	}
	return k
}

// engineConfig is the self-service engine's configuration.
func engineConfig(c *config.Config) selfservice.Config {
	t := c.Throttle
	limit := func(n int, w config.Duration) selfservice.Limit { return selfservice.Limit{Max: n, Window: w.D()} }
	cfg := selfservice.Config{
		Lifetime: c.Flow.Lifetime.D(), MaxLifetime: c.Flow.MaxLifetime.D(), SessionIdle: c.Registration.SessionIdle.D(), SessionMax: c.Registration.SessionMax.D(),
		ReauthAfter: c.Registration.ReauthAfter.D(), Methods: kinds(c.Flow.Methods), Required: c.Flow.RequiredMethods,
		QuestionsAsked: c.Flow.QuestionsAsked, QuestionsCount: c.Registration.QuestionsCount,
		QuestionsRedraw: c.Flow.QuestionsRedraw.D(), ReconfirmAfter: c.Registration.ReconfirmAfter.D(),
		RevealUnregistered: c.Flow.RevealUnregistered,
		DefaultDomain:      c.Users.DefaultDomain, PhoneRegion: c.Users.PhoneRegion, PhoneCountries: c.Users.PhoneCountries,
		SMSPerCountry: t.SMSPerCountry,
		CodeDigits:    c.Codes.Digits, CodeLifetime: c.Codes.Lifetime.D(), CodeMaxTries: c.Codes.MaxTries,
		EmailCooldown: c.Codes.EmailCooldown.D(), SMSCooldown: c.Codes.SMSCooldown.D(), MaxSendsPerHour: c.Codes.MaxSendsPerHour,
		AccountFailures:         limit(t.AccountFailures, t.AccountFailuresWindow),
		AccountIdentityFailures: limit(t.AccountIdentityFailures, t.AccountIdentityWindow),
		SignInFailures:          limit(t.SignInFailures, t.SignInFailuresWindow),
		AccountBlock:            t.AccountBlock.D(),
		ConsecutiveFailures:     t.AccountConsecutiveFailures,
		AccountStarts:           limit(t.AccountStarts, t.AccountStartsWindow),
		AddressStarts:           limit(t.AddressStarts, t.AddressStartsWindow),
		AddressFailures:         limit(t.AddressFailures, t.AddressFailuresWindow),
		Org:                     org(c),
		StaffIdle:               c.Staff.SessionIdle.D(), StaffMax: c.Staff.SessionMax.D(),
		PassLifetime: c.Staff.RecoveryPassLifetime.D(),
	}
	cfg.StaffServiceDeskGroup, cfg.StaffAuditorGroup = StaffGroups(c)
	pub := c.PublicURL()
	cfg.WebAuthn = selfservice.WebAuthn{RPID: pub.Hostname(), Origins: []string{pub.Scheme + "://" + pub.Host}}
	for _, p := range c.Policies {
		p = p.Resolved(c.Flow)
		cfg.Policies = append(cfg.Policies, selfservice.Policy{Name: p.Name, Group: p.Group, Methods: kinds(p.Methods),
			Required: p.RequiredMethods, Strong: p.StrongRequired, StrongMethods: kinds(p.StrongMethods)})
	}
	return cfg
}

// probe is the canary account `sspr probe` may reset and the hash of its
// token ([probe]; none: "" and nil).
func probe(c *config.Config) (string, []byte, error) {
	if c.Probe.Account == "" {
		return "", nil, nil
	}
	account, err := canon.UserID(c.Probe.Account, c.Users.DefaultDomain)
	if err != nil {
		return "", nil, fmt.Errorf("config: probe.account: %w", err)
	}
	token, err := c.Probe.Token()
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256([]byte(token))
	return account, sum[:], nil
}

// org is who the messages say they are from, and whom to call.
func org(c *config.Config) notify.Org {
	helpDesk := c.HelpDesk.Name
	if c.HelpDesk.Phone != "" {
		helpDesk += ": " + c.HelpDesk.Phone
	}
	if c.HelpDesk.Email != "" {
		helpDesk += ", " + c.HelpDesk.Email
	}
	return notify.Org{Name: c.Organisation.Name, HelpDesk: "Contact the " + helpDesk + "."}
}

func policyConfig(c *config.Config) policy.Config {
	p := c.Password
	banned := slices.Clone(p.BannedWords)
	for _, n := range []string{c.Organisation.Name, c.Organisation.ShortName} {
		if strings.TrimSpace(n) != "" {
			banned = append(banned, n)
		}
	}
	return policy.Config{MinLength: p.MinLength, MaxLength: p.MaxLength, RequireLower: p.RequireLower,
		RequireUpper: p.RequireUpper, RequireDigit: p.RequireDigit, RequireSymbol: p.RequireSymbol,
		MinClasses: p.MinClasses, BannedWords: banned}
}
