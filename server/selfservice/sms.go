package selfservice

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

// smsMethod is "Send a text to my mobile phone number": the person types
// the full registered number (docs/SECURITY.md#sms), then gets a code by
// text. Only mobiles of the countries served are texted, each country
// capped per hour (docs/SECURITY.md#sms-pumping).
type smsMethod struct{}

func (smsMethod) Kind() api.Kind                                  { return api.KindSMS }
func (smsMethod) Registered(_ *Engine, r *sspr.Registration) bool { return r.HasPhone() }
func (smsMethod) InShape(_ *Engine, s sspr.Shape) bool            { return s.Phone }
func (smsMethod) channel() sspr.Channel                           { return sspr.SMS }
func (smsMethod) cooldown(cfg *Config) time.Duration              { return cfg.SMSCooldown }
func (smsMethod) registeredMsg() string                           { return smsRegisteredMsg }

func (m smsMethod) Offer(_ *Engine, r *record, reg *sspr.Registration, _ string) {
	r.setAddr(m.Kind(), reg.Phone)
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Hint: canon.MaskPhone(reg.Phone)})
}

func (m smsMethod) Decoy(_ *Engine, r *record, p profile, _ string) {
	r.Methods = append(r.Methods, method{Kind: m.Kind(), Hint: p.phoneHint})
}

func (smsMethod) Describe(e *Engine, reg *sspr.Registration) api.RegisteredMethod {
	return e.described(reg.HasPhone(), canon.MaskPhone(reg.Phone), 0, reg.PhoneConfirmed)
}

func (smsMethod) Remove(reg *sspr.Registration) { reg.Phone, reg.PhoneConfirmed = "", time.Time{} }

func (smsMethod) put(reg *sspr.Registration, v string, at time.Time) {
	reg.Phone, reg.PhoneConfirmed = v, at
}

// prepare compares the number typed with the registered one; a wrong one
// is a failure of identity. A number registered before the portal refused
// premium-rate and foreign numbers, or read from the directory, is checked
// again: only its owner gets here, having typed it in full.
func (m smsMethod) prepare(ctx context.Context, e *Engine, r *record, typed string, c sspr.Client) (string, string, error) {
	n, err := canon.Phone(typed, e.cfg.PhoneRegion)
	if err != nil {
		return "", "", &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter your full mobile number, for example +44 7700 900123."}
	}
	to := r.addr(m.Kind())
	if r.Decoy || subtle.ConstantTimeCompare([]byte(n), []byte(to)) != 1 {
		e.note(ctx, sspr.Event{Kind: sspr.EventPhoneMismatch, UserID: r.User, Flow: r.Ref, Outcome: sspr.OutcomeRefused}, c)
		if err := e.fail(ctx, failIdentity, r.User, r.addr(api.KindEmail), c); err != nil {
			return "", "", err
		}
		return "", "", &sspr.Error{Code: sspr.CodePhoneMismatch, Message: "That number doesn't match the one you registered. Enter the full number."}
	}
	_, country, err := canon.Mobile(to, e.cfg.PhoneRegion, e.cfg.PhoneCountries)
	if err != nil {
		return "", "", &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "We can't send texts to that number. Choose another method."}
	}
	return to, country, nil
}

// parse accepts only a number that can receive a text, of a country the
// portal texts.
func (smsMethod) parse(e *Engine, raw string, _ *sspr.Account) (string, string, error) {
	n, country, err := canon.Mobile(raw, e.cfg.PhoneRegion, e.cfg.PhoneCountries)
	switch {
	case errors.Is(err, canon.ErrPhoneNotMobile):
		return "", "", &sspr.Error{Code: sspr.CodeBadRequest, Message: "That number can't receive texts. Enter a mobile number."}
	case errors.Is(err, canon.ErrPhoneCountry):
		return "", "", &sspr.Error{Code: sspr.CodeBadRequest, Message: "We can't send texts to numbers from that country. Register another method instead."}
	case err != nil:
		return "", "", &sspr.Error{Code: sspr.CodeBadRequest, Message: "Enter your mobile number, for example 07700 900123 or +44 7700 900123."}
	}
	return n, country, nil
}
