package readmodels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"golang.org/x/sync/singleflight"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lru"
)

// Search is the full-text read model: proposals (title and summary),
// cases and their recommendations, meetings' titles, every utterance of
// every transcript as it reads now (with its speaker), the mind-map and
// concept-sheet notes and the anonymous questions — in Chinese and English,
// public view only (a removed note, an archived question, a deleted
// utterance leaves the index).
//
// It is a bleve index (scorch) with bleve's CJK analyzer (Unicode
// tokenizer, width folding, lower case, CJK bigrams), which serves
// Traditional Chinese and English alike: "神豬" finds the bigram, "Pigs"
// finds "pigs". Like every read model it is rebuilt from the log: Run
// follows the log from the start (or from where the index stopped) and
// applies each event; the index keeps its checkpoint with its documents.
type Search struct {
	idx  bleve.Index
	dir  string
	temp bool
	pos  atomic.Uint64
	log  *slog.Logger
	mu   sync.Mutex // guards speakers and meetings, used by Run only
	// speakers keeps each utterance's speaker, meetings each meeting's
	// title and case, so that an edit (which names neither) is indexed with
	// them.
	speakers map[string]string
	meetings map[string]meetingInfo
	waitMu   sync.Mutex
	waitCh   chan struct{}
	// gen counts the writes that changed documents; the answers' cache is
	// keyed by it (searchquery.go).
	gen      atomic.Uint64
	cache    *lru.Cache[searchKey, SearchResult]
	flight   singleflight.Group
	searches atomic.Uint64 // how many searches ran
	// began is the log's head when the index began; written and persisted
	// are the last checkpoint written and the last on disk (searchdisk.go).
	began              uint64
	written, persisted atomic.Uint64
	// store is the log Run follows (an erasure re-reads streams from it:
	// search_erase.go).
	store eventstore.Store
}

type meetingInfo struct{ title, caseID string }

// SearchDoc is what the index keeps of one searchable thing.
type SearchDoc struct {
	// Kind is proposal, case, recommendation, meeting, utterance, note or
	// question.
	Kind string `json:"kind"`
	// Title is the thing's title, or its meeting's.
	Title string `json:"title"`
	// Text is its text (an utterance's paragraphs, a note, a summary).
	Text    string `json:"text"`
	Speaker string `json:"speaker,omitempty"`
	// The IDs it links to.
	ProposalID  string `json:"proposalId,omitempty"`
	CaseID      string `json:"caseId,omitempty"`
	MeetingID   string `json:"meetingId,omitempty"`
	UtteranceID string `json:"utteranceId,omitempty"`
	NoteID      string `json:"noteId,omitempty"`
	QuestionID  string `json:"questionId,omitempty"`
	// RecommendationID names a recommendation.
	RecommendationID string    `json:"recommendationId,omitempty"`
	OccurredAt       time.Time `json:"occurredAt"`
	Position         uint64    `json:"position"`
}

// SearchConfig configures a Search.
type SearchConfig struct {
	// Dir is where the index lives; empty: a temporary directory removed by
	// Close (the index is rebuilt from the log at each start).
	Dir    string
	Logger *slog.Logger
	// CacheBytes bounds the cache of answers (DefaultSearchCacheBytes for
	// 0 or less).
	CacheBytes int
}

// searchCheckpoint is the internal key of the index's checkpoint.
var searchCheckpoint = []byte("collabledger.checkpoint")

// NewSearch opens (or creates) the index.
func NewSearch(cfg SearchConfig) (*Search, error) {
	s := &Search{log: cfg.Logger, speakers: map[string]string{}, meetings: map[string]meetingInfo{}, waitCh: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = DefaultSearchCacheBytes
	}
	s.cache = lru.New[searchKey, SearchResult](cfg.CacheBytes)
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "collabledger-search-")
		if err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		dir, s.temp = d+"/index", true
	}
	s.dir = dir
	idx, err := bleve.Open(dir)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		idx, err = bleve.NewUsing(dir, searchMapping(), scorch.Name, scorch.Name, map[string]any{"unsafe_batch": true})
		if err == nil {
			err = idx.SetInternal(searchSchemaKey, []byte(strconv.Itoa(searchSchema)))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("search index %s: %w", dir, err)
	}
	s.idx = idx
	if b, err := idx.GetInternal(searchBeganKey); err == nil && len(b) > 0 {
		s.began, _ = strconv.ParseUint(string(b), 10, 64)
	}
	if b, err := idx.GetInternal(searchCheckpoint); err == nil && len(b) > 0 {
		var p uint64
		if _, err := fmt.Sscan(string(b), &p); err == nil {
			s.pos.Store(p)
		}
	}
	return s, nil
}

// searchMapping is the index's mapping. Each field indexes only what the
// queries use (decision 0046): no "_all" field (queries name text, title
// and speaker), no term vectors (no phrase queries, no highlighting), and
// doc values only for meetingId (the meetings facet); building a Join
// import's segments spent most of its time on the rest.
func searchMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Analyzer = cjk.AnalyzerName
	text.Store = true
	text.IncludeTermVectors = false
	text.IncludeInAll = false
	text.DocValues = false
	kw := bleve.NewTextFieldMapping()
	kw.Analyzer = keyword.Name
	kw.Store = true
	kw.IncludeTermVectors = false
	kw.IncludeInAll = false
	kw.DocValues = false
	facet := bleve.NewTextFieldMapping()
	*facet = *kw
	facet.DocValues = true
	stored := bleve.NewTextFieldMapping()
	stored.Index = false
	stored.Store = true
	stored.IncludeTermVectors = false
	stored.IncludeInAll = false
	stored.DocValues = false
	when := bleve.NewDateTimeFieldMapping()
	when.Store = true
	when.IncludeInAll = false
	when.DocValues = false
	pos := bleve.NewNumericFieldMapping()
	pos.Store = true
	pos.IncludeInAll = false
	pos.DocValues = false
	doc := bleve.NewDocumentMapping()
	doc.AddFieldMappingsAt("title", text)
	doc.AddFieldMappingsAt("text", text)
	doc.AddFieldMappingsAt("speaker", text)
	doc.AddFieldMappingsAt("kind", kw)
	doc.AddFieldMappingsAt("meetingId", facet) // faceted: which meetings discuss it most
	for _, f := range []string{"proposalId", "caseId", "utteranceId", "noteId", "questionId", "recommendationId"} {
		doc.AddFieldMappingsAt(f, stored)
	}
	doc.AddFieldMappingsAt("occurredAt", when)
	doc.AddFieldMappingsAt("position", pos)
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = cjk.AnalyzerName
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// Close closes the index (and removes a temporary one). An index kept on
// disk is closed once its last batch is there (10 s at most).
func (s *Search) Close() error {
	if !s.temp {
		s.waitPersisted()
	}
	err := s.idx.Close()
	if s.temp {
		_ = os.RemoveAll(strings.TrimSuffix(s.dir, "/index"))
	}
	return err
}

// Position is the last log position the index reflects.
func (s *Search) Position() eventstore.Position { return eventstore.Position(s.pos.Load()) }

// searchBatch is how many events Run reads at a time.
const searchBatch = 2000

// Run gathers the documents of many reads into one bleve batch, and so one
// segment: a batch per read made a segment per 2,000 events, and on a
// catch-up of a million signatures (which add no document) bleve spent more
// time merging those segments than anything else (decision 0030).
const (
	// searchFlushOps: a batch this large is written at once.
	searchFlushOps = 5000
	// searchFlushOpsCaughtUp: a batch this large is written as soon as
	// the index has read all the log there is, without waiting for the
	// bulk pace or a pause: what the end of an import leaves to write —
	// and so how long after it its last documents are searchable — stays
	// small (a batch of 1,754 documents took 0.8 s to write at the end of
	// the Join import, decision 0057).
	searchFlushOpsCaughtUp = 1000
	// searchFlushDelay: once caught up, a batch waits at most this long for
	// more before it is written (it is written at once when the log is
	// quiet).
	searchFlushDelay = time.Second
	// searchFlushDelayBulk: while the log is read in bulk (an import: at
	// least searchBulkRate events a second), each write waits twice as
	// long as the one before, up to this, and a moment's pause in the log
	// does not write at once: the import makes a few large segments rather
	// than one a second, which bleve merged over and over (decision 0040).
	// Once the log has been quiet for searchFlushDelay, or is read at a
	// live rate, writes are prompt again.
	searchFlushDelayBulk = 16 * time.Second
	// searchBulkRate: events read per second, between two writes, that
	// make a bulk read.
	searchBulkRate = 1000
	// searchQuietBulk: in a bulk read, a pause in the log this long writes
	// what was gathered (the import may have ended: its last documents are
	// then searchable this long after it, decision 0046), without leaving
	// the bulk pace; a pause of searchFlushDelay ends the bulk.
	searchQuietBulk = 400 * time.Millisecond
)

// searchPace decides when Run writes what it gathered (decision 0040).
type searchPace struct {
	delay      time.Duration // how long a batch may wait while the log moves
	quietSince time.Time     // when reads began to find nothing (zero: the last found something)
	read       int           // events read since the last write
	lastWrite  time.Time
}

func newSearchPace(now time.Time) searchPace {
	return searchPace{delay: searchFlushDelay, lastWrite: now}
}

// observe records a read of n events at now.
func (p *searchPace) observe(n int, now time.Time) {
	p.read += n
	switch {
	case n > 0:
		p.quietSince = time.Time{}
	case p.quietSince.IsZero():
		p.quietSince = now
	case now.Sub(p.quietSince) >= searchFlushDelay:
		p.delay = searchFlushDelay // quiet for a while: the bulk is over
	}
}

// due reports whether a batch gathered since `since` is to be written at
// now (the caller has caught up with the log).
func (p *searchPace) due(now, since time.Time) bool {
	if !p.quietSince.IsZero() {
		return p.delay <= searchFlushDelay || now.Sub(p.quietSince) >= searchQuietBulk
	}
	return now.Sub(since) >= p.delay
}

// wrote records a write at now and sets how long the next batch may wait.
func (p *searchPace) wrote(now time.Time) {
	elapsed := now.Sub(p.lastWrite)
	switch {
	case p.quietSince.IsZero() && elapsed > 0 && float64(p.read)/elapsed.Seconds() >= searchBulkRate:
		p.delay = min(2*p.delay, searchFlushDelayBulk)
	case !p.quietSince.IsZero() && p.delay > searchFlushDelay && now.Sub(p.quietSince) < searchFlushDelay:
		// a pause in a bulk read: the pace stays
	default:
		p.delay = searchFlushDelay
	}
	p.read, p.lastWrite = 0, now
}

// pendingBatch is what Run has applied but not yet written to the index.
type pendingBatch struct {
	b     *bleve.Batch
	since time.Time           // when its first operation was added
	at    eventstore.Position // the last event applied to it
	id    string              // its ID
}

// Run follows the log and indexes it until ctx ends. Call it once.
//
// Position (and WaitFor) move only once what the events up to a position
// changed is in the index. Events that change nothing there (most of the
// log: signatures) move it at once; the checkpoint kept in the index is
// written with the documents, or when the log is quiet, so a restart may
// read again events that changed nothing.
func (s *Search) Run(ctx context.Context, store eventstore.Store) error {
	return s.RunFed(ctx, store, nil)
}

// RunFed is Run reading the log from feed, the projections' shared reader
// of it (decision 0046), rather than on its own; with a nil feed, or once
// the feed's subscriber is closed, it reads store. The index's checkpoint,
// its resumption and erasures are the same either way.
func (s *Search) RunFed(ctx context.Context, store eventstore.Store, feed SearchFeed) error {
	s.store = store
	after := s.Position()
	afterID, err := s.idx.GetInternal(searchCheckpointID)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if err := s.recall(ctx, store, after); err != nil {
		return err
	}
	p := &pendingBatch{b: s.idx.NewBatch(), at: after, id: string(afterID)}
	stored := after // the checkpoint in the index
	pace := newSearchPace(time.Now())
	log, err := newSearchLog(ctx, store, feed, after)
	if err != nil {
		return err
	}
	defer log.close()
	for {
		if ctx.Err() != nil {
			// Stopped with a backlog (a store's read may not watch ctx):
			// what was applied is written with its checkpoint, and a
			// restart resumes after it.
			if err := s.stop(p, after, string(afterID), stored); err != nil {
				s.log.Warn("search index: stopping", "err", err)
			}
			return ctx.Err()
		}
		events, caughtUp, err := log.read(ctx, after)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("search index: read log after %d: %w", after, err)
		}
		if len(events) > 0 {
			if err := s.apply(ctx, p, events); err != nil {
				return err
			}
			after, afterID = events[len(events)-1].Position, []byte(events[len(events)-1].ID.String())
		}
		pace.observe(len(events), time.Now())
		switch {
		case p.b.Size() >= searchFlushOps, caughtUp && p.b.Size() >= searchFlushOpsCaughtUp,
			p.b.Size() > 0 && caughtUp && pace.due(time.Now(), p.since):
			if err := s.flush(p); err != nil {
				return err
			}
			pace.wrote(time.Now())
			stored = p.at
		case p.b.Size() == 0 && len(events) == 0 && stored < after:
			s.setCheckpoint(p.b, after, string(afterID))
			if err := s.idx.Batch(p.b); err != nil {
				return fmt.Errorf("search index: checkpoint %d: %w", after, err)
			}
			p.b, stored = s.idx.NewBatch(), after
		case p.b.Size() == 0 && eventstore.Position(s.pos.Load()) < after:
			s.pos.Store(uint64(after))
			s.notify()
		}
		if caughtUp && !log.wait(ctx) {
			// Stopped while caught up: leave the checkpoint at what was
			// read, so that a restart resumes from it.
			if err := s.stop(p, after, string(afterID), stored); err != nil {
				s.log.Warn("search index: stopping", "err", err)
			}
			return ctx.Err()
		}
	}
}

// flush writes p's batch with its checkpoint, and moves Position to it.
func (s *Search) flush(p *pendingBatch) error {
	s.setCheckpoint(p.b, p.at, p.id)
	if err := s.idx.Batch(p.b); err != nil {
		return fmt.Errorf("search index: write up to %d: %w", p.at, err)
	}
	s.gen.Add(1) // before the position: see Query
	p.b = s.idx.NewBatch()
	s.pos.Store(uint64(p.at))
	s.notify()
	return nil
}

// notify wakes those waiting for the index to move.
func (s *Search) notify() {
	s.waitMu.Lock()
	close(s.waitCh)
	s.waitCh = make(chan struct{})
	s.waitMu.Unlock()
}

// WaitFor waits until the index reflects pos.
func (s *Search) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		s.waitMu.Lock()
		ch := s.waitCh
		s.waitMu.Unlock()
		if s.Position() >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search index at %d, waiting for %d: %w", s.Position(), pos, ctx.Err())
		case <-ch:
		}
	}
}

// apply adds what events change in the index to p. An event that reads
// the index (a speaker reattributed: the utterance's text is read back)
// first has what is pending written, so that it reads what came before it.
func (s *Search) apply(ctx context.Context, p *pendingBatch, events []eventstore.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range events {
		if ev.Type == dataErasedType && uint64(ev.Position) > s.began {
			if err := s.foldErasure(ctx, p, ev); err != nil { // search_erase.go
				return err
			}
		}
		if _, known := domain.EventSchemaVersion(ev.Type); !known || !searchTypes[ev.Type] {
			p.at, p.id = ev.Position, ev.ID.String()
			continue
		}
		if err := s.add(ctx, p, ev); err != nil {
			return err
		}
		p.at, p.id = ev.Position, ev.ID.String()
	}
	return nil
}

// add adds what ev (of a type the index reads) changes in the index to p.
func (s *Search) add(ctx context.Context, p *pendingBatch, ev eventstore.Event) error {
	if ev.Type == speakerReattributedType && p.b.Size() > 0 {
		if err := s.flush(p); err != nil {
			return err
		}
	}
	e, err := decode(ctx, ev)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	before := p.b.Size()
	if err := s.applyOne(p.b, ev, e); err != nil {
		return fmt.Errorf("search index: %s at %d: %w", ev.Type, ev.Position, err)
	}
	if before == 0 && p.b.Size() > 0 {
		p.since = time.Now()
	}
	return nil
}

// dataErasedType is the erasure, which the index carries out in place
// (search_erase.go).
var dataErasedType = domain.DataErased{}.EventType()

// speakerReattributedType is the one event type whose indexing reads the
// index.
var speakerReattributedType = domain.TranscriptSpeakerReattributed{}.EventType()

// searchTypes are the event types the index reads.
var searchTypes = map[string]bool{}

func init() {
	for _, t := range []string{"proposal.submitted", "case.opened", "case.proposal_linked", "case.recommendation_recorded", "meeting.scheduled",
		"transcript.utterance_recorded", "transcript.utterance_inserted", "transcript.utterance_edited", "transcript.edit_reverted",
		"transcript.utterance_corrected", "transcript.speaker_reattributed", "transcript.utterance_deleted", "transcript.utterance_split",
		"transcript.utterances_merged", "meeting.note_added", "meeting.note_revised", "meeting.note_removed",
		"meeting.question_posted", "meeting.question_archived"} {
		searchTypes[t] = true
	}
}

func (s *Search) applyOne(b *bleve.Batch, ev eventstore.Event, e domain.Event) error {
	base := SearchDoc{OccurredAt: ev.OccurredAt().UTC(), Position: uint64(ev.Position)}
	utter := func(meeting domain.MeetingID, id domain.UtteranceID, paragraphs []string) error {
		key := string(meeting) + "/" + string(id)
		mi := s.meetings[string(meeting)]
		d := base
		d.Kind, d.MeetingID, d.UtteranceID, d.CaseID, d.Title = "utterance", string(meeting), string(id), mi.caseID, mi.title
		d.Speaker, d.Text = s.speakers[key], plainJoin(paragraphs)
		return b.Index("u/"+key, d)
	}
	note := func(meeting domain.MeetingID, id domain.NoteID, text string) error {
		mi := s.meetings[string(meeting)]
		d := base
		d.Kind, d.MeetingID, d.CaseID, d.NoteID, d.Title, d.Text = "note", string(meeting), mi.caseID, string(id), mi.title, text
		return b.Index("n/"+string(meeting)+"/"+string(id), d)
	}
	s.remember(e)
	switch x := e.(type) {
	case domain.ProposalSubmitted:
		d := base
		d.Kind, d.ProposalID, d.Title, d.Text = "proposal", string(x.ProposalID), x.Title, x.Title+"\n"+x.Summary
		return b.Index("p/"+string(x.ProposalID), d)
	case domain.CaseOpened:
		d := base
		d.Kind, d.CaseID, d.Title, d.Text = "case", string(x.CaseID), x.Title, x.Title
		return b.Index("c/"+string(x.CaseID), d)
	case domain.CaseProposalLinked:
		// An imported case is found by its topic, the title of the Join
		// proposal it came from.
		d := base
		d.Kind, d.CaseID, d.Title, d.Text = "case", string(x.CaseID), x.Topic, x.Topic
		return b.Index("c/"+string(x.CaseID), d)
	case domain.CaseRecommendationRecorded:
		d := base
		d.Kind, d.CaseID, d.RecommendationID, d.MeetingID, d.Text = "recommendation", string(x.CaseID), string(x.RecommendationID), string(x.MeetingID), x.Text
		return b.Index("r/"+string(x.CaseID)+"/"+string(x.RecommendationID), d)
	case domain.MeetingScheduled:
		d := base
		d.Kind, d.MeetingID, d.CaseID, d.Title, d.Text = "meeting", string(x.MeetingID), string(x.CaseID), x.Title, x.Title
		return b.Index("m/"+string(x.MeetingID), d)
	case domain.TranscriptUtteranceRecorded:
		return utter(x.MeetingID, x.UtteranceID, x.Paragraphs)
	case domain.TranscriptUtteranceInserted:
		return utter(x.MeetingID, x.UtteranceID, x.Paragraphs)
	case domain.TranscriptUtteranceEdited:
		return utter(x.MeetingID, x.UtteranceID, x.Paragraphs)
	case domain.TranscriptEditReverted:
		return utter(x.MeetingID, x.UtteranceID, x.Paragraphs)
	case domain.TranscriptUtteranceCorrected:
		return utter(x.MeetingID, x.UtteranceID, x.Paragraphs)
	case domain.TranscriptSpeakerReattributed:
		// The text is unchanged; the speaker is stored with it.
		return s.reindexSpeaker(b, base, x.MeetingID, x.UtteranceID)
	case domain.TranscriptUtteranceDeleted:
		b.Delete("u/" + string(x.MeetingID) + "/" + string(x.UtteranceID))
	case domain.TranscriptUtteranceSplit:
		if err := utter(x.MeetingID, x.UtteranceID, x.Paragraphs); err != nil {
			return err
		}
		for _, p := range x.Parts {
			if err := utter(x.MeetingID, p.UtteranceID, p.Paragraphs); err != nil {
				return err
			}
		}
	case domain.TranscriptUtterancesMerged:
		for _, id := range x.Merged {
			b.Delete("u/" + string(x.MeetingID) + "/" + string(id))
		}
		return utter(x.MeetingID, x.UtteranceID, x.Paragraphs)
	case domain.MeetingNoteAdded:
		return note(x.MeetingID, x.NoteID, x.Text)
	case domain.MeetingNoteRevised:
		return note(x.MeetingID, x.NoteID, x.Text)
	case domain.MeetingNoteRemoved:
		b.Delete("n/" + string(x.MeetingID) + "/" + string(x.NoteID))
	case domain.MeetingQuestionPosted:
		d := base
		mi := s.meetings[string(x.MeetingID)]
		d.Kind, d.MeetingID, d.CaseID, d.QuestionID, d.Title, d.Text = "question", string(x.MeetingID), mi.caseID, string(x.QuestionID), mi.title, x.Text
		return b.Index("q/"+string(x.MeetingID)+"/"+string(x.QuestionID), d)
	case domain.MeetingQuestionArchived:
		b.Delete("q/" + string(x.MeetingID) + "/" + string(x.QuestionID))
	}
	return nil
}

// remember keeps what indexing later events needs of e: a meeting's title
// and case, an utterance's speaker.
func (s *Search) remember(e domain.Event) {
	setSpeaker := func(meeting domain.MeetingID, id domain.UtteranceID, sp *domain.Speaker) {
		if sp != nil {
			s.speakers[string(meeting)+"/"+string(id)] = sp.Name
		}
	}
	switch x := e.(type) {
	case domain.MeetingScheduled:
		s.meetings[string(x.MeetingID)] = meetingInfo{title: x.Title, caseID: string(x.CaseID)}
	case domain.TranscriptUtteranceRecorded:
		setSpeaker(x.MeetingID, x.UtteranceID, x.Speaker)
	case domain.TranscriptUtteranceInserted:
		setSpeaker(x.MeetingID, x.UtteranceID, x.Speaker)
	case domain.TranscriptSpeakerReattributed:
		s.speakers[string(x.MeetingID)+"/"+string(x.UtteranceID)] = x.To.Name
	case domain.TranscriptUtteranceSplit:
		for _, p := range x.Parts {
			setSpeaker(x.MeetingID, p.UtteranceID, p.Speaker)
		}
	}
}

// reindexSpeaker re-indexes an utterance under its new speaker, reading its
// text back from the index.
func (s *Search) reindexSpeaker(b *bleve.Batch, base SearchDoc, meeting domain.MeetingID, id domain.UtteranceID) error {
	key := "u/" + string(meeting) + "/" + string(id)
	req := bleve.NewSearchRequest(bleve.NewDocIDQuery([]string{key}))
	req.Fields = []string{"*"}
	res, err := s.idx.Search(req)
	if err != nil || len(res.Hits) == 0 {
		return err
	}
	d := docOf(res.Hits[0].Fields)
	d.Speaker = s.speakers[string(meeting)+"/"+string(id)]
	d.Position, d.OccurredAt = base.Position, base.OccurredAt
	return b.Index(key, d)
}

// plainJoin joins paragraphs as plain text (their inline markup removed).
func plainJoin(paragraphs []string) string {
	var sb strings.Builder
	for i, p := range paragraphs {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(stripTags(p))
	}
	return sb.String()
}

// stripTags removes the paragraph subset's inline tags.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var sb strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
