package readmodels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// CaseFolds keeps periodic snapshots of cases' as-of folds, so that the
// first as-of view of a large case folds only the events after the
// nearest snapshot instead of the whole case (decisions 0031, 0043,
// 0047).
//
// A case's snapshots are a chain: every Every events of the case (its
// streams merged in log order) the fold so far is frozen, each snapshot
// holding only the documents changed since the one before and reading the
// rest through it. A view as of a point starts from the last snapshot all
// of whose events are part of the view (on the position, recorded-at or
// occurred-at clock: each snapshot keeps the latest of each clock among its
// events) and folds the events after it, cut at the point, exactly as
// CaseAsOf does from scratch; TestCaseFoldsAgree checks the two equal.
//
// The snapshots are rebuilt from the log (Refresh), never a source of
// truth. With a Store they are also kept there, so that a restarted
// server loads them instead of folding again: a loaded chain is used only
// if its format and read models' versions are this build's and the log
// still holds, in each of the case's streams, the last event the chain
// claims to have folded (position and content hash); else it is dropped
// and rebuilt. Any erasure recorded after a chain was folded drops it
// (it may hold the erased values). MaxBytes bounds the chains kept in
// memory: the least recently used are dropped from memory, and loaded
// again from the Store when next viewed.
type CaseFolds struct {
	// Every is the number of events between two snapshots (0: 1,024).
	Every int
	// Store keeps the snapshots across restarts; nil keeps them in memory
	// only.
	Store FoldStore
	// MaxBytes bounds the snapshots kept in memory (their stored size plus
	// a little per document); 0: unbounded. Without a Store, the chain
	// used last is kept even if it alone exceeds the bound.
	MaxBytes int
	// Logger says when a stored chain is not used (nil: slog.Default()).
	Logger *slog.Logger

	mu     sync.Mutex
	chains map[domain.CaseID]*foldChain
	bytes  int    // of the chains in chains
	tick   uint64 // counts uses, for eviction
}

// foldChain is one case's snapshots, oldest first.
type foldChain struct {
	refresh sync.Mutex // one Refresh at a time
	load    sync.Mutex // held while loading from the Store
	loaded  bool       // the Store was read (or there is none)

	mu       sync.Mutex // guards marks, erasures and stored
	marks    []*foldMark
	erasures uint64 // the erasures stream's version the marks were folded at
	// stored reads the parts of the marks loaded from the Store (nil:
	// none were).
	stored *storedChain

	// bytes and used are guarded by CaseFolds.mu.
	bytes int
	used  uint64
}

// foldMark is a snapshot of a case's fold.
type foldMark struct {
	// position is the last event folded; events counts them.
	position eventstore.Position
	events   int
	// recorded and occurred are the latest recorded-at and occurred-at
	// among the events folded.
	recorded, occurred time.Time
	// streams is, per stream, the last event folded.
	streams map[string]streamAt
	models  map[string]*memTx // frozen
	// stored is the snapshot as stored (dropped once saved); size is what
	// it costs in memory besides docBytes for each of its docs (folded
	// here: twice its stored size, for the documents' values and JSON; of
	// a snapshot loaded from the Store: its header, the parts read being
	// counted by the chain's storedChain).
	stored     StoredFold
	size, docs int
}

// docBytes is the memory a snapshot's document costs besides its JSON and
// key (map entry, memDoc, string headers), as MaxBytes counts it.
const docBytes = 96

// cost is what m counts against MaxBytes.
func (m *foldMark) cost() int { return m.size + docBytes*m.docs }

func (f *CaseFolds) every() int {
	if f.Every > 0 {
		return f.Every
	}
	return 1024
}

func (f *CaseFolds) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}

// chain returns the case's chain, created if need be, marked used.
func (f *CaseFolds) chain(id domain.CaseID, create bool) *foldChain {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chains[id]
	if c == nil && create {
		if f.chains == nil {
			f.chains = map[domain.CaseID]*foldChain{}
		}
		c = &foldChain{}
		f.chains[id] = c
	}
	if c != nil {
		f.tick++
		c.used = f.tick
	}
	return c
}

// account records the memory c's marks now cost, and drops from memory
// the least recently used chains while the chains cost more than MaxBytes
// (c too, when it alone does and the Store keeps it).
func (f *CaseFolds) account(id domain.CaseID, c *foldChain) {
	c.mu.Lock()
	n := 0
	for _, m := range c.marks {
		n += m.cost()
	}
	if c.stored != nil {
		n += c.stored.loadedBytes()
	}
	c.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chains[id] != c {
		return // dropped meanwhile
	}
	f.bytes += n - c.bytes
	c.bytes = n
	for f.MaxBytes > 0 && f.bytes > f.MaxBytes {
		var (
			lru    domain.CaseID
			oldest *foldChain
		)
		for k, x := range f.chains {
			if (x != c || f.Store != nil) && (oldest == nil || x.used < oldest.used) {
				lru, oldest = k, x
			}
		}
		if oldest == nil {
			return
		}
		delete(f.chains, lru)
		f.bytes -= oldest.bytes
	}
}

// Snapshots returns how many snapshots of the case are kept in memory and
// the events they cover.
func (f *CaseFolds) Snapshots(id domain.CaseID) (n, events int) {
	f.mu.Lock()
	c := f.chains[id]
	f.mu.Unlock()
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.marks) == 0 {
		return 0, 0
	}
	return len(c.marks), c.marks[len(c.marks)-1].events
}

// Bytes returns what the snapshots kept in memory cost, as MaxBytes
// counts it, and of how many cases.
func (f *CaseFolds) Bytes() (bytes, cases int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes, len(f.chains)
}

// ensureLoaded reads the case's chain from the Store, once: a chain it
// cannot use (see CaseFolds) is dropped from the Store and left to
// Refresh to rebuild.
func (f *CaseFolds) ensureLoaded(ctx context.Context, store eventstore.Store, id domain.CaseID, c *foldChain) error {
	c.load.Lock()
	defer c.load.Unlock()
	if c.loaded || f.Store == nil {
		c.loaded = true
		return nil
	}
	headers, err := f.Store.LoadFolds(ctx, id)
	if err != nil {
		return fmt.Errorf("load the snapshots of case %s: %w", id, err)
	}
	marks, erasures, err := f.decodeChain(ctx, store, id, headers)
	if errors.Is(err, errBadSnapshot) {
		f.logger().Info("as-of snapshots of a case not used: rebuilt from the log", "case", id, "err", err)
		if err := f.Store.SaveFolds(ctx, id, 0, 0, nil); err != nil {
			return fmt.Errorf("drop the snapshots of case %s: %w", id, err)
		}
		marks, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("load the snapshots of case %s: %w", id, err)
	}
	c.mu.Lock()
	c.marks, c.erasures = marks, erasures
	if len(marks) > 0 {
		c.stored = marks[0].models[TrailName].stored.chain
	}
	c.mu.Unlock()
	c.loaded = true
	f.account(id, c)
	return nil
}

// decodeChain decodes the headers of a case's stored snapshots into
// snapshots whose parts are read from f.Store when first used, and checks
// the last one's claims against the log (the earlier ones' events are a
// prefix of its streams).
func (f *CaseFolds) decodeChain(ctx context.Context, store eventstore.Store, id domain.CaseID, headers [][]byte) ([]*foldMark, uint64, error) {
	var (
		marks    []*foldMark
		erasures uint64
	)
	chain := &storedChain{fs: f.Store, id: id, loads: 30 * time.Second}
	for i, raw := range headers {
		var base *foldMark
		if i > 0 {
			base = marks[i-1]
		}
		h, err := decodeHeader(id, i, raw, base)
		if err != nil {
			return nil, 0, err
		}
		if i > 0 && h.Erasures != erasures {
			return nil, 0, fmt.Errorf("%w: snapshot %d folded at %d erasures, the one before at %d", errBadSnapshot, i, h.Erasures, erasures)
		}
		erasures = h.Erasures
		m := newMark(h, raw, base)
		for name, tx := range m.models {
			lvl := &storedLevel{chain: chain, seq: i, model: name, sections: map[string]*lazySection{}}
			for c, n := range h.Sections[name] {
				lvl.sections[c] = &lazySection{n: n}
			}
			tx.stored = lvl
		}
		marks = append(marks, m)
	}
	chain.marks = marks
	if len(marks) == 0 {
		return nil, 0, nil
	}
	if err := verifyMark(ctx, store, marks[len(marks)-1]); err != nil {
		return nil, 0, err
	}
	return marks, erasures, nil
}

// current returns the case's snapshots if they were folded at the
// erasures the log holds now; else it drops them, from memory and from the
// Store (they may hold erased values), with every other case's folded
// before, and returns none.
func (f *CaseFolds) current(ctx context.Context, store eventstore.Store, id domain.CaseID, c *foldChain) ([]*foldMark, uint64, error) {
	c.mu.Lock()
	marks, known, stored := c.marks, c.erasures, c.stored
	c.mu.Unlock()
	if stored != nil {
		if err := stored.failed(); err != nil {
			// A part a view needed could not be read: that view failed;
			// the chain is dropped and rebuilt from the log.
			f.logger().Warn("as-of snapshots of a case dropped: rebuilt from the log", "case", id, "err", err)
			c.mu.Lock()
			if c.stored == stored {
				c.marks, c.stored = nil, nil
			}
			c.mu.Unlock()
			f.account(id, c)
			if err := f.Store.SaveFolds(ctx, id, 0, 0, nil); err != nil {
				return nil, 0, fmt.Errorf("drop the snapshots of case %s: %w", id, err)
			}
			return nil, known, nil
		}
	}
	now, err := erasuresVersion(ctx, store, known)
	if err != nil {
		return nil, 0, err
	}
	if now == known {
		return marks, now, nil
	}
	c.mu.Lock()
	if c.erasures == known {
		c.marks, c.erasures, c.stored = nil, now, nil
	}
	c.mu.Unlock()
	f.account(id, c)
	if f.Store != nil {
		if _, err := f.Store.DropFoldsBefore(ctx, now); err != nil {
			return nil, 0, fmt.Errorf("drop snapshots folded before an erasure: %w", err)
		}
	}
	return nil, now, nil
}

// Sweep drops from the Store every case's snapshots folded before the
// last erasure the log holds (they may hold erased values); a server runs
// it at start, for the erasures recorded while it was stopped.
func (f *CaseFolds) Sweep(ctx context.Context, store eventstore.Store) error {
	if f.Store == nil {
		return nil
	}
	now, err := erasuresVersion(ctx, store, 0)
	if err != nil {
		return err
	}
	n, err := f.Store.DropFoldsBefore(ctx, now)
	if err != nil {
		return fmt.Errorf("drop snapshots folded before an erasure: %w", err)
	}
	if n > 0 {
		f.logger().Info("as-of snapshots folded before an erasure dropped", "cases", n)
	}
	return nil
}

// Refresh extends the case's snapshots with the events recorded since the
// last (reading only those; from the Store's after a restart): a snapshot
// every Every events, each saved to the Store; the events after the last
// full stretch are left to the views. index names the case's streams as
// for CaseAsOf.
func (f *CaseFolds) Refresh(ctx context.Context, store eventstore.Store, index Index, id domain.CaseID) error {
	streams, err := caseStreams(ctx, store, index, id, AsOf{})
	if err != nil {
		return fmt.Errorf("snapshots of case %s: %w", id, err)
	}
	c := f.chain(id, true)
	c.refresh.Lock()
	defer c.refresh.Unlock()
	if err := f.ensureLoaded(ctx, store, id, c); err != nil {
		return err
	}
	marks, erasures, err := f.current(ctx, store, id, c)
	if err != nil {
		return fmt.Errorf("snapshots of case %s: %w", id, err)
	}
	var last *foldMark
	if n := len(marks); n > 0 {
		last = marks[n-1]
	}
	all := AsOf{Position: ^eventstore.Position(0)}
	events, err := readAfter(ctx, store, streams, last, all)
	if errors.Is(err, errSnapshotBehind) {
		marks, last = nil, nil
		events, err = readAfter(ctx, store, streams, nil, all)
	}
	if err != nil {
		return fmt.Errorf("snapshots of case %s: %w", id, err)
	}
	from := len(marks)
	every := f.every()
	for len(events) >= every {
		m, err := nextMark(ctx, last, events[:every])
		if err != nil {
			return fmt.Errorf("snapshots of case %s: %w", id, err)
		}
		// Encoded for the Store, each document keeps its JSON beside its
		// value (which views share without decoding it).
		stored, err := encodeMark(id, len(marks), erasures, m)
		if err != nil {
			return fmt.Errorf("snapshots of case %s: %w", id, err)
		}
		m.stored, m.size = stored, 2*stored.Size()
		for _, tx := range m.models {
			for _, docs := range tx.docs {
				m.docs += len(docs)
			}
		}
		marks = append(marks, m)
		last, events = m, events[every:]
	}
	if len(marks) == from && from > 0 {
		return nil
	}
	if f.Store != nil {
		folds := make([]StoredFold, 0, len(marks)-from)
		for _, m := range marks[from:] {
			folds = append(folds, m.stored)
		}
		if err := f.Store.SaveFolds(ctx, id, from, erasures, folds); err != nil {
			return fmt.Errorf("save the snapshots of case %s: %w", id, err)
		}
	}
	for _, m := range marks[from:] {
		m.stored = StoredFold{} // its documents keep the parts they use
	}
	c.mu.Lock()
	if c.erasures == erasures {
		c.marks = marks
		if from == 0 {
			c.stored = nil
		}
	}
	c.mu.Unlock()
	f.account(id, c)
	return nil
}

// nextMark folds events over the snapshot last (nil: none) into a new
// one.
func nextMark(ctx context.Context, last *foldMark, events []event) (*foldMark, error) {
	m := &foldMark{streams: map[string]streamAt{}}
	var bases map[string]*memTx
	if last != nil {
		m.events, m.recorded, m.occurred, bases = last.events, last.recorded, last.occurred, last.models
		for s, v := range last.streams {
			m.streams[s] = v
		}
	}
	ps := asOfModels()
	models, err := foldOver(ctx, events, ps, bases)
	if err != nil {
		return nil, err
	}
	m.models = make(map[string]*memTx, len(ps))
	for i, p := range ps {
		m.models[p.Name()] = models[i]
	}
	for _, x := range events {
		m.events++
		m.position = x.ev.Position
		m.streams[x.ev.Stream] = streamAt{Version: x.ev.Version, Position: x.ev.Position, Hash: x.ev.Hash}
		if x.ev.RecordedAt.After(m.recorded) {
			m.recorded = x.ev.RecordedAt
		}
		if o := x.ev.OccurredAt(); o.After(m.occurred) {
			m.occurred = o
		}
	}
	return m, nil
}

// covers reports whether every event of the snapshot is part of the view
// at.
func (m *foldMark) covers(at AsOf) bool {
	switch {
	case at.Position != 0:
		return m.position <= at.Position
	case !at.RecordedAt.IsZero():
		return !m.recorded.After(at.RecordedAt)
	default:
		return !m.occurred.After(at.OccurredAt)
	}
}

// CaseAsOf is readmodels.CaseAsOf starting from the case's last snapshot
// the view covers (from scratch when there is none).
func (f *CaseFolds) CaseAsOf(ctx context.Context, store eventstore.Store, index Index, id domain.CaseID, at AsOf) (*Snapshot, error) {
	if err := at.validate(); err != nil {
		return nil, err
	}
	var mark *foldMark
	if c := f.chain(id, f.Store != nil); c != nil {
		if err := f.ensureLoaded(ctx, store, id, c); err != nil {
			return nil, err
		}
		marks, _, err := f.current(ctx, store, id, c)
		if err != nil {
			return nil, fmt.Errorf("case %s as of %s: %w", id, describeAsOf(at), err)
		}
		for i := len(marks) - 1; i >= 0; i-- {
			if marks[i].covers(at) {
				mark = marks[i]
				break
			}
		}
	}
	if mark == nil {
		return CaseAsOf(ctx, store, index, id, at)
	}
	streams, err := caseStreams(ctx, store, index, id, at)
	if err != nil {
		return nil, fmt.Errorf("case %s as of %s: %w", id, describeAsOf(at), err)
	}
	events, err := readAfter(ctx, store, streams, mark, at)
	if errors.Is(err, errSnapshotBehind) {
		return CaseAsOf(ctx, store, index, id, at)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s as of %s: %w", id, describeAsOf(at), err)
	}
	snap := &Snapshot{CaseID: id, At: at, Clock: ClockOf(at), Streams: streams, models: map[string]*memTx{}, Position: mark.position}
	ps := asOfModels()
	models, err := foldOver(ctx, events, ps, mark.models)
	if err != nil {
		return nil, fmt.Errorf("case %s as of %s: %w", id, describeAsOf(at), err)
	}
	for i, p := range ps {
		snap.models[p.Name()] = models[i]
	}
	snap.Events, snap.Read, snap.Resumed = mark.events+len(events), mark.events+len(events), mark.events
	if c := f.chain(id, false); c != nil {
		f.account(id, c) // the parts of stored snapshots the fold read
	}
	if len(events) > 0 {
		snap.Position = events[len(events)-1].ev.Position
	}
	return snap, nil
}

// errSnapshotBehind: a stream holds an event at or before the snapshot it
// was to follow (a stream the index named late): the chain is rebuilt.
var errSnapshotBehind = errors.New("an event precedes the snapshot")

// readAfter reads the events of streams after the snapshot m (nil: all),
// cut at at, merged in log order and decoded.
func readAfter(ctx context.Context, store eventstore.Store, streams []string, m *foldMark, at AsOf) ([]event, error) {
	per := make([][]eventstore.Event, len(streams))
	dec := make([][]domain.Event, len(streams))
	for i, st := range streams {
		from := uint64(1)
		if m != nil {
			from = m.streams[st].Version + 1
		}
		evs, err := readStreamFrom(ctx, store, st, from, at)
		if err != nil {
			return nil, err
		}
		if m != nil && len(evs) > 0 && evs[0].Position <= m.position {
			return nil, fmt.Errorf("%s version %d: %w", st, evs[0].Version, errSnapshotBehind)
		}
		per[i] = evs
		if dec[i], err = decodeAll(evs, at); err != nil {
			return nil, err
		}
	}
	return merge(per, dec, at), nil
}
