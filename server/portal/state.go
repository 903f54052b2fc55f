package portal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/server/redisstate"
	"github.com/sspr-portal/sspr/server/sspr"
)

// state is the State backend, and its readiness check.
type state interface {
	sspr.State
	Ping(ctx context.Context) error
}

// EvictablePrefixes are the keys the in-memory State backend may evict
// when it is full. A flood of CAPTCHA requests from many addresses must not
// fill the store and fail everyone closed: what is cheap to lose (unsolved
// CAPTCHAs, which anyone can make; per-address counters, whose loss only
// renews one address's quota) goes first. Per-account counters, blocks,
// cool-downs, locks, flows and sessions never go (docs/STATE.md).
var EvictablePrefixes = []string{
	"captcha:",        // unsolved CAPTCHA answers (server/captcha)
	"n:captcha:addr:", // CAPTCHAs per address (httpapi; throttle's "n:" counters)
	"n:starts:addr:",  // flow starts per address (server/selfservice)
	"n:fail:addr:",    // failures per address (server/selfservice)
}

// newState builds the State backend that state.kind names: in memory (one
// server), or Redis (several servers share flows, codes and throttles).
func (p *Portal) newState(ctx context.Context, cfg *config.Config, now func() time.Time, log *slog.Logger) (state, error) {
	if cfg.State.Kind == config.StateRedis {
		return p.newRedisState(ctx, cfg, log)
	}
	s := memstate.New(now, 0, memstate.Evictable(EvictablePrefixes...))
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	go s.Run(sweepCtx, time.Minute)
	p.closers = append(p.closers, func(context.Context) error { stopSweep(); return nil })
	return s, nil
}

// newRedisState connects to Redis on first use, so the portal starts (and
// /readyz says why it is not ready) while Redis is down. Redis keeps time
// itself: expiries follow its clock, not the portal's Now.
func (p *Portal) newRedisState(ctx context.Context, cfg *config.Config, log *slog.Logger) (state, error) {
	rc, err := RedisConfig(cfg)
	if err != nil {
		return nil, err
	}
	s, err := redisstate.New(rc)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	p.closers = append(p.closers, func(context.Context) error { return s.Close() })
	// An unfit server (too old, or one that may evict counters) is worth a
	// warning at start; a server that is down is /readyz's to report.
	go func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		sv, err := s.CheckServer(cctx)
		if err != nil {
			log.Warn("redis: cannot check the server yet", "address", rc.Addr, "err", err)
			return
		}
		if sv.EvictionPolicy == "" {
			log.Info("redis: cannot read maxmemory-policy (CONFIG GET refused): make sure it is noeviction", "address", rc.Addr, "version", sv.Version)
		}
		for _, problem := range sv.Problems() {
			log.Warn("redis: "+problem, "address", rc.Addr, "version", sv.Version)
		}
	}()
	return s, nil
}

// RedisConfig is the redisstate configuration for cfg's [state], with the
// password read from its file or environment variable and the CA file
// loaded. Certificates are always verified.
func RedisConfig(cfg *config.Config) (redisstate.Config, error) {
	c := cfg.State
	pw, err := c.RedisPassword()
	if err != nil {
		return redisstate.Config{}, err
	}
	rc := redisstate.Config{
		Addr: c.Address, Username: c.Username, Password: pw, DB: c.DB,
		KeyPrefix:   c.KeyPrefix,
		DialTimeout: c.DialTimeout.D(), ReadTimeout: c.ReadTimeout.D(), WriteTimeout: c.WriteTimeout.D(),
		PoolSize: c.PoolSize,
	}
	if rc.KeyPrefix == "" {
		rc.KeyPrefix = redisstate.NoPrefix // an operator's explicit choice
	}
	if c.TLS {
		host, _, err := net.SplitHostPort(c.Address)
		if err != nil {
			return redisstate.Config{}, fmt.Errorf("config: state.address: %w", err)
		}
		rc.TLS = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return redisstate.Config{}, fmt.Errorf("config: state.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return redisstate.Config{}, fmt.Errorf("config: state.ca_file: %s holds no PEM certificate", c.CAFile)
			}
			rc.TLS.RootCAs = pool
		}
	}
	return rc, nil
}
