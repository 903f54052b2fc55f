package selfservice

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The synthetic check (`sspr probe`, docs/OPERATIONS.md#the-synthetic-
// check): a flow for the canary account may start with the probe's token
// instead of a CAPTCHA. The token opens nothing else: the flow then asks
// for the canary's two methods like any other, under the same throttles.

// errProbeRefused is the one answer to a probe that isn't accepted,
// whatever the reason: it tells nobody which account is the canary.
var errProbeRefused = &sspr.Error{Code: sspr.CodeForbidden, Message: "This probe is not accepted."}

// StartProbe starts a flow for rawUser with a probe token in place of
// the CAPTCHA: only for the configured canary account and its token,
// compared in constant time. Each start and each refusal is audited; an
// address refused too often is throttled.
func (e *Engine) StartProbe(ctx context.Context, rawUser, token string, c sspr.Client) (api.Flow, error) {
	user, _ := canon.UserID(rawUser, e.cfg.DefaultDomain)
	sum := sha256.Sum256([]byte(token))
	want := e.cfg.ProbeTokenHash
	if len(want) != len(sum) {
		want = make([]byte, len(sum)) // no probe configured: compared all the same
	}
	right := subtle.ConstantTimeCompare(sum[:], want) == 1
	ok := right && len(e.cfg.ProbeTokenHash) == len(sum) && e.cfg.ProbeAccount != "" && user == e.cfg.ProbeAccount
	if !ok {
		e.note(ctx, sspr.Event{Kind: sspr.EventProbeRefused, UserID: user, Outcome: sspr.OutcomeRefused}, c)
		if err := e.th.Count(ctx, probesAddr(c), e.cfg.ProbeRefusals); err != nil {
			return api.Flow{}, err
		}
		return api.Flow{}, errProbeRefused
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventProbeStarted, UserID: user, Outcome: sspr.OutcomeOK}, c)
	return e.Start(ctx, user, c)
}
