package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/btree"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// MemoryBackend keeps read models in memory: the embedded default. Nothing
// survives the process; the Runner rebuilds every projection from the log at
// start. Documents are kept as JSON bytes that are never modified in place,
// so a query never sees a half-applied batch and never needs a copy.
type MemoryBackend struct {
	mu    sync.RWMutex
	projs map[string]*memProj
}

type memProj struct {
	mu      sync.Mutex
	active  uint64
	next    uint64
	gens    map[uint64]*memGen
	mark    eventstore.Position
	markSet bool
	outbox  []IntegrationEvent
}

type memGen struct {
	mu sync.RWMutex
	cp Checkpoint
	// colls keeps each collection's documents in one B-tree ordered by
	// key: a prefix scan starts where its prefix does and stops as soon as
	// its caller has enough, and a document is one item (no map beside the
	// order: a Join import keeps millions of signatures, and a map of them
	// cost as much again to fill and to scan for the garbage collector).
	colls map[string]*btree.BTreeG[memKV]
}

// memKVLess orders a collection's documents by key.
func memKVLess(a, b memKV) bool { return a.key < b.key }

// get returns the document key of collection.
func (g *memGen) get(collection, key string) ([]byte, bool) {
	t := g.colls[collection]
	if t == nil {
		return nil, false
	}
	kv, ok := t.Get(memKV{key: key})
	return kv.raw, ok
}

// scanChunk is how many keys a Scan takes under the lock at a time.
const scanChunk = 256

var _ Backend = (*MemoryBackend)(nil)

// NewMemoryBackend returns an empty in-memory backend.
func NewMemoryBackend() *MemoryBackend {
	return &MemoryBackend{projs: map[string]*memProj{}}
}

// Durable implements Backend: memory is not.
func (m *MemoryBackend) Durable() bool { return false }

// Close implements Backend.
func (m *MemoryBackend) Close() error { return nil }

func (m *MemoryBackend) proj(name string, create bool) *memProj {
	m.mu.RLock()
	p := m.projs[name]
	m.mu.RUnlock()
	if p != nil || !create {
		return p
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p = m.projs[name]; p == nil {
		p = &memProj{gens: map[uint64]*memGen{}, next: 1}
		m.projs[name] = p
	}
	return p
}

func (m *MemoryBackend) gen(projection string, gen uint64) (*memGen, error) {
	p := m.proj(projection, false)
	if p == nil {
		return nil, fmt.Errorf("projection %s generation %d: %w", projection, gen, ErrUnknownGeneration)
	}
	p.mu.Lock()
	g := p.gens[gen]
	p.mu.Unlock()
	if g == nil {
		return nil, fmt.Errorf("projection %s generation %d: %w", projection, gen, ErrUnknownGeneration)
	}
	return g, nil
}

// Generations implements Backend.
func (m *MemoryBackend) Generations(ctx context.Context, projection string) (Generations, error) {
	var out Generations
	p := m.proj(projection, false)
	if p == nil {
		return out, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out.Active = p.active
	for _, g := range p.gens {
		g.mu.RLock()
		out.All = append(out.All, g.cp)
		g.mu.RUnlock()
	}
	slices.SortFunc(out.All, func(a, b Checkpoint) int { return compareUint(a.Generation, b.Generation) })
	return out, ctx.Err()
}

// CreateGeneration implements Backend.
func (m *MemoryBackend) CreateGeneration(ctx context.Context, projection string, version int) (Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return Checkpoint{}, err
	}
	if !validName(projection) {
		return Checkpoint{}, fmt.Errorf("create generation: invalid projection name %q", projection)
	}
	p := m.proj(projection, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	g := &memGen{colls: map[string]*btree.BTreeG[memKV]{}}
	g.cp = Checkpoint{Projection: projection, Generation: p.next, Version: version, State: StateBuilding, UpdatedAt: time.Now().UTC()}
	p.next++
	if p.active == 0 {
		p.active = g.cp.Generation
		g.cp.State = StateRunning
	}
	p.gens[g.cp.Generation] = g
	return g.cp, nil
}

// Activate implements Backend.
func (m *MemoryBackend) Activate(ctx context.Context, projection string, gen uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := m.proj(projection, false)
	if p == nil {
		return fmt.Errorf("activate %s generation %d: %w", projection, gen, ErrUnknownGeneration)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.gens[gen]
	if g == nil {
		return fmt.Errorf("activate %s generation %d: %w", projection, gen, ErrUnknownGeneration)
	}
	g.mu.Lock()
	g.cp.State, g.cp.Error, g.cp.ErrorPosition, g.cp.UpdatedAt = StateRunning, "", 0, time.Now().UTC()
	g.mu.Unlock()
	p.active = gen
	for n := range p.gens {
		if n != gen {
			delete(p.gens, n)
		}
	}
	return nil
}

// DropGeneration implements Backend.
func (m *MemoryBackend) DropGeneration(ctx context.Context, projection string, gen uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := m.proj(projection, false)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen == p.active {
		return fmt.Errorf("drop %s generation %d: it is the active generation", projection, gen)
	}
	delete(p.gens, gen)
	return nil
}

// SetState implements Backend.
func (m *MemoryBackend) SetState(ctx context.Context, projection string, gen uint64, state State, errMsg string, errPos eventstore.Position) error {
	g, err := m.gen(projection, gen)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if state != StateFailed {
		errMsg, errPos = "", 0
	}
	g.cp.State, g.cp.Error, g.cp.ErrorPosition, g.cp.UpdatedAt = state, errMsg, errPos, time.Now().UTC()
	return ctx.Err()
}

// Load implements Backend.
func (m *MemoryBackend) Load(ctx context.Context, projection string, gen uint64, collection, key string) ([]byte, bool, error) {
	g, err := m.gen(projection, gen)
	if err != nil {
		return nil, false, err
	}
	g.mu.RLock()
	raw, ok := g.get(collection, key)
	g.mu.RUnlock()
	return raw, ok, nil
}

// LoadMany implements Backend.
func (m *MemoryBackend) LoadMany(ctx context.Context, projection string, gen uint64, refs []DocRef) (map[DocRef][]byte, error) {
	g, err := m.gen(projection, gen)
	if err != nil {
		return nil, err
	}
	out := make(map[DocRef][]byte, len(refs))
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, r := range refs {
		if raw, ok := g.get(r.Collection, r.Key); ok {
			out[r] = raw
		}
	}
	return out, nil
}

type memKV struct {
	key string
	raw []byte
}

// Scan implements Backend.
func (m *MemoryBackend) Scan(ctx context.Context, projection string, gen uint64, collection, prefix string, fn func(key string, raw []byte) error) error {
	return m.scanPage(ctx, projection, gen, collection, prefix, "", 0, fn)
}

// scanPage calls fn for at most limit (0: all) documents of collection
// whose keys start with prefix and sort after after.
func (m *MemoryBackend) scanPage(ctx context.Context, projection string, gen uint64, collection, prefix, after string, limit int, fn func(key string, raw []byte) error) error {
	g, err := m.gen(projection, gen)
	if err != nil {
		return err
	}
	// Take keys in order under the lock, a chunk at a time, and call fn
	// without it (fn may read again); a caller that has enough stops the
	// scan after the keys it needed.
	from, skip := prefix, ""
	if after >= prefix {
		from, skip = after, after
	}
	n := 0
	for {
		want := scanChunk
		if limit > 0 {
			want = min(want, limit-n)
		}
		g.mu.RLock()
		var chunk []memKV
		if t := g.colls[collection]; t != nil {
			t.AscendGreaterOrEqual(memKV{key: from}, func(kv memKV) bool {
				if !strings.HasPrefix(kv.key, prefix) {
					return false
				}
				if kv.key == skip {
					return true // after, or the last key of the previous chunk
				}
				chunk = append(chunk, kv)
				return len(chunk) < want
			})
		}
		g.mu.RUnlock()
		for _, e := range chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(e.key, e.raw); err != nil {
				return err
			}
		}
		n += len(chunk)
		if len(chunk) < want || (limit > 0 && n >= limit) {
			return nil
		}
		from, skip = chunk[len(chunk)-1].key, chunk[len(chunk)-1].key
	}
}

// Dump implements Backend.
func (m *MemoryBackend) Dump(ctx context.Context, projection string, gen uint64, fn func(collection, key string, raw []byte) error) error {
	g, err := m.gen(projection, gen)
	if err != nil {
		return err
	}
	g.mu.RLock()
	colls := make([]string, 0, len(g.colls))
	for c := range g.colls {
		colls = append(colls, c)
	}
	g.mu.RUnlock()
	slices.Sort(colls)
	for _, c := range colls {
		err := m.Scan(ctx, projection, gen, c, "", func(key string, raw []byte) error { return fn(c, key, raw) })
		if err != nil {
			return err
		}
	}
	return nil
}

// Commit implements Backend.
func (m *MemoryBackend) Commit(ctx context.Context, c Commit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := m.proj(c.Projection, false)
	if p == nil {
		return fmt.Errorf("commit %s generation %d: %w", c.Projection, c.Generation, ErrUnknownGeneration)
	}
	for _, ch := range c.Changes {
		if ch.Doc != nil && !ch.valid && !json.Valid(ch.Doc) {
			return fmt.Errorf("commit %s: document %s/%s is not JSON", c.Projection, ch.Collection, ch.Key)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.gens[c.Generation]
	if g == nil {
		return fmt.Errorf("commit %s generation %d: %w", c.Projection, c.Generation, ErrUnknownGeneration)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cp.Position != c.From {
		return fmt.Errorf("commit %s generation %d from %d: stored checkpoint is %d: %w", c.Projection, c.Generation, c.From, g.cp.Position, ErrCheckpointMoved)
	}
	for _, ch := range c.Changes {
		t := g.colls[ch.Collection]
		if ch.Doc == nil {
			if t != nil {
				t.Delete(memKV{key: ch.Key})
			}
			continue
		}
		if t == nil {
			t = btree.NewG[memKV](32, memKVLess)
			g.colls[ch.Collection] = t
		}
		t.ReplaceOrInsert(memKV{ch.Key, ch.Doc})
	}
	g.cp.Position = c.To
	g.cp.UpdatedAt = time.Now().UTC()
	p.outbox = append(p.outbox, c.Outbox...)
	if c.Mark > p.mark {
		p.mark = c.Mark
	}
	return nil
}

// InitMark implements Backend.
func (m *MemoryBackend) InitMark(ctx context.Context, projection string, pos eventstore.Position) (eventstore.Position, error) {
	p := m.proj(projection, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.markSet {
		p.mark, p.markSet = max(p.mark, pos), true
	}
	return p.mark, ctx.Err()
}

// Outbox implements Backend.
func (m *MemoryBackend) Outbox(ctx context.Context, projection string) ([]IntegrationEvent, error) {
	p := m.proj(projection, false)
	if p == nil {
		return nil, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.outbox), ctx.Err()
}

// DeleteOutbox implements Backend.
func (m *MemoryBackend) DeleteOutbox(ctx context.Context, projection string, ids []string) error {
	p := m.proj(projection, false)
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outbox = slices.DeleteFunc(p.outbox, func(e IntegrationEvent) bool { return slices.Contains(ids, e.ID) })
	return ctx.Err()
}

// Reader implements Backend.
func (m *MemoryBackend) Reader(projection string) Reader {
	return memReader{m: m, projection: projection}
}

// GenerationReader implements Backend.
func (m *MemoryBackend) GenerationReader(projection string, gen uint64) Reader {
	return memReader{m: m, projection: projection, gen: gen}
}

type memReader struct {
	m          *MemoryBackend
	projection string
	gen        uint64 // 0: the active one
}

func (r memReader) generation() (uint64, error) {
	if r.gen != 0 {
		return r.gen, nil
	}
	p := r.m.proj(r.projection, false)
	if p == nil {
		return 0, fmt.Errorf("read %s: %w", r.projection, ErrNoActiveGeneration)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == 0 {
		return 0, fmt.Errorf("read %s: %w", r.projection, ErrNoActiveGeneration)
	}
	return p.active, nil
}

func (r memReader) Get(ctx context.Context, collection, key string, v any) (bool, error) {
	var raw []byte
	var ok bool
	err := r.retrySwitch(func(gen uint64) error {
		var err error
		raw, ok, err = r.m.Load(ctx, r.projection, gen, collection, key)
		return err
	})
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s/%s: %w", collection, key, err)
	}
	return true, nil
}

func (r memReader) Scan(ctx context.Context, collection, prefix string, fn func(key string, raw []byte) error) error {
	return r.retrySwitch(func(gen uint64) error {
		return r.m.Scan(ctx, r.projection, gen, collection, prefix, fn)
	})
}

// ScanPage implements PageReader.
func (r memReader) ScanPage(ctx context.Context, collection, prefix, after string, limit int, fn func(key string, raw []byte) error) error {
	return r.retrySwitch(func(gen uint64) error {
		return r.m.scanPage(ctx, r.projection, gen, collection, prefix, after, limit, fn)
	})
}

// retrySwitch runs read on the active generation. A rebuild may switch to a
// new generation and drop the old one between looking up the active one and
// reading it; a reader of the active generation then reads the new one. (A
// scan holds on to its generation once started, so read fails this way only
// before it has delivered anything.)
func (r memReader) retrySwitch(read func(gen uint64) error) error {
	for attempt := 0; ; attempt++ {
		gen, err := r.generation()
		if err != nil {
			return err
		}
		err = read(gen)
		if r.gen == 0 && attempt < 3 && errors.Is(err, ErrUnknownGeneration) {
			continue
		}
		return err
	}
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
