// Package notify holds the messages the portal sends (codes and
// notifications), how they are worded (operator-editable templates), and the
// queue that delivers them off the request path, with retries.
package notify

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one email or text message.
type Message struct {
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
	// Kind names the template that wrote the message ("" for one written
	// by hand), and Data is what the template was given, so that a Router
	// can write it again with the operator's templates.
	Kind Kind
	Data *Data
}
