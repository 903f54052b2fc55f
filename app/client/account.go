package client

import (
	"encoding/json"

	"github.com/sspr-portal/sspr/app/api"
)

// The calls of sign-in, registration and password change. They travel
// with the account session's cookie (set by SignIn), never the flow's.

// SignIn signs in with the user id and current password, the CAPTCHA
// answered. The server answers a wrong password and an unknown user alike.
func SignIn(user, password string, captcha api.CaptchaRef) (api.Session, error) {
	var s api.SessionResponse
	err := Do(post, api.PathSession, api.SignInRequest{User: user, Password: password, Captcha: captcha}, &s)
	return s.Session, err
}

// CurrentSession returns the signed-in session (api.CodeUnauthenticated
// when there is none, or it has ended).
func CurrentSession() (api.Session, error) {
	var s api.SessionResponse
	err := Do(get, api.PathSession, nil, &s)
	return s.Session, err
}

// SignOut ends the session.
func SignOut() error {
	return Do(del, api.PathSession, nil, nil)
}

// regCall makes a call that answers the registration.
func regCall(method, path string, in any) (api.Registration, error) {
	var r api.RegistrationResponse
	err := Do(method, path, in, &r)
	return r.Registration, err
}

// Reauth sends the password typed again, which the server asks for
// (api.CodeReauthRequired) before a change to the methods when the
// password was typed too long ago.
func Reauth(password string) (api.Session, error) {
	var s api.SessionResponse
	err := Do(post, api.PathSessionReauth, api.ReauthRequest{Password: password}, &s)
	return s.Session, err
}

// Registration returns what the signed-in user has registered, masked.
func Registration() (api.Registration, error) {
	return regCall(get, api.PathRegistration, nil)
}

// RegisterEmail sends a code to a new alternate email address; the
// address is registered once ConfirmEmail has its code.
func RegisterEmail(email string) (api.Registration, error) {
	return regCall(post, api.PathRegEmail, api.EmailRequest{Email: email})
}

// ConfirmEmail checks the code sent to the new address.
func ConfirmEmail(code string) (api.Registration, error) {
	return regCall(post, api.PathRegEmailConfirm, api.CodeRequest{Code: code})
}

// StartTOTP asks for a new key for an authenticator app; it is
// registered once ConfirmTOTP has a first code from the app.
func StartTOTP() (api.TOTPSetup, error) {
	var r api.TOTPSetupResponse
	err := Do(post, api.PathRegTOTP, nil, &r)
	return r.Setup, err
}

// ConfirmTOTP checks a first code from the app given StartTOTP's key.
func ConfirmTOTP(code string) (api.Registration, error) {
	return regCall(post, api.PathRegTOTPConfirm, api.CodeRequest{Code: code})
}

// AddPasskey registers a new passkey named name: the browser makes it
// with the options the server gives, and the server checks its answer.
func AddPasskey(name string) (api.Registration, error) {
	var o api.PasskeyOptions
	if err := Do(post, api.PathRegPasskey, nil, &o); err != nil {
		return api.Registration{}, err
	}
	cred, err := passkey("create", string(o.Options))
	if err != nil {
		return api.Registration{}, err
	}
	return regCall(post, api.PathRegPasskeyConfirm, api.PasskeyRequest{Name: name, Credential: json.RawMessage(cred)})
}

// RemovePasskey removes the passkey with the id the registration gave.
func RemovePasskey(id string) (api.Registration, error) {
	return regCall(del, api.PathRegPasskey+"/"+id, nil)
}

// RegisterSMS texts a code to a new mobile number, in any common format.
func RegisterSMS(phone string) (api.Registration, error) {
	return regCall(post, api.PathRegSMS, api.PhoneRequest{Phone: phone})
}

// ConfirmSMS checks the code texted to the new number.
func ConfirmSMS(code string) (api.Registration, error) {
	return regCall(post, api.PathRegSMSConfirm, api.CodeRequest{Code: code})
}

// Catalog returns the questions to choose from, and how many to answer.
func Catalog() (api.CatalogResponse, error) {
	var c api.CatalogResponse
	err := Do(get, api.PathRegQuestionsCatalog, nil, &c)
	return c, err
}

// SetQuestions replaces the security questions and their answers.
func SetQuestions(answers []api.AnswerInput) (api.Registration, error) {
	return regCall(put, api.PathRegQuestions, api.QuestionsRequest{Answers: answers})
}

// RemoveMethod removes a registered method. The server refuses
// (api.CodeWrongState, with the reason) when too few would be left.
func RemoveMethod(k api.Kind) (api.Registration, error) {
	return regCall(del, api.PathRegistration+"/"+string(k), nil)
}

// ChangePassword changes the signed-in user's password; the session ends.
// A wrong current password is api.CodeUnauthenticated.
func ChangePassword(current, next string) error {
	return Do(post, api.PathSessionPassword, api.ChangePasswordRequest{Current: current, New: next}, nil)
}
