package portal_test

import (
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/config"
)

// TestConfigTextsInLanguage: the organisation's words given for a language
// ([languages.texts.cy]) are what its pages say, on the server's pages and
// in the catalogue the browser gets; other languages keep the words as
// configured; what is left out stays as configured.
func TestConfigTextsInLanguage(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.Languages.Texts = map[string]config.Texts{"cy": {
			OrganisationName: "Prifysgol Enghreifftiol",
			HelpDeskName:     "Desg Gwasanaeth TG",
			HelpDeskHours:    []string{"Dydd Llun i ddydd Iau: 8yb i 5yh", "Dydd Gwener: 8yb i 4yh"},
		}}
	})
	c := e.client(t)
	get := func(path, lang string) string {
		t.Helper()
		r := c.raw("GET", path, nil, map[string]string{"Accept-Language": lang})
		if r.status != 200 {
			t.Fatalf("GET %s in %s: %d", path, lang, r.status)
		}
		return string(r.body)
	}
	cy := get("/help/contact", "cy")
	for _, want := range []string{"Desg Gwasanaeth TG", "Dydd Gwener: 8yb i 4yh", "Prifysgol Enghreifftiol",
		e.cfg.HelpDesk.Phone} {
		if !strings.Contains(cy, want) {
			t.Errorf("the Welsh contact page lacks %q", want)
		}
	}
	if strings.Contains(cy, e.cfg.HelpDesk.Hours[0]) {
		t.Error("the Welsh contact page shows the English hours")
	}
	en := get("/help/contact", "en")
	if !strings.Contains(en, e.cfg.HelpDesk.Name) || strings.Contains(en, "Desg Gwasanaeth TG") {
		t.Error("the English contact page doesn't keep the configured words")
	}
	cat := get("/web/i18n/cy.json", "cy")
	if !strings.Contains(cat, `"site.help_desk_name":"Desg Gwasanaeth TG"`) {
		t.Errorf("the browser's Welsh catalogue lacks the desk's name")
	}
	if strings.Contains(get("/web/i18n/ar.json", "ar"), "site.") {
		t.Error("the Arabic catalogue has words configured for Welsh")
	}
}

// A language's words may only be given for a language offered.
func TestConfigTextsValidated(t *testing.T) {
	c := config.Default()
	c.Languages.Offered = []string{"en", "cy"}
	c.Languages.Texts = map[string]config.Texts{"ar": {HelpDeskName: "x"}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "languages.texts.ar") {
		t.Errorf("texts for a language not offered: %v", err)
	}
	c.Languages.Texts = map[string]config.Texts{"cy": {HelpDeskHours: []string{" "}}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "help_desk_hours[0]") {
		t.Errorf("a blank line of hours: %v", err)
	}
}
