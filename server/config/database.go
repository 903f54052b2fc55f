package config

// Database is [database]: where registrations and audit events are kept.
type Database struct {
	// Path is the SQLite file. Empty means DataDir/sspr.db.
	Path string `toml:"path"`
}

// validateDatabase checks [database].
func (c *Config) validateDatabase(v *validator) {}
