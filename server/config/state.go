package config

// State is [state]: where flows, codes, CAPTCHA answers and throttle
// counters live while they are needed.
type State struct {
	// Kind is "memory" (this server alone, the default) or "redis"
	// (several servers share it).
	Kind string `toml:"kind"`
}

// The state kinds.
const (
	StateMemory = "memory"
	StateRedis  = "redis"
)

func defaultState() State { return State{Kind: StateMemory} }

// validateState checks [state].
func (c *Config) validateState(v *validator) {
	v.oneOf("state.kind", c.State.Kind, StateMemory, StateRedis)
}
