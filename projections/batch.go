package projections

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pdis/collab-ledger/eventstore"
)

// entry is a batch's view of one document: as committed (clean) or as the
// batch left it (dirty).
type entry struct {
	raw    []byte
	exists bool
	dirty  bool
	valid  bool // raw is known to be valid JSON (encoded by Put, or Encoded)
	// val is the document decoded by Update (a *T), kept so that the
	// batch's next Update of the same document neither decodes it again
	// nor encodes it in between; stale says raw is not yet its encoding
	// (encode makes it so before anything reads raw).
	val   any
	stale bool
}

// undo restores one document when the event that changed it fails.
type undo struct {
	ref  DocRef
	prev entry
	had  bool
}

// batch is the write-back cache through which a projection applies a run of
// events to one generation: reads fall through to committed state once per
// document, writes stay in memory until Commit sends the dirty documents and
// the checkpoint to the backend in one transaction. Each event's writes can
// be undone on their own, so that a batch whose k-th event fails still
// commits the k-1 before it.
//
// It is shared by every backend: the fold logic never sees which one it runs
// on. A batch is used by one goroutine.
type batch struct {
	backend    Backend
	projection string
	gen        uint64
	from       eventstore.Position
	last       eventstore.Position // last event applied successfully
	docs       map[DocRef]entry
	undo       []undo
	outbox     []IntegrationEvent
	outboxMark int

	// emitAbove: Emit only records integration events for log events above
	// this position.
	emitAbove eventstore.Position
	cur       *eventstore.Event
	// poisoned: an event that failed may have changed a document's value
	// (entry.val) in place, which undo cannot restore; the batch must be
	// rebuilt from its start (see worker.handle) before it commits.
	poisoned bool
}

func newBatch(b Backend, projection string, gen uint64, from eventstore.Position) *batch {
	return &batch{backend: b, projection: projection, gen: gen, from: from, last: from, docs: make(map[DocRef]entry, 64)}
}

// restart readies a batch for a new message of the same projection and
// generation, from the checkpoint from: a worker keeps one batch, so that
// its map of documents is grown once rather than for every message.
func (b *batch) restart(from eventstore.Position) {
	b.last = from
	b.reset()
}

// reset readies the batch for the next run from its last commit.
func (b *batch) reset() {
	clear(b.docs)
	b.undo = b.undo[:0]
	b.outbox = nil
	b.outboxMark = 0
	b.from = b.last
	b.cur = nil
	b.poisoned = false
}

// preload loads committed documents the batch will read, in one call.
func (b *batch) preload(ctx context.Context, refs []DocRef) error {
	var missing []DocRef
	for _, r := range refs {
		if _, ok := b.docs[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.SortFunc(missing, compareRefs)
	missing = slices.Compact(missing)
	got, err := b.backend.LoadMany(ctx, b.projection, b.gen, missing)
	if err != nil {
		return fmt.Errorf("preload %d documents: %w", len(missing), err)
	}
	for _, r := range missing {
		raw, ok := got[r]
		b.docs[r] = entry{raw: raw, exists: ok}
	}
	return nil
}

// apply runs fn for ev; if fn fails, every change it made is undone.
func (b *batch) apply(ctx context.Context, ev *eventstore.Event, fn func(ctx context.Context, tx Tx, ev eventstore.Event) error) error {
	b.undo = b.undo[:0]
	b.outboxMark = len(b.outbox)
	b.cur = ev
	err := fn(ctx, b, *ev)
	b.cur = nil
	if err != nil {
		for i := len(b.undo) - 1; i >= 0; i-- {
			u := b.undo[i]
			if u.prev.val != nil {
				b.poisoned = true
			}
			if u.had {
				b.docs[u.ref] = u.prev
			} else {
				delete(b.docs, u.ref)
			}
		}
		b.undo = b.undo[:0]
		b.outbox = b.outbox[:b.outboxMark]
		return err
	}
	b.last = ev.Position
	return nil
}

// dirty reports whether the batch holds anything to commit.
func (b *batch) dirty() bool { return b.last != b.from }

// commitRequest builds the Commit of everything applied so far.
func (b *batch) commitRequest() (Commit, error) {
	changes := make([]Change, 0, len(b.docs))
	for ref, e := range b.docs {
		if !e.dirty {
			continue
		}
		e, err := b.encode(ref, e)
		if err != nil {
			return Commit{}, err
		}
		c := Change{Collection: ref.Collection, Key: ref.Key}
		if e.exists {
			c.Doc, c.valid = e.raw, e.valid
		}
		changes = append(changes, c)
	}
	slices.SortFunc(changes, func(x, y Change) int {
		if x.Collection != y.Collection {
			return strings.Compare(x.Collection, y.Collection)
		}
		return strings.Compare(x.Key, y.Key)
	})
	return Commit{Projection: b.projection, Generation: b.gen, From: b.from, To: b.last, Changes: changes, Outbox: b.outbox}, nil
}

// encode makes e's raw the encoding of its value, if Update left it stale,
// and keeps that in the batch (the value stays cached: both now agree).
func (b *batch) encode(ref DocRef, e entry) (entry, error) {
	if !e.stale {
		return e, nil
	}
	var raw []byte
	var err error
	if enc, ok := e.val.(DocumentEncoder); ok {
		raw, err = enc.EncodeDocument()
	} else {
		raw, err = json.Marshal(e.val)
	}
	if err != nil {
		return e, fmt.Errorf("encode %s/%s: %w", ref.Collection, ref.Key, err)
	}
	e.raw, e.valid, e.stale = raw, true, false
	b.docs[ref] = e
	return e, nil
}

// update is Update on a batch: the document is decoded once per batch and
// encoded once at commit (or when something reads it as JSON), however
// many events of the batch change it — a proposal's tally takes one
// change per signature.
func update[T any](ctx context.Context, b *batch, collection, key string, fn func(v *T) error) error {
	if !validName(collection) {
		return fmt.Errorf("put %s/%s: invalid collection name (want 1-64 of a-z 0-9 - _)", collection, key)
	}
	ref := DocRef{collection, key}
	e, err := b.lookup(ctx, ref)
	if err != nil {
		return err
	}
	v, cached := e.val.(*T)
	if !cached {
		if e, err = b.encode(ref, e); err != nil {
			return err
		}
		v = new(T)
		if e.exists {
			if err := json.Unmarshal(e.raw, v); err != nil {
				return fmt.Errorf("decode %s/%s: %w", collection, key, err)
			}
		}
	}
	// Should fn fail or panic, it may have changed part of the cached
	// value: the batch is then poisoned.
	was := b.poisoned
	b.poisoned = b.poisoned || cached
	if err := fn(v); err != nil {
		return err
	}
	b.poisoned = was
	// lookup left e in b.docs: it is what an undo restores (set would look
	// it up again, and a tally's Update comes once per signature).
	b.undo = append(b.undo, undo{ref: ref, prev: e, had: true})
	b.docs[ref] = entry{exists: true, dirty: true, val: v, stale: true}
	return nil
}

func (b *batch) lookup(ctx context.Context, ref DocRef) (entry, error) {
	if e, ok := b.docs[ref]; ok {
		return e, nil
	}
	raw, ok, err := b.backend.Load(ctx, b.projection, b.gen, ref.Collection, ref.Key)
	if err != nil {
		return entry{}, fmt.Errorf("load %s/%s: %w", ref.Collection, ref.Key, err)
	}
	e := entry{raw: raw, exists: ok}
	b.docs[ref] = e
	return e, nil
}

func (b *batch) set(ref DocRef, e entry) {
	prev, had := b.docs[ref]
	b.undo = append(b.undo, undo{ref: ref, prev: prev, had: had})
	b.docs[ref] = e
}

// Get implements Reader.
func (b *batch) Get(ctx context.Context, collection, key string, v any) (bool, error) {
	ref := DocRef{collection, key}
	e, err := b.lookup(ctx, ref)
	if err != nil || !e.exists {
		return false, err
	}
	if e, err = b.encode(ref, e); err != nil {
		return true, err
	}
	if err := json.Unmarshal(e.raw, v); err != nil {
		return true, fmt.Errorf("decode %s/%s: %w", collection, key, err)
	}
	return true, nil
}

// DocumentEncoder is implemented by a value Update keeps (the *T) that
// encodes itself: EncodeDocument returns exactly what json.Marshal of the
// value would (valid, compact, HTML-escaped as encoding/json escapes), and
// the batch stores it as is. json.Marshal would call the value's
// MarshalJSON and then scan and compact its output again, which for a
// large document a batch changes many times (a chunk of signatures) is
// most of the cost of its commit.
type DocumentEncoder interface {
	EncodeDocument() ([]byte, error)
}

// Encoded is a document a projection encoded itself, from its own encoding
// of values and from pieces of the log's event data (which the store keeps
// as canonical JSON): valid JSON by construction, so Put stores it as is,
// without checking or re-encoding it (the batch owns it from then on).
// Build it only from such parts; anything else goes through Put as a value.
type Encoded []byte

// MarshalJSON returns e, so that a Tx that encodes values stores it too.
func (e Encoded) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	return e, nil
}

// Put implements Tx.
func (b *batch) Put(ctx context.Context, collection, key string, v any) error {
	if !validName(collection) {
		return fmt.Errorf("put %s/%s: invalid collection name (want 1-64 of a-z 0-9 - _)", collection, key)
	}
	var raw []byte
	if r, ok := v.(Encoded); ok {
		raw = r
	} else {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return fmt.Errorf("encode %s/%s: %w", collection, key, err)
		}
	}
	b.set(DocRef{collection, key}, entry{raw: raw, exists: true, dirty: true, valid: true})
	return nil
}

// Delete implements Tx.
func (b *batch) Delete(ctx context.Context, collection, key string) error {
	b.set(DocRef{collection, key}, entry{dirty: true})
	return nil
}

// Scan implements Reader: committed documents overlaid with the batch's.
func (b *batch) Scan(ctx context.Context, collection, prefix string, fn func(key string, raw []byte) error) error {
	type kv struct {
		key string
		raw []byte
	}
	var out []kv
	err := b.backend.Scan(ctx, b.projection, b.gen, collection, prefix, func(key string, raw []byte) error {
		if _, mine := b.docs[DocRef{collection, key}]; !mine {
			out = append(out, kv{key, raw})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("scan %s/%s*: %w", collection, prefix, err)
	}
	for ref, e := range b.docs {
		if ref.Collection == collection && e.exists && strings.HasPrefix(ref.Key, prefix) {
			if e, err = b.encode(ref, e); err != nil {
				return err
			}
			out = append(out, kv{ref.Key, e.raw})
		}
	}
	slices.SortFunc(out, func(x, y kv) int { return strings.Compare(x.key, y.key) })
	for _, e := range out {
		if err := fn(e.key, e.raw); err != nil {
			return err
		}
	}
	return nil
}

// emitEvent records an integration event caused by the event being applied.
func (b *batch) emitEvent(name, key string, payload any) error {
	ev := b.cur
	if ev == nil {
		return fmt.Errorf("emit %s %s: only from Apply", name, key)
	}
	if ev.Position <= b.emitAbove {
		return nil
	}
	ie, err := newIntegrationEvent(b.projection, ev, name, key, payload)
	if err != nil {
		return err
	}
	b.outbox = append(b.outbox, ie)
	return nil
}

func compareRefs(x, y DocRef) int {
	return cmp.Or(strings.Compare(x.Collection, y.Collection), strings.Compare(x.Key, y.Key))
}
