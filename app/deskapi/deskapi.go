// Package deskapi holds the wire types of the service desk's console API
// that only staff use (docs/API.md#the-service-desks-console): the console
// (app/desk) and the server share them. They are not in app/api because
// the student's app.wasm links app/api, and any change to a package it
// links moves its bytes about, and its brotli size with them, by
// kilobytes (docs/PERFORMANCE.md#two-bundles).
package deskapi

import (
	"time"

	"github.com/sspr-portal/sspr/app/api"
)

// PathCoverage is the coverage report: GET, any staff role.
const PathCoverage = "/api/v1/desk/coverage"

// Coverage is what share of the directory's accounts could reset their
// password today: GET /api/v1/desk/coverage and `sspr report coverage`
// (docs/COVERAGE.md).
type Coverage struct {
	// At is when the report was made.
	At time.Time `json:"at"`
	// Methods are the methods enabled, and Required how many of them a
	// reset needs.
	Methods  []api.Kind `json:"methods"`
	Required int        `json:"required"`
	// CoverageCounts are over every account; OUs split them by
	// organisational unit, in the order of their names ("" first: the
	// accounts filed under none).
	CoverageCounts
	OUs []CoverageGroup `json:"ous"`
}

// CoverageCounts count accounts. Disabled accounts are counted in
// Disabled alone: Accounts, and everything else, are the accounts that
// are not disabled.
type CoverageCounts struct {
	Accounts int `json:"accounts"`
	// CanReset have at least Required confirmed methods among those
	// enabled; Partial some, but fewer; None none.
	CanReset int `json:"can_reset"`
	Partial  int `json:"partial"`
	None     int `json:"none"`
	// ReconfirmDue have a registered method due for confirmation again
	// (they are also counted in CanReset or Partial).
	ReconfirmDue int `json:"reconfirm_due"`
	Disabled     int `json:"disabled"`
	// CanResetPercent is CanReset of Accounts, in percent, to one
	// decimal place (0 when there are no accounts).
	CanResetPercent float64 `json:"can_reset_percent"`
}

// CoverageGroup is the counts of one organisational unit.
type CoverageGroup struct {
	OU string `json:"ou"`
	CoverageCounts
}

// CoverageResponse wraps the coverage report.
type CoverageResponse struct {
	Coverage Coverage `json:"coverage"`
}

// Paths of the service desk's console API: staff only (docs/API.md).
const (
	PathSession            = "/api/v1/desk/session"
	PathSessionEmailSend   = "/api/v1/desk/session/email/send"
	PathSessionEmailVerify = "/api/v1/desk/session/email/verify"
	PathSessionSMSSend     = "/api/v1/desk/session/sms/send"
	PathSessionSMSVerify   = "/api/v1/desk/session/sms/verify"
	// PathPeople looks a person up: /api/v1/desk/people?user=alice.
	PathPeople = "/api/v1/desk/people"
	// PathSearch finds people by name or id: /api/v1/desk/search?q=archer.
	PathSearch = "/api/v1/desk/search"
	// The service desk's actions on a person's account (ActionRequest).
	PathUnlock            = "/api/v1/desk/actions/unlock"
	PathLiftBlock         = "/api/v1/desk/actions/lift-block"
	PathClearRegistration = "/api/v1/desk/actions/clear-registration"
	PathRecoveryPass      = "/api/v1/desk/actions/recovery-pass"
)

// Person is what the console shows of a person: the account as the
// directory has it, the registration (masked, as its owner sees it),
// whatever pauses their self-service, and their recent audit events.
type Person struct {
	User        string `json:"user"`
	Exists      bool   `json:"exists"`
	DisplayName string `json:"display_name,omitempty"`
	Locked      bool   `json:"locked"`
	Disabled    bool   `json:"disabled"`
	// PasswordSetAt is when the password was last set, when the directory
	// says.
	PasswordSetAt *time.Time       `json:"password_set_at,omitempty"`
	Registration  api.Registration `json:"registration"`
	Blocks        []Block          `json:"blocks"`
	Events        []Event          `json:"events"`
}

// Block is one thing that pauses a person's self-service, until when.
type Block struct {
	Kind  BlockKind `json:"kind"`
	Until time.Time `json:"until"`
}

// Event is an audit event as the console shows it (docs/AUDIT.md).
type Event struct {
	Time       time.Time `json:"time"`
	Event      string    `json:"event"`
	Outcome    string    `json:"outcome,omitempty"`
	Flow       string    `json:"flow,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
}

// BlockKind is what paused a person's self-service.
type BlockKind string

// The blocks.
const (
	BlockSelfService BlockKind = "self_service" // too many failed verifications
	BlockSignIn      BlockKind = "sign_in"      // too many wrong passwords
	BlockClosed      BlockKind = "closed"       // failures in a row: closed until the service desk opens it
)

// ActionRequest is the body of the service desk's actions: whose
// account, the ticket it is done under and why, for the audit.
type ActionRequest struct {
	User   string `json:"user"`
	Ticket string `json:"ticket"`
	Reason string `json:"reason"`
}

// RecoveryPassResponse is a recovery pass, shown once: the person types it
// in the reset wizard instead of their methods.
type RecoveryPassResponse struct {
	Pass      string    `json:"pass"`
	ExpiresAt time.Time `json:"expires_at"`
	Person    Person    `json:"person"`
}

// PersonHit is one person a search found.
type PersonHit struct {
	User        string `json:"user"`
	DisplayName string `json:"display_name,omitempty"`
}

// SearchResponse is what GET /api/v1/desk/search answers.
type SearchResponse struct {
	People []PersonHit `json:"people"`
}

// PersonResponse wraps a person.
type PersonResponse struct {
	Person Person `json:"person"`
}

// SignInRequest is the body of POST /api/v1/desk/session.
type SignInRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// StaffSessionResponse wraps a staff session.
type StaffSessionResponse struct {
	Session StaffSession `json:"session"`
}

// Role is what a member of staff may do in the service desk's
// console.
type Role string

// The staff's roles.
const (
	RoleServiceDesk Role = "service_desk" // look people up, and act
	RoleAuditor     Role = "auditor"      // look up and report, read-only
)

// StaffSession is a staff member's session in the console: signed in with
// the password, then Verified by a code to one of their own methods.
type StaffSession struct {
	User        string `json:"user"`
	DisplayName string `json:"display_name,omitempty"`
	Role        Role   `json:"role"`
	Verified    bool   `json:"verified"`
	// Methods are the staff member's own methods a code can go to, until
	// Verified.
	Methods   []api.Method `json:"methods,omitempty"`
	ExpiresAt time.Time    `json:"expires_at"`
}
