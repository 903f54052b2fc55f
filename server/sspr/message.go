package sspr

import (
	"fmt"
	"time"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one email or text message, as the engines hand it to a Sender.
// server/notify writes them (its templates); server/dispatch stores and
// delivers them.
type Message struct {
	// ID names the message for as long as it is being delivered: the
	// durable outbox gives each message one when it is stored, and every
	// attempt sends it (an email's Message-ID), so that a message
	// delivered twice, after a server died mid-send, is recognisable as
	// one. "" lets the sender make one up.
	ID      string
	Channel Channel
	To      string
	Subject string
	// Body is the plain text: the whole message for SMS, the text/plain
	// part of an email.
	Body string
	// HTML is the text/html alternative of an email ("" for none).
	HTML string
	// Code is the one-time code the message carries, if any. Only the dev
	// outbox shows it; a real sender sends Body and forgets it.
	Code string
	// Ref says what the message is for, to whoever sent it, so that it
	// can be told if the message is given up (the engine's flow or
	// registration and method). Senders don't read it.
	Ref string
	// Account and Flow are whose message it is and the reference of the
	// flow or session that sent it, for the audit's "delivered" and
	// "failed" events. Senders don't read them.
	Account, Flow string
	// Expires is when the message is no longer worth delivering: the
	// expiry of the code it carries. Zero: the outbox's lifetime for
	// notifications (hours).
	Expires time.Time
	// Kind names the template that wrote the message ("" for one written
	// by hand), and Data is what the template was given, so that a Router
	// can write it again with the operator's templates.
	Kind Kind
	Data *MessageData
	// Lang is the language its reader reads, such as "cy": the one their
	// registration was made in, for a message sent outside their own
	// request (a reminder, the service desk's notice). "": the language
	// of the request that sends it.
	Lang string
}

// Kind names a message, and so its templates.
type Kind string

// The messages the portal sends.
const (
	KindCode                Kind = "code"                 // a one-time code (email or SMS)
	KindReset               Kind = "reset"                // the password was reset
	KindUnlock              Kind = "unlock"               // the account was unlocked
	KindRegistrationChanged Kind = "registration_changed" // a verification method changed
	KindPasswordChanged     Kind = "password_changed"     // the password was changed while signed in
	KindUnlockNotLocked     Kind = "unlock_not_locked"    // an unlock found the account not locked
	KindBlocked             Kind = "blocked"              // self-service was paused or closed
	KindDeskAction          Kind = "desk_action"          // the service desk acted on the account
	KindTest                Kind = "test"                 // sspr send-test
	KindRemindRegister      Kind = "remind_register"      // sspr remind unregistered
	KindPasswordExpiring    Kind = "password_expiring"    // sspr remind expiring
)

// HelpDesk is the help-desk contact block of a message. Line is the one-line
// form, used when Name is empty.
type HelpDesk struct {
	Line         string
	Name         string
	Phone        string
	Email        string
	InPerson     string
	TicketPortal string
	Hours        []string
}

// MessageData is what a message's template is given. Which fields are set
// depends on the Kind; the templates in static/templates/en show them all
// in use. Its field and method names are the templates' own: renaming one
// breaks every operator's copy of them.
type MessageData struct {
	Org        string    // the organisation's name
	HelpDesk   HelpDesk  // where to get help
	To         string    // the recipient's address or number
	Code       string    // KindCode: the one-time code
	Minutes    int       // KindCode: how long the code works
	Time       time.Time // notifications: when it happened
	ClientAddr string    // notifications: the client address it came from
	What       string    // KindRegistrationChanged: what changed, in a few words
	Until      time.Time // KindBlocked: when the pause ends
	Closed     bool      // KindBlocked: closed until the service desk opens it
	SignIn     bool      // KindBlocked: what is paused is signing in to register
	Link       string    // KindRemindRegister: the registration page's address; KindPasswordExpiring: the password change's
	Expires    time.Time // KindPasswordExpiring: when the password expires
	Reconfirm  bool      // KindRemindRegister: registered, but due for confirmation again
	Required   int       // KindRemindRegister: how many methods a reset needs
	// whatFormat and whatArgs are What's English format and its
	// arguments (SetWhat), for the message catalogues.
	whatFormat string
	whatArgs   []any
}

// SetWhat sets What to the English format filled with args, and keeps
// both, so that the message can be written in its reader's language
// (WhatText: the format is the key of the server's message catalogues).
// args is a slice, not variadic: what a notice says is chosen in code, as
// a variable, which go vet would take for a mistake in a printf wrapper.
func (d *MessageData) SetWhat(format string, args []any) {
	d.What, d.whatFormat, d.whatArgs = fmt.Sprintf(format, args...), format, args
}

// WhatText is What's English format and its arguments: What itself, with
// none, when it was set without SetWhat.
func (d *MessageData) WhatText() (string, []any) {
	if d.whatFormat == "" {
		return d.What, nil
	}
	return d.whatFormat, d.whatArgs
}

// UntilAt is Until in UTC, written as At writes Time.
func (d *MessageData) UntilAt() string {
	return d.Until.UTC().Format("15:04 MST on Monday 2 January 2006")
}

// At is Time in UTC as "15:04 UTC on Monday 2 January 2006". A translated
// template can format Time itself: {{.Time.UTC.Format "02/01/2006 15:04"}}.
func (d *MessageData) At() string {
	return d.Time.UTC().Format("15:04 MST on Monday 2 January 2006")
}
