package api

import "time"

// Paths of sign-in and registration.
const (
	PathSession             = "/api/v1/session"
	PathSessionPassword     = "/api/v1/session/password"
	PathSessionReauth       = "/api/v1/session/reauth"
	PathRegistration        = "/api/v1/registration"
	PathRegEmail            = "/api/v1/registration/email"
	PathRegEmailConfirm     = "/api/v1/registration/email/confirm"
	PathRegSMS              = "/api/v1/registration/sms"
	PathRegSMSConfirm       = "/api/v1/registration/sms/confirm"
	PathRegQuestions        = "/api/v1/registration/questions"
	PathRegQuestionsCatalog = "/api/v1/registration/questions/catalog"
	PathRegTOTP             = "/api/v1/registration/totp"
	PathRegTOTPConfirm      = "/api/v1/registration/totp/confirm"
)

// SignInRequest is the body of POST /api/v1/session.
type SignInRequest struct {
	User     string     `json:"user"`
	Password string     `json:"password"`
	Captcha  CaptchaRef `json:"captcha"`
}

// Session is a signed-in session, as GET and POST /api/v1/session return it.
type Session struct {
	User        string `json:"user"`
	DisplayName string `json:"display_name"`
	// ExpiresAt is when the session ends unless it is used again (GET
	// PathSession is the page's "Continue"); EndsBy when it ends however
	// busy it is.
	ExpiresAt time.Time `json:"expires_at"`
	EndsBy    time.Time `json:"ends_by"`
	// RecentUntil is when the password was typed long enough ago that
	// adding, changing or removing a method asks for it again
	// (reauth_required).
	RecentUntil time.Time `json:"recent_until"`
	// MustChange says the password must be changed before anything else
	// (an account given an initial password): every other registration
	// call is refused password_change_required until it is.
	MustChange bool `json:"must_change,omitempty"`
}

// ReauthRequest is the body of POST /api/v1/session/reauth: the password,
// typed again before a change to the methods.
type ReauthRequest struct {
	Password string `json:"password"`
}

// SessionResponse wraps a session.
type SessionResponse struct {
	Session Session `json:"session"`
}

// Registration is what a signed-in user has registered, masked.
type Registration struct {
	Email     RegisteredMethod `json:"email"`
	SMS       RegisteredMethod `json:"sms"`
	Questions RegisteredMethod `json:"questions"`
	TOTP      RegisteredMethod `json:"totp"`
	Passkey   RegisteredMethod `json:"passkey"`
	// Passkeys are the passkeys registered, in the order registered.
	Passkeys []PasskeyInfo `json:"passkeys,omitempty"`
	// Required is how many distinct methods a reset needs, and Strong how
	// many of them must be of the methods marked Strong (the account's
	// group's policy; 0 for most people).
	Required int `json:"required"`
	Strong   int `json:"strong,omitempty"`
	// Complete is true when at least Required methods are registered.
	Complete bool `json:"complete"`
	// ReconfirmDue is true when a registered method was confirmed too long
	// ago and should be confirmed again.
	ReconfirmDue bool `json:"reconfirm_due"`
	// Pending names a method waiting for its code ("email", "sms", or
	// "totp" for an app given its key and not yet confirmed).
	Pending Kind `json:"pending,omitempty"`
}

// Kinds are the verification methods the portal knows, in the order the
// pages show them.
var Kinds = []Kind{KindEmail, KindSMS, KindQuestions, KindTOTP, KindPasskey}

// Method is the registration's method of kind k (nil: no such method).
// The wire has a field for each method, so that a client written against
// docs/API.md reads them by name; this is the one place that maps a kind
// to its field.
func (r *Registration) Method(k Kind) *RegisteredMethod {
	switch k {
	case KindEmail:
		return &r.Email
	case KindSMS:
		return &r.SMS
	case KindQuestions:
		return &r.Questions
	case KindTOTP:
		return &r.TOTP
	case KindPasskey:
		return &r.Passkey
	}
	return nil
}

// RegisteredMethod is one method of a registration.
type RegisteredMethod struct {
	Registered  bool       `json:"registered"`
	Enabled     bool       `json:"enabled"`
	Hint        string     `json:"hint,omitempty"`
	Count       int        `json:"count,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	Due         bool       `json:"due,omitempty"`
	// Strong: the account's policy counts the method as strong.
	Strong bool `json:"strong,omitempty"`
}

// RegistrationResponse wraps a registration.
type RegistrationResponse struct {
	Registration Registration `json:"registration"`
}

// EmailRequest is the body of POST /api/v1/registration/email.
type EmailRequest struct {
	Email string `json:"email"`
}

// AnswerInput is one chosen question and its answer.
type AnswerInput struct {
	ID     string `json:"id"`
	Answer string `json:"answer"`
}

// QuestionsRequest is the body of PUT /api/v1/registration/questions.
type QuestionsRequest struct {
	Answers []AnswerInput `json:"answers"`
}

// CatalogResponse is the body of GET /api/v1/registration/questions/catalog.
type CatalogResponse struct {
	Questions []Question `json:"questions"`
	// Count is how many questions a user must answer.
	Count int `json:"count"`
}

// TOTPSetup is the body of POST /api/v1/registration/totp's answer: a
// new key for an authenticator app, shown once, until a first code from
// the app confirms it (POST PathRegTOTPConfirm with a CodeRequest).
type TOTPSetup struct {
	// Key is the key to type into the app, in base32 (RFC 4648), as the
	// apps take it.
	Key string `json:"key"`
	// URI is the otpauth:// address the QR code holds.
	URI string `json:"uri"`
	// QR is the QR code of URI, a data: URL of a PNG picture.
	QR string `json:"qr"`
	// Issuer and Account are the names the app will show.
	Issuer  string `json:"issuer"`
	Account string `json:"account"`
	// Digits and Period are the codes' length and the seconds each lasts.
	Digits int `json:"digits"`
	Period int `json:"period"`
}

// TOTPSetupResponse wraps a TOTPSetup.
type TOTPSetupResponse struct {
	Setup TOTPSetup `json:"setup"`
}

// ChangePasswordRequest is the body of POST /api/v1/session/password.
type ChangePasswordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}
