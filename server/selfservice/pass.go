package selfservice

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

// A recovery pass is how the service desk helps someone who lost every
// method: the desk checks who they are its own way (in person, with a
// card), issues a pass, and the portal shows it once. The person types it
// in the ordinary reset wizard instead of their methods, sets a new
// password, and is sent to register new methods. The pass is kept only as
// a keyed hash, bound to the account; it is single-use, dies after
// PassLifetime, and a wrong one counts as a wrong code does.

// passAlphabet has no letters or digits that look alike (0/O, 1/I/L).
const passAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// passLen is the pass's length, in three groups of four: 31^12, ~59 bits,
// against PassMaxTries tries before it dies.
const passLen = 12

// PassMaxTries is how many wrong passes end one.
const PassMaxTries = 5

// storedPass is a recovery pass as the State backend keeps it.
type storedPass struct {
	MAC     []byte    `json:"mac"`
	Expires time.Time `json:"expires"`
	Tries   int       `json:"tries"`
}

var errPassWrong = &sspr.Error{Code: sspr.CodeCodeInvalid, Message: "That recovery pass isn't right, or has expired. Check it, or ask the service desk for a new one."}

func (e *Engine) passMAC(user, pass string) []byte {
	return secret.MAC(e.d.CodeKey, "recovery-pass", user, pass)
}

// normalPass is a pass as typed: case, spaces and dashes ignored.
func normalPass(raw string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, raw)
}

// DeskRecoveryPass issues a recovery pass for the person (the service
// desk's role, under a ticket and with a reason, audited and told to the
// person like every action): shown here once, never stored in clear. A
// new pass replaces the last.
func (e *Engine) DeskRecoveryPass(ctx context.Context, staffID string, in deskapi.ActionRequest, c sspr.Client) (deskapi.RecoveryPassResponse, error) {
	var out deskapi.RecoveryPassResponse
	p, err := e.deskAct(ctx, staffID, in, c, sspr.EventDeskRecoveryPass,
		deskPassMsg,
		func(user string) error {
			pass, err := secret.NewPass(e.d.Rand, passAlphabet, passLen)
			if err != nil {
				return err
			}
			expires := e.now().Add(e.cfg.PassLifetime)
			v, err := json.Marshal(storedPass{MAC: e.passMAC(user, normalPass(pass)), Expires: expires})
			if err != nil {
				return err
			}
			if err := e.d.State.Set(ctx, passKey(user), v, e.cfg.PassLifetime); err != nil {
				return sspr.Unavailable(sspr.BackendState, fmt.Errorf("store recovery pass: %w", err))
			}
			out.Pass, out.ExpiresAt = pass, expires
			return nil
		})
	if err != nil {
		return deskapi.RecoveryPassResponse{}, err
	}
	out.Person = p
	return out, nil
}

// UsePass takes a recovery pass in a flow, in place of the methods: the
// flow goes on to the new password (or the unlock) as if they had passed.
// It works in a flow that shows no methods too: someone who registered
// nothing sees a flow like anyone's (a decoy), and the pass is what makes
// it theirs. Every flow does the same work whether or not a pass was
// issued; a wrong pass counts as a wrong code.
func (e *Engine) UsePass(ctx context.Context, id, raw string, c sspr.Client) (api.Flow, error) {
	typed := normalPass(raw)
	if len(typed) != passLen {
		return api.Flow{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter the recovery pass the service desk gave you, such as ABCD-EFGH-JKMN."}
	}
	r, err := e.load(ctx, id)
	if err != nil {
		return api.Flow{}, err
	}
	if err := expect(r, api.StateVerify); err != nil {
		return api.Flow{}, err
	}
	release, err := e.th.Lock(ctx, flowLock(r.User))
	if err != nil {
		return api.Flow{}, err
	}
	defer release()
	if err := e.checkBlocks(ctx, r.User, c); err != nil {
		return api.Flow{}, err
	}
	right := false
	err = e.d.State.Update(ctx, passKey(r.User), func(cur []byte) ([]byte, time.Duration, error) {
		want := e.passMAC(r.User, "no pass was issued")
		var p storedPass
		if cur != nil && json.Unmarshal(cur, &p) == nil && e.now().Before(p.Expires) {
			want = p.MAC
		}
		// Compared whether or not a pass exists: the same work for all.
		right = e.macMatches(want, "recovery-pass", r.User, typed) && cur != nil
		switch {
		case cur == nil:
			return nil, 0, nil
		case right || p.Tries+1 >= PassMaxTries || !e.now().Before(p.Expires):
			return nil, 0, nil // used, out of tries, or expired: gone
		}
		p.Tries++
		b, err := json.Marshal(p)
		return b, p.Expires.Sub(e.now()), err
	})
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendState, fmt.Errorf("recovery pass: %w", err))
	}
	if !right {
		e.note(ctx, sspr.Event{Kind: sspr.EventPassWrong, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused}, c)
		if err := e.fail(ctx, failVerify, r.User, r.addr(api.KindEmail), c); err != nil {
			return api.Flow{}, err
		}
		return api.Flow{}, errPassWrong
	}
	acct, err := e.d.Directory.Lookup(ctx, r.User)
	if err != nil {
		return api.Flow{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if acct == nil || acct.Disabled {
		return api.Flow{}, errPassWrong
	}
	r, err = e.update(ctx, id, func(r *record) error {
		if err := expect(r, api.StateVerify); err != nil {
			return err
		}
		r.Decoy, r.Pass = false, true
		e.reached(r)
		return nil
	})
	if err != nil {
		return api.Flow{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventPassUsed, UserID: r.User, Flow: r.Ref}, c)
	return e.advance(ctx, r, c)
}
