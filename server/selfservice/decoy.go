package selfservice

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Decoys: what an unknown or unregistered user id is shown, so that the
// answer to it can't be told from the answer to a real account
// (docs/SECURITY.md#same-answer and #unknown-accounts). A decoy copies the
// real registrations: its set of methods, and its alternate address's
// domain and first letter, are drawn in the proportions the real
// registrations have them, read from the store by RefreshDecoys. The draw
// is made from a keyed hash of the user id, so starting again shows the
// same decoy, as it shows a real account the same methods; and it is a
// weighted rendezvous draw, so when the proportions change a little only a
// few decoys change, about as many as real accounts change their
// registrations.

const (
	// minPopulation is the fewest registrations whose proportions decoys
	// copy. Below it the portal is new, there is little to copy and
	// copying would spread a handful of people's domains: decoys show
	// every method and common domains (fallbackDomains) instead.
	minPopulation = 20
	// minDomain is the fewest registrations a domain needs to be shown in
	// a hint. A rarer one is shown as "•••" and its last label ("•••.uk"),
	// for real accounts and decoys alike: a decoy must be able to show
	// any hint a real account shows, and spreading one family's domain
	// into decoys would tell the world it exists.
	minDomain = 5
)

// fallbackDomains are shown while the population is too small to copy.
var fallbackDomains = []string{"gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com", "hotmail.com"}

// choice is one thing a decoy may show, with its weight (how many real
// registrations show it) and a hash of it, for the rendezvous draw.
type choice[T any] struct {
	v T
	w float64
	h uint64
}

// decoys is one snapshot of the population, as decoys draw from it.
type decoys struct {
	// sets are the sets of methods real flows offer, as bitmasks over
	// cfg.Methods.
	sets []choice[uint8]
	// domains are the domains hints show, and initials the first letters
	// shown with each.
	domains  []choice[string]
	initials map[string][]choice[string]
	// shown maps a real domain to the domain its hints show; nil in the
	// fallback, where real domains are shown as they are.
	shown map[string]string
}

// newChoice hashes key with FNV-1a, the same on every server: the draw must
// not change with the server a request reaches.
func newChoice[T any](v T, key string, w float64) choice[T] {
	f := fnv.New64a()
	f.Write([]byte(key))
	return choice[T]{v: v, w: w, h: mix(f.Sum64())}
}

// RefreshDecoys reads the proportions decoys copy from the registrations.
// The portal calls it at start and every flow.decoy_refresh; until it has
// succeeded, decoys use the fallback.
func (e *Engine) RefreshDecoys(ctx context.Context) error {
	p, err := e.d.Registrations.Population(ctx)
	if err != nil {
		return fmt.Errorf("read the registrations' proportions: %w", err)
	}
	e.decoys.Store(e.newDecoys(p))
	return nil
}

// newDecoys builds the snapshot of population p (nil: the fallback).
func (e *Engine) newDecoys(p sspr.Population) *decoys {
	sets := map[uint8]float64{}
	domainCount := map[string]int{}
	total := 0
	for s, n := range p {
		set := e.offered(s)
		if set == 0 || n <= 0 {
			continue // shown a decoy itself
		}
		sets[set] += float64(n)
		total += n
		if set&e.bit(api.KindEmail) != 0 {
			domainCount[s.Domain] += n
		}
	}
	d := &decoys{initials: map[string][]choice[string]{}}
	if total < minPopulation {
		all := uint8(1)<<len(e.methods) - 1
		d.sets = []choice[uint8]{newChoice(all, "all", 1)}
		letters := make([]choice[string], 26)
		for i := range letters {
			l := string(rune('a' + i))
			letters[i] = newChoice(l, l, 1)
		}
		for _, dom := range fallbackDomains {
			d.domains = append(d.domains, newChoice(dom, dom, 1))
			d.initials[dom] = letters
		}
		return d
	}
	d.shown = map[string]string{}
	for dom, n := range domainCount {
		d.shown[dom] = dom
		if n < minDomain {
			d.shown[dom] = rareDomain(dom)
		}
	}
	domains := map[string]float64{}
	initials := map[string]map[string]float64{}
	for s, n := range p {
		set := e.offered(s)
		if set&e.bit(api.KindEmail) == 0 || n <= 0 {
			continue
		}
		dom := d.shown[s.Domain]
		domains[dom] += float64(n)
		if initials[dom] == nil {
			initials[dom] = map[string]float64{}
		}
		initials[dom][s.Initial] += float64(n)
	}
	for _, set := range slices.Sorted(maps.Keys(sets)) {
		d.sets = append(d.sets, newChoice(set, fmt.Sprint(set), sets[set]))
	}
	for _, dom := range slices.Sorted(maps.Keys(domains)) {
		d.domains = append(d.domains, newChoice(dom, dom, domains[dom]))
		for _, l := range slices.Sorted(maps.Keys(initials[dom])) {
			d.initials[dom] = append(d.initials[dom], newChoice(l, l, initials[dom][l]))
		}
	}
	if len(d.domains) == 0 { // every set without email: nothing to draw from
		d.domains = []choice[string]{newChoice(fallbackDomains[0], fallbackDomains[0], 1)}
		d.initials[fallbackDomains[0]] = []choice[string]{newChoice("a", "a", 1)}
	}
	return d
}

// rareDomain is how a domain too rare to show is shown.
func rareDomain(dom string) string {
	if i := strings.LastIndexByte(dom, '.'); i >= 0 {
		return "•••" + dom[i:]
	}
	return "•••"
}

// bit is method k's bit in a set, or 0 if k is not enabled.
func (e *Engine) bit(k api.Kind) uint8 {
	i := slices.IndexFunc(e.methods, func(m Method) bool { return m.Kind() == k })
	if i < 0 {
		return 0
	}
	return 1 << i
}

// offered is the set of methods a flow offers to a registration of shape s.
func (e *Engine) offered(s sspr.Shape) uint8 {
	var set uint8
	for i, m := range e.methods {
		if m.InShape(e, s) {
			set |= 1 << i
		}
	}
	return set
}

// maskEmail is the hint of a real alternate address: its first letter and
// its domain, unless the domain is too rare to show.
func (e *Engine) maskEmail(addr string) string {
	d := e.decoys.Load()
	dom := canon.EmailDomain(addr)
	if d.shown != nil {
		if s, ok := d.shown[dom]; ok {
			dom = s
		} else {
			dom = rareDomain(dom) // newer than the snapshot: no one else has it yet
		}
	}
	return canon.EmailInitial(addr) + "•••@" + dom
}

// profile is what a decoy shows.
type profile struct {
	methods   []api.Kind
	emailHint string
	phoneHint string
	// questions are the five "registered" questions.
	questions []string
}

// decoyProfile draws user's decoy. It is drawn for every flow started,
// real or not, and thrown away for a real account, so that both cost the
// same.
func (e *Engine) decoyProfile(user string) profile {
	d := e.decoys.Load()
	mac := secret.MAC(e.d.CodeKey, "decoy", user)
	seed := binary.BigEndian.Uint64(mac[:8])
	var p profile
	set := pick(seed, 1, d.sets)
	for i, m := range e.methods {
		if set&(1<<i) != 0 {
			p.methods = append(p.methods, m.Kind())
		}
	}
	dom := pick(seed, 2, d.domains)
	p.emailHint = pick(seed, 3, d.initials[dom]) + "•••@" + dom
	p.phoneHint = canon.MaskPhone(fmt.Sprintf("+44%010d", mix(seed^4)%1e10))
	// Five questions of the catalogue, as many as a registration has.
	ids := e.d.Catalog.IDs()
	det := rand.New(rand.NewPCG(seed, binary.BigEndian.Uint64(mac[8:16])))
	det.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	p.questions = ids[:min(len(ids), e.cfg.QuestionsAsked+2)]
	return p
}

// pick draws one of cs by weighted rendezvous hashing: each choice scores
// -ln(u)/w for a u drawn from the seed and the choice's own hash, and the
// lowest score wins. Choice i wins with probability w_i/Σw; and when a
// weight changes, only the draws it wins or loses move.
func pick[T any](seed, salt uint64, cs []choice[T]) T {
	var best T
	bestScore := math.Inf(1)
	for _, c := range cs {
		// u in (0, 1]: 53 random bits, never 0.
		u := float64(mix(seed^salt*0x9e3779b97f4a7c15^c.h)>>11+1) / (1 << 53)
		if s := -math.Log(u) / c.w; s < bestScore {
			best, bestScore = c.v, s
		}
	}
	return best
}

// mix is SplitMix64's finaliser: a bijection that spreads every input bit
// over the output, so related seeds give unrelated draws.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// The questions drawn for an account stay the same, flow after flow, until
// they are answered or questions_redraw has passed (no question shopping:
// restarting until the questions one knows come up). The draw is a keyed
// hash of the account, its registered questions, the period and the number
// of times it has passed them: nothing to store for a decoy, and for a
// real account only that number.

// drawGeneration reads how many times user has passed their questions in
// this period.
func (e *Engine) drawGeneration(ctx context.Context, user string) (string, error) {
	b, err := e.d.State.Get(ctx, drawKey(user))
	if err != nil {
		return "", fmt.Errorf("read question draw: %w", err)
	}
	return string(b), nil
}

// redraw makes user's next flow draw other questions: they were answered.
func (e *Engine) redraw(ctx context.Context, user string) {
	err := e.d.State.Update(ctx, drawKey(user), func(cur []byte) ([]byte, time.Duration, error) {
		n, _ := strconv.Atoi(string(cur)) // a missing or broken count is 0
		return strconv.AppendInt(nil, int64(n+1), 10), e.cfg.QuestionsRedraw, nil
	})
	if err != nil {
		e.d.Log.ErrorContext(ctx, "redraw questions", "user", user, "err", err)
	}
}

// drawQuestions draws QuestionsAsked of ids for user, the same for the
// whole period. Each account's periods start at a time of its own, so that
// no moment redraws every account at once.
func (e *Engine) drawQuestions(user, gen string, ids []string) []string {
	period := e.cfg.QuestionsRedraw.Nanoseconds()
	offMAC := secret.MAC(e.d.CodeKey, "draw-offset", user)
	off := int64(binary.BigEndian.Uint64(offMAC[:8]) % uint64(period))
	epoch := (e.now().UnixNano() + off) / period
	sorted := slices.Sorted(slices.Values(ids))
	mac := secret.MAC(e.d.CodeKey, "draw", user, fmt.Sprint(epoch), gen, strings.Join(sorted, "\x00"))
	var seed [32]byte
	copy(seed[:], mac)
	r := rand.New(rand.NewChaCha8(seed))
	r.Shuffle(len(sorted), func(i, j int) { sorted[i], sorted[j] = sorted[j], sorted[i] })
	return sorted[:min(len(sorted), e.cfg.QuestionsAsked)]
}
