// Package slapdtest starts a real OpenLDAP server (Debian's slapd) for tests:
// a child process on free loopback ports, in a temporary folder, with the
// ppolicy overlay (lockout after 3 failed binds, a minimum length of 8
// bytes, a history of 3), TLS with a certificate from a test CA made on the
// spot (StartTLS on the ldap:// port, and an ldaps:// port), a service
// account for the portal and a small tree that each test extends with its
// own subtree.
//
// Outside CI a machine without slapd skips the test with a message; under
// CI (CI=true) it fails, so a missing package can never pass unnoticed.
package slapdtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sspr-portal/sspr/server/internal/child"
	"github.com/sspr-portal/sspr/server/internal/freeport"
	"github.com/sspr-portal/sspr/server/internal/needs"
	"github.com/sspr-portal/sspr/server/internal/testca"
)

// Where Debian puts slapd and its modules.
const (
	SlapdPath  = "/usr/sbin/slapd"
	ModulePath = "/usr/lib/ldap"
)

// The fixed names and secrets of the test tree. They are test data only.
const (
	Suffix          = "dc=example,dc=org"
	AdminDN         = "cn=admin," + Suffix
	AdminPassword   = "adminpw"
	ServiceDN       = "cn=sspr,ou=services," + Suffix
	ServicePassword = "sspr-service-pw"
	PolicyDN        = "cn=default,ou=policies," + Suffix
	// MaxFailure failed binds lock an account (pwdMaxFailure).
	MaxFailure = 3
	// MinLength is pwdMinLength, counted in bytes by ppolicy.
	MinLength = 8
	// InHistory is pwdInHistory.
	InHistory = 3
)

// Server is a running (or stopped) slapd.
type Server struct {
	// URL is ldap://127.0.0.1:PORT (StartTLS available), LDAPSURL the
	// ldaps:// port. Both stay the same across Stop and Start.
	URL, LDAPSURL string
	// CAFile is the PEM file of the test CA that signed the server's
	// certificate (for 127.0.0.1 and localhost).
	CAFile string
	// StartTime is how long the last start took, until slapd answered.
	StartTime time.Duration

	dir  string
	conf string
	mu   sync.Mutex
	proc *child.Process // nil when stopped
	seq  atomic.Int64
}

// Available reports whether slapd and the ppolicy module are installed.
func Available() error {
	for _, p := range []string{SlapdPath, filepath.Join(ModulePath, "ppolicy.la"), "/etc/ldap/schema/core.schema"} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("slapdtest: %s is missing: install Debian's slapd and ldap-utils (scripts/deps.sh does)", p)
		}
	}
	return nil
}

// require skips (or under CI fails) when slapd is not installed.
func require(tb testing.TB) {
	tb.Helper()
	needs.Tool(tb, Available())
}

// Start starts a slapd of its own for tb, seeded, and stops it in
// tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	require(tb)
	dir, err := os.MkdirTemp("", "slapdtest-")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := start(dir)
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

var shared child.Shared[*Server]

// Shared returns one slapd for the whole test binary, started on first
// use. Call Close from TestMain (see Main) so it ends with the tests; the
// child is also killed if the test process dies.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	require(tb)
	s, err := shared.Get(func() (*Server, error) {
		dir, err := os.MkdirTemp("", "slapdtest-")
		if err != nil {
			return nil, err
		}
		s, err := start(dir)
		if err != nil {
			os.RemoveAll(dir)
		}
		return s, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Main runs the tests and then stops the shared server, if one started:
//
//	func TestMain(m *testing.M) { os.Exit(slapdtest.Main(m)) }
func Main(m *testing.M) int { return shared.Run(m) }

func start(dir string) (*Server, error) {
	s := &Server{dir: dir, conf: filepath.Join(dir, "slapd.conf"), CAFile: filepath.Join(dir, testca.CAFile)}
	ca, err := testca.New("slapdtest")
	if err != nil {
		return nil, err
	}
	if _, err := ca.WriteFiles(dir); err != nil {
		return nil, err
	}
	p1, err := freeport.Get()
	if err != nil {
		return nil, err
	}
	p2, err := freeport.Get()
	if err != nil {
		return nil, err
	}
	s.URL = "ldap://127.0.0.1:" + strconv.Itoa(p1)
	s.LDAPSURL = "ldaps://127.0.0.1:" + strconv.Itoa(p2)
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(s.conf, []byte(strings.ReplaceAll(conf, "TMP", dir)), 0o600); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	if err := s.seed(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Start starts slapd again on the same ports and data after Stop; it
// returns once slapd answers.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	cmd := exec.Command(SlapdPath, "-d", "0", "-f", s.conf, "-h", s.URL+"/ "+s.LDAPSURL+"/")
	out, err := os.OpenFile(filepath.Join(s.dir, "slapd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	// The child dies with the test process, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	answers := func() error {
		c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
		if err == nil {
			c.Close()
		}
		return err
	}
	p, err := child.Start(cmd, out, answers, 15*time.Second)
	if errors.Is(err, child.ErrExited) {
		log, _ := os.ReadFile(filepath.Join(s.dir, "slapd.log"))
		return fmt.Errorf("slapdtest: slapd exited at start: %s", log)
	}
	if err != nil {
		return fmt.Errorf("slapdtest: slapd: %w", err)
	}
	s.proc, s.StartTime = p, p.StartTime
	return nil
}

// Stop stops slapd, keeping its data: Start brings it back. Connections
// open to it break, as they would in a real outage.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	// SIGINT is slapd's clean shutdown; it may take a second or so.
	s.proc.Stop(syscall.SIGINT, 5*time.Second)
	s.proc = nil
}

// Close stops slapd for good and removes its folder. The data is thrown
// away, so there is no need for a clean shutdown: mdb survives a kill.
func (s *Server) Close() {
	s.mu.Lock()
	if s.proc != nil {
		s.proc.Kill()
		s.proc = nil
	}
	s.mu.Unlock()
	os.RemoveAll(s.dir)
}

// TLSConfig trusts the test CA.
func (s *Server) TLSConfig() *tls.Config {
	pem, _ := os.ReadFile(s.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Admin returns a connection bound as the rootdn; tb closes it.
func (s *Server) Admin(tb testing.TB) *ldap.Conn {
	tb.Helper()
	c, err := s.admin()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func (s *Server) admin() (*ldap.Conn, error) {
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		return nil, err
	}
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// NewTree makes an empty organisational unit of its own for one test and
// returns its DN, so tests sharing a server never see each other's users.
func (s *Server) NewTree(tb testing.TB) string {
	tb.Helper()
	name := unsafeName.ReplaceAllString(tb.Name(), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	dn := fmt.Sprintf("ou=%s-%d,%s", ldap.EscapeDN(name), s.seq.Add(1), Suffix)
	c := s.Admin(tb)
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"organizationalUnit"})
	req.Attribute("ou", []string{fmt.Sprintf("%s-%d", name, s.seq.Load())})
	if err := c.Add(req); err != nil {
		tb.Fatalf("slapdtest: add %s: %v", dn, err)
	}
	return dn
}

// User is a person to add with AddUser.
type User struct {
	UID, Password, DisplayName, Mail string
	// Extra attributes, such as "mobile" or "pwdAccountLockedTime".
	Extra map[string][]string
}

// AddUser adds an inetOrgPerson under the tree dn and returns its DN.
func (s *Server) AddUser(tb testing.TB, tree string, u User) string {
	tb.Helper()
	dn := "uid=" + ldap.EscapeDN(u.UID) + "," + tree
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"inetOrgPerson"})
	req.Attribute("uid", []string{u.UID})
	req.Attribute("cn", []string{u.UID})
	req.Attribute("sn", []string{u.UID})
	if u.DisplayName != "" {
		req.Attribute("displayName", []string{u.DisplayName})
	}
	if u.Mail != "" {
		req.Attribute("mail", []string{u.Mail})
	}
	if u.Password != "" {
		req.Attribute("userPassword", []string{u.Password})
	}
	for k, v := range u.Extra {
		req.Attribute(k, v)
	}
	if err := s.Admin(tb).Add(req); err != nil {
		tb.Fatalf("slapdtest: add %s: %v", dn, err)
	}
	return dn
}

// AddGroup adds a groupOfNames cn under the tree dn with these member
// DNs (users or groups: groups nest) and returns its DN.
func (s *Server) AddGroup(tb testing.TB, tree, cn string, members ...string) string {
	tb.Helper()
	dn := "cn=" + ldap.EscapeDN(cn) + "," + tree
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"groupOfNames"})
	req.Attribute("cn", []string{cn})
	req.Attribute("member", members)
	if err := s.Admin(tb).Add(req); err != nil {
		tb.Fatalf("slapdtest: add %s: %v", dn, err)
	}
	return dn
}

// AddExpiryPolicy adds a ppolicy entry cn under the tree dn whose
// passwords expire maxAge after they are set (pwdMaxAge), makes it govern
// each of users (their pwdPolicySubentry), and returns its DN.
func (s *Server) AddExpiryPolicy(tb testing.TB, tree, cn string, maxAge time.Duration, users ...string) string {
	tb.Helper()
	dn := "cn=" + ldap.EscapeDN(cn) + "," + tree
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"pwdPolicy", "person"})
	req.Attribute("cn", []string{cn})
	req.Attribute("sn", []string{cn})
	req.Attribute("pwdAttribute", []string{"userPassword"})
	req.Attribute("pwdMaxAge", []string{strconv.Itoa(int(maxAge / time.Second))})
	a := s.Admin(tb)
	if err := a.Add(req); err != nil {
		tb.Fatalf("slapdtest: add %s: %v", dn, err)
	}
	for _, u := range users {
		mod := ldap.NewModifyRequest(u, nil)
		mod.Replace("pwdPolicySubentry", []string{dn})
		if err := a.Modify(mod); err != nil {
			tb.Fatalf("slapdtest: %s under %s: %v", u, dn, err)
		}
	}
	return dn
}

// Bind reports whether dn binds with password right now, on a fresh
// connection, and the error when it does not.
func (s *Server) Bind(dn, password string) error {
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(10 * time.Second)
	return c.Bind(dn, password)
}

// Attr reads one attribute of dn as the rootdn (operational ones too).
func (s *Server) Attr(tb testing.TB, dn, attr string) []string {
	tb.Helper()
	res, err := s.Admin(tb).Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 10, false, "(objectClass=*)", []string{attr}, nil))
	if err != nil || len(res.Entries) != 1 {
		tb.Fatalf("slapdtest: read %s of %s: %v", attr, dn, err)
	}
	return res.Entries[0].GetAttributeValues(attr)
}

// seed adds the base entries, the ppolicy default policy and the service
// account.
func (s *Server) seed() error {
	c, err := s.admin()
	if err != nil {
		return err
	}
	defer c.Close()
	entries := []struct {
		dn    string
		attrs map[string][]string
	}{
		{Suffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}}},
		{"ou=policies," + Suffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"policies"}}},
		{"ou=services," + Suffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"services"}}},
		{PolicyDN, map[string][]string{
			"objectClass":        {"pwdPolicy", "person"},
			"cn":                 {"default"},
			"sn":                 {"default"},
			"pwdAttribute":       {"userPassword"},
			"pwdLockout":         {"TRUE"},
			"pwdMaxFailure":      {strconv.Itoa(MaxFailure)},
			"pwdLockoutDuration": {"0"},
			"pwdInHistory":       {strconv.Itoa(InHistory)},
			"pwdMinLength":       {strconv.Itoa(MinLength)},
			"pwdCheckQuality":    {"1"},
		}},
		{ServiceDN, map[string][]string{
			"objectClass":  {"organizationalRole", "simpleSecurityObject"},
			"cn":           {"sspr"},
			"userPassword": {ServicePassword},
		}},
	}
	for _, e := range entries {
		req := ldap.NewAddRequest(e.dn, nil)
		for k, v := range e.attrs {
			req.Attribute(k, v)
		}
		if err := c.Add(req); err != nil {
			return fmt.Errorf("slapdtest: seed %s: %w", e.dn, err)
		}
	}
	return nil
}

// conf is slapd.conf; TMP is the server's folder. The service account may
// set passwords (Password Modify runs as it, so ppolicy checks them) and
// manage the lockout attributes; users may change their own password;
// anyone may read the rest (it is a test tree).
const conf = `include   /etc/ldap/schema/core.schema
include   /etc/ldap/schema/cosine.schema
include   /etc/ldap/schema/inetorgperson.schema
include   /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile   TMP/slapd.pid
argsfile  TMP/slapd.args
TLSCACertificateFile TMP/ca.pem
TLSCertificateFile TMP/server.pem
TLSCertificateKeyFile TMP/server.key
database  mdb
suffix    "dc=example,dc=org"
rootdn    "cn=admin,dc=example,dc=org"
rootpw    adminpw
directory TMP/db
maxsize   33554432
index     objectClass eq
index     uid eq
overlay ppolicy
ppolicy_default "cn=default,ou=policies,dc=example,dc=org"
ppolicy_hash_cleartext
ppolicy_use_lockout
access to attrs=userPassword
  by dn.exact="cn=sspr,ou=services,dc=example,dc=org" write
  by self write
  by anonymous auth
  by * none
access to attrs=pwdAccountLockedTime,pwdFailureTime,pwdReset
  by dn.exact="cn=sspr,ou=services,dc=example,dc=org" manage
  by * read
access to * by * read
`
