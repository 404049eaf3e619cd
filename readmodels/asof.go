package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// All returns the read models of this package, each a projection for a
// projections.Runner.
func All() []projections.Projection {
	return []projections.Projection{Tallies{}, CaseBoard{}, Transcripts{}, Trail{}, Directory{}, Counties{}, Signatures{}}
}

// ErrUnknownCase: the case is not in the log (or not yet as of the time
// asked).
var ErrUnknownCase = errors.New("unknown case")

// Index tells CaseAsOf which streams belong to a case: the live Trail read
// model's subject index. A *projections.Runner running Trail is one. If it
// also has WaitFor (as a Runner does), CaseAsOf first waits until the index
// has caught up with the point asked for, so that no meeting scheduled just
// before it is missed.
type Index interface {
	Reader(projection string) projections.Reader
}

// IndexWait bounds how long CaseAsOf waits for the index to catch up with
// the point asked for before it finds the case's streams in the log instead.
var IndexWait = 5 * time.Second

type waiter interface {
	WaitFor(ctx context.Context, projection string, pos eventstore.Position) error
}

// AsOf is the point of the log an as-of view stands at. Set exactly one
// field.
type AsOf struct {
	// Position: every event up to and including this position.
	Position eventstore.Position
	// RecordedAt: every event the ledger had recorded at this time (the
	// ledger's clock, Event.RecordedAt ≤ T): "what the ledger showed at T".
	RecordedAt time.Time
	// OccurredAt: every event whose Event.OccurredAt ≤ T, wherever it is in
	// the log (the world's clock): "how things stood at T as we know them
	// now", including records imported after T.
	OccurredAt time.Time
}

// Snapshot is the read models as they stood at a point of the log, folded
// in memory: of one case (CaseAsOf) or of the whole log (LogAsOf). Query it with the same functions as the live read
// models, through Reader: Case(ctx, snap.Reader(CaseBoardName), id, v),
// CaseTrail(ctx, snap.Reader(TrailName), id, q), Meeting(ctx,
// snap.Reader(TranscriptsName), m, v), Proposal(ctx, snap.Reader(TalliesName),
// p, v).
type Snapshot struct {
	// CaseID is the case ("" for LogAsOf).
	CaseID domain.CaseID `json:"caseId"`
	// At is the point asked for; Clock says which clock it uses.
	At    AsOf  `json:"-"`
	Clock Clock `json:"clock"`
	// Position is the last event folded (0: none).
	Position eventstore.Position `json:"position"`
	// Events counts the events folded; Read counts those read.
	Events int `json:"events"`
	Read   int `json:"read"`
	// Resumed counts the events taken from a snapshot of CaseFolds rather
	// than folded (0: folded from scratch).
	Resumed int `json:"-"`
	// Streams are the streams folded: the case's, its meetings' and
	// transcripts', its source proposal's and its monthly meeting's (with
	// that meeting's sessions); nil for LogAsOf (every stream).
	Streams []string `json:"streams"`
	models  map[string]*memTx
	// own counts the events folded of the subject's own streams (not of
	// the streams only its first event is read of).
	own int
}

// Clock says which clock an as-of view uses.
type Clock string

// Clocks of an as-of view.
const (
	// ClockPosition: the global log up to a position.
	ClockPosition Clock = "position"
	// ClockRecordedAt: the ledger's clock, what it had recorded by a time.
	ClockRecordedAt Clock = "recordedAt"
	// ClockOccurredAt: the world's clock, what had happened by a time as
	// the ledger knows it now (imported history included).
	ClockOccurredAt Clock = "occurredAt"
)

// ClockOf returns the clock at uses.
func ClockOf(at AsOf) Clock {
	switch {
	case at.Position != 0:
		return ClockPosition
	case !at.RecordedAt.IsZero():
		return ClockRecordedAt
	default:
		return ClockOccurredAt
	}
}

// Reader reads the snapshot's documents of one read model (TalliesName,
// CaseBoardName, TranscriptsName, TrailName); it is safe for concurrent
// use. An unknown name reads as empty.
func (s *Snapshot) Reader(projection string) projections.Reader {
	if m, ok := s.models[projection]; ok {
		return m
	}
	empty := newMemTx(nil)
	empty.freeze()
	return empty
}

// CaseAsOf folds the events of one case, as they stood at a point, into
// fresh in-memory read models (All) and returns them to be queried.
//
// The point is one of (AsOf):
//   - Position: every event up to and including that global position;
//   - RecordedAt: every event the ledger had recorded by then (what the
//     ledger showed at that time);
//   - OccurredAt: every event whose occurred-at is not after it (how things
//     unfolded, including history imported later).
//
// It does not replay the whole log: it reads only the case's streams (the
// case, its meetings and their transcripts, its source proposal, the
// monthly meeting that selected it and that meeting's sessions) with
// ReadStream, merges them by global position, cuts them at the point and
// folds them. index names those streams (the live Trail read model); nil
// finds them by scanning the log, which is correct but slow on a large log.
func CaseAsOf(ctx context.Context, store eventstore.Store, index Index, id domain.CaseID, at AsOf) (*Snapshot, error) {
	if err := at.validate(); err != nil {
		return nil, err
	}
	streams, err := caseStreams(ctx, store, index, id, at)
	if err != nil {
		return nil, fmt.Errorf("case %s as of %s: %w", id, describeAsOf(at), err)
	}
	snap, err := foldStreams(ctx, store, streams, at)
	if err != nil {
		return nil, fmt.Errorf("case %s as of %s: %w", id, describeAsOf(at), err)
	}
	snap.CaseID = id
	return snap, nil
}

// validate checks that exactly one of a's fields is set.
func (a AsOf) validate() error {
	n := 0
	if a.Position != 0 {
		n++
	}
	if !a.RecordedAt.IsZero() {
		n++
	}
	if !a.OccurredAt.IsZero() {
		n++
	}
	if n != 1 {
		return errors.New("as of: set exactly one of Position, RecordedAt, OccurredAt")
	}
	return nil
}

func describeAsOf(a AsOf) string {
	switch {
	case a.Position != 0:
		return fmt.Sprintf("position %d", a.Position)
	case !a.RecordedAt.IsZero():
		return "recorded-at " + a.RecordedAt.UTC().Format(time.RFC3339Nano)
	default:
		return "occurred-at " + a.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
}

// Includes reports whether ev is part of the view at a.
func (a AsOf) Includes(ev *eventstore.Event) bool {
	switch {
	case a.Position != 0:
		return ev.Position <= a.Position
	case !a.RecordedAt.IsZero():
		return !ev.RecordedAt.After(a.RecordedAt)
	default:
		return !ev.OccurredAt().After(a.OccurredAt)
	}
}

// caseStreams returns the streams of a case's trail and its linked
// subjects.
func caseStreams(ctx context.Context, store eventstore.Store, index Index, id domain.CaseID, at AsOf) ([]string, error) {
	if index == nil {
		return scanCaseStreams(ctx, store, id)
	}
	if w, ok := index.(waiter); ok {
		head, err := store.Head(ctx)
		if err != nil {
			return nil, fmt.Errorf("read head: %w", err)
		}
		if at.Position != 0 && at.Position < head {
			head = at.Position
		}
		wctx, cancel := context.WithTimeout(ctx, IndexWait)
		err = w.WaitFor(wctx, TrailName, head)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A lagging or failed index: find the streams in the log.
			return scanCaseStreams(ctx, store, id)
		}
	}
	r := index.Reader(TrailName)
	subject := domain.CaseStream(id)
	s, ok, err := Subjects(ctx, r, subject)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownCase, id)
	}
	streams := slices.Clone(s.Streams)
	for _, l := range s.Links {
		ls, ok, err := Subjects(ctx, r, l)
		if err != nil {
			return nil, err
		}
		if !ok {
			streams = addUnique(streams, l) // a subject's own stream is named like it
			continue
		}
		for _, st := range ls.Streams {
			streams = addUnique(streams, st)
		}
	}
	return streams, nil
}

// scanCaseStreams finds a case's streams without an index: the case stream
// names its source proposal and monthly meeting; meetings name their case
// (or monthly meeting) when scheduled, which takes a scan of the log.
func scanCaseStreams(ctx context.Context, store eventstore.Store, id domain.CaseID) ([]string, error) {
	cs := domain.CaseStream(id)
	first, err := store.ReadStream(ctx, cs, 1, 1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cs, err)
	}
	if len(first) == 0 || first[0].Type != "case.opened" {
		return nil, fmt.Errorf("%w %s", ErrUnknownCase, id)
	}
	e, err := domain.Decode(first[0].Type, first[0].SchemaVersion, first[0].Data)
	if err != nil {
		return nil, err
	}
	opened := e.(domain.CaseOpened)
	streams := []string{cs}
	if opened.CandidateKind == domain.CandidateEstablishedProposal && opened.SourceRef != "" {
		streams = append(streams, domain.ProposalStream(domain.ProposalID(opened.SourceRef)))
	}
	if opened.MonthlyMeetingID != "" {
		streams = append(streams, domain.MonthlyMeetingStream(opened.MonthlyMeetingID))
	}
	var after eventstore.Position
	for {
		evs, err := store.ReadAll(ctx, after, 4096)
		if err != nil {
			return nil, fmt.Errorf("scan the log after %d: %w", after, err)
		}
		if len(evs) == 0 {
			return streams, nil
		}
		for i := range evs {
			ev := &evs[i]
			after = ev.Position
			if ev.Type != "meeting.scheduled" {
				continue
			}
			e, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
			if err != nil {
				return nil, err
			}
			s := e.(domain.MeetingScheduled)
			if s.CaseID == id || s.MonthlyMeetingID != "" && s.MonthlyMeetingID == opened.MonthlyMeetingID {
				streams = append(streams, domain.MeetingStream(s.MeetingID), domain.TranscriptStream(s.MeetingID))
			}
		}
	}
}

// readPage is how many events one ReadStream call returns.
const readPage = 1 << 16

// cutPage is the first page read of a stream cut at a position.
const cutPage = 256

// foldStreams reads streams up to at, merges them by position and folds
// them into a new snapshot.
func foldStreams(ctx context.Context, store eventstore.Store, streams []string, at AsOf) (*Snapshot, error) {
	return foldStreamsHeads(ctx, store, streams, nil, at)
}

// foldStreamsHeads is foldStreams of streams and of the first event of each
// of heads; the snapshot counts in own the events of streams it folded.
func foldStreamsHeads(ctx context.Context, store eventstore.Store, streams, heads []string, at AsOf) (*Snapshot, error) {
	all := append(slices.Clip(streams), heads...)
	snap := &Snapshot{At: at, Clock: ClockOf(at), Streams: all, models: map[string]*memTx{}}
	// Read the streams, a few at a time.
	per := make([][]eventstore.Event, len(all))
	dec := make([][]domain.Event, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	for i, st := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if i < len(streams) {
				per[i], errs[i] = readStream(ctx, store, st, at)
			} else {
				per[i], errs[i] = readHead(ctx, store, st, at)
			}
			if errs[i] == nil {
				dec[i], errs[i] = decodeAll(per[i], at)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	events := merge(per, dec, at)
	for i, evs := range per {
		snap.Read += len(evs)
		if i < len(streams) {
			for j := range evs {
				if at.Includes(&evs[j]) {
					snap.own++
				}
			}
		}
	}
	if err := snap.fold(ctx, events); err != nil {
		return nil, err
	}
	return snap, nil
}

// LogAsOf folds the whole log, as it stood at a point, into fresh
// in-memory read models (All) and returns them to be queried, like
// CaseAsOf but for every subject at once: the same fold, fed every event of
// the log up to the point instead of one case's streams. It reads the log
// up to its head at the time of the call (up to at.Position when that is
// set). It is O(log): pages use CaseAsOf; tests and audits use it to check
// the live read models against a fold from scratch.
func LogAsOf(ctx context.Context, store eventstore.Store, at AsOf) (*Snapshot, error) {
	if err := at.validate(); err != nil {
		return nil, err
	}
	head, err := store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("log as of %s: read head: %w", describeAsOf(at), err)
	}
	if at.Position != 0 && at.Position < head {
		head = at.Position
	}
	var evs []eventstore.Event
	for after := eventstore.Position(0); after < head; {
		page, err := store.ReadAll(ctx, after, 4096)
		if err != nil {
			return nil, fmt.Errorf("log as of %s: read after %d: %w", describeAsOf(at), after, err)
		}
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			if ev.Position > head {
				break
			}
			evs = append(evs, ev)
		}
		after = page[len(page)-1].Position
	}
	dec, err := decodeAll(evs, at)
	if err != nil {
		return nil, fmt.Errorf("log as of %s: %w", describeAsOf(at), err)
	}
	snap := &Snapshot{At: at, Clock: ClockOf(at), Read: len(evs), models: map[string]*memTx{}}
	if err := snap.fold(ctx, merge([][]eventstore.Event{evs}, [][]domain.Event{dec}, at)); err != nil {
		return nil, fmt.Errorf("log as of %s: %w", describeAsOf(at), err)
	}
	return snap, nil
}

// fold folds events, in log order, into the snapshot's read models.
func (s *Snapshot) fold(ctx context.Context, events []event) error {
	s.Events = len(events)
	if len(events) > 0 {
		s.Position = events[len(events)-1].ev.Position
	}
	ps := asOfModels()
	models, err := fold(ctx, events, ps)
	if err != nil {
		return err
	}
	for i, p := range ps {
		s.models[p.Name()] = models[i]
	}
	return nil
}

// event is an event to fold and its domain event (nil if it is not the
// domain's).
type event struct {
	ev *eventstore.Event
	e  domain.Event
}

// merge merges streams, each in position order, into one list in position
// order, keeping the events at includes, with their decoded forms dec.
func merge(streams [][]eventstore.Event, dec [][]domain.Event, at AsOf) []event {
	n := 0
	for _, s := range streams {
		n += len(s)
	}
	out := make([]event, 0, n)
	next := make([]int, len(streams))
	for {
		best := -1
		for i, s := range streams {
			if next[i] < len(s) && (best < 0 || s[next[i]].Position < streams[best][next[best]].Position) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		i := next[best]
		next[best]++
		if ev := &streams[best][i]; at.Includes(ev) {
			out = append(out, event{ev, dec[best][i]})
		}
	}
}

// readStream reads a stream, stopping after position at.Position if set.
func readStream(ctx context.Context, store eventstore.Store, stream string, at AsOf) ([]eventstore.Event, error) {
	return readStreamFrom(ctx, store, stream, 1, at)
}

// readStreamFrom reads a stream from version from, stopping after position
// at.Position if set: then in pages growing from cutPage, so that a view
// cut a few events after a snapshot does not read the rest of a long
// stream.
func readStreamFrom(ctx context.Context, store eventstore.Store, stream string, from uint64, at AsOf) ([]eventstore.Event, error) {
	var out []eventstore.Event
	page := readPage
	if at.Position != 0 {
		page = cutPage
	}
	for ; ; page = min(2*page, readPage) {
		evs, err := store.ReadStream(ctx, stream, from, page)
		if err != nil {
			return nil, fmt.Errorf("read %s from %d: %w", stream, from, err)
		}
		for i := range evs {
			if at.Position != 0 && evs[i].Position > at.Position {
				return append(out, evs[:i]...), nil
			}
		}
		if out == nil {
			out = evs
		} else {
			out = append(out, evs...)
		}
		if len(evs) < page {
			return out, nil
		}
		from += uint64(len(evs))
	}
}

// readHead reads the first event of a stream, if it is part of the view
// at.
func readHead(ctx context.Context, store eventstore.Store, stream string, at AsOf) ([]eventstore.Event, error) {
	evs, err := store.ReadStream(ctx, stream, 1, 1)
	if err != nil {
		return nil, fmt.Errorf("read %s from 1: %w", stream, err)
	}
	if len(evs) == 0 || !at.Includes(&evs[0]) {
		return nil, nil
	}
	return evs, nil
}

// fold applies events, in order, to each projection, each in its own
// goroutine and its own memTx, which it returns frozen. The events come
// decoded, once for all of them.
func fold(ctx context.Context, events []event, ps []projections.Projection) ([]*memTx, error) {
	return foldOver(ctx, events, ps, nil)
}

// foldOver is fold over frozen documents, by projection name: each new
// memTx reads through to its base what it has not changed (CaseFolds).
func foldOver(ctx context.Context, events []event, ps []projections.Projection, bases map[string]*memTx) ([]*memTx, error) {
	txs := make([]*memTx, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		var sizes map[string]int
		if p.Name() == TrailName {
			sizes = map[string]int{collEntries: len(events)} // an entry per event
		}
		txs[i] = newMemTx(sizes)
		txs[i].base = bases[p.Name()]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur := &predecoded{}
			ctx := withPredecoded(ctx, cur)
			for _, x := range events {
				cur.pos, cur.e = x.ev.Position, x.e
				if err := p.Apply(ctx, txs[i], *x.ev); err != nil {
					errs[i] = &projections.ApplyError{Projection: p.Name(), Position: x.ev.Position, EventID: x.ev.ID.String(), Stream: x.ev.Stream, Type: x.ev.Type, Err: err}
					return
				}
			}
			txs[i].freeze()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return txs, nil
}

// decodeAll decodes the domain events of a stream that are part of the
// view at (nil for others).
func decodeAll(events []eventstore.Event, at AsOf) ([]domain.Event, error) {
	out := make([]domain.Event, len(events))
	for i := range events {
		ev := &events[i]
		if _, known := domain.EventSchemaVersion(ev.Type); !known || !at.Includes(ev) {
			continue
		}
		e, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
		if err != nil {
			return nil, fmt.Errorf("event %s at position %d: %w", ev.ID, ev.Position, err)
		}
		out[i] = e
	}
	return out, nil
}

// memTx is the Tx of an as-of fold, and then the snapshot's Reader of one
// read model.
//
// While folding, it keeps the Go values Apply puts and hands them back to
// Get as they are (a shallow copy), so that a document changed by many
// events is not encoded and decoded for each: the one goroutine folding
// writes back every document it changes, and a failed fold is thrown away.
// Once frozen, reads go through JSON, as on every backend: each document
// is encoded once, when first read, so that queries never share memory
// with the stored values.
//
// A memTx may stand over a frozen base (CaseFolds' snapshots): it then
// holds only the documents changed since (a deletion as a tombstone) and
// reads the rest through the base, always through JSON, so that nothing it
// changes is shared with the base.
type memTx struct {
	sizes  map[string]int // expected documents of large collections
	mu     sync.Mutex     // guards docs' raw once frozen
	frozen bool
	docs   map[string]map[string]*memDoc
	sorted map[string][]string // each collection's own keys, once frozen
	// slots: of a stored snapshot, each collection's documents, in the
	// order of sorted (docs is then empty).
	slots map[string][]memDoc
	base  *memTx // frozen; nil: none
	// stored: t is a snapshot loaded from a FoldStore, whose collections
	// are read when first used (sorted and slots then guarded by mu).
	stored *storedLevel
}

type memDoc struct {
	val  any    // the value Put stored
	raw  []byte // its JSON, once encoded (or read)
	gone bool   // deleted (over a base)
	// off and n say where a stored snapshot's document is in its
	// collection's values part (storedLevel).
	off, n int
}

// storedSection returns a stored snapshot's own keys of collection, in
// order, and their documents (read when first asked); none if it has none
// or they could not be read (storedErr says).
func (t *memTx) storedSection(collection string) ([]string, []memDoc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sec := t.stored.sections[collection]
	if sec != nil && !sec.keys {
		t.mu.Unlock()
		t.stored.chain.ensureKeys(t.stored.model, collection, t.stored.seq)
		t.mu.Lock()
	}
	return t.sorted[collection], t.slots[collection]
}

// own returns t's own document of collection at key (a tombstone
// included), if it holds one.
func (t *memTx) own(collection, key string) (*memDoc, bool) {
	if t.stored == nil {
		d, ok := t.docs[collection][key]
		return d, ok
	}
	keys, slots := t.storedSection(collection)
	if i, ok := slices.BinarySearch(keys, key); ok {
		return &slots[i], true
	}
	return nil, false
}

// sortedKeys returns the keys of a frozen t's own documents of
// collection, in order.
func (t *memTx) sortedKeys(collection string) []string {
	if t.stored == nil {
		return t.sorted[collection]
	}
	keys, _ := t.storedSection(collection)
	return keys
}

// storedErr returns why a stored snapshot under t could not be read, if
// one could not: its views fail rather than read as empty.
func (t *memTx) storedErr() error {
	for x := t; x != nil; x = x.base {
		if x.stored != nil {
			return x.stored.chain.failed()
		}
	}
	return nil
}

// find returns the document of collection at key, from t or its bases,
// and the memTx holding it; nil if there is none or it was deleted.
func (t *memTx) find(collection, key string) (*memDoc, *memTx) {
	for x := t; x != nil; x = x.base {
		if d, ok := x.own(collection, key); ok {
			if d.gone {
				return nil, nil
			}
			return d, x
		}
	}
	return nil, nil
}

// ownKeys returns the keys t itself holds in collection (tombstones
// included), in order.
func (t *memTx) ownKeys(collection string) []string {
	if t.frozen {
		return t.sortedKeys(collection)
	}
	keys := make([]string, 0, len(t.docs[collection]))
	for k := range t.docs[collection] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var _ projections.Tx = (*memTx)(nil)

// newMemTx returns an empty memTx; sizes are the expected documents of
// large collections.
func newMemTx(sizes map[string]int) *memTx {
	return &memTx{sizes: sizes, docs: map[string]map[string]*memDoc{}}
}

// freeze ends the fold: from now on the documents are only read.
func (t *memTx) freeze() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.frozen = true
	t.sorted = make(map[string][]string, len(t.docs))
	for c, docs := range t.docs {
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.sorted[c] = keys
	}
}

// ownRange returns the keys t itself holds in collection (tombstones
// included) that start with prefix, in order, and of a stored snapshot
// their documents.
func (t *memTx) ownRange(collection, prefix string) ([]string, []memDoc) {
	if t.frozen {
		all, slots := t.sorted[collection], []memDoc(nil)
		if t.stored != nil {
			all, slots = t.storedSection(collection)
		}
		i, _ := slices.BinarySearch(all, prefix)
		j := i
		for j < len(all) && strings.HasPrefix(all[j], prefix) {
			j++
		}
		if slots != nil {
			slots = slots[i:j:j]
		}
		return all[i:j:j], slots
	}
	var keys []string
	for k := range t.docs[collection] {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// levelRange is one level's own keys of a collection within a prefix,
// being merged by each: keys[i] is the next; level 0 is the highest.
type levelRange struct {
	x     *memTx
	docs  map[string]*memDoc // t's own documents; of a stored snapshot:
	slots []memDoc           // keys' documents
	keys  []string
	i     int
	level int
}

// doc returns the document of the range's i-th key.
func (r *levelRange) doc(i int) *memDoc {
	if r.slots != nil {
		return &r.slots[i]
	}
	return r.docs[r.keys[i]]
}

// rangeHeap orders the levels' ranges by their next key, the highest level
// first among equal keys.
type rangeHeap []*levelRange

func (h rangeHeap) less(a, b int) bool {
	ka, kb := h[a].keys[h[a].i], h[b].keys[h[b].i]
	return ka < kb || ka == kb && h[a].level < h[b].level
}

// down restores the heap's order below a.
func (h rangeHeap) down(a int) {
	for {
		c := 2*a + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h.less(c+1, c) {
			c++
		}
		if !h.less(c, a) {
			return
		}
		h[a], h[c] = h[c], h[a]
		a = c
	}
}

// each calls fn, in key order, for every document of collection whose key
// starts with prefix that t reads through its bases (the highest level
// holding a key decides; a tombstone hides it), with the memTx holding it;
// want, if not nil, sees the key first. It merges the levels' own sorted
// keys within the prefix as it goes, so that a page of a large collection
// reads only its own keys (decision 0047), not the whole collection's
// merged.
func (t *memTx) each(ctx context.Context, collection, prefix string, want func(key string) bool, fn func(key string, d *memDoc, owner *memTx) error) error {
	var h rangeHeap
	level := 0
	for x := t; x != nil; x = x.base {
		if keys, slots := x.ownRange(collection, prefix); len(keys) > 0 {
			h = append(h, &levelRange{x: x, docs: x.docs[collection], slots: slots, keys: keys, level: level})
		}
		level++
	}
	if err := t.storedErr(); err != nil {
		return err
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for len(h) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		top, at := h[0], h[0].i
		k := top.keys[at]
		// Every range at k moves past it; top (the highest) decides.
		for len(h) > 0 && h[0].keys[h[0].i] == k {
			r := h[0]
			if r.i++; r.i == len(r.keys) {
				h[0] = h[len(h)-1]
				h = h[:len(h)-1]
			}
			h.down(0)
		}
		if want != nil && !want(k) {
			continue
		}
		d, owner := top.doc(at), top.x
		if !t.frozen {
			// Folding: fn may have changed t since the keys were taken.
			d, owner = t.find(collection, k)
		}
		if d == nil || d.gone {
			if err := t.storedErr(); err != nil {
				return err
			}
			continue
		}
		if err := fn(k, d, owner); err != nil {
			return err
		}
	}
	return nil
}

// json returns d's JSON, encoding it on first use.
func (t *memTx) json(collection, key string, d *memDoc) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d.raw == nil && t.stored != nil && !d.gone {
		if err := t.stored.chain.ensureValues(t, collection); err != nil {
			return nil, err
		}
	}
	if d.raw == nil {
		raw, err := json.Marshal(d.val)
		if err != nil {
			return nil, fmt.Errorf("encode %s/%s: %w", collection, key, err)
		}
		d.raw = raw
	}
	return d.raw, nil
}

// Get implements projections.Reader.
func (t *memTx) Get(_ context.Context, collection, key string, v any) (bool, error) {
	d, owner := t.find(collection, key)
	if d == nil {
		return false, t.storedErr()
	}
	if !t.frozen && owner == t {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Type() == reflect.TypeOf(d.val) {
			rv.Elem().Set(reflect.ValueOf(d.val))
			return true, nil
		}
	}
	raw, err := owner.json(collection, key, d)
	if err != nil {
		return true, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s/%s: %w", collection, key, err)
	}
	return true, nil
}

// Scan implements projections.Reader.
func (t *memTx) Scan(ctx context.Context, collection, prefix string, fn func(key string, raw []byte) error) error {
	return t.each(ctx, collection, prefix, nil, func(k string, d *memDoc, owner *memTx) error {
		raw, err := owner.json(collection, k, d)
		if err != nil {
			return err
		}
		return fn(k, raw)
	})
}

// scanValues implements valueReader.
func (t *memTx) scanValues(ctx context.Context, collection, prefix string, want func(key string) bool, fn func(key string, v any, raw func() ([]byte, error)) error) error {
	return t.each(ctx, collection, prefix, want, func(k string, d *memDoc, owner *memTx) error {
		return fn(k, d.val, func() ([]byte, error) { return owner.json(collection, k, d) })
	})
}

// Put implements projections.Tx.
func (t *memTx) Put(_ context.Context, collection, key string, v any) error {
	if t.frozen {
		return errors.New("as-of snapshot: read only")
	}
	d := &memDoc{val: v}
	if reflect.ValueOf(v).Kind() == reflect.Pointer {
		// The caller may change it after Put: keep its JSON now.
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s/%s: %w", collection, key, err)
		}
		d.raw = raw
	}
	docs := t.docs[collection]
	if docs == nil {
		docs = make(map[string]*memDoc, t.sizes[collection])
		t.docs[collection] = docs
	}
	docs[key] = d
	return nil
}

// Delete implements projections.Tx.
func (t *memTx) Delete(_ context.Context, collection, key string) error {
	if t.frozen {
		return errors.New("as-of snapshot: read only")
	}
	if t.base != nil {
		docs := t.docs[collection]
		if docs == nil {
			docs = map[string]*memDoc{}
			t.docs[collection] = docs
		}
		docs[key] = &memDoc{gone: true}
		return nil
	}
	delete(t.docs[collection], key)
	return nil
}
