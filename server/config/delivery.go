package config

// Email is [email]: how codes and notifications are sent by email.
type Email struct {
	// Kind is "outbox" (the dev outbox; only in dev mode) or "smtp".
	Kind string `toml:"kind"`
}

// SMS is [sms]: how codes are sent by text message.
type SMS struct {
	// Kind is "outbox" (the dev outbox; only in dev mode) or "gateway".
	Kind string `toml:"kind"`
}

// validateDelivery checks [email] and [sms].
func (c *Config) validateDelivery(v *validator) {
	v.oneOf("email.kind", c.Email.Kind, "outbox", "smtp")
	v.oneOf("sms.kind", c.SMS.Kind, "outbox", "gateway")
}
