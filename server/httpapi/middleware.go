package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// csp lets go-app's wasm run ('wasm-unsafe-eval') and nothing from anywhere
// else: no third-party request of any kind, no framing
// (docs/SECURITY.md#security-headers).
const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; media-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; " +
	"worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers on every response
// (docs/SECURITY.md#security-headers).
func (s *server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.secure(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// recover turns a panic into a logged "internal" answer, never a crash or
// a stack trace on the wire.
func (s *server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeJSON(w, http.StatusInternalServerError, api.ErrorBody{Error: s.wire(r, errInternal)})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// requestID gives each request an id, answered in X-Request-Id and
// carried by its context (sspr.WithRequest) into the audit events made on
// its behalf and into every log line logged with it (server/logctx), so
// that one answer a proxy's log or a browser shows leads to what the
// portal did. The id a trusted proxy sends in X-Request-Id is kept, so
// that the proxy's log and the portal's share it; from anyone else it is
// ignored (anyone could send one), as is one that doesn't look like an id
// (it goes into log lines: no spaces, quotes or line breaks).
func (s *server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if _, trusted := s.fromProxy(r); trusted {
			id = r.Header.Get(requestIDHeader)
			if !validRequestID(id) {
				id = ""
			}
		}
		if id == "" {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = base64.RawURLEncoding.EncodeToString(b[:])
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(sspr.WithRequest(r.Context(), id)))
	})
}

const requestIDHeader = "X-Request-Id"

// validRequestID accepts what proxies make (a UUID, hex, base64url, a
// "host-counter" form): 1 to 128 letters, digits and "-_.:+/=".
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.:+/=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// RequestObserver is told of each request once answered, for metrics
// (server/metrics): route is the ServeMux pattern that took it ("" for
// none), never the path, which is unbounded.
type RequestObserver interface {
	Request(route string, status int, d time.Duration)
}

// routeKey carries a request's *exchange from accessLog, outermost, to
// nameRoute, innermost, which alone sees the pattern the mux chose (the
// mux sets it on the request it was given, which the middleware between
// them copied).
type routeKey struct{}

// exchange is what accessLog learns of a request on its way.
type exchange struct {
	route string
}

// nameRoute records the pattern of the route that took the request, even
// when its handler panics.
func nameRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x, ok := r.Context().Value(routeKey{}).(*exchange); ok {
			defer func() { x.route = r.Pattern }()
		}
		mux.ServeHTTP(w, r)
	})
}

// accessLog writes one line per request once it is answered: its route,
// method, status, duration, client address and (from the context) request
// id; never its path or query, body, code or password, and no cookie. The
// health checks a load balancer makes every few seconds are logged at
// DEBUG, the rest at INFO. Requests is told of each, for the metrics.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		x := &exchange{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			took := time.Since(began)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			if s.Requests != nil {
				s.Requests.Request(x.route, status, took)
			}
			level := slog.LevelInfo
			if r.URL.Path == api.PathHealthz || r.URL.Path == api.PathReadyz {
				level = slog.LevelDebug
			}
			route := x.route
			if route == "" {
				route = "none"
			}
			s.log.Log(r.Context(), level, "request", "route", route, "method", r.Method, "status", status,
				"duration", took, "bytes", sw.bytes, "client", s.clientAddr(r))
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, x)))
	})
}

// statusWriter keeps the status and the size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushing, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var errHost = &sspr.Error{Code: sspr.CodeForbidden, Message: "This address is not served here."}

// checkHost refuses a Host that is not the configured public host, so that
// nothing is ever built or cached from a forged one
// (docs/SECURITY.md#public-url and #go-app-fetch); loopback is allowed in
// dev mode. Health checks answer any Host, for load balancers that probe by
// address.
func (s *server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || s.hostAllowed(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, errHost)
	})
}

func (s *server) hostAllowed(host string) bool {
	if s.PublicURL != nil && strings.EqualFold(host, s.PublicURL.Host) {
		return true
	}
	return s.Dev && isLoopbackHost(host)
}

func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

var (
	errCrossSite = &sspr.Error{Code: sspr.CodeForbidden, Message: "Cross-site requests are not allowed."}
)

// checkRequest applies docs/SECURITY.md#csrf to state-changing calls: a
// browser's cross-site request is refused by Sec-Fetch-Site and Origin, and
// the body must be JSON, which a cross-site form can't send without a
// preflight.
func (s *server) checkRequest(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return errCrossSite
	}
	if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o, r.Host) {
		return errCrossSite
	}
	if r.Method != http.MethodDelete && !isJSON(r.Header.Get("Content-Type")) {
		return errMediaType
	}
	return nil
}

func (s *server) originAllowed(origin, host string) bool {
	if s.PublicURL != nil && strings.EqualFold(origin, s.PublicURL.Scheme+"://"+s.PublicURL.Host) {
		return true
	}
	if !s.Dev {
		return false
	}
	// In dev mode the page may be opened on any loopback address; the
	// origin must still be the very host the request went to.
	for _, scheme := range []string{"http://", "https://"} {
		if strings.EqualFold(origin, scheme+host) && isLoopbackHost(host) {
			return true
		}
	}
	return false
}

// fromProxy reports whether the peer is a configured proxy.
func (s *server) fromProxy(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	peer := ap.Addr().Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(peer) {
			return peer, true
		}
	}
	return peer, false
}

// clientIP is the client's address: the peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not a
// trusted proxy (docs/SECURITY.md#address-throttles: a spoofed header from
// anyone else is ignored). IPv4-mapped addresses are unmapped, so one
// client has one form. It is invalid only when the peer's address can't be
// parsed (never so over TCP; a test's RemoteAddr may be anything).
func (s *server) clientIP(r *http.Request) netip.Addr {
	peer, trusted := s.fromProxy(r)
	if !peer.IsValid() || !trusted {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		proxy := false
		for _, p := range s.TrustedProxies {
			proxy = proxy || p.Contains(a)
		}
		if !proxy {
			return a
		}
	}
	return peer
}

// clientAddr is clientIP as the logs and the audit show it.
func (s *server) clientAddr(r *http.Request) string {
	if a := s.clientIP(r); a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// defaultIPv6Prefix is what an IPv6 client is counted by unless
// Options.IPv6Prefix says otherwise: the /64 that RFC 6177 and every ISP
// give a single subscriber.
const defaultIPv6Prefix = 64

// clientNet is what the per-address limits count the client by
// (sspr.Client.Net): its IPv4 address, or the network of its IPv6
// address, e.g. "2001:db8:1:2::/64". Counting single IPv6 addresses would
// give one subscriber, who holds 2^64 of them, an unlimited quota.
func (s *server) clientNet(r *http.Request) string {
	a := s.clientIP(r)
	if !a.IsValid() {
		return r.RemoteAddr
	}
	if a.Is4() {
		return a.String()
	}
	bits := s.IPv6Prefix
	if bits <= 0 || bits > 128 {
		// 0 is the default; the configuration refuses anything else
		// outside 32 to 128, and a bad value must not turn the limits off.
		bits = defaultIPv6Prefix
	}
	p, err := a.Prefix(bits) // drops any zone, too
	if err != nil {
		return a.String() // unreachable: bits is in range for IPv6
	}
	return p.String()
}

// monitor reports whether the client may read /readyz's details: loopback
// (the host itself), or an address in Options.Monitoring. The address is
// clientIP's, so a request relayed by a proxy on this host is judged by
// the client behind it, and X-Forwarded-For from anyone else is ignored.
func (s *server) monitor(r *http.Request) bool {
	a := s.clientIP(r)
	if !a.IsValid() {
		return false
	}
	if a.IsLoopback() {
		return true
	}
	for _, p := range s.Monitoring {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// secure reports whether the client reached us over TLS.
func (s *server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if _, trusted := s.fromProxy(r); trusted {
		return strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	}
	return s.PublicURL != nil && s.PublicURL.Scheme == "https"
}
