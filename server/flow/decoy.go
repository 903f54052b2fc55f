package flow

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/secret"
)

// decoyDomains are where most people's alternate addresses are, so a
// decoy's hint looks like anyone's.
var decoyDomains = []string{"gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com", "hotmail.com"}

// fillDecoy gives an unknown or unregistered user's flow the methods of a
// fully registered account. Everything shown is derived from a keyed hash of
// the user id, so starting again shows the same hints and the same five
// "registered" questions, as it would for a real account; only the three
// asked are drawn afresh each time, as for a real account.
func (e *Engine) fillDecoy(r *record) error {
	r.Decoy = true
	seed := secret.MAC(e.d.CodeKey, "decoy", r.User)
	det := rand.New(rand.NewPCG(binary.BigEndian.Uint64(seed[:8]), binary.BigEndian.Uint64(seed[8:16])))
	for _, k := range e.cfg.Methods {
		switch k {
		case api.KindEmail:
			local := string(rune('a'+det.IntN(26))) + strings.Repeat("x", 4+det.IntN(9))
			r.Methods = append(r.Methods, method{Kind: k, Hint: canon.MaskEmail(local + "@" + decoyDomains[det.IntN(len(decoyDomains))])})
		case api.KindSMS:
			digits := fmt.Sprintf("44%010d", det.Int64N(1e10))
			r.Methods = append(r.Methods, method{Kind: k, Hint: canon.MaskPhone("+" + digits)})
		case api.KindQuestions:
			ids := e.d.Catalog.IDs()
			det.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			n := min(len(ids), e.cfg.QuestionsAsked+2)
			drawn, err := draw(e.d.Rand, ids[:n], e.cfg.QuestionsAsked)
			if err != nil {
				return err
			}
			r.Questions = drawn
			r.Methods = append(r.Methods, method{Kind: k, Count: len(drawn)})
		}
	}
	return nil
}

// draw picks n of ids uniformly at random, without repeats, from src.
func draw(src io.Reader, ids []string, n int) ([]string, error) {
	pool := append([]string(nil), ids...)
	if n > len(pool) {
		n = len(pool)
	}
	for i := 0; i < n; i++ {
		j, err := randIntN(src, len(pool)-i)
		if err != nil {
			return nil, err
		}
		pool[i], pool[i+j] = pool[i+j], pool[i]
	}
	return pool[:n], nil
}

// randIntN returns a uniform integer in [0, n) read from src, rejecting
// the values that would bias it.
func randIntN(src io.Reader, n int) (int, error) {
	limit := (1<<32 - 1) - (1<<32-1)%uint64(n)
	var b [4]byte
	for {
		if _, err := io.ReadFull(src, b[:]); err != nil {
			return 0, fmt.Errorf("random: %w", err)
		}
		if v := uint64(binary.BigEndian.Uint32(b[:])); v < limit {
			return int(v % uint64(n)), nil
		}
	}
}
