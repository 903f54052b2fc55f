package ui

import (
	"encoding/json"
	"math"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/api"
)

// EnvDev is the go-app environment variable that is "1" in dev mode. The
// server's handler sets it (app.Handler.Env), and go-app passes it to the
// browser; components read it with app.Getenv.
const EnvDev = "SSPR_DEV"

// EnvConfig is the go-app environment variable that holds the public
// configuration (api.Config, the body of GET /api/v1/config) as JSON. The
// server sets it so that prerendered pages carry the organisation's name,
// colours and help-desk block, and the browser has them before its first
// API call. The browser still fetches /api/v1/config once, and that answer
// wins.
const EnvConfig = "SSPR_CONFIG"

// Dev reports whether the portal runs in dev mode.
func Dev() bool { return app.Getenv(EnvDev) == "1" }

var cfg struct {
	sync.Mutex
	raw     string     // the EnvConfig value parsed into parsed
	parsed  api.Config // from EnvConfig
	fetched *api.Config
	asked   bool // the browser has asked /api/v1/config
}

// Config returns the public configuration: the one fetched from the API if
// the browser has it, else the one the server passed in EnvConfig. Fields
// left empty are filled with neutral defaults, so a page never shows a hole.
func Config() api.Config {
	cfg.Lock()
	defer cfg.Unlock()
	var c api.Config
	if cfg.fetched != nil {
		c = *cfg.fetched
	} else {
		if raw := app.Getenv(EnvConfig); raw != cfg.raw {
			var p api.Config
			if json.Unmarshal([]byte(raw), &p) == nil {
				cfg.parsed = p
			} else {
				cfg.parsed = api.Config{}
			}
			cfg.raw = raw
		}
		c = cfg.parsed
	}
	return withDefaults(c)
}

// setConfig keeps the configuration fetched from the API. UI goroutine only.
func setConfig(c api.Config) {
	cfg.Lock()
	cfg.fetched = &c
	cfg.Unlock()
}

// withDefaults puts in the organisation's own words in the page's
// language, where its configuration gives them (the server adds them to
// that language's catalogue as "site." keys), and fills what a
// configuration leaves empty.
func withDefaults(c api.Config) api.Config {
	// An array, not a map: Config runs on every draw of every page.
	for _, f := range [...]struct {
		key   string
		field *string
	}{
		{"site.organisation_name", &c.Organisation.Name}, {"site.user_id_hint", &c.UserIDHint},
		{"site.help_desk_name", &c.HelpDesk.Name}, {"site.help_desk_in_person", &c.HelpDesk.InPerson},
	} {
		if v, ok := words.Raw(f.key); ok {
			*f.field = v
		}
	}
	if v, ok := words.Raw("site.help_desk_hours"); ok {
		c.HelpDesk.Hours = strings.Split(v, "\n")
	}
	if c.Organisation.Name == "" {
		c.Organisation.Name = t("config.org_default")
	}
	if !isColour(c.Organisation.ThemeColour) {
		c.Organisation.ThemeColour = "#1d3f72"
	}
	if !isColour(c.Organisation.AccentColour) {
		c.Organisation.AccentColour = "#ffdd00"
	}
	if c.HelpDesk.Name == "" {
		c.HelpDesk.Name = t("config.desk_default")
	}
	if c.Methods.Required == 0 {
		c.Methods.Required = 2
	}
	return c
}

// isColour reports whether s is a "#rrggbb" colour: anything else never
// reaches a style attribute.
func isColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, r := range s[1:] {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// textOn returns black or white, whichever reads better on the "#rrggbb"
// background bg (WCAG relative luminance; the threshold where both give the
// same contrast ratio).
func textOn(bg string) string {
	if !isColour(bg) {
		return "#ffffff"
	}
	hex := func(i int) float64 {
		var v int
		for _, r := range bg[i : i+2] {
			v *= 16
			switch {
			case r >= 'a':
				v += int(r-'a') + 10
			case r >= 'A':
				v += int(r-'A') + 10
			default:
				v += int(r - '0')
			}
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	l := 0.2126*hex(1) + 0.7152*hex(3) + 0.0722*hex(5)
	if l > 0.179 {
		return "#0b0c0c"
	}
	return "#ffffff"
}
