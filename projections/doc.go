// Package projections folds the global event log into read models: the
// machinery under the tallies, the case board, the transcripts and the
// accountability trail.
//
// # Writing a projection
//
// A projection is pure fold code over a small document API. It keeps nothing
// of its own; it reads and writes JSON documents by (collection, key) through
// the Tx it is given, so the same code runs on every backend:
//
//	type Tallies struct{}
//
//	func (Tallies) Name() string { return "tallies" }
//	func (Tallies) Version() int { return 1 } // bump when Apply changes
//
//	func (Tallies) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
//		if ev.Type != "proposal.signed" {
//			return nil
//		}
//		var n int
//		err := projections.Update(ctx, tx, "tally", ev.Stream, func(t *Tally) error {
//			t.Signatures++
//			n = t.Signatures
//			return nil
//		})
//		if err == nil && n == 1000 {
//			err = projections.Emit(ctx, tx, "proposal.milestone_reached", ev.Stream+"/1000", Milestone{...})
//		}
//		return err
//	}
//
// Apply sees the events in global order, each once. If it returns an error
// (or panics) nothing it wrote for that event is kept; after the router's
// retries the projection stops at that event, with its position and the
// error in its Status, and resumes there when restarted. Projections that know
// which documents an event reads may implement Preloader, so that the
// PostgreSQL backend loads a batch's documents in one round trip.
//
// Queries read committed state through Runner.Reader (or Backend.Reader):
//
//	t, ok, err := projections.Get[Tally](ctx, runner.Reader("tallies"), "tally", "proposal-42")
//
// # Running projections
//
// A Runner wires the event store, the projections and a read-model Backend
// (MemoryBackend by default, rebuilt from the log at every start; or
// projections/postgres). It runs one watermill router with the Recoverer and
// Retry middleware and one handler per projection, fed by a LogSubscriber
// that streams the log from the projection's checkpoint in batches (up to 2048
// events while catching up, usually one once live):
//
//	runner, err := projections.NewRunner(projections.RunnerConfig{
//		Store:       store,
//		Backend:     backend, // nil: in memory
//		Projections: []projections.Projection{Tallies{}, CaseBoard{}},
//		Publisher:   natsPublisher, // nil: in-process gochannel
//	})
//	go runner.Run(ctx)
//	err = runner.WaitCaughtUp(ctx) // before serving, if wanted
//
// Each batch's documents and the projection's checkpoint are committed in one
// transaction, so a crash neither loses nor double-applies an event.
// Runner.Status reports each projection's checkpoint, the log's head and the
// lag; Runner.Rebuild builds a new generation beside the active one and
// switches when it has caught up, without downtime; a projection whose
// Version changed is rebuilt that way at start. As-of views ("as it stood at
// T") are the read models' own (readmodels.CaseAsOf, readmodels.LogAsOf).
//
// # Integration events
//
// A projection calls Emit from Apply to announce what other systems care
// about (a proposal passing 1,000 signatures, a deadline missed). The Runner
// publishes it to RunnerConfig.Topic after the batch commits, with a message
// UUID derived from the source event, and only for log events above the
// projection's high-water mark: never for a rolled-back batch, never twice on
// a rebuild or restart. Delivery is at least once with a durable backend
// (the outbox is committed with the batch and re-sent after a crash) and at
// most once in memory; consumers dedupe by message UUID.
package projections
