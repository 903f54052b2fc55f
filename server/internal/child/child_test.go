package child

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	polls := 0
	p, err := Start(exec.Command("sleep", "30"), nil, func() error {
		if polls++; polls < 3 {
			return errors.New("not yet")
		}
		return nil
	}, 5*time.Second)
	if err != nil || polls != 3 {
		t.Fatalf("err %v after %d polls", err, polls)
	}
	if !p.Stop(syscall.SIGTERM, 5*time.Second) {
		t.Fatal("sleep did not stop on SIGTERM")
	}

	if _, err := Start(exec.Command("false"), nil, func() error { return errors.New("never") }, 5*time.Second); !errors.Is(err, ErrExited) {
		t.Fatalf("a process that exits: %v", err)
	}

	t0 := time.Now()
	_, err = Start(exec.Command("sleep", "30"), nil, func() error { return errors.New("never") }, 100*time.Millisecond)
	if err == nil || errors.Is(err, ErrExited) || time.Since(t0) > 5*time.Second {
		t.Fatalf("a process that never answers: %v after %v", err, time.Since(t0))
	}
}

type closer struct{ closed int }

func (c *closer) Close() { c.closed++ }

// Shared.Get starts the server once, however many tests ask, and gives a
// failed start's error to every one of them.
func TestSharedStartsOnce(t *testing.T) {
	var sh Shared[*closer]
	starts := 0
	start := func() (*closer, error) { starts++; return &closer{}, nil }
	a, err1 := sh.Get(start)
	b, err2 := sh.Get(start)
	if err1 != nil || err2 != nil || a != b || starts != 1 {
		t.Fatalf("Get twice: %p, %p, %v, %v after %d starts; want one server, started once", a, b, err1, err2, starts)
	}

	var failed Shared[*closer]
	boom := errors.New("boom")
	for range 2 {
		if _, err := failed.Get(func() (*closer, error) { return nil, boom }); !errors.Is(err, boom) {
			t.Fatalf("Get after a failed start: %v, want %v", err, boom)
		}
	}
	if failed.started {
		t.Error("a failed start counts as started: Run would close nothing")
	}
}
