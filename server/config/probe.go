package config

import (
	"fmt"
	"os"
	"strings"
)

// Probe is [probe]: the synthetic check of a running portal (`sspr
// probe`, docs/OPERATIONS.md#the-synthetic-check). A request carrying the
// probe's token may start a flow for the canary account without a CAPTCHA;
// for any other account, or with any other token, it is refused.
type Probe struct {
	// Account is the canary's user id: a real account of the directory,
	// with an alternate address and a mobile number registered, used for
	// nothing else. Empty: no probe is accepted.
	Account string `toml:"account"`
	// TokenFile holds the probe's token (at least 32 characters; one
	// trailing newline is ignored): `sspr probe` sends it, the servers
	// compare it. Keep it mode 0600, like the key file.
	TokenFile string `toml:"token_file"`
}

// minProbeToken is the shortest token accepted: it stands in for a
// CAPTCHA, so it must not be guessable.
const minProbeToken = 32

// Token reads the probe's token from TokenFile.
func (p Probe) Token() (string, error) {
	b, err := os.ReadFile(p.TokenFile)
	if err != nil {
		return "", fmt.Errorf("config: probe.token_file: %w", err)
	}
	t := strings.TrimRight(string(b), "\r\n")
	if len(t) < minProbeToken {
		return "", fmt.Errorf("config: probe.token_file: %s holds %d characters: the token must have at least %d (for example `openssl rand -hex 32`)",
			p.TokenFile, len(t), minProbeToken)
	}
	return t, nil
}

func (c *Config) validateProbe(v *validator) {
	p := c.Probe
	switch {
	case p.Account == "" && p.TokenFile == "":
	case p.Account == "":
		v.add("probe.account", "must be set with probe.token_file: the canary account the probe resets")
	case p.TokenFile == "":
		v.add("probe.token_file", "must be set with probe.account: the file of the probe's token")
	}
}
