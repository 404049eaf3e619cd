package transparency

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

// State is where the tree stands. A HashStore commits it atomically with the
// hashes and leaves that bring the tree to it.
type State struct {
	// Size is the number of leaves.
	Size int64
	// Position is the global position of the last leaf's event: the
	// projection's checkpoint (0: no leaf yet).
	Position eventstore.Position
	// ContentSize is the tree size up to and including the last leaf that
	// is not a checkpoint event. The publisher signs a new checkpoint only
	// when it exceeds the latest checkpoint's size, so that publishing a
	// checkpoint does not by itself call for another.
	ContentSize int64
	// Checkpoint is the latest checkpoint published in the log, as far as
	// the tree has read it (Size 0 and no Note: none yet).
	Checkpoint Checkpoint
}

// Leaf is one leaf of the tree: which event it stands for. Its hash, the
// RFC 6962 leaf hash SHA-256(0x00 ‖ content hash), is the tree's stored hash
// at tlog.StoredHashIndex(0, index).
type Leaf struct {
	// Position is the event's global position.
	Position eventstore.Position
	// ID is the event's ID.
	ID uuid.UUID
}

// Batch is one atomic step of the tree: the leaves and stored hashes that
// take it from From to To.
type Batch struct {
	// From is the state the batch was computed from; Commit fails with
	// ErrTreeMoved, writing nothing, if the stored state has another size.
	From State
	// To is the state after the batch.
	To State
	// Leaves are leaves From.Size to To.Size-1, in order.
	Leaves []Leaf
	// Hashes are the stored hashes with indexes
	// tlog.StoredHashCount(From.Size) to tlog.StoredHashCount(To.Size)-1,
	// in order, as tlog.StoredHashes computes them.
	Hashes []tlog.Hash
}

// HashStore keeps the tree: its stored hashes (tlog's layout: every node of
// every complete subtree, by stored hash index), its leaves and its state.
// MemoryStore and PostgresStore implement it and pass one shared test.
// Implementations are safe for concurrent use; reads see committed batches
// only.
type HashStore interface {
	// Durable reports whether the tree survives the process. A store that
	// is not durable is rebuilt from the log at every start.
	Durable() bool
	// Load returns the committed state.
	Load(ctx context.Context) (State, error)
	// ReadHashes returns the stored hashes with the given indexes, in the
	// same order. Every index must be below
	// tlog.StoredHashCount(state.Size).
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// Commit stores a batch atomically: its leaves, hashes and state, or
	// nothing.
	Commit(ctx context.Context, b Batch) error
	// LeafByID returns the index and leaf of the event with that ID
	// (ErrUnknownEvent if none).
	LeafByID(ctx context.Context, id uuid.UUID) (int64, Leaf, error)
	// LeafByPosition returns the index and leaf of the event at that
	// global position (ErrUnknownEvent if none).
	LeafByPosition(ctx context.Context, pos eventstore.Position) (int64, Leaf, error)
	// LeafIndexes returns the leaf index of each event of ids, in the same
	// order, -1 for an event the tree does not hold: a public page's
	// entries in one lookup (one query in PostgreSQL).
	LeafIndexes(ctx context.Context, ids []uuid.UUID) ([]int64, error)
	// Close releases the store.
	Close() error
}

// chunkBits sizes MemoryStore's chunks: 65,536 entries each, so that growing
// the tree never copies it.
const chunkBits = 16

// chunked is an append-only list kept in fixed-size chunks.
type chunked[T any] struct {
	chunks [][]T
	n      int64
}

func (c *chunked[T]) append(v T) {
	if c.n>>chunkBits == int64(len(c.chunks)) {
		c.chunks = append(c.chunks, make([]T, 0, 1<<chunkBits))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *chunked[T]) at(i int64) T { return c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// truncate drops entries from n on (to undo a failed commit).
func (c *chunked[T]) truncate(n int64) {
	for c.n > n {
		last := len(c.chunks) - 1
		keep := int(n - int64(last)<<chunkBits)
		if keep > 0 {
			c.chunks[last] = c.chunks[last][:keep]
			c.n = n
			return
		}
		c.n = int64(last) << chunkBits
		c.chunks = c.chunks[:last]
	}
}

// MemoryStore is the in-memory HashStore, the default beside the in-memory
// read models: rebuilt from the log at every start. It needs about 64 bytes
// of hashes and 60 bytes of leaf index per event (some 1.2 GB for 10
// million events).
type MemoryStore struct {
	mu     sync.RWMutex
	state  State
	hashes chunked[tlog.Hash]
	leaves chunked[Leaf]
	ids    map[uuid.UUID]int64
}

// NewMemoryStore returns an empty in-memory tree.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{ids: make(map[uuid.UUID]int64)}
}

// Durable implements HashStore: false.
func (m *MemoryStore) Durable() bool { return false }

// Load implements HashStore.
func (m *MemoryStore) Load(ctx context.Context) (State, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.state, ctx.Err()
}

// ReadHashes implements HashStore.
func (m *MemoryStore) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i, x := range indexes {
		if x < 0 || x >= m.hashes.n {
			return nil, fmt.Errorf("read stored hash %d: %w: the tree holds %d", x, ErrInvalidSize, m.hashes.n)
		}
		out[i] = m.hashes.at(x)
	}
	return out, nil
}

// Commit implements HashStore.
func (m *MemoryStore) Commit(ctx context.Context, b Batch) error {
	if err := checkBatch(b); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state.Size != b.From.Size {
		return fmt.Errorf("commit leaves %d..%d: %w: the tree has %d leaves", b.From.Size, b.To.Size, ErrTreeMoved, m.state.Size)
	}
	for i, l := range b.Leaves {
		if _, dup := m.ids[l.ID]; dup {
			m.undo(b.From.Size, b.Leaves[:i])
			return fmt.Errorf("commit leaf %d: event %s is already a leaf", b.From.Size+int64(i), l.ID)
		}
		m.ids[l.ID] = b.From.Size + int64(i)
		m.leaves.append(l)
	}
	for _, h := range b.Hashes {
		m.hashes.append(h)
	}
	m.state = b.To
	return nil
}

func (m *MemoryStore) undo(size int64, added []Leaf) {
	for _, l := range added {
		delete(m.ids, l.ID)
	}
	m.leaves.truncate(size)
}

// LeafByID implements HashStore.
func (m *MemoryStore) LeafByID(ctx context.Context, id uuid.UUID) (int64, Leaf, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, ok := m.ids[id]
	if !ok {
		return 0, Leaf{}, fmt.Errorf("event %s: %w", id, ErrUnknownEvent)
	}
	return i, m.leaves.at(i), nil
}

// LeafByPosition implements HashStore.
func (m *MemoryStore) LeafByPosition(ctx context.Context, pos eventstore.Position) (int64, Leaf, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := m.leaves.n
	i := int64(sort.Search(int(n), func(i int) bool { return m.leaves.at(int64(i)).Position >= pos }))
	if i == n || m.leaves.at(i).Position != pos {
		return 0, Leaf{}, fmt.Errorf("position %d: %w", pos, ErrUnknownEvent)
	}
	return i, m.leaves.at(i), nil
}

// LeafIndexes implements HashStore.
func (m *MemoryStore) LeafIndexes(ctx context.Context, ids []uuid.UUID) ([]int64, error) {
	out := make([]int64, len(ids))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i, id := range ids {
		if x, ok := m.ids[id]; ok {
			out[i] = x
		} else {
			out[i] = -1
		}
	}
	return out, ctx.Err()
}

// Close implements HashStore.
func (m *MemoryStore) Close() error { return nil }

// checkBatch checks a batch's counts before any store writes it.
func checkBatch(b Batch) error {
	switch {
	case b.To.Size-b.From.Size != int64(len(b.Leaves)):
		return fmt.Errorf("commit: batch from %d to %d leaves holds %d leaves", b.From.Size, b.To.Size, len(b.Leaves))
	case tlog.StoredHashCount(b.To.Size)-tlog.StoredHashCount(b.From.Size) != int64(len(b.Hashes)):
		return fmt.Errorf("commit: batch from %d to %d leaves holds %d hashes, want %d", b.From.Size, b.To.Size, len(b.Hashes),
			tlog.StoredHashCount(b.To.Size)-tlog.StoredHashCount(b.From.Size))
	case !slices.IsSortedFunc(b.Leaves, func(x, y Leaf) int { return cmpPos(x.Position, y.Position) }):
		return fmt.Errorf("commit: %w: batch leaves not in position order", ErrNotAfter)
	case len(b.Leaves) > 0 && b.Leaves[0].Position <= b.From.Position && b.From.Size > 0:
		return fmt.Errorf("commit: %w: position %d, the tree is at %d", ErrNotAfter, b.Leaves[0].Position, b.From.Position)
	}
	return nil
}

func cmpPos(a, b eventstore.Position) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
