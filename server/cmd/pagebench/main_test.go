package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{5 * ms}, 5 * ms},
		{[]time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms},
		// An even count gives the lower middle: a figure that was measured.
		{[]time.Duration{4 * ms, 1 * ms, 3 * ms, 2 * ms}, 2 * ms},
	} {
		in := append([]time.Duration(nil), tc.in...)
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("median reordered its argument: %v", tc.in)
			}
		}
	}
}

func TestOtherOrigin(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"http://127.0.0.1:8097", "http://localhost:8097/"},
		{"http://localhost:8097/", "http://127.0.0.1:8097/"},
		{"http://127.0.0.1:8097/x?y=1", "http://localhost:8097/"},
	} {
		got, err := otherOrigin(tc.base)
		if err != nil || got != tc.want {
			t.Errorf("otherOrigin(%q) = %q, %v; want %q", tc.base, got, err, tc.want)
		}
	}
	if _, err := otherOrigin("https://sspr.example.edu"); err == nil {
		t.Error("otherOrigin accepted a host that is not loopback")
	}
}

func TestFloorServer(t *testing.T) {
	for _, h := range []http.Header{nil, {"Cross-Origin-Opener-Policy": {"same-origin"}}} {
		u, stop, err := floorServer("http://localhost:8097/", h)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		if !strings.HasPrefix(u, "http://localhost:") || strings.HasPrefix(u, "http://localhost:8097/") {
			t.Fatalf("floor at %s: want localhost on a port of its own", u)
		}
		res, err := http.Get(strings.Replace(u, "localhost", "127.0.0.1", 1))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if string(b) != floorPage || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("floor page %q, %s", b, res.Header.Get("Content-Type"))
		}
		if got, want := res.Header.Get("Cross-Origin-Opener-Policy"), h.Get("Cross-Origin-Opener-Policy"); got != want {
			t.Errorf("floor page with headers %v: Cross-Origin-Opener-Policy %q, want %q", h, got, want)
		}
	}
}

// The floor with the portal's headers takes those that decide how a page
// is isolated and guarded, and nothing else (no Cache-Control, no ETag).
func TestSecurityHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"x"`)
	}))
	defer srv.Close()
	h, err := securityHeaders(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Cross-Origin-Opener-Policy": {"same-origin"},
		"Content-Security-Policy":    {"default-src 'self'"},
		"X-Frame-Options":            {"DENY"},
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("securityHeaders = %v, want %v", h, want)
	}
}
