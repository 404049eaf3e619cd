// Package projectiontest is the shared suite every read-model backend
// passes, with the toy projections it folds. A backend's test calls Run:
//
//	func TestBackend(t *testing.T) {
//		projectiontest.Run(t, func(t *testing.T) (projections.Backend, func() projections.Backend) {
//			b := open(t)
//			return b, func() projections.Backend { return reopen(t, b) } // nil for memory
//		})
//	}
package projectiontest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// StreamDoc is Counter's document per stream: "streams"/<stream>.
type StreamDoc struct {
	Count int `json:"count"`
	// Versions lists the stream versions folded, in order: a lost or
	// doubled event shows as a gap or a repeat.
	Versions []uint64 `json:"versions"`
	Last     uint64   `json:"last"`
}

// GlobalDoc is Counter's document "global"/"all".
type GlobalDoc struct {
	Count int                 `json:"count"`
	Last  eventstore.Position `json:"last"`
}

// MilestoneEvent is what Counter emits when a stream reaches a threshold.
type MilestoneEvent struct {
	Stream    string              `json:"stream"`
	Threshold int                 `json:"threshold"`
	Position  eventstore.Position `json:"position"`
}

// PoisonType is the event type Counter fails on while Poisoned is true.
const PoisonType = "test.poison"

// Counter is the toy projection of the suite: per stream a count and the
// list of versions seen, a global count that checks the log's order, a
// deletable marker per "test.deleted" event, and milestones announced at
// Thresholds. It fails on PoisonType events while Poisoned holds.
type Counter struct {
	ProjectionName string
	ProjectionVer  int
	Thresholds     []int
	// Poisoned makes PoisonType events fail (after writing, so that the
	// suite can see the writes dropped).
	Poisoned *atomic.Bool
	// Panic makes the poison fail with a panic instead of an error.
	Panic bool
}

// Name implements projections.Projection.
func (c *Counter) Name() string {
	if c.ProjectionName == "" {
		return "counter"
	}
	return c.ProjectionName
}

// Version implements projections.Projection.
func (c *Counter) Version() int { return max(c.ProjectionVer, 1) }

// ErrPoison is the error a poison event fails with.
var ErrPoison = errors.New("poison event")

// Apply implements projections.Projection.
func (c *Counter) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	var n int
	err := projections.Update(ctx, tx, "global", "all", func(g *GlobalDoc) error {
		if ev.Position <= g.Last {
			return fmt.Errorf("out of order: %d after %d", ev.Position, g.Last)
		}
		g.Count++
		g.Last = ev.Position
		return nil
	})
	if err != nil {
		return err
	}
	err = projections.Update(ctx, tx, "streams", ev.Stream, func(s *StreamDoc) error {
		s.Count++
		s.Versions = append(s.Versions, ev.Version)
		s.Last = ev.Version
		n = s.Count
		return nil
	})
	if err != nil {
		return err
	}
	switch ev.Type {
	case "test.marked":
		if err := tx.Put(ctx, "marks", ev.Stream+"/"+strconv.FormatUint(ev.Version, 10), map[string]any{"pos": ev.Position}); err != nil {
			return err
		}
	case "test.unmarked":
		if err := tx.Delete(ctx, "marks", ev.Stream+"/"+strconv.FormatUint(ev.Version-1, 10)); err != nil {
			return err
		}
	}
	for _, th := range c.Thresholds {
		if n == th {
			key := ev.Stream + "/" + strconv.Itoa(th)
			if err := projections.Emit(ctx, tx, "test.milestone_reached", key, MilestoneEvent{Stream: ev.Stream, Threshold: th, Position: ev.Position}); err != nil {
				return err
			}
		}
	}
	if ev.Type == PoisonType && c.Poisoned != nil && c.Poisoned.Load() {
		// Written and announced first: all of it must be dropped.
		if err := projections.Emit(ctx, tx, "test.poisoned", ev.ID.String(), nil); err != nil {
			return err
		}
		if c.Panic {
			panic("poison pill at position " + strconv.FormatUint(uint64(ev.Position), 10))
		}
		return ErrPoison
	}
	return nil
}

// Preload implements projections.Preloader.
func (c *Counter) Preload(ev eventstore.Event) []projections.DocRef {
	return []projections.DocRef{{Collection: "global", Key: "all"}, {Collection: "streams", Key: ev.Stream}}
}

// Tally is the benchmark's projection: one document read and written per
// event, keyed by stream, as a signature tally is.
type Tally struct{}

// TallyDoc is Tally's document "tally"/<stream>.
type TallyDoc struct {
	Count    int                 `json:"count"`
	Last     eventstore.Position `json:"last"`
	LastType string              `json:"lastType"`
	Actor    string              `json:"actor"`
}

// Name implements projections.Projection.
func (Tally) Name() string { return "tally" }

// Version implements projections.Projection.
func (Tally) Version() int { return 1 }

// Apply implements projections.Projection.
func (Tally) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	return projections.Update(ctx, tx, "tally", ev.Stream, func(d *TallyDoc) error {
		d.Count++
		d.Last = ev.Position
		d.LastType = ev.Type
		d.Actor = ev.Metadata.ActorID
		return nil
	})
}

// Preload implements projections.Preloader.
func (Tally) Preload(ev eventstore.Event) []projections.DocRef {
	return []projections.DocRef{{Collection: "tally", Key: ev.Stream}}
}

// Marker is a toy projection that writes only for "test.marked" events
// (one document per event) and ignores every other: the suite's check that
// Runner.Changed moves with writes, not with the log.
type Marker struct{}

// Name implements projections.Projection.
func (Marker) Name() string { return "marker" }

// Version implements projections.Projection.
func (Marker) Version() int { return 1 }

// Apply implements projections.Projection.
func (Marker) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if ev.Type != "test.marked" {
		return nil
	}
	return tx.Put(ctx, "marks", ev.Stream+"/"+strconv.FormatUint(ev.Version, 10), map[string]any{"pos": ev.Position})
}
