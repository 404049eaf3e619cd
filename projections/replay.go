package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// AsOf bounds a Replay. Set exactly one field.
type AsOf struct {
	// Position: every event up to and including this position.
	Position eventstore.Position
	// RecordedAt: every event the ledger had recorded at this time (the
	// ledger's clock, Event.RecordedAt ≤ T): "what the ledger showed at T".
	RecordedAt time.Time
	// OccurredAt: every event whose Event.OccurredAt ≤ T, wherever it is in
	// the log (the world's clock): "how things stood at T as we know them
	// now", including records imported after T.
	OccurredAt time.Time
}

func (a AsOf) validate() error {
	n := 0
	if a.Position != 0 {
		n++
	}
	if !a.RecordedAt.IsZero() {
		n++
	}
	if !a.OccurredAt.IsZero() {
		n++
	}
	if n != 1 {
		return errors.New("replay: set exactly one of AsOf.Position, RecordedAt, OccurredAt")
	}
	return nil
}

// includes reports whether ev is part of the view.
func (a AsOf) includes(ev *eventstore.Event) bool {
	switch {
	case a.Position != 0:
		return ev.Position <= a.Position
	case !a.RecordedAt.IsZero():
		return !ev.RecordedAt.After(a.RecordedAt)
	default:
		return !ev.OccurredAt().After(a.OccurredAt)
	}
}

// Replay folds the log, as bounded by asOf, into a fresh MemoryBackend with
// projection p's fold logic, and returns it with the last position folded.
// Read it with mb.Reader(p.Name()): the read models use it for "as it stood
// at time T". It reads the log up to its head at the time of the call (up to
// asOf.Position when that is set) and announces nothing (Emit does nothing).
func Replay(ctx context.Context, store eventstore.Store, p Projection, asOf AsOf) (*MemoryBackend, eventstore.Position, error) {
	if err := asOf.validate(); err != nil {
		return nil, 0, err
	}
	head, err := store.Head(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("replay %s: read head: %w", p.Name(), err)
	}
	if asOf.Position != 0 && asOf.Position < head {
		head = asOf.Position
	}
	mb := NewMemoryBackend()
	cp, err := mb.CreateGeneration(ctx, p.Name(), p.Version())
	if err != nil {
		return nil, 0, err
	}
	b := newBatch(mb, p.Name(), cp.Generation, 0)
	var folded, after eventstore.Position
	commit := func() error {
		if !b.dirty() {
			return nil
		}
		if err := mb.Commit(ctx, b.commitRequest()); err != nil {
			return fmt.Errorf("replay %s: %w", p.Name(), err)
		}
		b.reset()
		return nil
	}
	for after < head {
		evs, err := store.ReadAll(ctx, after, min(1024, int(head-after)))
		if err != nil {
			return nil, 0, fmt.Errorf("replay %s: read log after %d: %w", p.Name(), after, err)
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			ev := &evs[i]
			if ev.Position > head {
				break
			}
			after = ev.Position
			if !asOf.includes(ev) {
				continue
			}
			if err := b.apply(ctx, ev, safeApply(p)); err != nil {
				return nil, 0, &ApplyError{Projection: p.Name(), Generation: cp.Generation, Position: ev.Position, EventID: ev.ID.String(), Stream: ev.Stream, Type: ev.Type, Err: err}
			}
			folded = ev.Position
		}
		// The batch's checkpoint is the last event folded, not read: keep
		// it moving with the log so that commits stay in order.
		if err := commit(); err != nil {
			return nil, 0, err
		}
	}
	return mb, folded, nil
}
