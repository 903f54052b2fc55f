package api

import "time"

// Page is what the server knows of a wizard page it prerenders: enough for
// the page to be whole without app.wasm (a slow phone, blocked scripts, a
// broken download), where its forms post to the server; and for the wasm,
// once it runs, to take the page over without asking the server again.
// The server never puts a secret here: no code, answer or password, only
// what the API would answer the same browser.
type Page struct {
	// Path is the page's path: the wasm takes over only the page it was
	// prerendered for.
	Path string `json:"path"`
	// Flow is the browser's flow, on the pages after the start; FlowMissing
	// says it has none (expired, ended, never started).
	Flow        *Flow `json:"flow,omitempty"`
	FlowMissing bool  `json:"flow_missing,omitempty"`
	// Captcha is the start page's CAPTCHA: its picture inline, its sound
	// as an address (CaptchaAudioPath), both ready before any script.
	Captcha *Captcha `json:"captcha,omitempty"`
	// CaptchaExpires is when the CAPTCHA stops working: a page read from a
	// cache after it gets a new one.
	CaptchaExpires time.Time `json:"captcha_expires,omitzero"`
	// Questions are the flow's questions, on their page.
	Questions []Question `json:"questions,omitempty"`
	// Policy is the password policy, for the new password's checklist.
	Policy *Policy `json:"policy,omitempty"`
	// Error is the refusal of the form just posted, and Values what was
	// typed into it (never a password, code or answer), to show again.
	Error  *Error            `json:"error,omitempty"`
	Values map[string]string `json:"values,omitempty"`
	// Field is the field the refusal is about, when the server knows it
	// better than the error's code says (the form that was posted).
	Field string `json:"field,omitempty"`
	// Sent says a code has just been sent again (the code page's notice).
	Sent bool `json:"sent,omitempty"`
}

// CaptchaAudioPath is the address of a CAPTCHA's sound, for a page without
// scripts: GET CaptchaAudioPath + "?id=" + the CAPTCHA's id answers a WAV
// of the same digits, drawn when asked for.
const CaptchaAudioPath = "/captcha/audio"

// OfflineCopyHeader is the header with which the service worker asks for
// the start page it keeps for offline use: the page then carries no CAPTCHA,
// which would have expired by the time the copy is shown.
const OfflineCopyHeader = "X-Sspr-Offline-Copy"

// The wizard's pages: the prerendered pages the server serves and posts
// forms to, and the routes of the wasm. One list for both sides.
const (
	PageStart           = "/"
	PageChoose          = "/choose"
	PageVerify          = "/verify"
	PageVerifyEmail     = "/verify/email"
	PageVerifySMS       = "/verify/sms"
	PageVerifyQuestions = "/verify/questions"
	PageNewPassword     = "/new-password"
	PageDone            = "/done"
	// PageVerifyPass takes a recovery pass from the service desk: a page
	// the server draws, without the wasm.
	PageVerifyPass = "/verify/pass"
)

// PageFor is the page of a flow's state.
func PageFor(f Flow) string {
	switch f.State {
	case StateChooseIntent:
		return PageChoose
	case StateVerify:
		return PageVerify
	case StateNewPassword:
		return PageNewPassword
	case StateDone:
		return PageDone
	}
	return PageStart
}

// PageFits reports whether the page at path can be shown for the flow f.
// The choice of intent is shown in verify too, for the Back button (the
// API allows choosing again).
func PageFits(path string, f Flow) bool {
	switch path {
	case PageChoose:
		return f.State == StateChooseIntent || f.State == StateVerify
	case PageVerify, PageVerifyEmail, PageVerifySMS, PageVerifyQuestions, PageVerifyPass:
		return f.State == StateVerify
	case PageNewPassword:
		return f.State == StateNewPassword
	case PageDone:
		return f.State == StateDone
	}
	return false
}

// MethodPage is the page of a verification method.
func MethodPage(k Kind) string {
	switch k {
	case KindEmail:
		return PageVerifyEmail
	case KindSMS:
		return PageVerifySMS
	case KindQuestions:
		return PageVerifyQuestions
	}
	return PageVerify
}
