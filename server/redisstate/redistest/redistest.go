// Package redistest runs a real redis-server for tests: a child process on
// a free 127.0.0.1 port, in a temporary folder, with no persistence
// (--save "" --appendonly no), killed when the test ends.
//
// Without redis-server on this machine a test is skipped with a message,
// except under CI (CI=true), where it fails: a CI run must never pass
// because it tested nothing. scripts/deps.sh installs it.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/internal/child"
	"github.com/sspr-portal/sspr/server/internal/freeport"
	"github.com/sspr-portal/sspr/server/internal/needs"
)

// Server is a running (or stopped) redis-server.
type Server struct {
	// Addr is its host:port, the same across Stop and Start.
	Addr string
	// StartTime is how long the last Start took, from exec to the first
	// PONG.
	StartTime time.Duration

	tb   testing.TB
	bin  string
	dir  string
	port int
	args []string

	mu   sync.Mutex
	proc *child.Process // nil when stopped
	// outMu guards out, which the process writes while Log reads it.
	outMu sync.Mutex
	out   *bytes.Buffer
}

// Binary returns the path of redis-server, or "" when it is not installed.
func Binary() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Start starts a redis-server on a free loopback port, with extra
// command-line arguments (such as "--requirepass", "secret"), and stops it
// when the test ends.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		needs.Tool(tb, errors.New("redis-server is not installed: run scripts/deps.sh (Debian package redis-server)"))
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), args: args}
	tb.Cleanup(s.kill)
	// A free port can be taken between choosing it and redis binding it:
	// then choose another.
	var err error
	for range 5 {
		if s.port, err = freeport.Get(); err != nil {
			break
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.start(); err == nil {
			return s
		}
	}
	tb.Fatalf("redistest: %v", err)
	return nil
}

// Start starts the server again after Stop, on the same port, empty.
func (s *Server) Start() {
	s.tb.Helper()
	if err := s.start(); err != nil {
		s.tb.Fatalf("redistest: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return fmt.Errorf("redis-server on %s is already running", s.Addr)
	}
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", "", "--loglevel", "warning",
	}, s.args...)
	out := &bytes.Buffer{}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = syncWriter{&s.outMu, out}, syncWriter{&s.outMu, out}
	s.outMu.Lock()
	s.out = out
	s.outMu.Unlock()
	p, err := child.Start(cmd, nil, func() error { return ping(s.Addr) }, 10*time.Second)
	if err != nil {
		return fmt.Errorf("redis-server on %s: %v\n%s", s.Addr, err, s.Log())
	}
	s.proc, s.StartTime = p, p.StartTime
	return nil
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// With --requirepass the server is ready when it asks for the password.
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Stop stops the server (SIGTERM; with --save "" it keeps nothing) and
// waits until it has exited and its port is closed.
func (s *Server) Stop() {
	s.tb.Helper()
	s.signal(syscall.SIGCONT) // in case it is frozen
	if !s.stop(syscall.SIGTERM, 5*time.Second) {
		s.tb.Fatalf("redistest: redis-server on %s did not stop", s.Addr)
	}
}

// Crash kills the server at once (SIGKILL), as a machine failure would.
func (s *Server) Crash() {
	s.stop(syscall.SIGKILL, 5*time.Second)
}

func (s *Server) stop(sig syscall.Signal, timeout time.Duration) bool {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return true
	}
	ok := p.Stop(sig, timeout)
	s.mu.Lock()
	s.proc = nil
	s.mu.Unlock()
	return ok
}

// Freeze stops the process (SIGSTOP) without closing anything: connections
// stay open and every command waits, as with a hung server or a network
// that drops packets. Thaw resumes it with its data.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.Signal(sig)
	}
}

// Log returns what the server printed.
func (s *Server) Log() string {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

func (s *Server) kill() {
	s.signal(syscall.SIGCONT)
	s.stop(syscall.SIGKILL, 5*time.Second)
}

// Dir is the server's working folder (a test's temporary folder).
func (s *Server) Dir() string { return filepath.Clean(s.dir) }

// syncWriter writes to a buffer under a lock: exec copies the child's
// output from its own goroutine while Log reads it.
type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
