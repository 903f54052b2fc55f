package portal

import (
	"context"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/metrics"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The metrics ([metrics] listen; docs/OBSERVABILITY.md) are wired here:
// the backends, the CAPTCHAs and the hasher are wrapped so that the
// backends themselves know nothing of them. With metrics off nothing is
// wrapped, and nothing costs a thing.

// MetricsPath is where the metrics listener serves a scrape.
const MetricsPath = "/metrics"

// MetricsHandler serves the metrics at MetricsPath, for the listener of
// [metrics] listen (MetricsListen); nil when metrics are off.
func (p *Portal) MetricsHandler() http.Handler {
	if p.metrics == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, p.metrics.Handler(p.log))
	if p.profiling {
		// Stacks and allocation sites, never a value: no secret is in a
		// profile. pprof's import also registers these on
		// http.DefaultServeMux, which nothing here serves.
		mux.HandleFunc("GET "+ProfilesPath, pprof.Index)
		mux.HandleFunc("GET "+ProfilesPath+"cmdline", pprof.Cmdline)
		mux.HandleFunc("GET "+ProfilesPath+"profile", pprof.Profile)
		mux.HandleFunc("GET "+ProfilesPath+"symbol", pprof.Symbol)
		mux.HandleFunc("GET "+ProfilesPath+"trace", pprof.Trace)
	}
	return mux
}

// ProfilesPath is where the metrics listener serves Go's profiles, with
// [metrics] profiling on: ProfilesPath+"profile?seconds=30" is the CPU,
// ProfilesPath+"allocs?seconds=30" the allocations over 30 s.
const ProfilesPath = "/debug/pprof/"

// MetricsListen is [metrics] listen: the address to serve MetricsHandler
// on ("" when metrics are off).
func (p *Portal) MetricsListen() string { return p.metricsListen }

// Metrics are the collectors (nil when metrics are off), for tests.
func (p *Portal) Metrics() *metrics.Metrics { return p.metrics }

// timed calls fn and tells m how long it took and how it ended.
func timed(m *metrics.Metrics, backend, op string, fn func() error) error {
	began := time.Now()
	err := fn()
	m.Backend(backend, op, time.Since(began), err)
	return err
}

// timedDirectory times each call to the directory. The rest of what the
// backend is (Registrations, Ping's siblings) passes through.
type timedDirectory struct {
	directory
	m *metrics.Metrics
}

func (d timedDirectory) Lookup(ctx context.Context, id string) (a *sspr.Account, err error) {
	err = timed(d.m, "directory", "lookup", func() error { a, err = d.directory.Lookup(ctx, id); return err })
	return a, err
}

func (d timedDirectory) CheckPassword(ctx context.Context, id, password string) (ok bool, err error) {
	err = timed(d.m, "directory", "check_password", func() error { ok, err = d.directory.CheckPassword(ctx, id, password); return err })
	return ok, err
}

func (d timedDirectory) SetPassword(ctx context.Context, id, password string) error {
	return timed(d.m, "directory", "set_password", func() error { return d.directory.SetPassword(ctx, id, password) })
}

func (d timedDirectory) Unlock(ctx context.Context, id string) error {
	return timed(d.m, "directory", "unlock", func() error { return d.directory.Unlock(ctx, id) })
}

func (d timedDirectory) MemberOf(ctx context.Context, id, group string) (in bool, err error) {
	err = timed(d.m, "directory", "member_of", func() error { in, err = d.directory.MemberOf(ctx, id, group); return err })
	return in, err
}

func (d timedDirectory) Find(ctx context.Context, term string, limit int) (as []sspr.Account, err error) {
	err = timed(d.m, "directory", "find", func() error { as, err = d.directory.Find(ctx, term, limit); return err })
	return as, err
}

func (d timedDirectory) Each(ctx context.Context, fn func(sspr.Account) error) error {
	return timed(d.m, "directory", "each", func() error { return d.directory.Each(ctx, fn) })
}

// EachInIDOrder is the wrapped directory's (sspr.IDOrdered).
func (d timedDirectory) EachInIDOrder() bool { return sspr.InIDOrder(d.directory) }

func (d timedDirectory) Ping(ctx context.Context) error {
	return timed(d.m, "directory", "ping", func() error { return d.directory.Ping(ctx) })
}

// timedStore times each call to the store.
type timedStore struct {
	store
	m *metrics.Metrics
}

func (s timedStore) Registration(ctx context.Context, user string) (r *sspr.Registration, err error) {
	err = timed(s.m, "store", "registration", func() error { r, err = s.store.Registration(ctx, user); return err })
	return r, err
}

func (s timedStore) Population(ctx context.Context) (p sspr.Population, err error) {
	err = timed(s.m, "store", "population", func() error { p, err = s.store.Population(ctx); return err })
	return p, err
}

func (s timedStore) Record(ctx context.Context, e sspr.Event) error {
	return timed(s.m, "store", "record", func() error { return s.store.Record(ctx, e) })
}

func (s timedStore) Events(ctx context.Context, q sspr.EventQuery) (es []sspr.Event, err error) {
	err = timed(s.m, "store", "events", func() error { es, err = s.store.Events(ctx, q); return err })
	return es, err
}

func (s timedStore) PurgeEvents(ctx context.Context, before time.Time) (n int64, err error) {
	err = timed(s.m, "store", "purge_events", func() error { n, err = s.store.PurgeEvents(ctx, before); return err })
	return n, err
}

func (s timedStore) PutRegistration(ctx context.Context, r sspr.Registration) error {
	return timed(s.m, "store", "put_registration", func() error { return s.store.PutRegistration(ctx, r) })
}

func (s timedStore) EachRegistration(ctx context.Context, fn func(sspr.Registration) error) error {
	return timed(s.m, "store", "each_registration", func() error { return s.store.EachRegistration(ctx, fn) })
}

// EachInIDOrder is the wrapped store's (sspr.IDOrdered).
func (s timedStore) EachInIDOrder() bool { return sspr.InIDOrder(s.store) }

func (s timedStore) Ping(ctx context.Context) error {
	return timed(s.m, "store", "ping", func() error { return s.store.Ping(ctx) })
}

// timedState times each call to the state.
type timedState struct {
	state
	m *metrics.Metrics
}

func (s timedState) Get(ctx context.Context, key string) (v []byte, err error) {
	err = timed(s.m, "state", "get", func() error { v, err = s.state.Get(ctx, key); return err })
	return v, err
}

func (s timedState) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return timed(s.m, "state", "set", func() error { return s.state.Set(ctx, key, value, ttl) })
}

func (s timedState) Delete(ctx context.Context, key string) error {
	return timed(s.m, "state", "delete", func() error { return s.state.Delete(ctx, key) })
}

// Update's own errors are fn's as often as the backend's: metrics.Failed
// counts only the backend's (service_unavailable and the like).
func (s timedState) Update(ctx context.Context, key string, fn func(cur []byte) ([]byte, time.Duration, error)) error {
	return timed(s.m, "state", "update", func() error { return s.state.Update(ctx, key, fn) })
}

func (s timedState) Incr(ctx context.Context, key string, window time.Duration) (n int64, err error) {
	err = timed(s.m, "state", "incr", func() error { n, err = s.state.Incr(ctx, key, window); return err })
	return n, err
}

func (s timedState) Take(ctx context.Context, key string) (v []byte, err error) {
	err = timed(s.m, "state", "take", func() error { v, err = s.state.Take(ctx, key); return err })
	return v, err
}

func (s timedState) Ping(ctx context.Context) error {
	return timed(s.m, "state", "ping", func() error { return s.state.Ping(ctx) })
}

// countedCaptcha counts the CAPTCHAs made, for the API and for the
// prerendered pages.
type countedCaptcha struct {
	httpapi.Captcha
	m *metrics.Metrics
}

func (c countedCaptcha) Create(ctx context.Context) (api.Captcha, error) {
	cp, err := c.Captcha.Create(ctx)
	if err == nil {
		c.m.CaptchaMade()
	}
	return cp, err
}

func (c countedCaptcha) Picture(ctx context.Context) (api.Captcha, time.Time, error) {
	cp, until, err := c.Captcha.Picture(ctx)
	if err == nil {
		c.m.CaptchaMade()
	}
	return cp, until, err
}
