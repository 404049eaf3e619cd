package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// followLog folds the log into an in-memory index from the position it
// has reached until ctx ends, subscribing again (after a growing pause)
// when the subscription or a fold fails; setErr records the failure for
// the index's waiters.
func followLog(ctx context.Context, store eventstore.Store, logger *slog.Logger, name string, position func() eventstore.Position, fold func(eventstore.Event) error, setErr func(error)) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		var failed error
		for ev, err := range store.Subscribe(ctx, position()) {
			if err != nil {
				failed = err
				break
			}
			if err := fold(ev); err != nil {
				failed = err
				break
			}
			pause = 100 * time.Millisecond
		}
		if ctx.Err() != nil {
			return
		}
		if failed != nil {
			setErr(failed)
			logger.Warn(name+": following the log failed; retrying", "err", failed, "retry_in", pause)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}
