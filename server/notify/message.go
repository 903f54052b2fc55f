// Package notify holds the messages the portal sends (codes and
// notifications), how they are worded, and the queue that delivers them off
// the request path.
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
	Body    string
	// Code is the one-time code the message carries, if any. Only the dev
	// outbox shows it; a real sender sends Body and forgets it.
	Code string
}
