package transparency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

// DefaultInterval is how often the publisher signs a checkpoint when the
// tree grew.
const DefaultInterval = time.Minute

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Log is the tree to sign.
	Log *Log
	// Store is the event log the checkpoints are appended to (stream
	// CheckpointStream), normally the one Log follows.
	Store eventstore.Store
	// Signer is the checkpoint signing key (`collabledger keygen`).
	Signer note.Signer
	// Interval is how often to publish a checkpoint when the tree grew.
	// Default DefaultInterval.
	Interval time.Duration
	// CatchUpTimeout bounds how long a publication waits for the tree to
	// reach the log's head. Default 30 s.
	CatchUpTimeout time.Duration
	// Witnesses are asked to cosign every checkpoint published (C2SP
	// tlog-witness); their cosignatures are appended to CheckpointStream
	// after it (CosignatureEvent). None: checkpoints are not witnessed.
	Witnesses []*WitnessClient
	// WitnessTimeout bounds one round of asking the witnesses. Default
	// 30 s.
	WitnessTimeout time.Duration
	// Logger receives the publisher's messages. Default slog.Default().
	Logger *slog.Logger
	// Exclusive appends each checkpoint with CheckpointStream's exact
	// version as the tree last read it, so that the store refuses it
	// (eventstore.ErrConflict, in the append's own transaction) when
	// another publisher appended meanwhile: with several servers, a
	// publisher that lost its lease (lease job "checkpoint-publisher")
	// cannot append after the one that took over has. Until the tree has
	// read a checkpoint event since this process started, it appends
	// with Any.
	Exclusive bool
}

// WithDefaults returns c with unset fields filled in.
func (c PublisherConfig) WithDefaults() PublisherConfig {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.CatchUpTimeout == 0 {
		c.CatchUpTimeout = 30 * time.Second
	}
	if c.WitnessTimeout == 0 {
		c.WitnessTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports a setting that cannot work.
func (c PublisherConfig) Validate() error {
	var errs []error
	if c.Log == nil {
		errs = append(errs, errors.New("no transparency log"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if c.Signer == nil {
		errs = append(errs, errors.New("no signing key"))
	}
	if c.Interval < 0 || c.CatchUpTimeout < 0 {
		errs = append(errs, fmt.Errorf("interval %v and catch-up timeout %v must not be negative", c.Interval, c.CatchUpTimeout))
	}
	if len(errs) > 0 {
		return fmt.Errorf("checkpoint publisher config: %w", errors.Join(errs...))
	}
	return nil
}

// Publisher signs checkpoints of the tree and appends each, as a
// CheckpointType event, to the log's CheckpointStream, so that every
// checkpoint it published is kept in the log and travels with an export.
// A checkpoint event is itself a later leaf: the next checkpoint covers it.
type Publisher struct {
	cfg PublisherConfig
}

// NewPublisher returns a publisher.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Publisher{cfg: cfg.WithDefaults()}, nil
}

// Run publishes a checkpoint every Interval when the tree grew, until ctx
// ends (returning nil). Failures are logged and retried at the next tick.
func (p *Publisher) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cp, _, err := p.Publish(ctx)
		if err != nil && ctx.Err() == nil {
			p.cfg.Logger.Error("transparency: publish checkpoint", "err", err, "code", Code(err))
		}
		if err == nil && cp.Note != nil {
			if _, err := p.Witness(ctx, cp); err != nil && ctx.Err() == nil {
				p.cfg.Logger.Error("transparency: witness checkpoint", "size", cp.Size, "err", err, "code", Code(err))
			}
		}
	}
}

// Witness offers cp to every configured witness that has not cosigned it
// yet, concurrently, and appends each cosignature obtained to
// CheckpointStream (CosignatureEvent); the log serves them with the
// checkpoint (Log.Witnessed). It returns the cosignatures obtained, and the
// witnesses' refusals and failures joined.
func (p *Publisher) Witness(ctx context.Context, cp Checkpoint) ([]Cosignature, error) {
	if len(p.cfg.Witnesses) == 0 {
		return nil, nil
	}
	have := map[string]bool{}
	if latest := p.cfg.Log.State().Checkpoint; latest.Size == cp.Size && latest.Root == cp.Root {
		for _, c := range p.cfg.Log.Cosignatures() {
			have[c.Key] = true
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.WitnessTimeout)
	defer cancel()
	prove := func(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
		pr, err := p.cfg.Log.ProveConsistency(ctx, from, to)
		if err != nil {
			return nil, err
		}
		return toTlog(pr.Proof), nil
	}
	type result struct {
		c   Cosignature
		err error
	}
	results := make([]result, len(p.cfg.Witnesses))
	var wg sync.WaitGroup
	for i, w := range p.cfg.Witnesses {
		if have[w.Witness().Verifier.String()] {
			continue
		}
		wg.Go(func() {
			c, err := w.AddCheckpoint(ctx, cp, prove)
			results[i] = result{c, err}
		})
	}
	wg.Wait()
	var (
		got  []Cosignature
		errs []error
	)
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if r.c.Line == "" {
			continue
		}
		ev, err := CosignatureEvent(r.c)
		if err == nil {
			_, err = p.cfg.Store.Append(ctx, CheckpointStream, eventstore.Any, ev)
		}
		if err != nil && !errors.Is(err, eventstore.ErrDuplicateEvent) {
			errs = append(errs, fmt.Errorf("keep the cosignature of %s: %w", r.c.Witness, err))
			continue
		}
		p.cfg.Log.AddCosignature(r.c)
		got = append(got, r.c)
		p.cfg.Logger.Info("transparency: checkpoint cosigned", "size", cp.Size, "witness", r.c.Witness, "time", r.c.Time)
	}
	return got, errors.Join(errs...)
}

// Publish signs and appends a checkpoint of the whole tree now, if the tree
// grew (by more than checkpoint events) since the latest checkpoint. It
// first lets the tree catch up with the log's head, and refuses
// (ErrRootMismatch) to sign a tree that does not extend the latest
// published checkpoint. It reports the checkpoint and whether it appended
// one; a checkpoint another process already published is not appended
// twice.
func (p *Publisher) Publish(ctx context.Context) (Checkpoint, bool, error) {
	if err := p.cfg.Log.Failed(); err != nil {
		return Checkpoint{}, false, fmt.Errorf("publish checkpoint: the tree stopped following the log: %w", err)
	}
	head, err := p.cfg.Store.Head(ctx)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("publish checkpoint: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, p.cfg.CatchUpTimeout)
	err = p.cfg.Log.WaitFor(wctx, head)
	cancel()
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("publish checkpoint: the tree has not reached the log's head %d: %w", head, err)
	}
	st := p.cfg.Log.State()
	if st.ContentSize <= st.Checkpoint.Size {
		return st.Checkpoint, false, nil
	}
	if st.Checkpoint.Note != nil {
		old, err := p.cfg.Log.Root(ctx, st.Checkpoint.Size)
		if err != nil {
			return Checkpoint{}, false, fmt.Errorf("publish checkpoint: %w", err)
		}
		if old != st.Checkpoint.Root {
			return Checkpoint{}, false, fmt.Errorf("publish checkpoint: %w: the tree's root at size %d is %s, the checkpoint at position %d signed %s",
				ErrRootMismatch, st.Checkpoint.Size, old, st.Checkpoint.Position, st.Checkpoint.Root)
		}
	}
	root, err := p.cfg.Log.Root(ctx, st.Size)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("publish checkpoint: %w", err)
	}
	cp, err := SignCheckpoint(p.cfg.Signer, p.cfg.Log.Origin(), st.Size, root)
	if err != nil {
		return Checkpoint{}, false, err
	}
	ev, err := CheckpointEvent(cp)
	if err != nil {
		return Checkpoint{}, false, err
	}
	exp := eventstore.Any
	if v := p.cfg.Log.CheckpointStreamVersion(); p.cfg.Exclusive && v > 0 {
		exp = eventstore.Exact(v)
	}
	res, err := p.cfg.Store.Append(ctx, CheckpointStream, exp, ev)
	if errors.Is(err, eventstore.ErrDuplicateEvent) {
		return cp, false, nil
	}
	if errors.Is(err, eventstore.ErrConflict) {
		return Checkpoint{}, false, fmt.Errorf("publish checkpoint of size %d: another publisher appended to %s meanwhile (this server no longer holds the lease?): %w", cp.Size, CheckpointStream, err)
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	cp.Position = res.Position
	p.cfg.Logger.Info("transparency: checkpoint published", "size", cp.Size, "root", root.String(), "position", cp.Position)
	return cp, true, nil
}
