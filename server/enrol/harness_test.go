package enrol_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/enrol"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

var ctx = context.Background()

// clock is a hand-set clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// directory is an in-memory directory that counts the passwords it checks
// and can take a moment over each, as a real bind does.
type directory struct {
	mu       sync.Mutex
	accounts map[string]*sspr.Account
	password map[string]string
	checks   atomic.Int64
	delay    time.Duration
}

func (d *directory) Lookup(_ context.Context, id string) (*sspr.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.accounts[id]
	if !ok {
		return nil, nil
	}
	cp := *a
	return &cp, nil
}

func (d *directory) CheckPassword(_ context.Context, id, pw string) (bool, error) {
	d.checks.Add(1)
	time.Sleep(d.delay)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.password[id] == pw && d.password[id] != "", nil
}

func (d *directory) SetPassword(_ context.Context, id, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.password[id] = pw
	return nil
}

// Unlock is sspr.Directory's; registration never unlocks.
func (d *directory) Unlock(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.accounts[id]; ok {
		a.Locked = false
	}
	return nil
}

func (d *directory) set(id string, f func(a *sspr.Account)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.accounts[id])
}

type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (o *outbox) Send(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) all() []notify.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.msgs)
}

func (o *outbox) lastCode(t *testing.T, to string) string {
	t.Helper()
	msgs := o.all()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && msgs[i].Code != "" {
			return msgs[i].Code
		}
	}
	t.Fatalf("no code sent to %s", to)
	return ""
}

type policy struct{}

func (policy) Check(pw string, _ *sspr.Account) []sspr.Rule {
	if len(pw) < 12 {
		return []sspr.Rule{{Code: sspr.RuleMinLength, Message: "Use at least 12 characters."}}
	}
	return nil
}

type catalog struct{}

var questionIDs = []string{"q1", "q2", "q3", "q4", "q5", "q6"}

func (catalog) Text(id string) (string, bool) {
	if slices.Contains(questionIDs, id) {
		return "Question " + id + "?", true
	}
	return "", false
}
func (catalog) IDs() []string { return slices.Clone(questionIDs) }

const (
	alice = "alice@example.edu"
	bob   = "bob@example.edu"
)

var client = sspr.Client{Addr: "192.0.2.1", UserAgent: "test"}

type harness struct {
	e        *enrol.Engine
	clock    *clock
	state    *memstate.Store
	sessions *revoke.Index
	dir      *directory
	store    *sqlite.Store
	out      *outbox
	cfg      enrol.Config
}

func newHarness(t *testing.T, tweak ...func(*enrol.Config)) *harness {
	t.Helper()
	h := &harness{clock: &clock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}, out: &outbox{}}
	h.state = memstate.New(h.clock.Now, 0)
	h.sessions = revoke.New(h.state, h.clock.Now, 2*time.Hour)
	h.dir = &directory{
		accounts: map[string]*sspr.Account{
			alice: {ID: alice, DisplayName: "Alice Archer", Mail: alice},
			bob:   {ID: bob, DisplayName: "Bob Baker", Mail: bob},
		},
		password: map[string]string{alice: "Alice-Old-Password-1", bob: "Bob-Old-Password-1"},
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.store = sqlite.NewStore(db)
	h.cfg = enrol.Config{
		IdleTimeout: 15 * time.Minute, MaxLife: time.Hour, ReauthAfter: 5 * time.Minute,
		Methods: []api.Kind{api.KindEmail, api.KindSMS, api.KindQuestions}, Required: 2, QuestionsCount: 5,
		DefaultDomain: "example.edu", PhoneRegion: "GB", SMSPerCountry: 500,
		CodeDigits: 8, CodeLifetime: 10 * time.Minute, CodeMaxTries: 5,
		EmailCooldown: time.Minute, SMSCooldown: 2 * time.Minute, MaxSendsPerHour: 5,
		SignInFailures: enrol.Limit{Max: 5, Window: 24 * time.Hour}, AccountBlock: 24 * time.Hour,
		AddressFailures: enrol.Limit{Max: 1000, Window: time.Hour}, CodeFailures: enrol.Limit{Max: 5, Window: time.Hour},
		ConsecutiveFailures: 100,
		Org:                 notify.Org{Name: "Example University", HelpDesk: "Contact the IT Service Desk."},
	}
	for _, f := range tweak {
		f(&h.cfg)
	}
	key := make([]byte, 32)
	rand.Read(key)
	e, err := enrol.New(h.cfg, enrol.Deps{
		Directory: h.dir, Store: h.store, Sender: h.out,
		Hasher: secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0),
		Policy: policy{}, Catalog: catalog{}, State: h.state, Sessions: h.sessions,
		Now: h.clock.Now, Rand: rand.Reader, CodeKey: key,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

// signIn signs user in and returns the session id.
func (h *harness) signIn(t *testing.T, user, pw string) string {
	t.Helper()
	id, _, err := h.e.SignIn(ctx, user, pw, client)
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	return id
}

// registerEmail registers and confirms an alternate address.
func (h *harness) registerEmail(t *testing.T, sid, addr string) {
	t.Helper()
	if _, err := h.e.StartEmail(ctx, sid, addr, client); err != nil {
		t.Fatalf("start email: %v", err)
	}
	if _, err := h.e.Confirm(ctx, sid, api.KindEmail, h.out.lastCode(t, addr), client); err != nil {
		t.Fatalf("confirm email: %v", err)
	}
}

func code(err error) sspr.Code {
	if err == nil {
		return ""
	}
	var ae *sspr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "not an sspr.Error: " + sspr.Code(err.Error())
}

func wantCode(t *testing.T, err error, want sspr.Code) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}
