package config

// Directory is [directory]: where the accounts live and how the portal
// reaches them.
type Directory struct {
	// Kind is "embedded" (the SQLite directory, the default), "openldap"
	// or "activedirectory".
	Kind string `toml:"kind"`
}

// The directory kinds.
const (
	DirectoryEmbedded = "embedded"
	DirectoryOpenLDAP = "openldap"
	DirectoryAD       = "activedirectory"
)

// validateDirectory checks [directory].
func (c *Config) validateDirectory(v *validator) {
	v.oneOf("directory.kind", c.Directory.Kind, DirectoryEmbedded, DirectoryOpenLDAP, DirectoryAD)
}
