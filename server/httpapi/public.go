package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/sspr-portal/sspr/app/api"
)

func (s *server) getConfig(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.Config)
	return nil
}

func (s *server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, api.PolicyResponse{Policy: s.policy(r)})
	return nil
}

func (s *server) createCaptcha(w http.ResponseWriter, r *http.Request) error {
	if err := decodeNone(w, r); err != nil {
		return err
	}
	// Rate-limited per address (per IPv6 network: clientNet, the key every
	// per-address limit uses) so that one client can't fill the State
	// backend (docs/SECURITY.md#captcha-flood); the limit is generous for
	// campus NAT. A flood from many addresses is the State backend's to
	// bear: memstate evicts these answers and counters first
	// (docs/STATE.md).
	if err := s.Engine.CountCaptcha(r.Context(), s.client(r), s.CaptchaLimit); err != nil {
		return err
	}
	c, err := s.Captcha.Create(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// extendCaptcha is the start and sign-in pages' "Continue", when they warn
// that the CAPTCHA is about to expire: more time for the same picture, so
// that an answer typed slowly still counts. It draws nothing, so it is not
// counted with the CAPTCHAs made; the picture's absolute end bounds it.
func (s *server) extendCaptcha(w http.ResponseWriter, r *http.Request) error {
	var req api.CaptchaExtendRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	expires, ends, err := s.Captcha.Extend(r.Context(), req.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.CaptchaTime{ExpiresAt: expires, EndsBy: ends})
	return nil
}

// liveness is /healthz's body: the status, and for monitoring (loopback
// and Options.Monitoring) the build's version, which the rest of the
// world has no use for.
type liveness struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	body := liveness{Status: "ok"}
	if s.monitor(r) {
		body.Version = s.Version
	}
	writeJSON(w, http.StatusOK, body)
}

// readyz checks every backend, each within a second. A failed check makes
// the server "unavailable" (503), unless the check only degrades it. Only
// monitoring (loopback and Options.Monitoring) is told which backend
// failed: the rest of the world gets the status and the code, which is all
// a load balancer needs, and learns nothing of what the portal runs on.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h := api.Health{Status: "ok", Checks: map[string]string{}}
	status := http.StatusOK
	for _, c := range s.Ready {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		err := c.Check(ctx)
		cancel()
		switch {
		case err == nil:
			h.Checks[c.Name] = "ok"
		case c.Degrades:
			s.log.WarnContext(r.Context(), "readiness check degraded", "check", c.Name, "err", err)
			h.Checks[c.Name] = "degraded"
			if h.Status == "ok" {
				h.Status = "degraded"
			}
		default:
			s.log.ErrorContext(r.Context(), "readiness check failed", "check", c.Name, "err", err)
			h.Checks[c.Name], h.Status, status = "unavailable", "unavailable", http.StatusServiceUnavailable
		}
	}
	if !s.monitor(r) {
		h.Checks = nil
	}
	writeJSON(w, status, h)
}
