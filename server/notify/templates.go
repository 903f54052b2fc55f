package notify

import (
	"fmt"
	"strings"
	"time"
)

// Org is what a message says about who sent it and where to get help.
type Org struct {
	Name     string
	HelpDesk string // one line: how to reach the service desk
}

// CodeMessage is the message that carries a one-time code.
func CodeMessage(ch Channel, to, code string, valid time.Duration, org Org) Message {
	mins := int(valid.Round(time.Minute) / time.Minute)
	if ch == SMS {
		return Message{Channel: SMS, To: to, Code: code,
			Body: fmt.Sprintf("%s: your verification code is %s. It expires in %d minutes. Never share it.", org.Name, code, mins)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Your verification code is %s\n\n", code)
	fmt.Fprintf(&b, "Someone, hopefully you, is resetting or unlocking a %s account with self-service password reset.\n", org.Name)
	fmt.Fprintf(&b, "Type this code on the page that asked for it. It expires in %d minutes and works once.\n\n", mins)
	fmt.Fprintf(&b, "If this wasn't you, ignore this message; your password has not changed. %s\n", org.HelpDesk)
	return Message{Channel: Email, To: to, Code: code, Subject: org.Name + " verification code", Body: b.String()}
}

// Event is what a notification reports.
type Event struct {
	What       string // "reset" or "unlock"
	At         time.Time
	ClientAddr string
}

// Notification tells the user that their password was reset or their
// account unlocked. It never includes the password.
func Notification(to string, e Event, org Org) Message {
	subject, did := "Your password has been reset", "the password of your %s account was reset"
	if e.What == "unlock" {
		subject, did = "Your account has been unlocked", "your %s account was unlocked"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "At %s, "+did+" with self-service password reset, from the address %s.\n\n",
		e.At.UTC().Format("15:04 MST on Monday 2 January 2006"), org.Name, e.ClientAddr)
	b.WriteString("If this was you, there is nothing more to do. Remember to update the password saved on your other devices (Wi-Fi such as eduroam, mail apps), so they don't lock you out again.\n\n")
	fmt.Fprintf(&b, "If this wasn't you, contact the service desk now. %s\n", org.HelpDesk)
	return Message{Channel: Email, To: to, Subject: org.Name + ": " + subject, Body: b.String()}
}

// Change tells the user that something about their account changed: a
// registration or a password changed while signed in.
func Change(to, subject, what string, at time.Time, clientAddr string, org Org) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "At %s, %s (%s account, from the address %s).\n\n",
		at.UTC().Format("15:04 MST on Monday 2 January 2006"), what, org.Name, clientAddr)
	b.WriteString("If this was you, there is nothing more to do.\n\n")
	fmt.Fprintf(&b, "If this wasn't you, someone may be trying to take over your account: contact the service desk now. %s\n", org.HelpDesk)
	return Message{Channel: Email, To: to, Subject: org.Name + ": " + subject, Body: b.String()}
}
