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
