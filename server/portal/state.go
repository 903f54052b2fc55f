package portal

import (
	"context"
	"log/slog"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/flow"
	"github.com/sspr-portal/sspr/server/memstate"
)

// state is what the portal needs of the State backend: the engines' State,
// the CAPTCHA answers' one-time Take, and a readiness check.
type state interface {
	flow.State
	Take(ctx context.Context, key string) ([]byte, error)
	Ping(ctx context.Context) error
}

// newState builds the State backend that state.kind names: in memory (one
// server), or Redis (several servers share flows, codes and throttles).
func (p *Portal) newState(ctx context.Context, cfg *config.Config, now func() time.Time, log *slog.Logger) (state, error) {
	s := memstate.New(now, 0)
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	go s.Run(sweepCtx, time.Minute)
	p.closers = append(p.closers, func(context.Context) error { stopSweep(); return nil })
	return s, nil
}
