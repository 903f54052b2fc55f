// Package api holds the wire types of the portal's JSON API, version 1: the
// request and response bodies, the paths and the stable error codes. Both the
// server and the WebAssembly client import it, so the two can never disagree
// on a field name. It depends on the standard library only, to keep the
// wasm bundle small.
package api

import "time"

// Paths of the v1 API.
const (
	PathConfig          = "/api/v1/config"
	PathPolicy          = "/api/v1/policy"
	PathCaptcha         = "/api/v1/captcha"
	PathCaptchaExtend   = "/api/v1/captcha/extend"
	PathFlows           = "/api/v1/flows"
	PathFlow            = "/api/v1/flows/current"
	PathFlowIntent      = "/api/v1/flows/current/intent"
	PathFlowExtend      = "/api/v1/flows/current/extend"
	PathFlowEmailSend   = "/api/v1/flows/current/email/send"
	PathFlowEmailVerify = "/api/v1/flows/current/email/verify"
	PathFlowSMSSend     = "/api/v1/flows/current/sms/send"
	PathFlowSMSVerify   = "/api/v1/flows/current/sms/verify"
	PathFlowQuestions   = "/api/v1/flows/current/questions"
	PathFlowQuestionsOK = "/api/v1/flows/current/questions/verify"
	PathFlowTOTPVerify  = "/api/v1/flows/current/totp/verify"
	PathFlowPassword    = "/api/v1/flows/current/password"
	PathFlowPass        = "/api/v1/flows/current/pass"
	PathDevOutbox       = "/dev/outbox"
	PathHealthz         = "/healthz"
	PathReadyz          = "/readyz"
)

// MaxBodyBytes is the largest request body any call accepts.
const MaxBodyBytes = 16 << 10

// State is where a flow stands.
type State string

// The states of a flow. "gone" is never returned: a flow that is gone
// answers flow_missing.
const (
	StateChooseIntent State = "choose_intent"
	StateVerify       State = "verify"
	StateNewPassword  State = "new_password"
	StateDone         State = "done"
)

// Intent is what the user came to do.
type Intent string

// The two intents of the guides.
const (
	IntentReset  Intent = "reset"  // "I've forgotten my password"
	IntentUnlock Intent = "unlock" // "I know my password, but still can't sign in"
)

// Kind is a kind of verification method.
type Kind string

// The verification methods.
const (
	KindEmail     Kind = "email"
	KindSMS       Kind = "sms"
	KindQuestions Kind = "questions"
	// KindTOTP is an authenticator app: a code from the app (RFC 6238).
	KindTOTP Kind = "totp"
)

// Flow is a reset or unlock in progress, as every flow call returns it.
type Flow struct {
	ID       string `json:"id"`
	State    State  `json:"state"`
	Intent   Intent `json:"intent,omitempty"`
	Required int    `json:"required"`
	// Strong is how many of the Required must be methods marked Strong
	// (the account's group's policy; 0 for most people).
	Strong  int      `json:"strong,omitempty"`
	Methods []Method `json:"methods"`
	// ExpiresAt is when the flow ends unless it is extended (POST
	// PathFlowExtend: the page's "Continue"), which it can be until
	// EndsBy, its absolute limit.
	ExpiresAt time.Time `json:"expires_at"`
	EndsBy    time.Time `json:"ends_by"`
	// Outcome, on a done flow, says it ended other than as asked:
	// OutcomeNotLocked.
	Outcome string `json:"outcome,omitempty"`
}

// OutcomeNotLocked: an unlock whose methods passed found the account was
// not locked, so nothing was changed.
const OutcomeNotLocked = "not_locked"

// OutcomeRegisterAgain: the flow was passed with a recovery pass from the
// service desk; the person has no methods they can use, and should
// register new ones now.
const OutcomeRegisterAgain = "register_again"

// Method is one verification method offered in a flow.
type Method struct {
	Kind Kind `json:"kind"`
	// Hint is the masked address or number (email and sms).
	Hint string `json:"hint,omitempty"`
	// Count is how many questions will be asked (questions).
	Count    int  `json:"count,omitempty"`
	Verified bool `json:"verified"`
	// Strong says the method counts towards the flow's Strong.
	Strong bool `json:"strong,omitempty"`
	// CodeSent says a code is waiting to be typed (email and sms).
	CodeSent bool `json:"code_sent,omitempty"`
	// CodeExpiresAt is when the code waiting stops working: a code can't
	// be given more time, so the page says until when it works.
	CodeExpiresAt *time.Time `json:"code_expires_at,omitempty"`
	// ResendAt is the earliest time another code may be sent.
	ResendAt *time.Time `json:"resend_at,omitempty"`
	// DeliveryFailed says the code sent could not be delivered: send a
	// new one, or choose another method.
	DeliveryFailed bool `json:"delivery_failed,omitempty"`
}

// CanFinish reports whether the methods f offers can ever be enough:
// Required of them, Strong of those strong.
func (f Flow) CanFinish() bool {
	strong := 0
	for _, m := range f.Methods {
		if m.Strong {
			strong++
		}
	}
	return len(f.Methods) >= f.Required && strong >= f.Strong
}

// StrongShort reports whether enough methods have passed but not enough
// strong ones: the next must be strong.
func (f Flow) StrongShort() bool {
	n, strong := 0, 0
	for _, m := range f.Methods {
		if m.Verified {
			n++
			if m.Strong {
				strong++
			}
		}
	}
	return n >= f.Required && strong < f.Strong
}

// CodeWaiting reports whether a code sent for m still works at now: the
// choice of method then goes on to type it rather than send another.
func (m Method) CodeWaiting(now time.Time) bool {
	return m.CodeSent && !m.DeliveryFailed && m.CodeExpiresAt != nil && now.Before(*m.CodeExpiresAt)
}

// FlowResponse wraps a flow.
type FlowResponse struct {
	Flow Flow `json:"flow"`
}

// CaptchaRef names a CAPTCHA and the answer typed for it.
type CaptchaRef struct {
	ID     string `json:"id"`
	Answer string `json:"answer"`
}

// StartRequest is the body of POST /api/v1/flows.
type StartRequest struct {
	User    string     `json:"user"`
	Captcha CaptchaRef `json:"captcha"`
}

// IntentRequest is the body of POST /api/v1/flows/current/intent.
type IntentRequest struct {
	Intent Intent `json:"intent"`
}

// CodeRequest is the body of the verify calls for email and sms.
type CodeRequest struct {
	Code string `json:"code"`
}

// PhoneRequest is the body of POST /api/v1/flows/current/sms/send.
type PhoneRequest struct {
	Phone string `json:"phone"`
}

// Question is a security question as asked.
type Question struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// QuestionsResponse is the body of GET /api/v1/flows/current/questions.
type QuestionsResponse struct {
	Questions []Question `json:"questions"`
}

// AnswersRequest is the body of POST /api/v1/flows/current/questions/verify.
type AnswersRequest struct {
	Answers map[string]string `json:"answers"`
}

// PasswordRequest is the body of POST /api/v1/flows/current/password.
type PasswordRequest struct {
	Password string `json:"password"`
}

// Captcha is a new CAPTCHA challenge.
type Captcha struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	Audio string `json:"audio,omitempty"`
	// ExpiresAt is when it can no longer be answered unless it is
	// extended (POST PathCaptchaExtend: the page's "Continue"), which it
	// can be until EndsBy.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	EndsBy    time.Time `json:"ends_by,omitzero"`
}

// CaptchaExtendRequest is the body of POST /api/v1/captcha/extend.
type CaptchaExtendRequest struct {
	ID string `json:"id"`
}

// CaptchaTime is the answer to POST /api/v1/captcha/extend: when the
// CAPTCHA now expires, and its absolute end.
type CaptchaTime struct {
	ExpiresAt time.Time `json:"expires_at"`
	EndsBy    time.Time `json:"ends_by"`
}

// Policy is the password policy, for the live checklist.
type Policy struct {
	MinLength int `json:"min_length"`
	MaxLength int `json:"max_length"`
	// Rules are every rule a password is checked against, in the order
	// the checklist shows them.
	Rules []Rule `json:"rules"`
}

// PolicyResponse wraps the policy.
type PolicyResponse struct {
	Policy Policy `json:"policy"`
}

// Rule is one password rule: a stable code and a sentence for people.
type Rule struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// The stable codes of password rules.
const (
	RuleMinLength  = "min_length"
	RuleMaxLength  = "max_length"
	RuleCharacters = "characters" // control characters are not allowed
	RuleCommon     = "not_common" // not a common or breached password
	RuleUserID     = "not_user"   // does not contain the user id or name
	RuleOrgName    = "not_org"    // does not contain the organisation's name
	RuleLower      = "lower"      // composition, when configured
	RuleUpper      = "upper"      // composition, when configured
	RuleDigit      = "digit"      // composition, when configured
	RuleSymbol     = "symbol"     // composition, when configured
	RuleDirectory  = "directory"  // refused by the directory's own policy
	RuleHistory    = "history"    // used recently
	RuleClasses    = "classes"    // composition: so many character classes
	// RulePattern: not built from a pattern (repeats, sequences, keyboard walks).
	RulePattern = "not_pattern"
)

// LangParam is the query parameter that chooses the language of the pages
// ("?lang=cy"): the server remembers the choice and draws the page again
// in it.
const LangParam = "lang"

// Config is the public configuration the UI needs.
type Config struct {
	Organisation Organisation `json:"organisation"`
	UserIDHint   string       `json:"user_id_hint"`
	HelpDesk     HelpDesk     `json:"help_desk"`
	Methods      MethodsInfo  `json:"methods"`
	Languages    []string     `json:"languages"`
	Dev          bool         `json:"dev"`
	// RevealUnregistered is true when enumeration protection is off and the
	// portal tells unregistered users so.
	RevealUnregistered bool `json:"reveal_unregistered"`
	Captcha            struct {
		Audio bool `json:"audio"`
	} `json:"captcha"`
}

// Organisation is who runs the portal.
type Organisation struct {
	Name         string `json:"name"`
	ShortName    string `json:"short_name"`
	Logo         string `json:"logo,omitempty"`
	ThemeColour  string `json:"theme_colour"`
	AccentColour string `json:"accent_colour"`
	PasswordHelp string `json:"password_help_url,omitempty"`
}

// HelpDesk is the contact block of the second guide.
type HelpDesk struct {
	Name         string   `json:"name"`
	InPerson     string   `json:"in_person,omitempty"`
	TicketPortal string   `json:"ticket_portal,omitempty"`
	Phone        string   `json:"phone,omitempty"`
	Email        string   `json:"email,omitempty"`
	Hours        []string `json:"hours,omitempty"`
}

// MethodsInfo says which methods the portal offers and how many it needs.
type MethodsInfo struct {
	Enabled  []Kind `json:"enabled"`
	Required int    `json:"required"`
}

// OutboxMessage is one message kept by the dev outbox.
type OutboxMessage struct {
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Code    string    `json:"code"`
	SentAt  time.Time `json:"sent_at"`
}

// Outbox is the body of GET /dev/outbox.
type Outbox struct {
	Messages []OutboxMessage `json:"messages"`
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// PassRequest is the body of POST /api/v1/flows/current/pass.
type PassRequest struct {
	Pass string `json:"pass"`
}
