package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Change is a lease changing hands in this process, for HoldConfig.OnChange
// (metrics: "lease changes").
type Change struct {
	Job    string
	Holder string
	Token  uint64
	// Acquired is true when this process took the lease, false when it
	// lost or released it.
	Acquired bool
	// Reason says why a lease was given up: "lost", "released", "expired"
	// (not renewed in time) or "job ended".
	Reason string
	At     time.Time
}

var changes atomic.Uint64

// Changes counts the leases this process acquired, lost or released since
// it started: a counter for metrics (Prometheus "lease changes").
func Changes() uint64 { return changes.Load() }

// HoldConfig tunes Hold.
type HoldConfig struct {
	// RetryEvery is how often a server that does not hold the lease tries
	// to take it. Default TTL/6.
	RetryEvery time.Duration
	// RenewEvery is how often the holder renews. Default TTL/3.
	RenewEvery time.Duration
	// Margin: a holder that cannot renew (a database it cannot reach)
	// stops its job at least this long before the lease expires. Default
	// TTL/6.
	Margin time.Duration
	// OnChange, if set, is told every change of hands in this process. It
	// must return quickly.
	OnChange func(Change)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (c HoldConfig) withDefaults(ttl time.Duration) HoldConfig {
	if c.RetryEvery == 0 {
		c.RetryEvery = ttl / 6
	}
	if c.RenewEvery == 0 {
		c.RenewEvery = ttl / 3
	}
	if c.Margin == 0 {
		c.Margin = ttl / 6
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Hold runs job under its lease until ctx ends: it tries to take the lease
// every RetryEvery; once it holds it, it calls run with the grant and a
// context that ends when the lease is lost (or would expire before it can
// be renewed), and renews it meanwhile. When run returns, the lease is
// released and Hold campaigns again after a pause. At the end Hold waits
// for run and releases the lease, so that another server takes it at once.
func Hold(ctx context.Context, m Manager, job string, cfg HoldConfig, run func(ctx context.Context, g Grant)) {
	cfg = cfg.withDefaults(m.TTL())
	log := cfg.Logger.With("component", "lease", "job", job, "holder", m.Holder())
	tell := func(g Grant, acquired bool, reason string) {
		changes.Add(1)
		if cfg.OnChange != nil {
			cfg.OnChange(Change{Job: job, Holder: g.Holder, Token: g.Token, Acquired: acquired, Reason: reason, At: time.Now()})
		}
	}
	retry := time.NewTicker(cfg.RetryEvery)
	defer retry.Stop()
	for {
		g, ok, err := m.Acquire(ctx, job)
		if err != nil && ctx.Err() == nil {
			log.Warn("lease: acquire", "err", err)
		}
		if ok {
			log.Info("lease acquired", "token", g.Token)
			tell(g, true, "")
			reason := holdWhile(ctx, m, g, cfg, log, run)
			tell(g, false, reason)
			if reason != "lost" {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				if err := m.Release(rctx, g); err != nil {
					log.Warn("lease: release", "err", err)
				}
				cancel()
			}
			log.Info("lease given up", "token", g.Token, "reason", reason)
		}
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
		}
	}
}

// holdWhile runs run under g, renewing it, and says why it stopped.
func holdWhile(ctx context.Context, m Manager, g Grant, cfg HoldConfig, log *slog.Logger, run func(context.Context, Grant)) string {
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func(g Grant) { // its own copy: renewals below replace g
		defer close(done)
		run(jctx, g)
	}(g)
	renew := time.NewTicker(cfg.RenewEvery)
	defer renew.Stop()
	stop := func(reason string) string {
		cancel()
		<-done
		return reason
	}
	for {
		select {
		case <-ctx.Done():
			return stop("released")
		case <-done:
			return "job ended"
		case <-renew.C:
		}
		rctx, rcancel := context.WithTimeout(ctx, cfg.RenewEvery)
		ng, err := m.Renew(rctx, g)
		rcancel()
		switch {
		case err == nil:
			g = ng
		case errors.Is(err, ErrLost):
			log.Warn("lease lost: another server holds it now", "token", g.Token)
			return stop("lost")
		case ctx.Err() != nil:
			return stop("released")
		default:
			log.Warn("lease: renew", "token", g.Token, "err", err)
		}
		if time.Until(g.Until) < cfg.RenewEvery+cfg.Margin {
			// the next renewal would come too late
			log.Warn("lease: could not renew in time; stopping the job", "token", g.Token)
			return stop("expired")
		}
	}
}
