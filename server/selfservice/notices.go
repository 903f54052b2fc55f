package selfservice

// What the notices of a change say it was, in a few words after "the
// service desk" or on their own (the templates' {{.What}}): English, and
// the keys of the server's message catalogues (static/i18n/messages),
// which put them in the reader's language. The desk's take the ticket.
const (
	emailRegisteredMsg = "your alternate email address was registered or confirmed"
	smsRegisteredMsg   = "your mobile number was registered or confirmed"
	questionsSetMsg    = "your security questions were set"
	totpRegisteredMsg  = "an authenticator app was registered"
	passkeyAddedMsg    = "a passkey was registered"
	removedMsg         = "a verification method was removed"
	deskUnlockMsg      = "unlocked your account (ticket %s)"
	deskLiftMsg        = "let you use self-service again (ticket %s)"
	deskClearMsg       = "removed your verification methods, so that you register them again (ticket %s)"
	deskPassMsg        = "gave you a one-time recovery pass, to reset your password without your verification methods (ticket %s)"
)
