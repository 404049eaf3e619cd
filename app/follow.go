package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// follow folds the log into the Ledger's two indexes, the voted meetings
// and the command IDs, with one reader (decision 0053): each event is read
// once and given to both, from the position the one behind has reached
// (each ignores what it has folded already). It runs until ctx ends.
func (l *Ledger) follow(ctx context.Context) {
	position := func() eventstore.Position { return min(l.voted.Position(), l.commands.Position()) }
	fold := func(ev eventstore.Event) error {
		// The command index folds every event (it cannot fail); an event the
		// voted index cannot read is read again after a pause.
		return errors.Join(l.commands.fold(ev), l.voted.Fold(ev))
	}
	setErr := func(err error) {
		l.voted.SetErr(err)
		l.commands.setErr(err)
	}
	followLog(ctx, l.store, l.cfg.Logger, "ledger indexes", position, fold, setErr)
}

// followLog folds the log into in-memory indexes from the position it
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
