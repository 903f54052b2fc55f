package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sspr-portal/sspr/server/config"
)

// The authenticator app's pages (the contract with app/ui):
//
//	/register/totp  button#totp-start-button, then img#totp-qr,
//	                code#totp-key (the key in groups of four), input#code,
//	                button#confirm, button#totp-again-button
//	/verify         under input#method-totp: input#totp, button#totp-next

// appCode is what an authenticator app holding key shows at at.
func appCode(t *testing.T, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestAuthenticatorApp: carol sets up an authenticator app from the key
// the page shows (as someone who can't scan the QR code types it), adds
// an alternate address, and resets her password with a code from the app
// and one by email.
func TestAuthenticatorApp(t *testing.T) {
	t.Parallel()
	e := newPortalWith(t, func(c *config.Config) {
		c.Flow.Methods = []string{config.MethodEmail, config.MethodSMS, config.MethodQuestions, config.MethodTOTP}
	})
	b := e.newBrowser(t)
	b.open("/register")
	b.signIn(carol.id, carol.password)
	b.waitPage("/register/summary")
	b.waitVisible("div#method-totp a#add-totp")
	b.click("a#add-totp")
	b.waitPage("/register/totp")
	b.waitVisible("button#totp-start-button")
	b.shot("register-totp")
	b.click("button#totp-start-button")
	b.waitVisible("img#totp-qr")
	if src := b.attr("img#totp-qr", "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("the QR code is %.40q", src)
	}
	if alt := b.attr("img#totp-qr", "alt"); alt == "" {
		t.Error("the QR code has no text alternative")
	}
	key := strings.ReplaceAll(b.text("code#totp-key"), " ", "")
	if len(key) != 32 {
		t.Fatalf("the key shown is %q", key)
	}
	b.shot("register-totp-key")
	// A wrong code first: refused on the field, the key still shown.
	b.typeInto("input#code", "000000")
	b.click("button#confirm")
	b.waitText(errorSumm, "didn't match")
	b.waitVisible("code#totp-key")
	b.typeInto("input#code", appCode(t, key, time.Now()))
	b.click("button#confirm")
	b.waitPage("/register/summary")
	b.waitText("div#notice", "registered")
	b.waitText("div#method-totp", "Set up")
	b.waitVisible("button#remove-totp")
	b.registerCode("email", "email", carol.alt, carol.alt)
	b.shot("summary-totp")
	b.click("button#sign-out")
	b.waitPage("/")

	b.start(carol.id)
	b.chooseIntent("reset")
	b.chooseMethod("totp", 1)
	// The next step's code: the one the app showed at registration is
	// spent, and the next is accepted a step early (a clock a little fast).
	b.typeInto("input#totp", appCode(t, key, time.Now().Add(30*time.Second)))
	b.stepShot("verify-totp")
	b.click("button#totp-next")
	b.waitPassed("totp")
	b.chooseMethod("email", 2)
	b.passEmail(carol)
	b.waitPage("/new-password")
	const pw = "Brand-New-Passphrase-For-C"
	b.setPassword(pw)
	b.waitDone("Your password has been reset")
	e.wantPasswordChanged(carol.id, carol.password, pw)
}
