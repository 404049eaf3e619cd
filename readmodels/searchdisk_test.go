package readmodels_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestSearchOnDisk: an index kept in a folder resumes where it stopped —
// its position is its checkpoint at once, and what indexing later events
// needs (the meeting's title, the utterance's speaker) is recalled from the
// log — and is rebuilt from the start of the log when the folder holds the
// index of another log, or an index that has read an erasure.
func TestSearchOnDisk(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	dir := filepath.Join(t.TempDir(), "search")
	at := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	e := &searchEnv{t: t, ctx: ctx, store: projectiontest.NewStore(t)}
	open := func(store eventstore.Store) func() {
		t.Helper()
		idx, err := rm.OpenSearch(ctx, rm.SearchConfig{Dir: dir}, store)
		if err != nil {
			t.Fatal(err)
		}
		e.store, e.idx = store, idx
		stop := follow(t, ctx, idx, store)
		t.Cleanup(stop)
		return stop
	}
	appendOnly := func(stream string, ev domain.Event) {
		t.Helper()
		ed, err := eventstore.NewEventData(ev.EventType(), ev.SchemaVersion(), ev, eventstore.Metadata{ActorID: "a", ActorRole: "pdis"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Append(ctx, stream, eventstore.Any, ed); err != nil {
			t.Fatal(err)
		}
	}

	stop := open(e.store)
	e.append("meeting-m1", domain.MeetingScheduled{MeetingID: "m1", Kind: domain.MeetingCollaborative, Title: "Lantern meeting", StartsAt: at, Occurred: domain.Occurred{At: at}})
	e.append("transcript-m1", domain.TranscriptUtteranceRecorded{MeetingID: "m1", UtteranceID: "u1", Seq: 1, Kind: domain.UtteranceSpeech,
		Speaker: &domain.Speaker{Name: "Alice"}, Paragraphs: []string{"lanterns at the temple"}, Occurred: domain.Occurred{At: at}})
	checkpoint := e.idx.Position()
	stop()

	// Stopped; an edit (which names neither speaker nor meeting) comes.
	appendOnly("transcript-m1", domain.TranscriptUtteranceEdited{MeetingID: "m1", UtteranceID: "u1", Version: 2, Editor: "e",
		Paragraphs: []string{"paper lanterns at the temple"}, Occurred: domain.Occurred{At: at}})
	stop = open(e.store)
	if got := e.idx.Position(); got != checkpoint {
		t.Fatalf("reopened at %d, want its checkpoint %d", got, checkpoint)
	}
	e.append("proposal-p1", domain.ProposalSubmitted{ProposalID: "p1", Title: "Kites", Summary: "kites", Proposer: "x", Occurred: domain.Occurred{At: at}})
	res := e.query(rm.SearchQuery{Text: "paper"})
	if len(res.Hits) != 1 || res.Hits[0].ID != "u/m1/u1" || res.Hits[0].Speaker != "Alice" || res.Hits[0].Title != "Lantern meeting" {
		t.Errorf("the edit after reopening: %+v, want u/m1/u1 by Alice in the Lantern meeting", res.Hits)
	}
	if len(res.Meetings) != 1 || res.Meetings[0].Title != "Lantern meeting" {
		t.Errorf("meetings after reopening: %+v", res.Meetings)
	}
	stop()

	// Another log, as long: rebuilt.
	other := projectiontest.NewStore(t)
	e.store = other
	for _, id := range []domain.ProposalID{"q1", "q2", "q3", "q4"} {
		appendOnly("proposal-"+string(id), domain.ProposalSubmitted{ProposalID: id, Title: "Other log", Summary: "other", Proposer: "x", Occurred: domain.Occurred{At: at}})
	}
	// rebuilt opens the index, which must start from 0, adds a proposal
	// and finds n.
	rebuilt := func(why string, id domain.ProposalID, n uint64) {
		t.Helper()
		stop = open(other)
		if got := e.idx.Position(); got != 0 {
			t.Errorf("%s: opened at %d, want 0 (rebuilt)", why, got)
		}
		e.append("proposal-"+string(id), domain.ProposalSubmitted{ProposalID: id, Title: "Other log", Summary: "other", Proposer: "x", Occurred: domain.Occurred{At: at}})
		if res := e.query(rm.SearchQuery{Text: "other"}); res.Total != n {
			t.Errorf("%s: %s, want %d proposals", why, hitIDs(res), n)
		}
	}
	rebuilt("another log", "q5", 5)
	if res := e.query(rm.SearchQuery{Text: "lanterns"}); res.Total != 0 {
		t.Errorf("another log: %s found from the first log", hitIDs(res))
	}
	// An erasure naming an event without its stream (carried out in
	// place otherwise: search_erase_test.go): rebuilt at the next start.
	e.append("ledger", domain.DataErased{Target: "event", Erased: []domain.ErasedField{{EventID: "0b8e4f0e-5f6e-4c4e-9d7a-2b1f3c4d5e6f", Paths: []string{"proposer"}}},
		Reason: "court order", LegalBasis: "PDPA art. 11", Occurred: domain.Occurred{At: at}})
	stop()
	rebuilt("after an erasure", "q6", 6)
	stop()
	// And once rebuilt, it resumes again.
	stop = open(other)
	if e.idx.Position() == 0 {
		t.Error("the rebuilt index did not resume")
	}
	stop()
}
