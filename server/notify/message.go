// Package notify holds the messages the portal sends (codes and
// notifications), how they are worded (operator-editable templates), the
// router that writes each one and hands it to its channel's sender, and how
// a sender says a failure is worth retrying. server/dispatch stores and
// delivers them.
//
// The message types themselves are the domain's (package sspr); the names
// here are aliases of them, so that the senders and the templates read
// notify.Message, notify.Email and notify.Data as before.
package notify

import "github.com/sspr-portal/sspr/server/sspr"

// Channel is how a message travels (sspr.Channel).
type Channel = sspr.Channel

// The channels.
const (
	Email = sspr.Email
	SMS   = sspr.SMS
)

// Message is one email or text message (sspr.Message).
type Message = sspr.Message

// Kind names a message, and so its templates (sspr.Kind).
type Kind = sspr.Kind

// The messages the portal sends.
const (
	KindCode                = sspr.KindCode                // a one-time code (email or SMS)
	KindReset               = sspr.KindReset               // the password was reset
	KindUnlock              = sspr.KindUnlock              // the account was unlocked
	KindRegistrationChanged = sspr.KindRegistrationChanged // a verification method changed
	KindPasswordChanged     = sspr.KindPasswordChanged     // the password was changed while signed in
	KindUnlockNotLocked     = sspr.KindUnlockNotLocked     // an unlock found the account not locked
	KindBlocked             = sspr.KindBlocked             // self-service was paused or closed
	KindDeskAction          = sspr.KindDeskAction          // the service desk acted on the account
	KindTest                = sspr.KindTest                // sspr send-test
	KindRemindRegister      = sspr.KindRemindRegister      // sspr remind unregistered
	KindPasswordExpiring    = sspr.KindPasswordExpiring    // sspr remind expiring
)

// HelpDesk is the help-desk contact block of a message (sspr.HelpDesk).
// Line is the one-line form (Org.HelpDesk), used when Name is empty.
type HelpDesk = sspr.HelpDesk

// Data is what a template is given (sspr.MessageData).
type Data = sspr.MessageData

// Sender delivers a message (sspr.Sender): SMTP, the SMS gateway, the dev
// outbox, or a Queue in front of one of them. Errors must not carry the
// message's body or code, because they are logged. A sender marks the
// failures that retrying won't fix with Permanent or Refused; any other
// error is retried.
type Sender = sspr.Sender
