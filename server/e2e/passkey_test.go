package e2e_test

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/sspr-portal/sspr/server/config"
)

// The passkeys' pages (the contract with app/ui):
//
//	/register/passkey  div#passkey-<n> (n from 1) with button#remove-passkey-<n>;
//	                   input#passkey-name, button#passkey-add
//	/verify            under input#method-passkey: button#passkey-use

// virtualAuthenticator gives the browser a platform authenticator, as a
// phone's or a laptop's: CTAP2, internal transport, resident keys, user
// verification that always succeeds (the fingerprint), presence simulated.
func (b *browser) virtualAuthenticator() {
	b.t.Helper()
	b.run("a virtual authenticator", chromedp.ActionFunc(func(ctx context.Context) error {
		if err := webauthn.Enable().Do(ctx); err != nil {
			return err
		}
		_, err := webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}).Do(ctx)
		return err
	}))
}

// TestPasskey: carol registers a passkey on the browser's (virtual)
// authenticator, and a mobile number, then resets her password with the
// passkey and a text.
func TestPasskey(t *testing.T) {
	t.Parallel()
	e := newPortalWith(t, func(c *config.Config) {
		c.Flow.Methods = []string{config.MethodEmail, config.MethodSMS, config.MethodQuestions, config.MethodPasskey}
		c.Server.PublicURL = onLocalhost
	})
	b := e.newBrowser(t)
	b.virtualAuthenticator()
	b.open("/register")
	b.signIn(carol.id, carol.password)
	b.waitPage("/register/summary")
	b.click("a#add-passkey")
	b.waitPage("/register/passkey")
	// A name is needed.
	b.waitVisible("button#passkey-add")
	b.click("button#passkey-add")
	b.waitText(errorSumm, "name")
	b.typeInto("input#passkey-name", "My laptop")
	b.shot("register-passkey")
	b.click("button#passkey-add")
	b.waitPage("/register/summary")
	b.waitText("div#notice", "My laptop")
	b.waitText("div#method-passkey", "1 passkey")
	b.click("a#change-passkey")
	b.waitPage("/register/passkey")
	b.waitText("div#passkey-1", "My laptop")
	b.waitVisible("button#remove-passkey-1")
	b.shot("passkeys")
	b.click("a.back-link")
	b.waitPage("/register/summary")
	b.registerCode("sms", "phone", carol.phoneTyped, carol.phoneE164)
	b.click("button#sign-out")
	b.waitPage("/")

	b.start(carol.id)
	b.chooseIntent("reset")
	b.chooseMethod("passkey", 1)
	b.click("button#passkey-use")
	b.waitPassed("passkey")
	b.chooseMethod("sms", 2)
	b.passSMS(carol)
	b.waitPage("/new-password")
	const pw = "Brand-New-Passphrase-For-C"
	b.setPassword(pw)
	b.waitDone("Your password has been reset")
	e.wantPasswordChanged(carol.id, carol.password, pw)
}
