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
