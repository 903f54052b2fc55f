package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/sspr-portal/sspr/app/api"
)

// docs/SECURITY.md#captcha-flood: a flood of CAPTCHA requests from many
// addresses, which no per-address limit stops, must not fill the in-memory
// State backend and so deny service to everyone else. memstate, told by the
// portal which keys are cheap to lose, evicts those instead of failing
// closed: memory stays bounded, and flows, per-account counters and blocks
// stay put.
func TestFloodFromManyNetworks(t *testing.T) {
	const maxKeys = 300
	for _, tc := range []struct {
		name      string
		evictable []string
	}{
		// The store as it was: the flood fills it, and everyone gets 503.
		{"without eviction", nil},
		{"with the portal's evictable keys", evictablePrefixes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigConfig{maxKeys: maxKeys, evictable: tc.evictable})
			// Before the flood, alice starts a reset and passes one method.
			alice := r.from("198.51.100.7:40000")
			alice.startWith("alice", api.IntentReset)
			alice.passEmail("alice.alt@example.net")
			kept := r.state.liveKept(evictablePrefixes)
			if len(kept) == 0 {
				t.Fatal("the flow left no kept key")
			}

			statuses := flood(r, floodAddrs(1200, 800))
			if tc.evictable == nil {
				if statuses[http.StatusServiceUnavailable] == 0 {
					t.Fatalf("the flood never filled the store: %v", statuses)
				}
				// Fails closed: a newcomer can't even get a CAPTCHA.
				c := r.from("192.0.2.50:40000")
				c.want(http.StatusServiceUnavailable, c.do("POST", api.PathCaptcha, nil))
				return
			}
			if len(statuses) != 1 || statuses[http.StatusCreated] == 0 {
				t.Fatalf("the flood's own requests were refused: %v", statuses)
			}
			if n := r.state.Len(); n > maxKeys {
				t.Fatalf("%d keys stored, past the bound of %d", n, maxKeys)
			}
			if r.state.Evicted() == 0 {
				t.Fatal("nothing was evicted: the flood did not fill the store")
			}
			// No flow, per-account counter, code or lock made way.
			for _, k := range kept {
				if v, err := r.state.Get(t.Context(), k); err != nil || v == nil {
					t.Errorf("kept key %q is gone (%v)", k, err)
				}
			}

			// A newcomer, at an address of their own, gets a CAPTCHA, solves
			// it and starts a flow...
			erin := r.from("[2001:db8:aaaa:1::1]:40000")
			if f := erin.startWith("erin", api.IntentReset); f.State != api.StateVerify {
				t.Fatalf("newcomer's flow %+v", f)
			}
			// ...and alice finishes the reset she started before the flood.
			if f := alice.passQuestions("blue fox"); f.State != api.StateNewPassword {
				t.Fatalf("alice's flow after the flood %+v", f)
			}
			f := alice.want(http.StatusOK, alice.do("POST", api.PathFlowPassword, api.PasswordRequest{Password: "Correct-Horse-Battery-42"})).flow(t)
			if f.State != api.StateDone {
				t.Fatalf("alice's flow %+v", f)
			}
		})
	}
}

// floodAddrs returns v6 addresses, each in a /64 of its own, and v4
// addresses.
func floodAddrs(v6, v4 int) []string {
	var addrs []string
	for i := range v6 {
		addrs = append(addrs, fmt.Sprintf("2001:db8:%x:%x::1", 0x8000+i>>16, i&0xffff))
	}
	base := netip.MustParseAddr("100.64.0.1")
	for range v4 {
		addrs = append(addrs, base.String())
		base = base.Next()
	}
	return addrs
}

// flood asks for a CAPTCHA from each address, several at once, and counts
// the answers by status.
func flood(r *rig, addrs []string) map[int]int {
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
		next     = make(chan string)
	)
	for range 8 {
		wg.Go(func() {
			for a := range next {
				req := httptest.NewRequest("POST", "http://127.0.0.1"+api.PathCaptcha, bytes.NewReader(nil))
				req.RemoteAddr = hostPort(a)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				r.h.ServeHTTP(rec, req)
				mu.Lock()
				statuses[rec.Code]++
				mu.Unlock()
			}
		})
	}
	for _, a := range addrs {
		next <- a
	}
	close(next)
	wg.Wait()
	return statuses
}
