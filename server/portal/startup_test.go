package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/ldapdir/slapdtest"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/portal"
)

// TestDirectoryCheckedAtStart: settings that can never work stop the
// portal from starting, with the reason (the service account's password,
// a base DN or group base DN that doesn't exist); a directory that can't
// be reached does not, and /readyz says it is not ready.
func TestDirectoryCheckedAtStart(t *testing.T) {
	s := slapdtest.Shared(t)
	tweak, _ := withSlapd(t, s)
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	start := func(t *testing.T, change func(*config.Config)) (*portal.Portal, error) {
		cfg := config.Default()
		cfg.Server.DataDir, cfg.Server.WebDir = t.TempDir(), t.TempDir()
		tweak(cfg)
		change(cfg)
		log, _ := testkit.NewLog()
		p, err := portal.New(context.Background(), portal.Options{Config: cfg, Keys: k, Log: log})
		if err == nil {
			t.Cleanup(func() { p.Close(context.Background()) })
		}
		return p, err
	}
	for _, tt := range []struct {
		name   string
		change func(*config.Config)
		want   string
	}{
		{"WrongPassword", func(c *config.Config) {
			f := filepath.Join(t.TempDir(), "bind-password")
			if err := os.WriteFile(f, []byte("not-the-password\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			c.Directory.BindPasswordFile = f
		}, "refused the service account's bind"},
		{"NoSuchBase", func(c *config.Config) {
			c.Directory.BaseDN = "ou=nowhere," + c.Directory.BaseDN
		}, `directory.base_dn "ou=nowhere,`},
		{"NoSuchGroupBase", func(c *config.Config) {
			c.Directory.GroupBaseDN = "ou=no-groups," + c.Directory.BaseDN
		}, `directory.group_base_dn "ou=no-groups,`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := start(t, tt.change)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("portal.New: %v; want an error saying %q", err, tt.want)
			}
		})
	}

	t.Run("Unreachable", func(t *testing.T) {
		p, err := start(t, func(c *config.Config) {
			c.Directory.URLs = []string{"ldap://127.0.0.1:1"} // nothing listens there
		})
		if err != nil {
			t.Fatalf("an unreachable directory stopped the start: %v", err)
		}
		rec := httptest.NewRecorder()
		p.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d %s, want 503", rec.Code, rec.Body)
		}
	})
}

// TestReplicaMakesNoSQLiteFile: a server with an LDAP directory and
// PostgreSQL (a replica behind a load balancer) keeps nothing in a SQLite
// file, and makes none: its data folder holds only what it was given.
func TestReplicaMakesNoSQLiteFile(t *testing.T) {
	ldapTweak, _ := withSlapd(t, slapdtest.Shared(t))
	var data string
	e := newEnv(t, ldapTweak, withPostgres(t, pgtest.Start(t)), func(c *config.Config) { data = c.Server.DataDir })
	c := e.client(t)
	c.startWith("alice", api.IntentReset)
	if st, _ := c.readyz(); st != http.StatusOK {
		t.Fatalf("/readyz = %d", st)
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range entries {
		if strings.HasPrefix(f.Name(), "sspr.db") {
			t.Errorf("the replica made %s in its data folder", f.Name())
		}
	}
}
