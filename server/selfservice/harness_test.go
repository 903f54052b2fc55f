package selfservice_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/internal/storetest"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/revoke"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/selfservice"
	"github.com/sspr-portal/sspr/server/sspr"
)

// directory is an in-memory Directory that records what was done to it.
type directory struct {
	mu       sync.Mutex
	accounts map[string]*sspr.Account
	password map[string]string
	refuse   string // a password the directory's own policy refuses
	down     bool
	unlocks  int                 // Unlock calls
	checks   atomic.Int64        // CheckPassword calls
	delay    time.Duration       // how long a CheckPassword takes, as a bind does
	groups   map[string][]string // group → members
}

func (d *directory) CheckPassword(_ context.Context, id, pw string) (bool, error) {
	d.checks.Add(1)
	time.Sleep(d.delay)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return false, errors.New("directory down")
	}
	return d.password[id] == pw && d.password[id] != "", nil
}

// set changes an account as the directory's administrators would.
func (d *directory) set(id string, f func(a *sspr.Account)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.accounts[id])
}

func (d *directory) Lookup(ctx context.Context, id string) (*sspr.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return nil, errors.New("directory down")
	}
	a, ok := d.accounts[id]
	if !ok {
		return nil, nil
	}
	cp := *a
	return &cp, nil
}

func (d *directory) SetPassword(ctx context.Context, id, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return errors.New("directory down")
	}
	if pw == d.refuse {
		return &sspr.Error{Code: sspr.CodePasswordPolicy, Message: "refused", Rules: []sspr.Rule{{Code: sspr.RuleHistory, Message: "used before"}}}
	}
	d.password[id] = pw
	return nil
}

func (d *directory) Unlock(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return errors.New("directory down")
	}
	d.unlocks++
	d.accounts[id].Locked = false
	return nil
}

func (d *directory) Find(ctx context.Context, term string, limit int) ([]sspr.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []sspr.Account
	for _, a := range d.accounts {
		if strings.Contains(strings.ToLower(a.ID+" "+a.DisplayName), strings.ToLower(term)) && len(out) < limit {
			out = append(out, *a)
		}
	}
	return out, nil
}

func (d *directory) Each(ctx context.Context, fn func(sspr.Account) error) error {
	d.mu.Lock()
	var all []sspr.Account
	for _, a := range d.accounts {
		all = append(all, *a)
	}
	d.mu.Unlock()
	for _, a := range all {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (d *directory) MemberOf(ctx context.Context, id, group string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return false, errors.New("directory down")
	}
	return slices.Contains(d.groups[group], id), nil
}

func (d *directory) get(id string) (sspr.Account, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return *d.accounts[id], d.password[id]
}

type registrations map[string]*sspr.Registration

func (r registrations) Registration(ctx context.Context, id string) (*sspr.Registration, error) {
	return r[id], nil
}

func (r registrations) Population(ctx context.Context) (sspr.Population, error) {
	p := sspr.Population{}
	for _, reg := range r {
		p[storetest.ShapeOf(*reg)]++
	}
	return p, nil
}

type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (o *outbox) Send(ctx context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// batchOutbox is an outbox that stores several messages at once, as the
// durable outbox does, and keeps the sizes of the batches.
type batchOutbox struct {
	*outbox
	batches []int
}

func (o *batchOutbox) SendAll(ctx context.Context, ms []notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, ms...)
	o.batches = append(o.batches, len(ms))
	return nil
}

func (o *outbox) all() []notify.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.msgs)
}

// lastCode returns the code last sent to an address.
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

// store is the Store backend in memory: the registrations map, and the
// audit kept in order.
type store struct {
	regs   registrations
	mu     sync.Mutex
	events []sspr.Event
	down   bool // Record fails
}

func (s *store) Registration(ctx context.Context, id string) (*sspr.Registration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regs[id]
	if r == nil {
		return nil, nil
	}
	cp := *r
	return &cp, nil
}

func (s *store) PutRegistration(ctx context.Context, r sspr.Registration) error {
	if err := r.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.regs[r.UserID] = &r
	return nil
}

func (s *store) EachRegistration(ctx context.Context, fn func(sspr.Registration) error) error {
	s.mu.Lock()
	var all []sspr.Registration
	for _, r := range s.regs {
		all = append(all, *r)
	}
	s.mu.Unlock()
	for _, r := range all {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *store) Population(ctx context.Context) (sspr.Population, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.regs.Population(ctx)
}

func (a *store) Record(ctx context.Context, e sspr.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		return sspr.Unavailable(sspr.BackendStore, errors.New("store down"))
	}
	a.events = append(a.events, e)
	return nil
}

// Events returns the events q selects, newest first, as the real stores
// do (storetest holds them to it): the console's timeline of one person
// must never show another's.
func (a *store) Events(ctx context.Context, q sspr.EventQuery) ([]sspr.Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []sspr.Event
	for _, e := range slices.Backward(a.events) {
		switch {
		case q.User != "" && e.UserID != q.User, q.Flow != "" && e.Flow != q.Flow,
			len(q.Kinds) > 0 && !slices.Contains(q.Kinds, e.Kind),
			!q.Since.IsZero() && e.At.Before(q.Since), !q.Until.IsZero() && !e.At.Before(q.Until):
			continue
		}
		if out = append(out, e); q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func (a *store) PurgeEvents(ctx context.Context, before time.Time) (int64, error) { return 0, nil }

// setDown makes Record fail (the store can't be reached) or work again.
func (a *store) setDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

// kinds is the events that say what became of an account (KIND:USER):
// the results, not the steps on the way (timeline has those).
func (a *store) kinds() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var k []string
	for _, e := range a.events {
		if e.Outcome == sspr.OutcomeOK && !stepKinds[e.Kind] {
			k = append(k, e.Kind+":"+e.UserID)
		}
	}
	return k
}

var stepKinds = map[string]bool{sspr.EventFlowStarted: true, sspr.EventIntentChosen: true, sspr.EventCodeSent: true,
	sspr.EventMethodPassed: true, sspr.EventMessageDelivered: true}

// timeline is every event of the flow or session ref, in order, as
// KIND/OUTCOME.
func (a *store) timeline(ref string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var k []string
	for _, e := range a.events {
		if e.Flow == ref {
			k = append(k, e.Kind+"/"+e.Outcome)
		}
	}
	return k
}

// last is the last event of kind.
func (a *store) last(kind string) sspr.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.events) - 1; i >= 0; i-- {
		if a.events[i].Kind == kind {
			return a.events[i]
		}
	}
	return sspr.Event{}
}

// policy refuses passwords shorter than 12 bytes: enough to prove the
// engine reports a policy refusal; the real policy has its own tests.
type policy struct{}

func (policy) Check(pw string, _ *sspr.Account) []sspr.Rule {
	if len(pw) < 12 {
		return []sspr.Rule{{Code: sspr.RuleMinLength, Message: "Use at least 12 characters."}}
	}
	return nil
}

type catalog struct{}

var questionIDs = []string{"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"}

func (catalog) Text(id string) (string, bool) {
	if slices.Contains(questionIDs, id) {
		return "Question " + id + "?", true
	}
	return "", false
}
func (catalog) IDs() []string { return slices.Clone(questionIDs) }

type harness struct {
	e     *selfservice.Engine
	clock *testkit.Clock // hand-set: the honest fake the engine is designed for
	state *memstate.Store
	dir   *directory
	regs  registrations
	out   *outbox
	audit *store
	cfg   selfservice.Config
	deps  selfservice.Deps
}

var cheap = secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

const (
	alice = "alice@example.edu" // email, sms and questions
	bob   = "bob@example.edu"   // locked; email and sms
	carol = "carol@example.edu" // not registered
	dave  = "dave@example.edu"  // email only
)

var client = sspr.Client{Addr: "192.0.2.1", UserAgent: "test"}

func newHarness(t *testing.T, tweak ...func(*selfservice.Config)) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{clock: testkit.NewClock(time.Time{}), out: &outbox{}} // testkit.Epoch
	h.state = memstate.New(h.clock.Now, 0)
	hasher := secret.NewArgon2(cheap, 0)
	hash := func(s string) string {
		v, err := hasher.Hash(ctx, canon.Answer(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	confirmed := h.clock.Now().Add(-time.Hour)
	var answers []sspr.Answer
	for _, q := range questionIDs[:5] {
		answers = append(answers, sspr.Answer{QuestionID: q, Hash: hash("blue fox")})
	}
	h.dir = &directory{password: map[string]string{}, refuse: "Refused-By-Directory-1", accounts: map[string]*sspr.Account{
		alice: {ID: alice, DisplayName: "Alice Archer", Mail: alice},
		bob:   {ID: bob, DisplayName: "Bob Baker", Mail: bob, Locked: true},
		carol: {ID: carol, DisplayName: "Carol Clark", Mail: carol},
		dave:  {ID: dave, DisplayName: "Dave Dunn", Mail: dave},
	}}
	h.regs = registrations{
		alice: {UserID: alice, Email: "alice.alt@example.net", EmailConfirmed: confirmed, Phone: "+447700900123", PhoneConfirmed: confirmed, Answers: answers, AnswersConfirmed: confirmed},
		bob:   {UserID: bob, Email: "bob.alt@example.net", EmailConfirmed: confirmed, Phone: "+447700900456", PhoneConfirmed: confirmed},
		dave:  {UserID: dave, Email: "dave.alt@example.net", EmailConfirmed: confirmed},
	}
	h.audit = &store{regs: h.regs}
	h.cfg = selfservice.DefaultConfig()
	for _, f := range tweak {
		f(&h.cfg)
	}
	key := make([]byte, 32)
	rand.Read(key)
	h.deps = selfservice.Deps{
		Directory: h.dir, Registrations: h.audit, Store: h.audit, Sender: h.out, Hasher: hasher,
		Policy: policy{}, Catalog: catalog{}, State: h.state, Sessions: revoke.New(h.state, h.clock.Now, time.Hour),
		Now: h.clock.Now, Rand: rand.Reader,
		CodeKey: key, DummyHash: hash("dummy"),
	}
	e, err := selfservice.New(h.cfg, h.deps)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

// slowState is the State backend with a round trip's delay before each
// call, as Redis has one: parallel requests then overlap as they do in
// production, instead of running one after the other in memory.
type slowState struct {
	sspr.State
	delay time.Duration
}

func (s slowState) Get(ctx context.Context, k string) ([]byte, error) {
	time.Sleep(s.delay)
	return s.State.Get(ctx, k)
}

func (s slowState) Update(ctx context.Context, k string, fn func([]byte) ([]byte, time.Duration, error)) error {
	time.Sleep(s.delay)
	return s.State.Update(ctx, k, fn)
}

func (s slowState) Incr(ctx context.Context, k string, w time.Duration) (int64, error) {
	time.Sleep(s.delay)
	return s.State.Incr(ctx, k, w)
}

// slow rebuilds the engine over a State backend with a round trip of d.
func (h *harness) slow(t *testing.T, d time.Duration) {
	t.Helper()
	deps := h.deps
	deps.State = slowState{h.state, d}
	e, err := selfservice.New(h.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
}

// code returns the error code of err, or "" for nil.
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

// ok fails the test on an error: ok(t)(h.e.Start(...)).
func ok(t *testing.T) func(api.Flow, error) api.Flow {
	return func(f api.Flow, err error) api.Flow {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return f
	}
}

func wantCode(t *testing.T, err error, want sspr.Code) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

// start begins a flow and chooses the intent.
func (h *harness) start(t *testing.T, user string, in api.Intent) api.Flow {
	t.Helper()
	ctx := context.Background()
	f := ok(t)(h.e.Start(ctx, user, client))
	return ok(t)(h.e.ChooseIntent(ctx, f.ID, in, client))
}

func (h *harness) passEmail(t *testing.T, f api.Flow, alt string) api.Flow {
	t.Helper()
	ctx := context.Background()
	f = ok(t)(h.e.SendCode(ctx, f.ID, api.KindEmail, "", client))
	return ok(t)(h.e.VerifyCode(ctx, f.ID, api.KindEmail, h.out.lastCode(t, alt), client))
}

func (h *harness) passSMS(t *testing.T, f api.Flow, typed, e164 string) api.Flow {
	t.Helper()
	ctx := context.Background()
	f = ok(t)(h.e.SendCode(ctx, f.ID, api.KindSMS, typed, client))
	return ok(t)(h.e.VerifyCode(ctx, f.ID, api.KindSMS, h.out.lastCode(t, e164), client))
}

func (h *harness) passQuestions(t *testing.T, f api.Flow, answer string) api.Flow {
	t.Helper()
	ctx := context.Background()
	qs, err := h.e.Questions(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{}
	for _, q := range qs {
		answers[q.ID] = answer
	}
	return ok(t)(h.e.VerifyAnswers(ctx, f.ID, answers, client))
}

func methodKinds(f api.Flow) string {
	var k []string
	for _, m := range f.Methods {
		k = append(k, string(m.Kind))
	}
	return strings.Join(k, ",")
}
