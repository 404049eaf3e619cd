package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
)

// LeaseJob is the lease job of a projection: "projection/NAME".
func LeaseJob(projection string) string { return "projection/" + projection }

// LocalHolder is Status.Holder of a Runner without RunnerConfig.Leases: it
// runs every projection itself (the in-process lease of a single server).
const LocalHolder = "local"

// Fencer is a backend whose writes can carry a lease's fencing token: the
// view Fenced returns refuses every write (lease.ErrStale), in the write's
// own transaction, once the lease has passed to another holder. With
// audit, each write is recorded (lease.AuditSQL). projections/postgres
// implements it; the memory backend needs no fence (one process).
type Fencer interface {
	Fenced(f lease.Fence, audit bool) Backend
}

// ActiveLister is a backend that reads the active generation's checkpoint
// of every projection in one query: what a server that runs none of them
// reads to follow them. projections/postgres implements it.
type ActiveLister interface {
	ActiveCheckpoints(ctx context.Context) ([]Checkpoint, error)
}

// leased reports whether the Runner shares its projections with other
// servers under leases.
func (r *Runner) leased() bool { return r.cfg.Leases != nil }

// backend is where the projection's writes go: the backend fenced with the
// lease held, or the backend itself.
func (ps *projState) backend() Backend {
	ps.bmu.Lock()
	defer ps.bmu.Unlock()
	return ps.b
}

func (ps *projState) setBackend(b Backend) {
	ps.bmu.Lock()
	ps.b = b
	ps.bmu.Unlock()
}

// leading reports whether this process runs the projection now.
func (r *Runner) leading(ps *projState) bool {
	if !r.leased() {
		return true
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.grant.Token != 0
}

// runLeased is Run's part with leases: one campaign per projection, and
// the loop that follows the projections other servers run. It returns
// once ctx ends and every projection run here has stopped.
func (r *Runner) runLeased(ctx context.Context) {
	done := make(chan struct{}, len(r.order)+1)
	audit := false
	if a, ok := r.cfg.Leases.(interface{ Audit() bool }); ok {
		audit = a.Audit()
	}
	for _, name := range r.order {
		ps := r.projs[name]
		go func() {
			defer func() { done <- struct{}{} }()
			lease.Hold(ctx, r.cfg.Leases, LeaseJob(name), r.cfg.Lease, func(ctx context.Context, g lease.Grant) {
				r.lead(ctx, ps, g, audit)
			})
		}()
	}
	go func() {
		defer func() { done <- struct{}{} }()
		r.follow(ctx)
	}()
	for range len(r.order) + 1 {
		<-done
	}
}

// lead runs a projection while this process holds its lease: its writes
// carry g's fencing token; it sets the projection up as Run does without
// leases, picks up rebuilds other servers request, and stops every worker
// when the lease is lost or a write is refused as stale.
func (r *Runner) lead(ctx context.Context, ps *projState, g lease.Grant, audit bool) {
	name := ps.p.Name()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := r.cfg.Backend
	if f, ok := b.(Fencer); ok {
		b = f.Fenced(g.Fence(), audit)
	}
	ps.ctl.Lock()
	ps.setBackend(b)
	ps.mu.Lock()
	ps.grant, ps.stopLead = g, cancel
	ps.restarts, ps.nextRestart, ps.leadErr = 0, time.Time{}, nil
	ps.mu.Unlock()
	head, err := r.cfg.Store.Head(ctx)
	if err == nil {
		err = r.setupOne(ctx, ps, head)
	}
	ps.ctl.Unlock()
	if err != nil {
		r.unlead(ps)
		if ctx.Err() == nil {
			r.log.Error("projection: could not start under its lease; giving the lease up", "projection", name, "token", g.Token, "err", err)
			ps.mu.Lock()
			ps.leadErr = err
			ps.mu.Unlock()
			// let another server try first
			t := time.NewTimer(r.cfg.RestartAfter)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
		return
	}
	r.log.Info("projection: running here under its lease", "projection", name, "token", g.Token)
	t := time.NewTicker(r.cfg.RebuildPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.unlead(ps)
			return
		case <-t.C:
		}
		if err := r.pickUpRebuild(ctx, ps); err != nil && ctx.Err() == nil {
			r.log.Error("projection: pick up a requested rebuild", "projection", name, "err", err)
		}
	}
}

// unlead stops the projection's workers in this process: the lease was
// lost or given up. What queries read stays where the holder left it.
func (r *Runner) unlead(ps *projState) {
	ps.ctl.Lock()
	defer ps.ctl.Unlock()
	ps.mu.Lock()
	active, building := ps.active, ps.building
	ps.mu.Unlock()
	for _, w := range []*worker{building, active} {
		if w != nil {
			w.stop()
		}
	}
	ps.mu.Lock()
	if active != nil {
		ps.frozen = Checkpoint{Projection: ps.p.Name(), Generation: active.gen, Position: eventstore.Position(active.cp.Load()), State: StateRunning}
	}
	ps.active, ps.building = nil, nil
	ps.grant, ps.stopLead = lease.Grant{}, nil
	ps.mu.Unlock()
	ps.setBackend(r.cfg.Backend)
}

// stale is called when a write was refused because the lease passed on:
// the projection stops running here at once, without waiting for the next
// renewal to notice.
func (r *Runner) stale(ps *projState, err error) {
	ps.mu.Lock()
	stop := ps.stopLead
	ps.mu.Unlock()
	if stop != nil {
		r.log.Warn("projection: a write was refused, the lease has passed on; stopping here", "projection", ps.p.Name(), "err", err)
		stop()
	}
}

// pickUpRebuild starts building a generation another server asked for
// (Rebuild on a server that does not hold the lease, or `collabledger
// rebuild --read-models`), unless one is being built already.
func (r *Runner) pickUpRebuild(ctx context.Context, ps *projState) error {
	name := ps.p.Name()
	gens, err := ps.backend().Generations(ctx, name)
	if err != nil {
		return err
	}
	ps.mu.Lock()
	building, active := ps.building, ps.active
	ps.mu.Unlock()
	for _, g := range gens.All {
		if g.Generation == gens.Active || (building != nil && building.gen == g.Generation) {
			continue
		}
		if building != nil || g.Version != ps.p.Version() {
			continue // one rebuild at a time; the next leader drops a stale one
		}
		ps.ctl.Lock()
		head, err := r.cfg.Store.Head(ctx)
		if err == nil {
			target := head
			if active != nil {
				target = max(target, eventstore.Position(active.cp.Load()))
			}
			r.log.Info("projection: building the generation another server asked for", "projection", name, "generation", g.Generation, "head", head)
			err = r.startWorker(ctx, ps, g, true, target)
		}
		ps.ctl.Unlock()
		return err
	}
	return nil
}

// requestRebuild asks the server holding the projection's lease to rebuild
// it: a new generation, empty and in StateBuilding, which the holder picks
// up (pickUpRebuild) within RunnerConfig.RebuildPoll.
func (r *Runner) requestRebuild(ctx context.Context, ps *projState) (uint64, error) {
	name := ps.p.Name()
	gens, err := r.cfg.Backend.Generations(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("rebuild %s: %w", name, err)
	}
	for _, g := range gens.All {
		if g.Generation != gens.Active && g.State != StateFailed {
			return 0, fmt.Errorf("rebuild %s: generation %d is already being built", name, g.Generation)
		}
	}
	cp, err := r.cfg.Backend.CreateGeneration(ctx, name, ps.p.Version())
	if err != nil {
		return 0, fmt.Errorf("rebuild %s: %w", name, err)
	}
	r.log.Info("projection: rebuild requested from the server holding its lease", "projection", name, "generation", cp.Generation)
	return cp.Generation, nil
}

// waitActiveStored waits, on a server that does not run the projection,
// until the stored active generation is gen.
func (r *Runner) waitActiveStored(ctx context.Context, projection string, gen uint64) error {
	t := time.NewTicker(r.cfg.FollowEvery)
	defer t.Stop()
	for {
		gens, err := r.cfg.Backend.Generations(ctx, projection)
		if err != nil {
			return fmt.Errorf("wait for %s generation %d: %w", projection, gen, err)
		}
		if gens.Active >= gen {
			return nil
		}
		cp, ok := gens.Get(gen)
		if !ok {
			return fmt.Errorf("wait for %s generation %d: it is no longer being built", projection, gen)
		}
		if cp.State == StateFailed {
			return fmt.Errorf("wait for %s generation %d: rebuild failed at position %d: %s", projection, gen, cp.ErrorPosition, cp.Error)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// follow reads back, every FollowEvery, the checkpoints of the projections
// other servers run, so that WaitFor and Status here see their progress.
func (r *Runner) follow(ctx context.Context) {
	t := time.NewTicker(r.cfg.FollowEvery)
	defer t.Stop()
	for {
		if err := r.followOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("projections: read the checkpoints of projections run elsewhere", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) followOnce(ctx context.Context) error {
	var cps []Checkpoint
	if al, ok := r.cfg.Backend.(ActiveLister); ok {
		var err error
		if cps, err = al.ActiveCheckpoints(ctx); err != nil {
			return err
		}
	} else {
		for _, name := range r.order {
			gens, err := r.cfg.Backend.Generations(ctx, name)
			if err != nil {
				return err
			}
			if cp, ok := gens.Get(gens.Active); ok {
				cps = append(cps, cp)
			}
		}
	}
	for _, cp := range cps {
		ps := r.projs[cp.Projection]
		if ps == nil {
			continue
		}
		ps.mu.Lock()
		followed := ps.grant.Token == 0
		if followed {
			ps.frozen = cp
		}
		ps.mu.Unlock()
		if followed {
			ps.markChanged(cp.Position)
			ps.visible.Publish(cp.Position)
		}
	}
	return nil
}

// leaseStatus fills each status's holder from the stored leases.
func (r *Runner) leaseStatus(ctx context.Context, out []Status) error {
	if !r.leased() {
		for i := range out {
			out[i].Holder, out[i].HeldHere = LocalHolder, true
		}
		return nil
	}
	infos, err := r.cfg.Leases.Leases(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	SetHolders(out, infos)
	now := time.Now()
	for i := range out {
		s := &out[i]
		ps := r.projs[s.Projection]
		ps.mu.Lock()
		here := ps.grant.Token != 0
		leadErr := ps.leadErr
		ps.mu.Unlock()
		s.HeldHere = here
		if here {
			continue
		}
		if s.Holder == "" {
			s.Problem = "no server holds its lease"
		} else if leadErr != nil {
			s.Problem = "could not start here: " + leadErr.Error()
		}
		// run elsewhere: stalled if it has events to fold and its stored
		// checkpoint has not moved for StalledAfter
		if s.State == StateStopped && s.Generation != 0 {
			s.State = StateRunning
		}
		if !s.UpdatedAt.IsZero() {
			s.LastMoved = s.UpdatedAt
			s.Stalled = s.Lag > 0 && now.Sub(s.UpdatedAt) > r.cfg.StalledAfter
		}
	}
	return nil
}

// SetHolders fills each status's Holder and LeaseToken from the stored
// leases (a lease that expired has no holder).
func SetHolders(out []Status, infos []lease.Info) {
	byJob := map[string]lease.Info{}
	for _, in := range infos {
		byJob[in.Job] = in
	}
	for i := range out {
		if in, ok := byJob[LeaseJob(out[i].Projection)]; ok && !in.Expired {
			out[i].Holder, out[i].LeaseToken = in.Holder, in.Token
		}
	}
}

// isStale reports whether err is a write refused for a stale token.
func isStale(err error) bool { return errors.Is(err, lease.ErrStale) }
