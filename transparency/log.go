package transparency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// DefaultMaxBatch is how many leaves Follow commits at most in one batch.
const DefaultMaxBatch = 4096

// Config configures a Log.
type Config struct {
	// Store keeps the tree. Default: a new MemoryStore.
	Store HashStore
	// Origin is the log's name in its checkpoints. Default DefaultOrigin.
	Origin string
	// Verifiers, if set, are the keys a checkpoint event in the log must be
	// signed with to become the latest checkpoint; one that does not verify
	// is logged and otherwise ignored (verification names it). Unset: every
	// well-formed checkpoint event counts.
	Verifiers note.Verifiers
	// Guard, if set, is told of every checkpoint the tree takes as its
	// latest (CheckpointGuard.Observe), so that the store's guard of
	// CheckpointStream refuses a checkpoint of a smaller tree.
	Guard *CheckpointGuard
	// MaxBatch bounds the leaves Follow commits in one batch. Default
	// DefaultMaxBatch.
	MaxBatch int
	// Logger receives the log's messages. Default slog.Default().
	Logger *slog.Logger
}

// WithDefaults returns c with unset fields filled in.
func (c Config) WithDefaults() Config {
	if c.Store == nil {
		c.Store = NewMemoryStore()
	}
	if c.Origin == "" {
		c.Origin = DefaultOrigin
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if c.MaxBatch < 0 {
		return fmt.Errorf("transparency config: max batch %d is negative", c.MaxBatch)
	}
	if c.Origin != "" {
		if _, _, _, err := ParseCheckpointBody(CheckpointBody(c.Origin, 0, tlog.Hash{})); err != nil {
			return fmt.Errorf("transparency config: origin %q: %w", c.Origin, err)
		}
	}
	return nil
}

// Log is the ledger's transparency log: a Merkle tree (RFC 6962, through
// golang.org/x/mod/sumdb/tlog) whose leaves are the events' content hashes
// in global order. It appends leaves as the event log grows (Append,
// Follow) and answers for the tree: roots, inclusion and consistency
// proofs, the latest published checkpoint. Safe for concurrent use; one
// goroutine at a time appends.
type Log struct {
	cfg   Config
	store HashStore
	// following and failed describe Follow, for Status.
	following bool
	failed    error
	failedAt  eventstore.Position
	wmu       sync.Mutex // serialises appends
	mu        sync.RWMutex
	state     State
	front     frontier
	notify    eventstore.Notifier
	// rootChecked is the checkpoint (size and root) Entries last found
	// the tree's root to match.
	rootChecked Checkpoint
	// cosigs are the witnesses' cosignatures of the latest checkpoint
	// (state.Checkpoint), as read from the log or added by the publisher.
	cosigs []Cosignature
	// cpVersion is CheckpointStream's version as last read (see
	// CheckpointStreamVersion).
	cpVersion atomic.Uint64
}

// frontier holds the roots of the complete subtrees that make up a tree of
// size n, by level: entry k is valid when bit k of n is set. They are the
// only stored hashes that adding a leaf, or computing the root, reads.
type frontier [64]tlog.Hash

// reader serves tlog's reads for a tree of size n from the frontier.
func (f *frontier) reader(n int64) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			level, k := tlog.SplitStoredHashIndex(x)
			if n>>level&1 == 0 || k != n>>level-1 {
				return nil, fmt.Errorf("stored hash %d (level %d, node %d) is not on the frontier of a tree of %d leaves", x, level, k, n)
			}
			out[i] = f[level]
		}
		return out, nil
	})
}

// add records the hashes tlog.StoredHashes returned for leaf n.
func (f *frontier) add(n int64, hashes []tlog.Hash) {
	m := bits.TrailingZeros64(uint64(n + 1))
	f[m] = hashes[m]
}

// Open loads the tree from cfg.Store and returns the log.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	l := &Log{cfg: cfg, store: cfg.Store}
	if err := l.load(ctx); err != nil {
		return nil, fmt.Errorf("open transparency log: %w", err)
	}
	return l, nil
}

// load reads the committed state and its frontier from the store; call it
// with wmu held (or before the log is shared).
func (l *Log) load(ctx context.Context) error {
	st, err := l.store.Load(ctx)
	if err != nil {
		return err
	}
	var (
		idx    []int64
		levels []int
		fr     frontier
	)
	for k := 63; k >= 0; k-- {
		if st.Size>>k&1 == 1 {
			idx = append(idx, tlog.StoredHashIndex(k, st.Size>>k-1))
			levels = append(levels, k)
		}
	}
	if len(idx) > 0 {
		hs, err := l.store.ReadHashes(ctx, idx)
		if err != nil {
			return fmt.Errorf("read frontier: %w", err)
		}
		for i, k := range levels {
			fr[k] = hs[i]
		}
	}
	l.mu.Lock()
	l.state, l.front = st, fr
	l.mu.Unlock()
	l.notify.Publish(st.Position)
	return nil
}

// Store returns the log's hash store.
func (l *Log) Store() HashStore { return l.store }

// Origin returns the log's origin.
func (l *Log) Origin() string { return l.cfg.Origin }

// State returns where the tree stands.
func (l *Log) State() State {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.state
}

// Append adds events to the tree as leaves, in order, each after the
// tree's last position, and commits them in one batch. The leaf data is the
// event's content hash, which must match its content: an event whose
// content was changed is not added (a *Problem, ErrContentChanged) and the
// events before it are committed. A checkpoint event becomes the tree's
// latest checkpoint (see Config.Verifiers).
func (l *Log) Append(ctx context.Context, events ...eventstore.Event) error {
	if len(events) == 0 {
		return nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.RLock()
	st, fr, cosigs := l.state, l.front, l.cosigs
	l.mu.RUnlock()
	b := Batch{From: st, Leaves: make([]Leaf, 0, len(events)), Hashes: make([]tlog.Hash, 0, 2*len(events)+8)}
	var stop error
	for i := range events {
		ev := &events[i]
		if ev.Position <= st.Position {
			stop = fmt.Errorf("append event %s: %w: position %d, the tree's last is %d", ev.ID, ErrNotAfter, ev.Position, st.Position)
			break
		}
		if got := eventstore.ContentHash(*ev); got != ev.Hash {
			stop = &Problem{Kind: ErrContentChanged, Position: ev.Position, Leaf: st.Size, EventID: ev.ID.String(),
				Detail: fmt.Sprintf("event %s (%s/%d) hashes to %s, its stored content hash is %s; not added to the tree", ev.ID, ev.Stream, ev.Version, got, ev.Hash)}
			break
		}
		hs, err := tlog.StoredHashesForRecordHash(st.Size, tlog.RecordHash(ev.Hash[:]), fr.reader(st.Size))
		if err != nil {
			return fmt.Errorf("append event %s: %w", ev.ID, err)
		}
		fr.add(st.Size, hs)
		b.Hashes = append(b.Hashes, hs...)
		b.Leaves = append(b.Leaves, Leaf{Position: ev.Position, ID: ev.ID})
		st.Size++
		st.Position = ev.Position
		if IsCheckpointEvent(ev) {
			cp, err := ReadCheckpointEvent(ev, l.cfg.Verifiers, l.cfg.Origin)
			if err == nil && cp.Origin != l.cfg.Origin {
				err = fmt.Errorf("%w: checkpoint of log %q, want %q", ErrSignatureInvalid, cp.Origin, l.cfg.Origin)
			}
			if err != nil {
				l.cfg.Logger.Error("transparency: checkpoint event in the log does not verify; ignored", "position", ev.Position, "event", ev.ID, "err", err)
			} else {
				if cp.Size != st.Checkpoint.Size || cp.Root != st.Checkpoint.Root {
					cosigs = nil
				}
				st.Checkpoint = cp
				if l.cfg.Guard != nil {
					l.cfg.Guard.Observe(cp)
				}
			}
		} else if IsCosignatureEvent(ev) {
			c, err := ReadCosignatureEvent(ev)
			if err != nil {
				l.cfg.Logger.Error("transparency: cosignature event in the log does not verify; ignored", "position", ev.Position, "event", ev.ID, "err", err)
			} else if c.Origin == l.cfg.Origin && c.Size == st.Checkpoint.Size && c.Root == st.Checkpoint.Root {
				cosigs = addCosignature(cosigs, c)
			}
		} else {
			st.ContentSize = st.Size
		}
	}
	if len(b.Leaves) > 0 {
		b.To = st
		if err := l.store.Commit(ctx, b); err != nil {
			return fmt.Errorf("append %d leaves at %d: %w", len(b.Leaves), b.From.Size, err)
		}
		for i := len(b.Leaves) - 1; i >= 0; i-- {
			if ev := &events[i]; ev.Stream == CheckpointStream {
				l.cpVersion.Store(ev.Version)
				break
			}
		}
		l.mu.Lock()
		l.state, l.front, l.cosigs = st, fr, cosigs
		l.mu.Unlock()
		l.notify.Publish(st.Position)
	}
	return stop
}

// CheckpointStreamVersion is the version of CheckpointStream's last event
// the tree has read since this process started (0: none yet): the
// expected version a publisher that must not race another appends with.
func (l *Log) CheckpointStreamVersion() uint64 { return l.cpVersion.Load() }

// addCosignature adds c to cosigs unless that witness key's cosignature is
// there already; it never changes cosigs' backing array in place.
func addCosignature(cosigs []Cosignature, c Cosignature) []Cosignature {
	for _, have := range cosigs {
		if have.Key == c.Key {
			return cosigs
		}
	}
	return append(slices.Clip(cosigs), c)
}

// AddCosignature records a witness's cosignature of the latest checkpoint
// (the publisher's, as the witness answered, before its event is read
// back). One of another checkpoint is ignored.
func (l *Log) AddCosignature(c Cosignature) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cp := l.state.Checkpoint
	if c.Origin == l.cfg.Origin && c.Size == cp.Size && c.Root == cp.Root {
		l.cosigs = addCosignature(l.cosigs, c)
	}
}

// Cosignatures returns the witnesses' cosignatures of the latest
// checkpoint known so far.
func (l *Log) Cosignatures() []Cosignature {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.cosigs)
}

// Witnessed returns the latest checkpoint with its witnesses'
// cosignatures: its note is the log's signed note followed by one
// cosignature line per witness (the C2SP checkpoint a witnessed log
// serves). ErrNoCheckpoint if none.
func (l *Log) Witnessed(ctx context.Context) (Checkpoint, error) {
	l.mu.RLock()
	cp, cosigs := l.state.Checkpoint, l.cosigs
	l.mu.RUnlock()
	if cp.Note == nil {
		return Checkpoint{}, ErrNoCheckpoint
	}
	cp.Note = WithCosignatures(cp.Note, cosigs)
	return cp, ctx.Err()
}

// WaitFor returns once the tree holds every event up to position pos, or
// with ctx's error.
func (l *Log) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		at := l.State().Position
		if at >= pos {
			return nil
		}
		if err := l.notify.Wait(ctx, at, 0); err != nil {
			return err
		}
	}
}

// Follow appends the events of store to the tree, from the tree's last
// position on, as they are appended, until ctx ends or an event cannot be
// added. While catching up it commits up to Config.MaxBatch leaves at a
// time; once live, every event as it comes. It returns ctx's error when
// ctx ends.
func (l *Log) Follow(ctx context.Context, store eventstore.Store) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	after := l.State().Position
	l.cfg.Logger.Info("transparency: following the log", "after", after, "leaves", l.State().Size)
	l.mu.Lock()
	l.following, l.failed, l.failedAt = true, nil, 0
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.following = false
		l.mu.Unlock()
	}()
	events := make(chan eventstore.Event, l.cfg.MaxBatch)
	var subErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(events)
		for ev, err := range store.Subscribe(ctx, after) {
			if err != nil {
				subErr = err
				return
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				subErr = ctx.Err()
				return
			}
		}
	}()
	batch := make([]eventstore.Event, 0, l.cfg.MaxBatch)
	for {
		ev, ok := <-events
		if !ok {
			<-done
			if subErr == nil {
				subErr = ctx.Err()
			}
			return fmt.Errorf("transparency: follow the log: %w", subErr)
		}
		batch = append(batch[:0], ev)
	drain:
		for len(batch) < l.cfg.MaxBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					break drain
				}
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		err := l.appendNew(ctx, batch)
		for errors.Is(err, ErrTreeMoved) {
			// Another process appended to the same tree: take up its
			// state and add what it has not. Each time round, the
			// other writer's commit made progress.
			l.cfg.Logger.Debug("transparency: the tree moved (another writer); reloading")
			l.wmu.Lock()
			err = l.load(ctx)
			l.wmu.Unlock()
			if err == nil {
				err = l.appendNew(ctx, batch)
			}
		}
		if err != nil {
			stopping := ctx.Err() != nil
			if !stopping {
				l.mu.Lock()
				l.failed, l.failedAt = err, l.state.Position+1
				var p *Problem
				if errors.As(err, &p) {
					l.failedAt = p.Position
				}
				l.mu.Unlock()
				l.cfg.Logger.Error("transparency: follow stopped", "err", err, "code", Code(err))
			}
			cancel()
			for range events {
			}
			<-done
			return fmt.Errorf("transparency: follow the log: %w", err)
		}
	}
}

// appendNew appends the events of batch after the tree's position.
func (l *Log) appendNew(ctx context.Context, batch []eventstore.Event) error {
	pos := l.State().Position
	i := 0
	for i < len(batch) && batch[i].Position <= pos {
		i++
	}
	return l.Append(ctx, batch[i:]...)
}

// Failed returns the error Follow stopped at, or nil.
func (l *Log) Failed() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.failed
}

// Name is the tree's name among the projections.
const Name = "transparency"

// Status reports the tree as a projections.Status, so that it is listed
// beside the read models (`collabledger status`, health): its checkpoint is
// the position of its last leaf; it is running while Follow runs, failed
// when Follow stopped at an event it could not add (a changed event).
func (l *Log) Status(ctx context.Context, store eventstore.Store) (projections.Status, error) {
	head, err := store.Head(ctx)
	if err != nil {
		return projections.Status{}, fmt.Errorf("transparency status: %w", err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := projections.Status{Projection: Name, Version: 1, StoredVersion: 1, Generation: 1, Checkpoint: l.state.Position,
		Head: head, State: projections.StateStopped, UpdatedAt: time.Now().UTC()}
	if head > s.Checkpoint {
		s.Lag = uint64(head - s.Checkpoint)
	}
	switch {
	case l.failed != nil:
		s.State, s.Error, s.ErrorPosition = projections.StateFailed, l.failed.Error(), l.failedAt
	case l.following:
		s.State = projections.StateRunning
	}
	return s, nil
}

// hashReader reads committed stored hashes.
func (l *Log) hashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return l.store.ReadHashes(ctx, indexes)
	})
}

// read runs fn, which reads stored hashes through the reader it is given
// (tlog's proofs and roots). For a durable (networked) store it makes one
// round trip: fn runs once with a reader that only notes the indexes
// asked for (tlog's index arithmetic does not depend on the hashes), they
// are read in one call, and fn runs again on them.
func (l *Log) read(ctx context.Context, fn func(r tlog.HashReader) error) error {
	if !l.store.Durable() {
		return fn(l.hashReader(ctx))
	}
	var want []int64
	dry := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		want = append(want, idx...)
		return make([]tlog.Hash, len(idx)), nil
	})
	if err := fn(dry); err != nil {
		return err
	}
	slices.Sort(want)
	want = slices.Compact(want)
	hs, err := l.store.ReadHashes(ctx, want)
	if err != nil {
		return err
	}
	got := make(map[int64]tlog.Hash, len(want))
	for i, x := range want {
		got[x] = hs[i]
	}
	return fn(tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := got[x]
			if !ok {
				return nil, fmt.Errorf("stored hash %d was not read ahead", x)
			}
			out[i] = h
		}
		return out, nil
	}))
}

// Root returns the root hash of the tree of the first size leaves.
func (l *Log) Root(ctx context.Context, size int64) (tlog.Hash, error) {
	l.mu.RLock()
	st, fr := l.state, l.front
	l.mu.RUnlock()
	if size < 0 || size > st.Size {
		return tlog.Hash{}, fmt.Errorf("root of tree size %d: %w: the tree has %d leaves", size, ErrInvalidSize, st.Size)
	}
	if size == st.Size {
		return tlog.TreeHash(size, fr.reader(size))
	}
	h, err := tlog.TreeHash(size, l.hashReader(ctx))
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("root of tree size %d: %w", size, err)
	}
	return h, nil
}

// Latest returns the latest checkpoint published in the log
// (ErrNoCheckpoint if none).
func (l *Log) Latest(ctx context.Context) (Checkpoint, error) {
	cp := l.State().Checkpoint
	if cp.Note == nil {
		return Checkpoint{}, ErrNoCheckpoint
	}
	return cp, ctx.Err()
}

// LeafRef names a leaf by its event's ID or, if ID is nil, by its event's
// global position.
type LeafRef struct {
	ID       uuid.UUID
	Position eventstore.Position
}

// String names the leaf for messages: "event <id>" or "position N".
func (r LeafRef) String() string {
	if r.ID != uuid.Nil {
		return "event " + r.ID.String()
	}
	return fmt.Sprintf("position %d", r.Position)
}

// Find returns the index and leaf ref names.
func (l *Log) Find(ctx context.Context, ref LeafRef) (int64, Leaf, error) {
	if ref.ID != uuid.Nil {
		return l.store.LeafByID(ctx, ref.ID)
	}
	return l.store.LeafByPosition(ctx, ref.Position)
}

// InclusionProof proves that one event's content hash is leaf LeafIndex of
// the tree of TreeSize leaves with root RootHash (RFC 6962 audit path).
// Hashes are hex in JSON.
type InclusionProof struct {
	EventID   uuid.UUID           `json:"eventId"`
	Position  eventstore.Position `json:"position"`
	LeafIndex int64               `json:"leafIndex"`
	// LeafHash is SHA-256(0x00 ‖ content hash).
	LeafHash eventstore.Hash   `json:"leafHash"`
	TreeSize int64             `json:"treeSize"`
	RootHash eventstore.Hash   `json:"rootHash"`
	Proof    []eventstore.Hash `json:"proof"`
	// Checkpoint is the signed note of the checkpoint of TreeSize leaves,
	// when the proof is against a published checkpoint.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Verify checks the audit path against the root hash.
func (p InclusionProof) Verify() error {
	if err := tlog.CheckRecord(toTlog(p.Proof), p.TreeSize, tlog.Hash(p.RootHash), p.LeafIndex, tlog.Hash(p.LeafHash)); err != nil {
		return fmt.Errorf("inclusion proof of leaf %d in tree %d: %w", p.LeafIndex, p.TreeSize, err)
	}
	return nil
}

// LeafHash returns the tree's leaf hash of an event's content hash:
// SHA-256(0x00 ‖ content hash), RFC 6962's leaf hash.
func LeafHash(content eventstore.Hash) eventstore.Hash {
	return eventstore.Hash(tlog.RecordHash(content[:]))
}

// ProveInclusion proves that the event ref names is in the tree of size
// leaves. size 0 means the latest checkpoint's size: ErrNoCheckpoint if
// there is none, ErrNotCheckpointed if the event is not yet covered.
func (l *Log) ProveInclusion(ctx context.Context, ref LeafRef, size int64) (InclusionProof, error) {
	st := l.State()
	i, leaf, err := l.Find(ctx, ref)
	if err != nil {
		return InclusionProof{}, err
	}
	p := InclusionProof{EventID: leaf.ID, Position: leaf.Position, LeafIndex: i, TreeSize: size}
	if size == 0 {
		if st.Checkpoint.Note == nil {
			return InclusionProof{}, fmt.Errorf("prove %s: %w", ref, ErrNoCheckpoint)
		}
		p.TreeSize = st.Checkpoint.Size
		if i >= p.TreeSize {
			return p, fmt.Errorf("prove %s (leaf %d): %w of %d leaves", ref, i, ErrNotCheckpointed, p.TreeSize)
		}
	}
	if p.TreeSize > st.Size || i >= p.TreeSize || p.TreeSize < 0 {
		return InclusionProof{}, fmt.Errorf("prove %s (leaf %d) in tree size %d: %w: the tree has %d leaves", ref, i, p.TreeSize, ErrInvalidSize, st.Size)
	}
	var (
		proof tlog.RecordProof
		leafH []tlog.Hash
		root  tlog.Hash
	)
	err = l.read(ctx, func(r tlog.HashReader) (err error) {
		if proof, err = tlog.ProveRecord(p.TreeSize, i, r); err != nil {
			return err
		}
		if leafH, err = r.ReadHashes([]int64{tlog.StoredHashIndex(0, i)}); err != nil {
			return err
		}
		root, err = tlog.TreeHash(p.TreeSize, r)
		return err
	})
	if err != nil {
		return InclusionProof{}, fmt.Errorf("prove %s: %w", ref, err)
	}
	hs := leafH
	p.LeafHash, p.RootHash, p.Proof = eventstore.Hash(hs[0]), eventstore.Hash(root), fromTlog(proof)
	if st.Checkpoint.Note != nil && st.Checkpoint.Size == p.TreeSize {
		if st.Checkpoint.Root != root {
			return InclusionProof{}, fmt.Errorf("prove %s: %w (size %d)", ref, ErrRootMismatch, p.TreeSize)
		}
		p.Checkpoint = string(st.Checkpoint.Note)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of From leaves (root FromRoot) is a
// prefix of the tree of To leaves (root ToRoot): nothing in the first From
// leaves was changed, removed or reordered. Hashes are hex in JSON.
type ConsistencyProof struct {
	From     int64             `json:"from"`
	To       int64             `json:"to"`
	FromRoot eventstore.Hash   `json:"fromRoot"`
	ToRoot   eventstore.Hash   `json:"toRoot"`
	Proof    []eventstore.Hash `json:"proof"`
	// Checkpoint is the signed note of the checkpoint of To leaves, when
	// To is the latest checkpoint's size.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Verify checks the proof against the two roots.
func (p ConsistencyProof) Verify() error {
	if err := tlog.CheckTree(toTlog(p.Proof), p.To, tlog.Hash(p.ToRoot), p.From, tlog.Hash(p.FromRoot)); err != nil {
		return fmt.Errorf("consistency proof from %d to %d leaves: %w", p.From, p.To, err)
	}
	return nil
}

// ProveConsistency proves that the tree of from leaves is a prefix of the
// tree of to leaves. to 0 means the latest checkpoint's size.
func (l *Log) ProveConsistency(ctx context.Context, from, to int64) (ConsistencyProof, error) {
	st := l.State()
	if to == 0 {
		if st.Checkpoint.Note == nil {
			return ConsistencyProof{}, fmt.Errorf("prove consistency: %w", ErrNoCheckpoint)
		}
		to = st.Checkpoint.Size
	}
	if from < 1 || from > to || to > st.Size {
		return ConsistencyProof{}, fmt.Errorf("prove consistency from %d to %d: %w: want 1 <= from <= to <= %d", from, to, ErrInvalidSize, st.Size)
	}
	var (
		proof            tlog.TreeProof
		fromRoot, toRoot tlog.Hash
	)
	err := l.read(ctx, func(r tlog.HashReader) (err error) {
		if proof, err = tlog.ProveTree(to, from, r); err != nil {
			return err
		}
		if fromRoot, err = tlog.TreeHash(from, r); err != nil {
			return err
		}
		toRoot, err = tlog.TreeHash(to, r)
		return err
	})
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("prove consistency from %d to %d: %w", from, to, err)
	}
	p := ConsistencyProof{From: from, To: to, FromRoot: eventstore.Hash(fromRoot), ToRoot: eventstore.Hash(toRoot), Proof: fromTlog(proof)}
	if st.Checkpoint.Note != nil && st.Checkpoint.Size == to {
		if st.Checkpoint.Root != toRoot {
			return ConsistencyProof{}, fmt.Errorf("prove consistency to %d: %w", to, ErrRootMismatch)
		}
		p.Checkpoint = string(st.Checkpoint.Note)
	}
	return p, nil
}

// Entry is what a public page shows for one event: whether the latest
// checkpoint covers it, and its proof checked.
type Entry struct {
	// Included is true when the event is a leaf of the latest checkpoint's
	// tree and its inclusion proof checks out against that root.
	Included bool
	// Pending is true when the event is in the tree but after the latest
	// checkpoint: the next checkpoint will cover it.
	Pending bool
	// LeafIndex is the event's leaf, -1 when the tree does not hold it
	// (yet).
	LeafIndex int64
	// CheckpointSize is the latest checkpoint's size (0: none yet).
	CheckpointSize int64
	// Proof is the inclusion proof, when Included.
	Proof *InclusionProof
}

// Entry reports an event's standing in the latest checkpoint, for the
// public case and transcript pages. An event the tree does not hold yet
// (it lags the log by moments) is neither included nor pending.
func (l *Log) Entry(ctx context.Context, id uuid.UUID) (Entry, error) {
	e := Entry{LeafIndex: -1, CheckpointSize: l.State().Checkpoint.Size}
	i, _, err := l.store.LeafByID(ctx, id)
	if errors.Is(err, ErrUnknownEvent) {
		return e, nil
	}
	if err != nil {
		return e, err
	}
	e.LeafIndex = i
	p, err := l.ProveInclusion(ctx, LeafRef{ID: id}, 0)
	switch {
	case errors.Is(err, ErrNoCheckpoint), errors.Is(err, ErrNotCheckpointed):
		e.Pending = true
		return e, nil
	case err != nil:
		return e, err
	}
	if err := p.Verify(); err != nil {
		return e, err
	}
	e.Included, e.Proof, e.CheckpointSize = true, &p, p.TreeSize
	return e, nil
}

// Entries reports the standing of each event of ids in the latest
// checkpoint, as Entry does, with one lookup in the hash store for all of
// them (one query in PostgreSQL): what a public page shows beside its
// entries. It computes no proofs (Proof is nil; the page links to the
// proof API): Included means that the event's leaf is below the latest
// checkpoint's size and that the tree's root at that size is the one the
// checkpoint signs (checked once per checkpoint, ErrRootMismatch if not).
func (l *Log) Entries(ctx context.Context, ids []uuid.UUID) ([]Entry, error) {
	cp := l.State().Checkpoint
	idx, err := l.store.LeafIndexes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("entries of %d events: %w", len(ids), err)
	}
	if cp.Note != nil {
		if err := l.checkRoot(ctx, cp); err != nil {
			return nil, fmt.Errorf("entries of %d events: %w", len(ids), err)
		}
	}
	out := make([]Entry, len(ids))
	for i, x := range idx {
		out[i] = Entry{LeafIndex: x, CheckpointSize: cp.Size}
		switch {
		case x < 0:
		case cp.Note != nil && x < cp.Size:
			out[i].Included = true
		default:
			out[i].Pending = true
		}
	}
	return out, nil
}

// checkRoot checks that the tree's root at cp's size is cp's root, once
// per checkpoint.
func (l *Log) checkRoot(ctx context.Context, cp Checkpoint) error {
	l.mu.RLock()
	done := l.rootChecked.Note != nil && l.rootChecked.Size == cp.Size && l.rootChecked.Root == cp.Root
	l.mu.RUnlock()
	if done {
		return nil
	}
	root, err := l.Root(ctx, cp.Size)
	if err != nil {
		return err
	}
	if root != cp.Root {
		return fmt.Errorf("%w: the tree's root at size %d is %s, the checkpoint at position %d signed %s", ErrRootMismatch, cp.Size, root, cp.Position, cp.Root)
	}
	l.mu.Lock()
	l.rootChecked = cp
	l.mu.Unlock()
	return nil
}

func toTlog(hs []eventstore.Hash) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = tlog.Hash(h)
	}
	return out
}

func fromTlog(hs []tlog.Hash) []eventstore.Hash {
	out := make([]eventstore.Hash, len(hs))
	for i, h := range hs {
		out[i] = eventstore.Hash(h)
	}
	return out
}
