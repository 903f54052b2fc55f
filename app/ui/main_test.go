package ui

import (
	"os"
	"testing"

	"github.com/sspr-portal/sspr/app/i18n"
)

// TestMain gives the pages their English words, as the server does for a
// page drawn in English.
func TestMain(m *testing.M) {
	b, err := os.ReadFile("../../static/i18n/en.json")
	if err != nil {
		panic(err)
	}
	if words, err = i18n.Parse("en", b); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
