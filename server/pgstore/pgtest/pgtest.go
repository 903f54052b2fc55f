// Package pgtest starts a real PostgreSQL (Debian's postgresql-15) for
// tests: a child process on a free loopback port, in a temporary folder,
// with durability switched off (fsync, synchronous_commit and
// full_page_writes: the data is thrown away), TLS on with a certificate
// from a test CA made on the spot, and trust authentication for the
// superuser "sspr" (the folder and the server are the test's alone).
//
// PostgreSQL refuses to run as root. When the tests run as root (as they do
// in CI and on the development machines), initdb and postgres run as the
// "postgres" system user that Debian's package creates (or "nobody" when
// there is none), in a folder chowned to it; otherwise they run as the
// current user.
//
// initdb takes about two seconds, so it runs once per machine (and
// PostgreSQL build) into a template folder that each server copies.
//
// Outside CI a machine without PostgreSQL skips the test with a message;
// under CI (CI=true) it fails, so a missing package can never pass
// unnoticed.
package pgtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/server/internal/child"
	"github.com/sspr-portal/sspr/server/internal/freeport"
	"github.com/sspr-portal/sspr/server/internal/needs"
	"github.com/sspr-portal/sspr/server/internal/testca"
)

// BinDir is where Debian's postgresql-15 puts initdb and postgres (they
// are not on PATH).
const BinDir = "/usr/lib/postgresql/15/bin"

// User is the superuser of every test cluster; it needs no password.
const User = "sspr"

// Server is a running (or stopped) PostgreSQL.
type Server struct {
	// Host and Port stay the same across Stop and Start.
	Host string
	Port int
	// CAFile is the PEM file of the test CA that signed the server's
	// certificate (for 127.0.0.1 and localhost).
	CAFile string
	// StartTime is how long the last start took, until postgres answered.
	StartTime time.Duration

	dir  string // the server's folder: data/, the socket, the log
	cred *syscall.Credential
	mu   sync.Mutex
	proc *child.Process // nil when stopped
	seq  atomic.Int64
}

// Available reports whether PostgreSQL 15 is installed.
func Available() error {
	for _, p := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(BinDir, p)); err != nil {
			return fmt.Errorf("pgtest: %s is missing: install Debian's postgresql-15 (scripts/deps.sh does)", filepath.Join(BinDir, p))
		}
	}
	return nil
}

// require skips (or under CI fails) when PostgreSQL is not installed.
func require(tb testing.TB) {
	tb.Helper()
	needs.Tool(tb, Available())
}

// Start starts a PostgreSQL of its own for tb and kills it in tb.Cleanup.
// Use it for tests that stop the server; others share one (Shared).
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

var shared child.Shared[*Server]

// Shared returns one PostgreSQL for the whole test binary, started on first
// use; each test takes a database of its own in it (NewDatabase). Call
// Close from TestMain (see Main) so it ends with the tests; the child is
// also killed if the test process dies.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	require(tb)
	s, err := shared.Get(start)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Main runs the tests and then stops the shared server:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int { return shared.Run(m) }

// template is the cluster initdb made once for this test binary.
var template struct {
	once sync.Once
	dir  string
	cred *syscall.Credential
	err  error
}

// runAs returns the credential postgres must run with: nil when we are
// not root, else the postgres system user's or nobody's.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, errors.New("pgtest: running as root and there is no postgres or nobody user to run PostgreSQL as")
}

// mkdir makes a folder in the system's temporary folder (which every user
// can reach, unlike t.TempDir's) owned by cred's user.
func mkdir(prefix string, cred *syscall.Credential) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

func command(cred *syscall.Credential, name string, arg ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(BinDir, name), arg...)
	// The child dies with the test process, whatever happens to it (Go
	// sets this after switching user, so the switch does not clear it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", "TZ=UTC"}
	return cmd
}

// initTemplate returns the template cluster, running initdb only when no
// earlier test binary on this machine left one for this PostgreSQL build:
// it is kept in the system's temporary folder, named for the build and
// the user it belongs to, and never started itself (each server starts a
// copy).
func initTemplate() (string, *syscall.Credential, error) {
	template.once.Do(func() {
		cred, err := runAs()
		if err != nil {
			template.err = err
			return
		}
		uid := os.Geteuid()
		if cred != nil {
			uid = int(cred.Uid)
		}
		bin, err := os.Stat(filepath.Join(BinDir, "postgres"))
		if err != nil {
			template.err = err
			return
		}
		args := []string{"-A", "trust", "-U", User, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"}
		key := fmt.Sprintf("%d-%d-%s-%d", bin.ModTime().UnixNano(), bin.Size(), strings.Join(args, " "), uid)
		final := filepath.Join(os.TempDir(), fmt.Sprintf("pgtest-template-%x", sha256.Sum256([]byte(key)))[:32])
		if ownedBy(final, uid) {
			template.dir, template.cred = final, cred
			return
		}
		dir, err := mkdir("pgtest-initdb-", cred)
		if err != nil {
			template.err = err
			return
		}
		cmd := command(cred, "initdb", append([]string{"-D", filepath.Join(dir, "data")}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			template.err = fmt.Errorf("pgtest: initdb: %v: %s", err, out)
			return
		}
		// Another test binary may have got there first: either copy will
		// do.
		if err := os.Rename(dir, final); err != nil {
			os.RemoveAll(dir)
			if !ownedBy(final, uid) {
				template.err = fmt.Errorf("pgtest: keep the template cluster: %w", err)
				return
			}
		}
		template.dir, template.cred = final, cred
	})
	return template.dir, template.cred, template.err
}

// ownedBy reports whether dir holds a cluster and belongs to uid alone (a
// folder another user planted in /tmp is not used).
func ownedBy(dir string, uid int) bool {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != uid {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	return err == nil
}

func start() (*Server, error) {
	tmpl, cred, err := initTemplate()
	if err != nil {
		return nil, err
	}
	dir, err := mkdir("pgtest-", cred)
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", dir: dir, cred: cred, CAFile: filepath.Join(dir, testca.CAFile)}
	fail := func(err error) (*Server, error) { os.RemoveAll(dir); return nil, err }
	// cp -a keeps the owner and the 0700 mode postgres insists on.
	if out, err := exec.Command("cp", "-a", filepath.Join(tmpl, "data"), filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("pgtest: copy the template cluster: %v: %s", err, out))
	}
	if err := writeCerts(dir, cred); err != nil {
		return fail(err)
	}
	// A port can be taken between freePort and postgres binding it: try
	// another.
	for try := 0; ; try++ {
		if s.Port, err = freeport.Get(); err != nil {
			return fail(err)
		}
		if err = s.Start(); err == nil {
			return s, nil
		}
		if try == 3 {
			return fail(err)
		}
	}
}

// Start starts postgres again on the same port and data after Stop; it
// returns once postgres answers queries.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	logPath := filepath.Join(s.dir, "postgres.log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := command(s.cred, "postgres", "-D", filepath.Join(s.dir, "data"), "-k", s.dir,
		"-p", strconv.Itoa(s.Port), "-c", "listen_addresses="+s.Host,
		// The data is thrown away: durability only costs time.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "ssl=on", "-c", "ssl_cert_file="+filepath.Join(s.dir, "server.pem"),
		"-c", "ssl_key_file="+filepath.Join(s.dir, "server.key"),
		"-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = out, out
	answers := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, s.url("postgres", "disable"))
		if err == nil {
			c.Close(ctx)
		}
		return err
	}
	p, err := child.Start(cmd, out, answers, 30*time.Second)
	if errors.Is(err, child.ErrExited) {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("pgtest: postgres exited at start: %s", log)
	}
	if err != nil {
		return fmt.Errorf("pgtest: postgres: %w", err)
	}
	s.proc, s.StartTime = p, p.StartTime
	return nil
}

// Stop stops postgres (a fast shutdown: open connections are cut, as in a
// real outage), keeping its data: Start brings it back.
func (s *Server) Stop() {
	s.stop(syscall.SIGINT)
}

func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	// A frozen server must be able to hear the signal.
	signalTree(s.proc.Pid(), syscall.SIGCONT)
	s.proc.Stop(sig, 10*time.Second)
	s.proc = nil
}

// Close stops postgres for good and removes its folder. An immediate
// shutdown (SIGQUIT) is enough, the data being thrown away, and unlike a
// kill it still releases the shared memory.
func (s *Server) Close() {
	s.stop(syscall.SIGQUIT)
	os.RemoveAll(s.dir)
}

// Freeze stops postgres and every backend in their tracks (SIGSTOP), as a
// network that drops packets would look: connections open, nothing
// answers. Thaw resumes them.
func (s *Server) Freeze() { s.signalGroup(syscall.SIGSTOP) }

// Thaw resumes a frozen postgres.
func (s *Server) Thaw() { s.signalGroup(syscall.SIGCONT) }

// signalGroup signals postgres and its children (each backend is in a
// session of its own, so a process group would not reach them).
func (s *Server) signalGroup(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		signalTree(s.proc.Pid(), sig)
	}
}

func signalTree(pid int, sig syscall.Signal) {
	syscall.Kill(pid, sig)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after
		// the last ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			syscall.Kill(child, sig)
		}
	}
}

// Log is what postgres has written so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	return string(b)
}

// url is a connection URL for the superuser to database db.
func (s *Server) url(db, sslmode string) string {
	u := url.URL{Scheme: "postgres", User: url.User(User), Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path: "/" + db, RawQuery: url.Values{"sslmode": {sslmode}}.Encode()}
	return u.String()
}

// URL is a connection URL (without a password: none is needed) to the
// database db as the superuser, over TCP without TLS.
func (s *Server) URL(db string) string { return s.url(db, "disable") }

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database of its own for tb and returns its
// name, so that tests sharing a server never see each other's rows.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := unsafeName.ReplaceAllString(tb.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t%d_%s", s.seq.Add(1), name)
	s.Exec(tb, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" STRATEGY FILE_COPY")
	return name
}

// Exec runs SQL statements as the superuser in database db.
func (s *Server) Exec(tb testing.TB, db, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// writeCerts writes a test CA and a server certificate signed by it (see
// testca) into dir. The files belong to cred's user: postgres refuses a
// key others can read.
func writeCerts(dir string, cred *syscall.Credential) error {
	ca, err := testca.New("pgtest")
	if err != nil {
		return err
	}
	paths, err := ca.WriteFiles(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if cred != nil {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	return nil
}
