// Package freeport finds a free TCP port on 127.0.0.1 for a test harness's
// child process (slapd, redis-server, postgres), which needs a number
// before it listens. Another process can take the port before the child
// binds it, so harnesses retry with a new one when the child fails to
// start.
package freeport

import "net"

// Get returns a port that was free on 127.0.0.1 a moment ago.
func Get() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
