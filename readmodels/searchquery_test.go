package readmodels_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// searchEnv is a search index following a test store.
type searchEnv struct {
	t     *testing.T
	ctx   context.Context
	store eventstore.Store
	idx   *rm.Search
}

func newSearchEnv(t *testing.T) *searchEnv {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	return &searchEnv{t: t, ctx: ctx, store: store, idx: startSearch(t, ctx, store)}
}

// startSearch runs a search index over store until the test ends.
func startSearch(t *testing.T, ctx context.Context, store eventstore.Store) *rm.Search {
	idx, err := rm.NewSearch(rm.SearchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(follow(t, ctx, idx, store))
	return idx
}

// follow runs idx over store as serve does, reading the log from the
// shared reader of a projections Runner (running the tallies); the function
// it returns stops both and closes idx (once).
func follow(t *testing.T, ctx context.Context, idx *rm.Search, store eventstore.Store) func() {
	r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Projections: []projections.Projection{rm.Tallies{}},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done, rdone := make(chan error, 1), make(chan error, 1)
	go func() { rdone <- r.Run(rctx) }()
	go func() { done <- idx.RunFed(rctx, store, r) }()
	return sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("search index: %v", err)
		}
		if err := <-rdone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("projections: %v", err)
		}
		idx.Close()
	})
}

// append appends events to a stream and waits for the index to read them.
func (e *searchEnv) append(stream string, events ...domain.Event) {
	e.t.Helper()
	var evs []eventstore.EventData
	for _, ev := range events {
		ed, err := eventstore.NewEventData(ev.EventType(), ev.SchemaVersion(), ev, eventstore.Metadata{ActorID: "a", ActorRole: "pdis"})
		if err != nil {
			e.t.Fatal(err)
		}
		evs = append(evs, ed)
	}
	if _, err := e.store.Append(e.ctx, stream, eventstore.Any, evs...); err != nil {
		e.t.Fatal(err)
	}
	head, err := e.store.Head(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := e.idx.WaitFor(wctx, head); err != nil {
		e.t.Fatal(err)
	}
}

func (e *searchEnv) query(q rm.SearchQuery) rm.SearchResult {
	e.t.Helper()
	res, err := e.idx.Query(e.ctx, q)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func hitIDs(res rm.SearchResult) string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return fmt.Sprint(res.Total, ids)
}

// TestSearchCache: an answer is searched once per generation of the index
// (a write that changed documents): asked again, asked in another case,
// asked by many at once, or after events that index nothing (signatures),
// it comes from the cache, with the index's current position; a new
// document moves the generation and is found. A page is one bleve page
// (top-N) with the total of all results, and every page names the same
// meetings with the most results.
func TestSearchCache(t *testing.T) {
	e := newSearchEnv(t)
	at := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	signer := domain.Pseudonym([]byte("secret"), "x")
	e.append("meeting-m1", domain.MeetingScheduled{MeetingID: "m1", Kind: domain.MeetingCollaborative, Title: "Lantern meeting", StartsAt: at, Occurred: domain.Occurred{At: at}})
	var utterances []domain.Event
	for i := range 25 {
		utterances = append(utterances, domain.TranscriptUtteranceRecorded{MeetingID: "m1", UtteranceID: domain.UtteranceID(fmt.Sprintf("u%02d", i)), Seq: i + 1,
			Kind: domain.UtteranceSpeech, Speaker: &domain.Speaker{Name: "Alice"}, Paragraphs: []string{fmt.Sprintf("lanterns at the temple, %d", i)},
			Occurred: domain.Occurred{At: at.Add(time.Duration(i) * time.Minute)}})
	}
	e.append("transcript-m1", utterances...)
	e.append("proposal-p1", domain.ProposalSubmitted{ProposalID: "p1", Title: "Lanterns", Summary: "more lanterns", Proposer: string(signer), Occurred: domain.Occurred{At: at}})

	gen := e.idx.Generation()
	first := e.query(rm.SearchQuery{Text: "lanterns", Limit: 10})
	if first.Total != 26 || len(first.Hits) != 10 {
		t.Fatalf("lanterns: %s, want 26 results, 10 on the page", hitIDs(first))
	}
	if len(first.Meetings) != 1 || first.Meetings[0].MeetingID != "m1" || first.Meetings[0].Hits != 25 || first.Meetings[0].Title != "Lantern meeting" {
		t.Errorf("meetings: %+v, want m1 with 25", first.Meetings)
	}
	st := e.idx.CacheStats()
	if again := e.query(rm.SearchQuery{Text: "  LANTERNS ", Limit: 10}); hitIDs(again) != hitIDs(first) {
		t.Errorf("asked again: %s, want %s", hitIDs(again), hitIDs(first))
	}
	if got := e.idx.CacheStats().Searches - st.Searches; got != 0 {
		t.Errorf("asked again: %d searches, want the cached answer", got)
	}

	// The second page: one search, without the facet, the same meetings.
	second := e.query(rm.SearchQuery{Text: "lanterns", Offset: 10, Limit: 10})
	if second.Total != 26 || len(second.Hits) != 10 || second.Hits[0].ID == first.Hits[0].ID {
		t.Errorf("page 2: %s", hitIDs(second))
	}
	if fmt.Sprint(second.Meetings) != fmt.Sprint(first.Meetings) {
		t.Errorf("page 2 meetings: %+v, want %+v", second.Meetings, first.Meetings)
	}

	// Many at once: one search.
	st = e.idx.CacheStats()
	var wg sync.WaitGroup
	answers := make([]string, 16)
	for i := range answers {
		wg.Go(func() { answers[i] = hitIDs(e.query(rm.SearchQuery{Text: "temple", Limit: 5})) })
	}
	wg.Wait()
	for _, a := range answers {
		if a != answers[0] || a == "0 []" {
			t.Fatalf("concurrent answers differ or are empty: %v", answers)
		}
	}
	if got := e.idx.CacheStats().Searches - st.Searches; got != 1 {
		t.Errorf("16 identical searches at once: %d searches run, want 1", got)
	}

	// Signatures index nothing: the same generation, the answer cached, at
	// the new position.
	var sigs []domain.Event
	for i := range 300 {
		sigs = append(sigs, domain.ProposalSigned{ProposalID: "p1", SignatureID: domain.SignatureIDFor("p1", signer), Signer: signer, Count: i + 1, Occurred: domain.Occurred{At: at}})
	}
	e.append("proposal-p1", sigs...)
	if e.idx.Generation() != gen {
		t.Errorf("signatures moved the generation from %d to %d", gen, e.idx.Generation())
	}
	st = e.idx.CacheStats()
	res := e.query(rm.SearchQuery{Text: "lanterns", Limit: 10})
	head, _ := e.store.Head(e.ctx)
	if e.idx.CacheStats().Searches != st.Searches || res.Position != head || hitIDs(res) != hitIDs(first) {
		t.Errorf("after signatures: %d searches, position %d (head %d), %s", e.idx.CacheStats().Searches-st.Searches, res.Position, head, hitIDs(res))
	}

	// A new document: a new generation, found.
	e.append("proposal-p2", domain.ProposalSubmitted{ProposalID: "p2", Title: "Paper lanterns", Summary: "lanterns again", Proposer: string(signer), Occurred: domain.Occurred{At: at}})
	if e.idx.Generation() == gen {
		t.Error("a new document did not move the generation")
	}
	if res := e.query(rm.SearchQuery{Text: "lanterns", Limit: 10}); res.Total != 27 {
		t.Errorf("after a new proposal: %s, want 27 results", hitIDs(res))
	}
	if res := e.query(rm.SearchQuery{Text: "paper lanterns", Kind: "proposal"}); hitIDs(res) != "1 [p/p2]" {
		t.Errorf("paper lanterns: %s, want the new proposal", hitIDs(res))
	}
}
