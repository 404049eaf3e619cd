package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// Status is where one projection stands: what `collabledger status` shows.
type Status struct {
	Projection string `json:"projection"`
	// Version is the projection's code version; StoredVersion the version
	// the generation queries read was built with (they differ while a
	// rebuild for a new version runs).
	Version       int `json:"version"`
	StoredVersion int `json:"storedVersion"`
	// Generation is the generation queries read (0: none yet).
	Generation uint64 `json:"generation"`
	// Checkpoint is the last event reflected in what queries read.
	Checkpoint eventstore.Position `json:"checkpoint"`
	// Head is the log's last position; Lag is Head − Checkpoint: events
	// for the embedded and PostgreSQL stores, whose positions are dense.
	Head eventstore.Position `json:"head"`
	Lag  uint64              `json:"lag"`
	// State is running, failed, rebuilding or stopped.
	State State `json:"state"`
	// Error and ErrorPosition say which event a failed projection could
	// not apply, and why.
	Error         string              `json:"error,omitempty"`
	ErrorPosition eventstore.Position `json:"errorPosition,omitempty"`
	// Rebuild describes a generation being built beside, if any.
	Rebuild   *RebuildStatus `json:"rebuild,omitempty"`
	UpdatedAt time.Time      `json:"updatedAt"`
	// Restarts counts the failures in a row after which the projection
	// restarted itself (RunnerConfig.RestartAfter); NextRestart is when a
	// failed one restarts next.
	Restarts    int        `json:"restarts,omitempty"`
	NextRestart *time.Time `json:"nextRestart,omitempty"`
	// Stalled: the projection has events to fold and its checkpoint has
	// not moved for RunnerConfig.StalledAfter (since LastMoved).
	Stalled   bool      `json:"stalled,omitempty"`
	LastMoved time.Time `json:"lastMoved,omitzero"`
	// Holder is the server that runs the projection (holds its lease;
	// LocalHolder without leases), "" when none does right now (its holder
	// died and no other has taken over yet). LeaseToken is the lease's
	// fencing token; HeldHere says whether the server answering runs it.
	Holder     string `json:"holder"`
	LeaseToken uint64 `json:"leaseToken,omitempty"`
	HeldHere   bool   `json:"heldHere"`
	// Problem says what is wrong with who runs it, if anything (no holder,
	// or it could not start here).
	Problem string `json:"problem,omitempty"`
}

// RebuildStatus is the progress of a generation built beside the active one.
type RebuildStatus struct {
	Generation uint64              `json:"generation"`
	Checkpoint eventstore.Position `json:"checkpoint"`
	Lag        uint64              `json:"lag"`
	State      State               `json:"state"`
	Error      string              `json:"error,omitempty"`
	// ErrorPosition is the event a failed rebuild stopped at.
	ErrorPosition eventstore.Position `json:"errorPosition,omitempty"`
}

// Status reports every projection of the Runner, as stored in the backend
// and as running in this process.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	out, err := ReadStatus(ctx, r.cfg.Store, r.cfg.Backend, r.cfg.Projections)
	if err != nil {
		return nil, err
	}
	select {
	case <-r.ready:
	default:
		return out, nil
	}
	now := time.Now()
	if err := r.leaseStatus(ctx, out); err != nil {
		return nil, err
	}
	for i := range out {
		s := &out[i]
		ps := r.projs[s.Projection]
		if !s.HeldHere {
			continue // run elsewhere: as stored (leaseStatus)
		}
		ps.mu.Lock()
		active, building := ps.active, ps.building
		s.Restarts = ps.restarts
		if !ps.nextRestart.IsZero() && ps.nextRestart.After(now) {
			t := ps.nextRestart
			s.NextRestart = &t
		}
		if active != nil && active.gen == s.Generation {
			s.State = runtimeState(active)
			if s.State == StateFailed && s.Error == "" && active.lastErr != nil {
				s.Error, s.ErrorPosition = active.lastErr.Error(), active.errPos
			}
			// the checkpoint read above may predate a commit since
			if cp := eventstore.Position(active.cp.Load()); cp > s.Checkpoint {
				s.Checkpoint, s.Lag = cp, lag(s.Head, cp)
			}
			s.LastMoved = time.Unix(0, active.moved.Load()).UTC()
			s.Stalled = s.Lag > 0 && now.Sub(s.LastMoved) > r.cfg.StalledAfter
		} else if building == nil && s.State != StateFailed {
			s.State = StateStopped
		}
		if building != nil && s.Rebuild != nil && s.Rebuild.Generation == building.gen {
			s.Rebuild.State = runtimeState(building)
			if s.State != StateFailed {
				s.State = StateRebuilding
			}
		}
		ps.mu.Unlock()
	}
	return out, nil
}

// runtimeState is a worker's state; call with its ps.mu held.
func runtimeState(w *worker) State {
	select {
	case <-w.done:
		if w.state == StateFailed {
			return StateFailed
		}
		return StateStopped
	default:
		return w.state
	}
}

// ReadStatus reports projections as the backend stores them, against the
// log's head, without running them: `collabledger status` uses it on a
// PostgreSQL read-model store when the server is not running (or through
// Runner.Status when it is). State is the stored state: running, failed, or
// rebuilding when a second generation exists.
func ReadStatus(ctx context.Context, store eventstore.Store, b Backend, ps []Projection) ([]Status, error) {
	head, err := store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: read log head: %w", err)
	}
	out := make([]Status, 0, len(ps))
	for _, p := range ps {
		gens, err := b.Generations(ctx, p.Name())
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", p.Name(), err)
		}
		s := Status{Projection: p.Name(), Version: p.Version(), Head: head, State: StateStopped}
		if a, ok := gens.Get(gens.Active); ok {
			s.Generation, s.StoredVersion, s.Checkpoint, s.State = a.Generation, a.Version, a.Position, a.State
			s.Error, s.ErrorPosition, s.UpdatedAt = a.Error, a.ErrorPosition, a.UpdatedAt
		}
		s.Lag = lag(head, s.Checkpoint)
		for _, g := range gens.All {
			if g.Generation == gens.Active {
				continue
			}
			s.Rebuild = &RebuildStatus{Generation: g.Generation, Checkpoint: g.Position, Lag: lag(head, g.Position), State: g.State, Error: g.Error, ErrorPosition: g.ErrorPosition}
			if s.State != StateFailed {
				s.State = StateRebuilding
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func lag(head, cp eventstore.Position) uint64 {
	if head > cp {
		return uint64(head - cp)
	}
	return 0
}
