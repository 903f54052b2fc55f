package child

import (
	"sync"
	"testing"
)

// Shared is one server for a whole test binary: started on the first Get,
// stopped by Run once the tests are over. The zero value is ready to use.
type Shared[S interface{ Close() }] struct {
	once    sync.Once
	s       S
	err     error
	started bool
}

// Get starts the server with start on its first call, and returns it, or
// start's error, on every call.
func (sh *Shared[S]) Get(start func() (S, error)) (S, error) {
	sh.once.Do(func() {
		sh.s, sh.err = start()
		sh.started = sh.err == nil
	})
	return sh.s, sh.err
}

// Run runs the tests and then stops the server, if one started:
//
//	func TestMain(m *testing.M) { os.Exit(shared.Run(m)) }
func (sh *Shared[S]) Run(m *testing.M) int {
	code := m.Run()
	if sh.started {
		sh.s.Close()
	}
	return code
}
