// Package sambatest starts a real Active Directory domain controller for
// tests: Debian's Samba (4.17) provisions a throwaway domain in a temporary
// folder (`samba-tool domain provision --targetdir`, so nothing under
// /etc/samba or /var/lib/samba is touched) and `samba -i` serves it, with
// only its LDAP service, on AD's standard ports (389 and 636: Samba can't
// move them) of a random loopback address, so that runs on the same
// machine never clash.
//
// The loopback address: Linux answers on all of 127.0.0.0/8 without any
// setup, but Samba's `interfaces = 127.x.y.z` finds no interface carrying
// that address (lo only has 127.0.0.1) and binds nothing. Given with a
// netmask, `interfaces = 127.x.y.z/8`, Samba takes it as written ("user
// knows best") and binds exactly that address, which is what this package
// does: no address is added to lo, nothing needs CAP_NET_ADMIN.
//
// TLS: Samba generates a CA and a certificate at its first start
// (private/tls/ca.pem, cert.pem), but that certificate names the DC only in
// its subject's common name, which Go (like browsers) no longer accepts: it
// wants a subject alternative name. So this package writes its own test CA
// and a certificate for the loopback address (and the DC's DNS name) to
// the same files before Samba starts; Samba uses them instead of making
// its own. CAFile is that CA (private/tls/ca.pem): clients verify the
// certificate for real, as a portal does against its AD's CA.
//
// The domain has a fixed password policy (complexity on, a history of
// InHistory, MinLength characters, lockout after LockoutThreshold bad
// passwords for 30 minutes, no minimum age) and a service account for the
// portal, a plain user with the rights an IT team delegates on the OU that
// holds the users (Reset Password, write lockoutTime and pwdLastSet), as
// docs/LDAP.md's runbook says. Each test makes its own OU under TestsDN
// with NewTree.
//
// Samba needs root (it binds ports below 1024). Outside CI, a machine
// without Samba, or a run as another user, skips the test with the reason;
// under CI (CI=true) it fails, so a missing package never passes unnoticed.
//
// Provisioning takes a few seconds: use Shared, one DC per test binary.
// It stops when the test binary exits, however it exits: Samba's standard
// input is a pipe from the test process, and `samba -i` ends at its end of
// file; the folder is then removed by the shell that ran Samba. Main, or
// CloseShared at the end of a TestMain, stops it in order.
package sambatest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
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
	"github.com/sspr-portal/sspr/server/internal/needs"
	"github.com/sspr-portal/sspr/server/internal/testca"
	"github.com/sspr-portal/sspr/server/ldapdir"
)

// Where Debian puts Samba and its provisioning data (samba-ad-provision).
const (
	SambaPath     = "/usr/sbin/samba"
	SambaToolPath = "/usr/bin/samba-tool"
	provisionData = "/usr/share/samba/setup/provision.ldif"
)

// modules are the DC's directory modules (samba-dsdb-modules) and the VFS
// module provisioning sets the sysvol's ACLs with (samba-vfs-modules),
// under the multiarch library folder.
var modules = []string{"/usr/lib/*/samba/ldb/samba_dsdb.so", "/usr/lib/*/samba/vfs/acl_xattr.so"}

const installHint = "install Debian's samba, samba-dsdb-modules, samba-vfs-modules and samba-ad-provision (scripts/deps.sh does)"

// The fixed names and secrets of the test domain. They are test data only.
const (
	Realm    = "SSPRTEST.EXAMPLE.ORG"
	Domain   = "SSPRTEST"
	DomainDN = "DC=ssprtest,DC=example,DC=org"
	// HostName is the DC's name; its DNS name is HostName.Realm.
	HostName = "dc1"
	// AdminDN is the domain's Administrator, who builds the test trees.
	AdminDN       = "CN=Administrator,CN=Users," + DomainDN
	AdminPassword = "Adm1n-Test-Passw0rd"
	// ServiceDN is the portal's service account: a plain user with rights
	// delegated on TestsDN only.
	ServiceDN       = "CN=svc-sspr,OU=Service Accounts," + DomainDN
	ServicePassword = "Svc-Sspr-Passw0rd-1"
	// TestsDN holds the trees NewTree makes.
	TestsDN = "OU=SSPR Tests," + DomainDN
)

// The domain's password policy (see DefaultPolicy).
const (
	MinLength        = 10
	InHistory        = 3
	LockoutThreshold = 3
	LockoutDuration  = 30 * time.Minute
)

// Policy is the domain's password policy: the attributes of the domain
// object that `samba-tool domain passwordsettings` sets.
type Policy struct {
	Complexity       bool
	MinLength        int
	History          int
	MinAge           time.Duration
	LockoutThreshold int
	// LockoutDuration is also the observation window of bad passwords.
	LockoutDuration time.Duration
}

// DefaultPolicy is what the shared DC runs with.
var DefaultPolicy = Policy{Complexity: true, MinLength: MinLength, History: InHistory,
	LockoutThreshold: LockoutThreshold, LockoutDuration: LockoutDuration}

// Server is a running Samba AD DC.
type Server struct {
	// IP is the loopback address it serves; URL is ldaps://IP.
	IP, URL string
	// CAFile is the PEM file of the CA that signed the DC's certificate.
	CAFile string
	// ProvisionTime and StartTime are how long provisioning and the start
	// (until LDAPS answered) took.
	ProvisionTime, StartTime time.Duration

	dir   string
	conf  string
	tls   *tls.Config
	mu    sync.Mutex
	proc  *child.Process
	stdin io.WriteCloser
	seq   atomic.Int64
}

// Available reports why Samba can't run here, or nil.
func Available() error {
	for _, p := range []string{SambaPath, SambaToolPath, provisionData} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("sambatest: %s is missing: %s", p, installHint)
		}
	}
	for _, g := range modules {
		if m, _ := filepath.Glob(g); len(m) == 0 {
			return fmt.Errorf("sambatest: no %s: %s", g, installHint)
		}
	}
	if os.Geteuid() != 0 {
		return errors.New("sambatest: a Samba DC must run as root (it binds AD's ports 389 and 636)")
	}
	return nil
}

func require(tb testing.TB) {
	tb.Helper()
	needs.Tool(tb, Available())
}

var (
	shared child.Shared[*Server]
	// running is the shared DC once started, for CloseShared.
	running atomic.Pointer[Server]
)

// Shared returns one DC for the whole test binary, provisioned and started
// on first use.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	require(tb)
	s, err := shared.Get(func() (*Server, error) {
		s, err := start()
		if err == nil {
			running.Store(s)
		}
		return s, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Main runs the tests and then stops the shared DC, if one started:
//
//	func TestMain(m *testing.M) { os.Exit(sambatest.Main(m)) }
func Main(m *testing.M) int { return shared.Run(m) }

// CloseShared stops the shared DC, if one started: for a TestMain that
// runs the tests through another harness's Main, such as
//
//	code := slapdtest.Main(m)
//	sambatest.CloseShared()
//	os.Exit(code)
//
// Without it the DC still ends with the test binary (see the package
// comment), only less tidily.
func CloseShared() {
	if s := running.Swap(nil); s != nil {
		s.Close()
	}
}

// Start provisions and starts a DC of its own for tb, stopped in
// tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	require(tb)
	s, err := start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

func start() (*Server, error) {
	dir, err := os.MkdirTemp("", "sambatest-")
	if err != nil {
		return nil, err
	}
	s, err := startIn(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func startIn(dir string) (*Server, error) {
	ip, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	s := &Server{IP: ip, URL: "ldaps://" + ip, dir: dir,
		conf:   filepath.Join(dir, "etc", "smb.conf"),
		CAFile: filepath.Join(dir, "private", "tls", "ca.pem")}
	t0 := time.Now()
	if err := s.provision(); err != nil {
		return nil, err
	}
	s.ProvisionTime = time.Since(t0)
	if err := s.writeTLS(); err != nil {
		return nil, err
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	if err := s.seed(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// freeLoopback picks a random 127.x.y.z whose LDAP ports are free. It
// avoids 127.0.x.x (127.0.0.1, Debian's 127.0.1.1 for the host name) and
// the /8's network and broadcast addresses.
func freeLoopback() (string, error) {
	for range 20 {
		ip := fmt.Sprintf("127.%d.%d.%d", 1+mrand.IntN(254), 1+mrand.IntN(254), 1+mrand.IntN(254))
		if portsFree(ip) {
			return ip, nil
		}
	}
	return "", errors.New("sambatest: no free loopback address for LDAP after 20 tries")
}

func portsFree(ip string) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, port := range []string{"389", "636", "3268", "3269"} {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, port))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// provision makes the domain in dir. The seed configuration is empty, so
// that nothing from /etc/samba/smb.conf leaks in; every path Samba writes
// to is under dir; only the LDAP service runs (no SMB, Kerberos, DNS or
// RPC: the portal speaks LDAP only).
func (s *Server) provision() error {
	seed := filepath.Join(s.dir, "seed.conf")
	if err := os.WriteFile(seed, []byte("[global]\n"), 0o600); err != nil {
		return err
	}
	run := filepath.Join(s.dir, "run")
	args := []string{"domain", "provision", "-s", seed,
		"--targetdir=" + s.dir, "--realm=" + Realm, "--domain=" + Domain, "--host-name=" + HostName,
		"--server-role=dc", "--dns-backend=NONE", "--use-rfc2307", "--host-ip=" + s.IP,
		"--adminpass=" + AdminPassword,
		"--option=interfaces = " + s.IP + "/8",
		"--option=bind interfaces only = yes",
		"--option=server services = ldap",
		"--option=pid directory = " + run,
		"--option=ncalrpc dir = " + filepath.Join(run, "ncalrpc"),
		"--option=winbindd socket directory = " + filepath.Join(run, "winbindd"),
		"--option=ntp signd socket directory = " + filepath.Join(run, "ntp_signd"),
		"--option=log file = " + filepath.Join(s.dir, "samba.log"),
	}
	if out, err := s.tool(args...); err != nil {
		return fmt.Errorf("sambatest: provision: %w\n%s", err, tail(out, 30))
	}
	// By default a Samba DC still accepts the previous password for an
	// hour after a change or a reset (NTLM's grace for cached
	// credentials, which Samba applies to LDAP simple binds too): off, so
	// that a test sees a reset take effect at once. Provisioning doesn't
	// keep this option, so it goes into the smb.conf it wrote.
	return s.addGlobal("old password allowed period = 0")
}

// addGlobal adds a line to the [global] section of smb.conf.
func (s *Server) addGlobal(line string) error {
	b, err := os.ReadFile(s.conf)
	if err != nil {
		return fmt.Errorf("sambatest: %w", err)
	}
	conf, n := strings.CutPrefix(string(b), "# Global parameters\n[global]\n")
	if !n {
		return fmt.Errorf("sambatest: %s does not start with [global]", s.conf)
	}
	conf = "# Global parameters\n[global]\n\t" + line + "\n" + conf
	return os.WriteFile(s.conf, []byte(conf), 0o600)
}

// tool runs samba-tool; the output never holds a password (they are
// arguments, and samba-tool doesn't echo them).
func (s *Server) tool(args ...string) ([]byte, error) {
	cmd := exec.Command(SambaToolPath, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd.CombinedOutput()
}

func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeTLS writes a test CA and the DC's certificate where Samba looks for
// them (see the package comment for why not Samba's own).
func (s *Server) writeTLS() error {
	dir := filepath.Dir(s.CAFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	dnsName := HostName + "." + strings.ToLower(Realm)
	ca, err := testca.NewFor("sambatest", dnsName, []net.IP{net.ParseIP(s.IP)}, []string{dnsName})
	if err != nil {
		return fmt.Errorf("sambatest: certificates: %w", err)
	}
	// Samba refuses a key file that others may read.
	for name, b := range map[string][]byte{"ca.pem": ca.CertPEM, "cert.pem": ca.ServerCertPEM, "key.pem": ca.ServerKeyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	s.tls = &tls.Config{RootCAs: ca.Pool, ServerName: s.IP, MinVersion: tls.VersionTLS12}
	return nil
}

// runScript runs Samba and, once it has exited, removes its folder: the
// clean-up that still happens when the test process is killed and never
// gets to call Close. $0 is samba, $1 the configuration, $2 the folder.
// `-M single` runs every service in the one process, so that nothing is
// left writing to the folder as it goes.
const runScript = `"$0" -i -M single -s "$1"; rc=$?; rm -rf "$2"; exit $rc`

// run starts Samba and waits until LDAPS answers with the certificate.
func (s *Server) run() error {
	cmd := exec.Command("/bin/sh", "-c", runScript, SambaPath, s.conf, s.dir)
	logPath := filepath.Join(s.dir, "samba.out")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// Read through a descriptor of its own: if Samba exits at start, the
	// shell removes the folder, log included, before it can be read.
	log, err := os.Open(logPath)
	if err != nil {
		out.Close()
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// `samba -i` stops at the end of its standard input: the test
	// process holds the other end of this pipe, so Samba ends with it,
	// whatever ends it. (Pdeathsig would kill the shell before it removes
	// the folder.)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		out.Close()
		return err
	}
	answers := func() error {
		c, err := s.dial()
		if err == nil {
			c.Close()
		}
		return err
	}
	p, err := child.Start(cmd, out, answers, 60*time.Second)
	if err != nil {
		stdin.Close()
		s.killSamba() // after a timeout, child.Start killed only the shell
		b, _ := io.ReadAll(log)
		return fmt.Errorf("sambatest: samba: %w\n%s", err, tail(b, 30))
	}
	s.proc, s.stdin, s.StartTime = p, stdin, p.StartTime
	return nil
}

// Close stops Samba and removes its folder.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		// End of file on its standard input is Samba's clean stop; the
		// shell then removes the folder. Signal 0 only waits for that.
		s.stdin.Close()
		if !s.proc.Stop(syscall.Signal(0), 15*time.Second) {
			s.killSamba()
		}
		s.proc = nil
	}
	os.RemoveAll(s.dir)
}

// killSamba kills Samba's process group (`samba -i` leads one), for when it
// did not stop by itself.
func (s *Server) killSamba() {
	b, err := os.ReadFile(filepath.Join(s.dir, "run", "samba.pid"))
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// TLSConfig trusts the test CA, for the DC's address.
func (s *Server) TLSConfig() *tls.Config { return s.tls.Clone() }

func (s *Server) dial() (*ldap.Conn, error) {
	c, err := ldap.DialURL(s.URL, ldap.DialWithTLSConfig(s.tls),
		ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		return nil, err
	}
	c.SetTimeout(15 * time.Second)
	return c, nil
}

// Conn returns a connection bound as dn, over LDAPS; tb closes it.
func (s *Server) Conn(tb testing.TB, dn, password string) *ldap.Conn {
	tb.Helper()
	c, err := s.bound(dn, password)
	if err != nil {
		tb.Fatalf("sambatest: bind as %s: %v", dn, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Admin returns a connection bound as the Administrator; tb closes it.
func (s *Server) Admin(tb testing.TB) *ldap.Conn {
	tb.Helper()
	return s.Conn(tb, AdminDN, AdminPassword)
}

func (s *Server) bound(dn, password string) (*ldap.Conn, error) {
	c, err := s.dial()
	if err != nil {
		return nil, err
	}
	if err := c.Bind(dn, password); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Bind binds as dn with password on a fresh connection and returns the
// directory's answer: nil, or the error (AD's "data 52e", "data 775"...).
func (s *Server) Bind(dn, password string) error {
	c, err := s.bound(dn, password)
	if err == nil {
		c.Close()
	}
	return err
}

// Attr reads one attribute of dn as the Administrator.
func (s *Server) Attr(tb testing.TB, dn, attr string) []string {
	tb.Helper()
	res, err := s.Admin(tb).Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 10, false, "(objectClass=*)", []string{attr}, nil))
	if err != nil || len(res.Entries) != 1 {
		tb.Fatalf("sambatest: read %s of %s: %v", attr, dn, err)
	}
	return res.Entries[0].GetAttributeValues(attr)
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// NewTree makes an empty OU of its own for one test, under TestsDN (where
// the service account has its rights), and returns its DN.
func (s *Server) NewTree(tb testing.TB) string {
	tb.Helper()
	name := unsafeName.ReplaceAllString(tb.Name(), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	return s.AddOU(tb, TestsDN, fmt.Sprintf("%s-%d", name, s.seq.Add(1)))
}

// AddOU adds the OU name under parent and returns its DN.
func (s *Server) AddOU(tb testing.TB, parent, name string) string {
	tb.Helper()
	dn, err := addOU(s.Admin(tb), parent, name)
	if err != nil {
		tb.Fatal(err)
	}
	return dn
}

func addOU(c *ldap.Conn, parent, name string) (string, error) {
	dn := "OU=" + ldap.EscapeDN(name) + "," + parent
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"organizationalUnit"})
	req.Attribute("ou", []string{name})
	if err := c.Add(req); err != nil {
		return "", fmt.Errorf("sambatest: add %s: %w", dn, err)
	}
	return dn, nil
}

// User is a person to add with AddUser.
type User struct {
	// SAM is sAMAccountName: unique in the whole domain (tests share it),
	// at most 20 characters. The entry's CN is SAM too.
	SAM, Password, DisplayName, Mail string
	Disabled                         bool
	// Extra attributes.
	Extra map[string][]string
}

// uacNormal and uacDisabled are userAccountControl values: a normal
// account (0x200), disabled (0x2) or not.
const (
	uacNormal   = 0x200
	uacDisabled = 0x2
)

// AddUser adds a user under tree and returns its DN. The password must
// meet the domain's policy (DefaultPolicy).
func (s *Server) AddUser(tb testing.TB, tree string, u User) string {
	tb.Helper()
	dn, err := addUser(s.Admin(tb), tree, u)
	if err != nil {
		tb.Fatal(err)
	}
	return dn
}

func addUser(c *ldap.Conn, tree string, u User) (string, error) {
	if len(u.SAM) > 20 {
		return "", fmt.Errorf("sambatest: sAMAccountName %q is longer than AD's 20 characters", u.SAM)
	}
	dn := "CN=" + ldap.EscapeDN(u.SAM) + "," + tree
	uac := uacNormal
	if u.Disabled {
		uac |= uacDisabled
	}
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"user"})
	req.Attribute("sAMAccountName", []string{u.SAM})
	req.Attribute("userPrincipalName", []string{u.SAM + "@" + strings.ToLower(Realm)})
	req.Attribute("userAccountControl", []string{strconv.Itoa(uac)})
	if u.DisplayName != "" {
		req.Attribute("displayName", []string{u.DisplayName})
	}
	if u.Mail != "" {
		req.Attribute("mail", []string{u.Mail})
	}
	if u.Password != "" {
		req.Attribute("unicodePwd", []string{string(ldapdir.EncodeUnicodePwd(u.Password))})
	}
	for k, v := range u.Extra {
		req.Attribute(k, v)
	}
	if err := c.Add(req); err != nil {
		// Not the password: the diagnostic never holds it.
		return "", fmt.Errorf("sambatest: add user %s: %w", dn, err)
	}
	return dn, nil
}

// AddGroup adds a global security group name (its sAMAccountName too:
// unique in the domain) under tree with these member DNs (users or
// groups) and returns its DN.
func (s *Server) AddGroup(tb testing.TB, tree, name string, members ...string) string {
	tb.Helper()
	dn := "CN=" + ldap.EscapeDN(name) + "," + tree
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"group"})
	req.Attribute("sAMAccountName", []string{name})
	if len(members) > 0 {
		req.Attribute("member", members)
	}
	if err := s.Admin(tb).Add(req); err != nil {
		tb.Fatalf("sambatest: add group %s: %v", dn, err)
	}
	return dn
}

// LockOut locks dn out the way users do: LockoutThreshold binds with a
// wrong password. It fails tb unless the account ends up locked.
func (s *Server) LockOut(tb testing.TB, dn string) {
	tb.Helper()
	for range LockoutThreshold {
		if err := s.Bind(dn, "Not-The-Passw0rd-9"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			tb.Fatalf("sambatest: a wrong password for %s: %v, want invalid credentials", dn, err)
		}
	}
	if lt := s.Attr(tb, dn, "lockoutTime"); len(lt) != 1 || lt[0] == "0" {
		tb.Fatalf("sambatest: %s is not locked after %d bad passwords: lockoutTime %v", dn, LockoutThreshold, lt)
	}
}

// SetPolicy sets the domain's password policy. The DC is shared: a test
// that changes it must put DefaultPolicy back.
func (s *Server) SetPolicy(tb testing.TB, p Policy) {
	tb.Helper()
	if err := setPolicy(s.Admin(tb), p); err != nil {
		tb.Fatal(err)
	}
}

func setPolicy(c *ldap.Conn, p Policy) error {
	props := "0"
	if p.Complexity {
		props = "1" // DOMAIN_PASSWORD_COMPLEX
	}
	m := ldap.NewModifyRequest(DomainDN, nil)
	m.Replace("pwdProperties", []string{props})
	m.Replace("minPwdLength", []string{strconv.Itoa(p.MinLength)})
	m.Replace("pwdHistoryLength", []string{strconv.Itoa(p.History)})
	m.Replace("minPwdAge", []string{adInterval(p.MinAge)})
	m.Replace("lockoutThreshold", []string{strconv.Itoa(p.LockoutThreshold)})
	m.Replace("lockoutDuration", []string{adInterval(p.LockoutDuration)})
	m.Replace("lockOutObservationWindow", []string{adInterval(p.LockoutDuration)})
	if err := c.Modify(m); err != nil {
		return fmt.Errorf("sambatest: set the password policy: %w", err)
	}
	return nil
}

// adInterval is an AD interval: negative 100 ns units.
func adInterval(d time.Duration) string {
	return strconv.FormatInt(-int64(d/100), 10)
}

// seed sets the password policy, adds the service account and TestsDN,
// and delegates to the service account, on TestsDN, what docs/LDAP.md
// asks an IT team to delegate.
func (s *Server) seed() error {
	c, err := s.bound(AdminDN, AdminPassword)
	if err != nil {
		return fmt.Errorf("sambatest: bind as the Administrator: %w", err)
	}
	defer c.Close()
	if err := setPolicy(c, DefaultPolicy); err != nil {
		return err
	}
	services, err := addOU(c, DomainDN, "Service Accounts")
	if err != nil {
		return err
	}
	if _, err := addUser(c, services, User{SAM: "svc-sspr", Password: ServicePassword, DisplayName: "SSPR service account"}); err != nil {
		return err
	}
	if _, err := addOU(c, DomainDN, "SSPR Tests"); err != nil {
		return err
	}
	sid, err := objectSID(c, ServiceDN)
	if err != nil {
		return err
	}
	return s.delegate(sid)
}

// The schema GUIDs of the delegation (they are the same in every AD).
const (
	rightResetPassword = "00299570-246d-11d0-a768-00aa006e0529"
	attrLockoutTime    = "28630ebf-41d5-11d1-a9c1-0000f80367c1"
	attrPwdLastSet     = "bf967a0a-0de6-11d0-a285-00aa003049e2"
	classUser          = "bf967aba-0de6-11d0-a285-00aa003049e2"
)

// delegate gives sid, on TestsDN and inherited by the user objects below
// it (CIIO with the user class), the extended right Reset Password and
// the right to write lockoutTime and pwdLastSet: "Delegate Control" in
// Active Directory Users and Computers. Reading is Authenticated Users'
// default. samba-tool works on the database directly (Samba's locking
// makes that safe while it runs).
func (s *Server) delegate(sid string) error {
	sddl := fmt.Sprintf("(OA;CIIO;CR;%s;%s;%s)(OA;CIIO;WP;%s;%s;%s)(OA;CIIO;WP;%s;%s;%s)",
		rightResetPassword, classUser, sid, attrLockoutTime, classUser, sid, attrPwdLastSet, classUser, sid)
	out, err := s.tool("dsacl", "set", "-s", s.conf, "-H", "tdb://"+filepath.Join(s.dir, "private", "sam.ldb"),
		"--objectdn="+TestsDN, "--sddl="+sddl)
	if err != nil {
		return fmt.Errorf("sambatest: delegate to the service account: %w\n%s", err, tail(out, 20))
	}
	return nil
}

// objectSID reads dn's objectSid as a string (S-1-5-21-...).
func objectSID(c *ldap.Conn, dn string) (string, error) {
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 10, false, "(objectClass=*)", []string{"objectSid"}, nil))
	if err != nil || len(res.Entries) != 1 {
		return "", fmt.Errorf("sambatest: read the objectSid of %s: %v", dn, err)
	}
	return sidString(res.Entries[0].GetRawAttributeValue("objectSid"))
}

// sidString formats a binary SID (MS-DTYP 2.4.2.2).
func sidString(b []byte) (string, error) {
	if len(b) < 8 || len(b) != 8+4*int(b[1]) {
		return "", fmt.Errorf("sambatest: malformed SID of %d bytes", len(b))
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	parts := []string{"S", strconv.Itoa(int(b[0])), strconv.FormatUint(auth, 10)}
	for i := range int(b[1]) {
		o := 8 + 4*i
		sub := uint32(b[o]) | uint32(b[o+1])<<8 | uint32(b[o+2])<<16 | uint32(b[o+3])<<24
		parts = append(parts, strconv.FormatUint(uint64(sub), 10))
	}
	return strings.Join(parts, "-"), nil
}
