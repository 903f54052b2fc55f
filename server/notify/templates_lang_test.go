package notify

import (
	"testing"

	"github.com/sspr-portal/sspr/server/locale"
)

// TestShippedLanguages loads the templates shipped for every language the
// portal has: each parses, renders with sample data, and each SMS fits one
// text (LoadTemplates checks all three).
func TestShippedLanguages(t *testing.T) {
	for _, lang := range locale.Known {
		if _, err := LoadTemplates("", lang); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
}
