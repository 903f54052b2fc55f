package config_test

import (
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/config"
)

func TestMetricsListen(t *testing.T) {
	for _, tc := range []struct {
		listen, err string
	}{
		{"", ""},
		{"127.0.0.1:9464", ""},
		{":9464", ""},
		{"127.0.0.1:0", ""},
		{"9464", "metrics.listen: must be host:port"},
		{"127.0.0.1:99999", "metrics.listen: port"},
		{"127.0.0.1:8080", "metrics.listen: \"127.0.0.1:8080\" is server.listen's address"},
		{":8080", "is server.listen's address"},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			c := config.Default()
			c.Metrics.Listen = tc.listen
			err := c.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Validate = %v, want %q", err, tc.err)
			}
		})
	}
	c, err := config.Load(writeConfig(t, "[metrics]\nlisten = \"127.0.0.1:9464\"\n"))
	if err != nil || c.Metrics.Listen != "127.0.0.1:9464" {
		t.Fatalf("Load: %v, %+v", err, c)
	}
	if _, err := config.Load(writeConfig(t, "[metrics]\nprofiling = true\n")); err == nil || !strings.Contains(err.Error(), "metrics.profiling") {
		t.Errorf("profiling without a listener: Load = %v, want a metrics.profiling error", err)
	}
	c, err = config.Load(writeConfig(t, "[metrics]\nlisten = \"127.0.0.1:9464\"\nprofiling = true\n"))
	if err != nil || !c.Metrics.Profiling {
		t.Fatalf("Load: %v, %+v", err, c)
	}
}
