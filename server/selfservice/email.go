package selfservice

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

// emailMethod is "Email my alternate email": a code sent to an address
// other than the account's own.
type emailMethod struct{}

func (emailMethod) Kind() api.Kind                                  { return api.KindEmail }
func (emailMethod) Registered(_ *Engine, r *sspr.Registration) bool { return r.HasEmail() }
func (emailMethod) InShape(_ *Engine, s sspr.Shape) bool            { return s.Email }
func (emailMethod) channel() sspr.Channel                           { return sspr.Email }
func (emailMethod) cooldown(cfg *Config) time.Duration              { return cfg.EmailCooldown }
func (emailMethod) registeredMsg() string                           { return emailRegisteredMsg }

func (m emailMethod) Offer(e *Engine, r *record, reg *sspr.Registration, _ string) {
	r.setAddr(m.Kind(), reg.Email)
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Hint: e.maskEmail(reg.Email)})
}

func (m emailMethod) Decoy(_ *Engine, r *record, p profile, _ string) {
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Hint: p.emailHint})
}

func (emailMethod) Describe(e *Engine, reg *sspr.Registration) api.RegisteredMethod {
	return e.described(reg.HasEmail(), canon.MaskEmail(reg.Email), 0, reg.EmailConfirmed)
}

func (emailMethod) Remove(reg *sspr.Registration) { reg.Email, reg.EmailConfirmed = "", time.Time{} }

func (emailMethod) put(reg *sspr.Registration, v string, at time.Time) {
	reg.Email, reg.EmailConfirmed = v, at
}

// prepare needs nothing typed: the code goes to the registered address.
func (m emailMethod) prepare(_ context.Context, _ *Engine, r *record, _ string, _ sspr.Client) (string, string, error) {
	return r.addr(m.Kind()), "", nil
}

// parse refuses look-alikes (bidi overrides, zero-width characters) rather
// than cleaning them: cleaned, they would still display as someone else's
// address (docs/SECURITY.md#look-alike-addresses); and the account's own
// address, which is no help when the account can't be used.
func (emailMethod) parse(_ *Engine, raw string, acct *sspr.Account) (string, string, error) {
	addr, err := canon.Email(raw)
	if err != nil {
		msg := "Enter an email address like name@example.com."
		if errors.Is(err, canon.ErrEmailCharacters) {
			msg = "That address has invisible or direction-changing characters. Type it again, without copying it from elsewhere."
		}
		return "", "", &sspr.Error{Code: sspr.CodeBadRequest, Message: msg}
	}
	if acct != nil && strings.EqualFold(addr, acct.Mail) {
		return "", "", &sspr.Error{Code: sspr.CodeBadRequest,
			Message: "Use an address other than your own account's: you need it when you can't sign in."}
	}
	return addr, "", nil
}
