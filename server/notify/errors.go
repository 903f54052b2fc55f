package notify

import "errors"

// errClass says what a failed attempt means for the next one.
type errClass int

const (
	// temporary: worth another try later (4xx, network, timeout). It also
	// counts against the sender's health.
	temporary errClass = iota
	// permanent: retrying won't help and the sender itself is at fault
	// (authentication refused, a bad configuration, a panic). It counts
	// against the sender's health.
	permanent
	// refused: retrying won't help, but only this message or recipient
	// is at fault (an SMTP 5xx on RCPT, a number the gateway refuses):
	// the sender answered, so it is healthy.
	refused
)

func (c errClass) String() string {
	switch c {
	case permanent:
		return "permanent"
	case refused:
		return "refused"
	}
	return "temporary"
}

type classified struct {
	err   error
	class errClass
}

func (e *classified) Error() string { return e.err.Error() }
func (e *classified) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying won't fix and that is the
// sender's (authentication refused, a broken configuration): the outbox
// gives up at once, and the failure counts against the sender's health.
// A nil err stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err, permanent}
}

// Refused marks err as a refusal of this one message or recipient (an
// SMTP 5xx reply to RCPT TO, a number the gateway won't text): the outbox
// gives up at once, and the sender still counts as healthy, because it
// answered. A nil err stays nil.
func Refused(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err, refused}
}

// IsPermanent reports whether err was marked by Permanent or Refused.
func IsPermanent(err error) bool { return classify(err) != temporary }

// IsRefused reports whether err was marked by Refused.
func IsRefused(err error) bool { return classify(err) == refused }

// classify: anything not marked is temporary (network errors, timeouts,
// 4xx replies), so it is retried.
func classify(err error) errClass {
	var c *classified
	if errors.As(err, &c) {
		return c.class
	}
	return temporary
}

// Clip cuts s to at most n bytes, on a rune boundary, marking the cut: for
// a server's answer quoted in an error or a log line.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
