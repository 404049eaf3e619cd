package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/metrics"
	"github.com/pdis/collab-ledger/transparency"
)

// watchServer has m read, at each scrape of GET /metrics, each read
// model's lag from the read side and the latest checkpoint's age from the
// transparency log (its event's recorded time in raw, the log as stored).
func watchServer(m *metrics.Metrics, rs *readSide, tl *transparencyLog, raw eventstore.Store) {
	m.WatchProjections(rs.runner.Status)
	m.WatchCheckpoint(func(ctx context.Context) (time.Time, int64, bool, error) {
		return checkpointRecorded(ctx, tl.log, raw)
	})
}

// checkpointRecorded returns when the latest checkpoint was recorded and
// how many leaves it covers; ok is false before the first.
func checkpointRecorded(ctx context.Context, log *transparency.Log, raw eventstore.Store) (at time.Time, size int64, ok bool, err error) {
	cp, err := log.Latest(ctx)
	if errors.Is(err, transparency.ErrNoCheckpoint) {
		return time.Time{}, 0, false, nil
	}
	if err != nil {
		return time.Time{}, 0, false, fmt.Errorf("latest checkpoint: %w", err)
	}
	if cp.Position == 0 {
		return time.Time{}, 0, false, nil
	}
	evs, err := raw.ReadAll(ctx, cp.Position-1, 1)
	if err != nil {
		return time.Time{}, 0, false, fmt.Errorf("latest checkpoint's event at %d: %w", cp.Position, err)
	}
	if len(evs) == 0 || evs[0].Position != cp.Position {
		return time.Time{}, 0, false, fmt.Errorf("latest checkpoint's event at %d: not in the log", cp.Position)
	}
	return evs[0].RecordedAt, cp.Size, true, nil
}
