// Package child runs the server a test harness needs (slapd, postgres,
// redis-server) as a child process: start it, wait until it answers, and
// stop it with a signal, killing it if it takes too long. Each harness says
// how to start its server and how to tell that it answers.
package child

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// ErrExited is returned by Start when the process exited before it
// answered: its log usually says why.
var ErrExited = errors.New("exited before it answered")

// Process is a running child.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	// StartTime is how long the process took to answer.
	StartTime time.Duration
}

// Start starts cmd and polls ready every few milliseconds until it returns
// nil. If the process exits first, Start returns ErrExited; after timeout,
// it kills the process and returns an error. out, if not nil, is closed
// once the process has exited (its log file).
func Start(cmd *exec.Cmd, out io.Closer, ready func() error, timeout time.Duration) (*Process, error) {
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		if out != nil {
			out.Close()
		}
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		if out != nil {
			out.Close()
		}
		close(p.done)
	}()
	for {
		err := ready()
		if err == nil {
			p.StartTime = time.Since(t0)
			return p, nil
		}
		select {
		case <-p.done:
			return nil, ErrExited
		case <-time.After(5 * time.Millisecond):
		}
		if time.Since(t0) > timeout {
			p.Kill()
			return nil, fmt.Errorf("did not answer within %s: %w", timeout, err)
		}
	}
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) { _ = p.cmd.Process.Signal(sig) }

// Stop sends sig and waits for the process to exit; after grace it kills
// it. It reports whether the process exited within grace.
func (p *Process) Stop(sig os.Signal, grace time.Duration) bool {
	p.Signal(sig)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
		p.Kill()
		return false
	}
}

// Kill kills the process at once and waits for it to exit.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}
