package readmodels

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// CaseFolds keeps periodic snapshots of cases' as-of folds, so that the
// first as-of view of a large case folds only the events after the
// nearest snapshot instead of the whole case (decision 0031).
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
// truth: they live in memory and are dropped with the process.
type CaseFolds struct {
	// Every is the number of events between two snapshots (0: 2,048).
	Every int

	mu     sync.Mutex
	chains map[domain.CaseID]*foldChain
}

// foldChain is one case's snapshots, oldest first.
type foldChain struct {
	mu    sync.Mutex // one Refresh at a time
	marks []*foldMark
}

// foldMark is a snapshot of a case's fold.
type foldMark struct {
	// position is the last event folded; events counts them.
	position eventstore.Position
	events   int
	// recorded and occurred are the latest recorded-at and occurred-at
	// among the events folded.
	recorded, occurred time.Time
	// versions is, per stream, the last version folded.
	versions map[string]uint64
	models   map[string]*memTx // frozen
}

// mergeEvery: every mergeEvery-th snapshot keeps its keys merged.
const mergeEvery = 4

func (f *CaseFolds) every() int {
	if f.Every > 0 {
		return f.Every
	}
	return 2048
}

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
	return c
}

// Snapshots returns how many snapshots of the case are kept and the
// events they cover.
func (f *CaseFolds) Snapshots(id domain.CaseID) (n, events int) {
	c := f.chain(id, false)
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

// Refresh extends the case's snapshots with the events recorded since the
// last (reading only those): a snapshot every Every events; the events
// after the last full stretch are left to the views. index names the
// case's streams as for CaseAsOf.
func (f *CaseFolds) Refresh(ctx context.Context, store eventstore.Store, index Index, id domain.CaseID) error {
	streams, err := caseStreams(ctx, store, index, id, AsOf{})
	if err != nil {
		return fmt.Errorf("snapshots of case %s: %w", id, err)
	}
	c := f.chain(id, true)
	c.mu.Lock()
	defer c.mu.Unlock()
	var last *foldMark
	if n := len(c.marks); n > 0 {
		last = c.marks[n-1]
	}
	all := AsOf{Position: ^eventstore.Position(0)}
	events, err := readAfter(ctx, store, streams, last, all)
	if errors.Is(err, errSnapshotBehind) {
		c.marks, last = nil, nil
		events, err = readAfter(ctx, store, streams, nil, all)
	}
	if err != nil {
		return fmt.Errorf("snapshots of case %s: %w", id, err)
	}
	every := f.every()
	for len(events) >= every {
		m, err := nextMark(ctx, last, events[:every])
		if err != nil {
			return fmt.Errorf("snapshots of case %s: %w", id, err)
		}
		c.marks = append(c.marks, m)
		last, events = m, events[every:]
		// Every few snapshots, one keeps its keys merged, so that a view
		// merges at most that many levels' own keys.
		if len(c.marks)%mergeEvery == 0 {
			for _, tx := range m.models {
				tx.mergeKeys()
			}
		}
	}
	return nil
}

// nextMark folds events over the snapshot last (nil: none) into a new one.
func nextMark(ctx context.Context, last *foldMark, events []event) (*foldMark, error) {
	m := &foldMark{versions: map[string]uint64{}}
	var bases map[string]*memTx
	if last != nil {
		m.events, m.recorded, m.occurred, bases = last.events, last.recorded, last.occurred, last.models
		for s, v := range last.versions {
			m.versions[s] = v
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
		m.versions[x.ev.Stream] = x.ev.Version
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
	if c := f.chain(id, false); c != nil {
		c.mu.Lock()
		for i := len(c.marks) - 1; i >= 0; i-- {
			if c.marks[i].covers(at) {
				mark = c.marks[i]
				break
			}
		}
		c.mu.Unlock()
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
	snap.Events, snap.Read = mark.events+len(events), mark.events+len(events)
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
			from = m.versions[st] + 1
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
