package readmodels

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// FoldStore keeps CaseFolds' snapshots beside the read models, so that a
// restarted server starts a case's as-of views from them instead of
// folding the case from scratch (decision 0043). A snapshot is stored as
// a small header and parts (per read model and collection, its keys and,
// apart, its documents' JSON), so that a view reads only the parts it
// uses; what the header claims is checked against the log when the chain
// is loaded, never trusted over it. Implementations: readmodels/asofstore
// (bbolt beside the embedded store, PostgreSQL beside the read models).
type FoldStore interface {
	// LoadFolds returns the headers of the case's stored snapshots, oldest
	// first (sequence numbers 0, 1, …; none: nil).
	LoadFolds(ctx context.Context, id domain.CaseID) ([][]byte, error)
	// LoadFoldParts returns the part named part of each of the case's
	// snapshots seqs, in that order (nil where there is none).
	LoadFoldParts(ctx context.Context, id domain.CaseID, part string, seqs []int) ([][]byte, error)
	// SaveFolds replaces the case's snapshots from sequence number from on
	// with folds (from, from+1, …), atomically; erasures is the version
	// of the erasures stream they were folded at. SaveFolds(ctx, id, 0, 0,
	// nil) drops them all.
	SaveFolds(ctx context.Context, id domain.CaseID, from int, erasures uint64, folds []StoredFold) error
	// DropFoldsBefore drops every case's snapshots folded before the
	// erasures stream reached version erasures, and says how many cases'.
	DropFoldsBefore(ctx context.Context, erasures uint64) (int, error)
}

// StoredFold is one snapshot as a FoldStore keeps it: its header and its
// parts by name.
type StoredFold struct {
	Header []byte
	Parts  map[string][]byte
}

// Size is the bytes the snapshot stores.
func (s StoredFold) Size() int {
	n := len(s.Header)
	for _, p := range s.Parts {
		n += len(p)
	}
	return n
}

// foldFormat is the version of the stored snapshot's layout; a snapshot
// of another is ignored and rebuilt from the log.
const foldFormat = 1

// foldSchema names the read models a snapshot holds and their versions:
// a snapshot folded by other versions of them is ignored and rebuilt.
func foldSchema() string {
	var b strings.Builder
	for i, p := range asOfModels() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Name())
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Version()))
	}
	return b.String()
}

// streamAt is the last event of a stream a snapshot folded: its version,
// and the position and content hash the log must still hold there.
type streamAt struct {
	Version  uint64              `json:"version"`
	Position eventstore.Position `json:"position"`
	Hash     eventstore.Hash     `json:"hash"`
}

// markHeader is what a stored snapshot says about itself, and which parts
// it has.
type markHeader struct {
	Format   int                 `json:"format"`
	Schema   string              `json:"schema"`
	Case     domain.CaseID       `json:"case"`
	Seq      int                 `json:"seq"`
	Position eventstore.Position `json:"position"`
	Events   int                 `json:"events"`
	Recorded time.Time           `json:"recorded"`
	Occurred time.Time           `json:"occurred"`
	Streams  map[string]streamAt `json:"streams"`
	Erasures uint64              `json:"erasures"`
	// Sections counts, per read model and collection, the documents and
	// tombstones the snapshot itself holds.
	Sections map[string]map[string]int `json:"sections"`
}

// keysPart and valuesPart name a section's parts: its keys (each with a
// tombstone flag and its document's length) and its documents' JSON, one
// after the other in key order.
func keysPart(model, coll string) string   { return model + "/" + coll + "/keys" }
func valuesPart(model, coll string) string { return model + "/" + coll + "/values" }

// encodeMark encodes the snapshot m, the seq-th of case id's chain.
func encodeMark(id domain.CaseID, seq int, erasures uint64, m *foldMark) (StoredFold, error) {
	h := markHeader{Format: foldFormat, Schema: foldSchema(), Case: id, Seq: seq, Position: m.position, Events: m.events,
		Recorded: m.recorded, Occurred: m.occurred, Streams: m.streams, Erasures: erasures,
		Sections: map[string]map[string]int{}}
	out := StoredFold{Parts: map[string][]byte{}}
	for name, tx := range m.models {
		h.Sections[name] = map[string]int{}
		for c := range tx.docs {
			keys := tx.ownKeys(c)
			var kb, vb []byte
			for _, k := range keys {
				d := tx.docs[c][k]
				kb = binary.AppendUvarint(kb, uint64(len(k)))
				kb = append(kb, k...)
				if d.gone {
					kb = append(kb, 1)
					continue
				}
				raw, err := tx.json(c, k, d)
				if err != nil {
					return out, err
				}
				kb = append(kb, 0)
				kb = binary.AppendUvarint(kb, uint64(len(raw)))
				vb = append(vb, raw...)
			}
			h.Sections[name][c] = len(keys)
			out.Parts[keysPart(name, c)] = kb
			out.Parts[valuesPart(name, c)] = vb
		}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return out, fmt.Errorf("encode snapshot %d: %w", seq, err)
	}
	out.Header = hj
	return out, nil
}

// errBadSnapshot: a stored snapshot that cannot be used (malformed, of
// another format or schema, of another case, or claiming events the log
// does not hold); it is dropped and rebuilt from the log.
var errBadSnapshot = errors.New("stored snapshot not usable")

// decodeHeader decodes and checks the seq-th stored header of case id.
func decodeHeader(id domain.CaseID, seq int, raw []byte, base *foldMark) (markHeader, error) {
	var h markHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: header %d: %v", errBadSnapshot, seq, err)
	}
	switch {
	case h.Format != foldFormat:
		return h, fmt.Errorf("%w: format %d, not %d", errBadSnapshot, h.Format, foldFormat)
	case h.Schema != foldSchema():
		return h, fmt.Errorf("%w: read models %s, not %s", errBadSnapshot, h.Schema, foldSchema())
	case h.Case != id || h.Seq != seq:
		return h, fmt.Errorf("%w: case %s snapshot %d stored as case %s snapshot %d", errBadSnapshot, id, seq, h.Case, h.Seq)
	case base != nil && (h.Position <= base.position || h.Events <= base.events):
		return h, fmt.Errorf("%w: snapshot %d does not follow the one before", errBadSnapshot, seq)
	}
	for _, p := range asOfModels() {
		if h.Sections[p.Name()] == nil {
			return h, fmt.Errorf("%w: snapshot %d has no read model %s", errBadSnapshot, seq, p.Name())
		}
	}
	if h.Streams == nil {
		h.Streams = map[string]streamAt{}
	}
	return h, nil
}

// newMark returns the snapshot a header describes, over base (nil: the
// first), its read models' documents not yet read.
func newMark(h markHeader, header []byte, base *foldMark) *foldMark {
	m := &foldMark{position: h.Position, events: h.Events, recorded: h.Recorded, occurred: h.Occurred, streams: h.Streams,
		models: map[string]*memTx{}, size: len(header)}
	for _, p := range asOfModels() {
		tx := newMemTx(nil)
		if base != nil {
			tx.base = base.models[p.Name()]
		}
		tx.frozen, tx.sorted, tx.slots = true, map[string][]string{}, map[string][]memDoc{}
		m.models[p.Name()] = tx
	}
	return m
}

// decodeSection decodes a keys part of n keys: the keys in order and
// their documents (their JSON not yet attached: off and n say where it is
// in the values part). The keys share one string, the documents one
// slice, so that a large section costs a few allocations. first: the
// snapshot is its chain's first, which holds no tombstone.
func decodeSection(b []byte, n int, first bool) ([]string, []memDoc, error) {
	if n < 0 || n > len(b) {
		return nil, nil, fmt.Errorf("%w: %d keys in %d bytes", errBadSnapshot, n, len(b))
	}
	all := string(b)
	docs := make([]memDoc, n)
	keys := make([]string, 0, n)
	off, at := 0, 0
	next := func() (uint64, bool) {
		v, w := binary.Uvarint(b[off:])
		if w <= 0 {
			return 0, false
		}
		off += w
		return v, true
	}
	for i := range n {
		l, ok := next()
		if !ok || l > uint64(len(b)-off) || off+int(l) >= len(b) {
			return nil, nil, fmt.Errorf("%w: keys truncated at byte %d", errBadSnapshot, off)
		}
		k := all[off : off+int(l)]
		off += int(l)
		d := &docs[i]
		flag := b[off]
		off++
		switch flag {
		case 1:
			if first {
				return nil, nil, fmt.Errorf("%w: a deletion in the first snapshot", errBadSnapshot)
			}
			d.gone = true
		case 0:
			vl, ok := next()
			if !ok || vl > 1<<40 {
				return nil, nil, fmt.Errorf("%w: keys truncated at byte %d", errBadSnapshot, off)
			}
			d.off, d.n = at, int(vl)
			at += int(vl)
		default:
			return nil, nil, fmt.Errorf("%w: flag %d", errBadSnapshot, flag)
		}
		if m := len(keys); m > 0 && keys[m-1] >= k {
			return nil, nil, fmt.Errorf("%w: keys out of order", errBadSnapshot)
		}
		keys = append(keys, k)
	}
	if off != len(b) {
		return nil, nil, fmt.Errorf("%w: %d bytes after the keys", errBadSnapshot, len(b)-off)
	}
	return keys, docs, nil
}

// attachValues gives each document of a section its JSON from the values
// part, sharing its memory.
func attachValues(docs []memDoc, values []byte) error {
	end := 0
	for i := range docs {
		d := &docs[i]
		if d.gone {
			continue
		}
		if d.off+d.n > len(values) {
			return fmt.Errorf("%w: documents truncated", errBadSnapshot)
		}
		d.raw = values[d.off : d.off+d.n : d.off+d.n]
		end = d.off + d.n
	}
	if end != len(values) {
		return fmt.Errorf("%w: %d bytes after the documents", errBadSnapshot, len(values)-end)
	}
	return nil
}

// storedChain reads the parts of a case's snapshots loaded from a
// FoldStore when a view first needs them: a collection's keys for every
// snapshot up to the one asked at once (one read of the store), its
// documents' JSON per snapshot.
type storedChain struct {
	fs    FoldStore
	id    domain.CaseID
	marks []*foldMark
	// loads bounds each read of the store.
	loads time.Duration

	mu    sync.Mutex   // one read of keys at a time
	err   error        // the first read that failed: views of the chain fail
	bytes atomic.Int64 // parts read, and docBytes a key
}

// lazySection is where a stored snapshot's collection stands: its keys
// read or not, its documents' JSON read or not.
type lazySection struct {
	n      int
	keys   bool
	values []byte
}

// storedLevel is the part of memTx of a snapshot loaded from a FoldStore.
type storedLevel struct {
	chain    *storedChain
	seq      int
	model    string
	sections map[string]*lazySection // guarded by the memTx's mu
}

// ctx bounds one read of the store by a view (whose own context the
// readers' interface does not pass everywhere).
func (c *storedChain) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.loads)
}

// fail records the first failed read.
func (c *storedChain) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// failed returns the first failed read, if any.
func (c *storedChain) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// ensureKeys reads, if not yet, the keys of model's collection coll of
// every snapshot up to seq that holds it.
func (c *storedChain) ensureKeys(model, coll string, seq int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	var seqs []int
	for i := 0; i <= seq; i++ {
		tx := c.marks[i].models[model]
		tx.mu.Lock()
		if s := tx.stored.sections[coll]; s != nil && !s.keys {
			seqs = append(seqs, i)
		}
		tx.mu.Unlock()
	}
	if len(seqs) == 0 {
		return
	}
	ctx, cancel := c.ctx()
	defer cancel()
	parts, err := c.fs.LoadFoldParts(ctx, c.id, keysPart(model, coll), seqs)
	if err == nil && len(parts) != len(seqs) {
		err = fmt.Errorf("%w: %d parts for %d snapshots", errBadSnapshot, len(parts), len(seqs))
	}
	if err != nil {
		c.fail(fmt.Errorf("read the snapshots of case %s: %w", c.id, err))
		return
	}
	for i, s := range seqs {
		tx := c.marks[s].models[model]
		tx.mu.Lock()
		sec := tx.stored.sections[coll]
		keys, docs, err := decodeSection(parts[i], sec.n, tx.base == nil)
		if err != nil {
			tx.mu.Unlock()
			c.fail(fmt.Errorf("snapshot %d of case %s, %s/%s: %w", s, c.id, model, coll, err))
			return
		}
		tx.slots[coll], tx.sorted[coll], sec.keys = docs, keys, true
		tx.mu.Unlock()
		c.bytes.Add(int64(len(parts[i]) + docBytes*len(keys)))
	}
}

// ensureValues reads, if not yet, the documents' JSON of tx's collection
// coll and attaches them; tx.mu is held (and c.mu must not be: ensureKeys
// takes them in the other order).
func (c *storedChain) ensureValues(tx *memTx, coll string) error {
	sec := tx.stored.sections[coll]
	if sec == nil || sec.values != nil {
		return nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	parts, err := c.fs.LoadFoldParts(ctx, c.id, valuesPart(tx.stored.model, coll), []int{tx.stored.seq})
	if err == nil && len(parts) != 1 {
		err = fmt.Errorf("%w: no documents", errBadSnapshot)
	}
	if err != nil {
		return fmt.Errorf("read snapshot %d of case %s: %w", tx.stored.seq, c.id, err)
	}
	if err := attachValues(tx.slots[coll], parts[0]); err != nil {
		return fmt.Errorf("snapshot %d of case %s, %s/%s: %w", tx.stored.seq, c.id, tx.stored.model, coll, err)
	}
	sec.values = parts[0]
	if sec.values == nil {
		sec.values = []byte{}
	}
	c.bytes.Add(int64(len(parts[0])))
	return nil
}

// loadedBytes is what the chain's parts read so far cost.
func (c *storedChain) loadedBytes() int { return int(c.bytes.Load()) }

// verifyMark checks what the snapshot m claims against the log: that each
// of its streams still holds, at the version it folded last, the event at
// the position and with the content hash it names.
func verifyMark(ctx context.Context, store eventstore.Store, m *foldMark) error {
	streams := make([]string, 0, len(m.streams))
	for st := range m.streams {
		streams = append(streams, st)
	}
	slices.Sort(streams)
	found := false
	for _, st := range streams {
		at := m.streams[st]
		evs, err := store.ReadStream(ctx, st, at.Version, 1)
		if err != nil {
			return fmt.Errorf("verify the snapshot against %s: %w", st, err)
		}
		if len(evs) == 0 || evs[0].Position != at.Position || evs[0].Hash != at.Hash {
			return fmt.Errorf("%w: %s version %d is not the event at position %d with hash %s", errBadSnapshot, st, at.Version, at.Position, at.Hash)
		}
		found = found || at.Position == m.position
	}
	if !found {
		return fmt.Errorf("%w: no stream ends at its position %d", errBadSnapshot, m.position)
	}
	return nil
}

// erasuresVersion returns the version of the erasures stream (0: no
// erasure), reading only what follows known.
func erasuresVersion(ctx context.Context, store eventstore.Store, known uint64) (uint64, error) {
	if known > 0 {
		evs, err := store.ReadStream(ctx, domain.ErasuresStream(), known, 1)
		if err != nil {
			return 0, fmt.Errorf("read the erasures: %w", err)
		}
		if len(evs) == 0 {
			known = 0 // fewer erasures than a snapshot claims: read them all
		}
	}
	v := known
	for {
		evs, err := store.ReadStream(ctx, domain.ErasuresStream(), v+1, readPage)
		if err != nil {
			return 0, fmt.Errorf("read the erasures: %w", err)
		}
		if len(evs) == 0 {
			return v, nil
		}
		v = evs[len(evs)-1].Version
	}
}
