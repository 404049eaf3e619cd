package reportstest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/projections"
	pgproj "github.com/pdis/collab-ledger/projections/postgres"
)

// Backends names the read-model backends the tests build read models on
// (OpenBackend).
var Backends = []string{"memory", "postgres"}

// OpenBackend opens the read-model backend name for tb: "memory", or
// "postgres" in a fresh schema of the test database (tb is skipped when it
// cannot be reached, see pgtest). It is closed when tb ends.
func OpenBackend(tb testing.TB, name string) projections.Backend {
	tb.Helper()
	switch name {
	case "memory":
		return projections.NewMemoryBackend()
	case "postgres":
		b, err := pgproj.Open(context.Background(), pgproj.Config{URL: pgtest.New(tb).URL, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = b.Close() })
		return b
	}
	tb.Fatalf("no read-model backend %q", name)
	return nil
}

// Project folds store, up to its head, into backend with p through a
// projections.Runner, and stops the runner: the read model then stays at
// the head.
func Project(tb testing.TB, store eventstore.Store, backend projections.Backend, p projections.Projection) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Backend: backend, Projections: []projections.Projection{p}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	head, err := store.Head(ctx)
	if err == nil {
		err = waitFor(ctx, r, p.Name(), head)
	}
	stop()
	if rerr := <-done; err == nil && rerr != nil && rctx.Err() == nil {
		err = rerr
	}
	if err != nil {
		tb.Fatalf("project %s: %v", p.Name(), err)
	}
}

// waitFor returns once the projection's checkpoint is at least head, or
// with its error if it fails.
func waitFor(ctx context.Context, r *projections.Runner, name string, head eventstore.Position) error {
	select {
	case <-r.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		st, err := r.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			if s.Projection != name {
				continue
			}
			if s.State == projections.StateFailed {
				return fmt.Errorf("failed at %d: %s", s.ErrorPosition, s.Error)
			}
			if s.Checkpoint >= head {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
