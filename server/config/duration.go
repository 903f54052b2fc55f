package config

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written in the file as a string such as "15m",
// "1h30m" or "90s", the way time.ParseDuration reads it. A bare number is
// refused: "10" could mean seconds or minutes, and a wrong guess in a
// security setting is worse than an error.
type Duration struct {
	time.Duration
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return d.Duration }

// UnmarshalText parses a duration such as "15m".
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a number and a unit, such as \"90s\", \"15m\" or \"24h\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration the way a person would: "15m", "1h30m",
// "90s" rather than time.Duration's "15m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String is the duration without zero trailing units: "15m", not "15m0s".
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func minutes(n int) Duration { return Duration{time.Duration(n) * time.Minute} }
func hours(n int) Duration   { return Duration{time.Duration(n) * time.Hour} }
