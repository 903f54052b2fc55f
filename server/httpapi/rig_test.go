package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/captcha"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/policy"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/questions"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/static"
)

// The rig is the portal wired by hand, as server/portal wires it, for the
// tests that need what the portal can't be told: a small memstate, the
// options the portal does not pass yet, and clients at any address (its
// handler is called directly, with RemoteAddr set, so no network is
// involved and a request can come from 2001:db8::1 as easily as from
// loopback). Its engine, CAPTCHAs, directory and store are the real ones;
// messages go to a list; its clock stands still, so no key expires unless
// a test says so.

// evictablePrefixes are the portal's own: what the in-memory State backend
// may evict when a flood fills it.
var evictablePrefixes = portal.EvictablePrefixes

type rig struct {
	t     *testing.T
	h     http.Handler
	state *spyState
	sent  *sentMessages
}

type rigConfig struct {
	// maxKeys bounds the memstate (0: its default); evictable are the
	// prefixes it may evict (nil: none, the store as it was).
	maxKeys   int
	evictable []string
	// options adjusts the handler's options.
	options func(*httpapi.Options)
}

// newRig builds the portal-like handler.
func newRig(t *testing.T, rc rigConfig) *rig {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return start }

	hasher := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := sqlite.Seed(ctx, db, hasher, start); err != nil {
		t.Fatal(err)
	}
	catalog, err := questions.Load(static.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	dummy, err := hasher.Hash(ctx, "no answer matches this")
	if err != nil {
		t.Fatal(err)
	}
	var opts []memstate.Option
	if rc.evictable != nil {
		opts = append(opts, memstate.Evictable(rc.evictable...))
	}
	state := &spyState{Store: memstate.New(now, rc.maxKeys, opts...), live: map[string]bool{}}
	sent := &sentMessages{}
	store := sqlite.NewStore(db)
	pol := policy.New(policy.Config{}, nil)
	engine, err := selfservice.New(selfservice.DefaultConfig(), selfservice.Deps{
		Directory: sqlite.NewDirectory(db, hasher, 0), Registrations: store, Store: store, Sender: sent,
		Hasher: hasher, Policy: pol, Catalog: catalog, State: state,
		Sessions: revoke.New(state, now, 15*time.Minute), Now: now, Rand: rand.Reader, CodeKey: bytes.Repeat([]byte{7}, 32), DummyHash: dummy,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := httpapi.Options{
		Engine:       engine,
		Captcha:      captcha.New(state, captcha.Config{DevAnswer: devAnswer}),
		CaptchaLimit: selfservice.Limit{Max: 600, Window: 10 * time.Minute},
		// The keys' values don't matter here, only their lengths.
		SessionAuthKey: bytes.Repeat([]byte{1}, 64), SessionEncKey: bytes.Repeat([]byte{2}, 32),
		FlowLifetime: 15 * time.Minute,
		Policy:       pol.Describe(), PolicyRules: pol.Rules(),
		Dev:   true, // any loopback Host
		Ready: []httpapi.Check{{Name: "state", Check: state.Ping}},
	}
	if rc.options != nil {
		rc.options(&o)
	}
	return &rig{t: t, h: httpapi.New(o), state: state, sent: sent}
}

// rigClient is one browser at one address: its cookies, and the headers a
// proxy in front of the portal would add.
type rigClient struct {
	r          *rig
	remoteAddr string
	header     http.Header
	cookies    map[string]*http.Cookie
}

// from is a client whose connection comes from remoteAddr ("host:port").
func (r *rig) from(remoteAddr string) *rigClient {
	return &rigClient{r: r, remoteAddr: remoteAddr, header: http.Header{}, cookies: map[string]*http.Cookie{}}
}

// behind is a client at addr whose requests reach the portal through the
// proxy at proxyAddr, which adds X-Forwarded-For.
func (r *rig) behind(proxyAddr, addr string) *rigClient {
	c := r.from(proxyAddr)
	c.header.Set("X-Forwarded-For", addr)
	return c
}

// do sends a request (v as its JSON body unless nil) and keeps the cookies.
func (c *rigClient) do(method, path string, v any) response {
	c.r.t.Helper()
	var body []byte
	if method != http.MethodGet && method != http.MethodDelete {
		body = []byte{}
		if v != nil {
			body, _ = json.Marshal(v)
		}
	}
	req := httptest.NewRequest(method, "http://127.0.0.1"+path, bytes.NewReader(body))
	req.RemoteAddr = c.remoteAddr
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.r.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// want expects a status and returns the response.
func (c *rigClient) want(status int, r response) response {
	c.r.t.Helper()
	if r.status != status {
		c.r.t.Fatalf("%s: status %d, want %d: %s", c.remoteAddr, r.status, status, r.body)
	}
	return r
}

func (c *rigClient) captcha() string {
	c.r.t.Helper()
	var cp api.Captcha
	r := c.want(http.StatusCreated, c.do("POST", api.PathCaptcha, nil))
	if err := json.Unmarshal(r.body, &cp); err != nil || cp.ID == "" {
		c.r.t.Fatalf("captcha: %s", r.body)
	}
	return cp.ID
}

// startWith starts a flow past its CAPTCHA and chooses the intent.
func (c *rigClient) startWith(user string, in api.Intent) api.Flow {
	c.r.t.Helper()
	start := api.StartRequest{User: user, Captcha: api.CaptchaRef{ID: c.captcha(), Answer: devAnswer}}
	c.want(http.StatusCreated, c.do("POST", api.PathFlows, start))
	return c.want(http.StatusOK, c.do("POST", api.PathFlowIntent, api.IntentRequest{Intent: in})).flow(c.r.t)
}

func (c *rigClient) passEmail(to string) api.Flow {
	c.r.t.Helper()
	c.want(http.StatusOK, c.do("POST", api.PathFlowEmailSend, nil))
	code := c.r.sent.code(c.r.t, to)
	return c.want(http.StatusOK, c.do("POST", api.PathFlowEmailVerify, api.CodeRequest{Code: code})).flow(c.r.t)
}

func (c *rigClient) passQuestions(answer string) api.Flow {
	c.r.t.Helper()
	var qr api.QuestionsResponse
	r := c.want(http.StatusOK, c.do("GET", api.PathFlowQuestions, nil))
	if err := json.Unmarshal(r.body, &qr); err != nil || len(qr.Questions) == 0 {
		c.r.t.Fatalf("questions: %s", r.body)
	}
	answers := map[string]string{}
	for _, q := range qr.Questions {
		answers[q.ID] = answer
	}
	return c.want(http.StatusOK, c.do("POST", api.PathFlowQuestionsOK, api.AnswersRequest{Answers: answers})).flow(c.r.t)
}

// sentMessages is the rig's sender: it keeps every message.
type sentMessages struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (s *sentMessages) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

// code is the newest code sent to an address.
func (s *sentMessages) code(t *testing.T, to string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].To == to && s.msgs[i].Code != "" {
			return s.msgs[i].Code
		}
	}
	t.Fatalf("no code was sent to %s", to)
	return ""
}

// spyState is the rig's memstate, with the keys that are live as far as
// its callers know (written and not yet deleted or taken): an entry missing
// from the store while live here was evicted (the rig's clock stands
// still, so nothing expires).
type spyState struct {
	*memstate.Store
	mu   sync.Mutex
	live map[string]bool
}

func (s *spyState) mark(key string, live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if live {
		s.live[key] = true
	} else {
		delete(s.live, key)
	}
}

func (s *spyState) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	err := s.Store.Set(ctx, key, value, ttl)
	if err == nil {
		s.mark(key, true)
	}
	return err
}

func (s *spyState) Delete(ctx context.Context, key string) error {
	err := s.Store.Delete(ctx, key)
	if err == nil {
		s.mark(key, false)
	}
	return err
}

func (s *spyState) Take(ctx context.Context, key string) ([]byte, error) {
	v, err := s.Store.Take(ctx, key)
	if err == nil {
		s.mark(key, false)
	}
	return v, err
}

func (s *spyState) Update(ctx context.Context, key string, fn func(cur []byte) ([]byte, time.Duration, error)) error {
	var stored bool
	err := s.Store.Update(ctx, key, func(cur []byte) ([]byte, time.Duration, error) {
		next, ttl, err := fn(cur)
		stored = next != nil
		return next, ttl, err
	})
	if err == nil {
		s.mark(key, stored)
	}
	return err
}

func (s *spyState) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	n, err := s.Store.Incr(ctx, key, window)
	if err == nil {
		s.mark(key, true)
	}
	return n, err
}

// liveKept returns the live keys that no prefix in evictable names.
func (s *spyState) liveKept(evictable []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
next:
	for k := range s.live {
		for _, p := range evictable {
			if strings.HasPrefix(k, p) {
				continue next
			}
		}
		keys = append(keys, k)
	}
	return keys
}

// wrongCode is a code of the same length that is not code.
func wrongCode(code string) string {
	if code == "99999999" {
		return "88888888"
	}
	return "99999999"
}
