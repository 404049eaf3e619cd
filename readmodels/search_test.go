package readmodels_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestSearchGathersReads: the index gathers many reads of the log into one
// batch (decision 0030), and still (1) moves its position to the head when
// it has caught up, (2) finds a proposal submitted after thousands of
// events that index nothing (signatures), (3) indexes a speaker
// reattributed in the same batch as the utterance under the new speaker
// (the reattribution reads the utterance back from the index, so what is
// pending must be written first), and (4) follows what is appended later.
func TestSearchGathersReads(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	at := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	var evs []eventstore.EventData
	add := func(e domain.Event) {
		t.Helper()
		ed, err := eventstore.NewEventData(e.EventType(), e.SchemaVersion(), e, eventstore.Metadata{ActorID: "a", ActorRole: "pdis"})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ed)
	}
	appendAll := func(stream string) {
		t.Helper()
		if _, err := store.Append(ctx, stream, eventstore.Any, evs...); err != nil {
			t.Fatal(err)
		}
		evs = evs[:0]
	}
	signer := domain.Pseudonym([]byte("secret"), "x")
	for i := range 4500 {
		add(domain.ProposalSigned{ProposalID: "p1", SignatureID: domain.SignatureIDFor("p1", signer), Signer: signer, Count: i + 1, Occurred: domain.Occurred{At: at}})
		if len(evs) == 500 {
			appendAll("proposal-p1")
		}
	}
	add(domain.ProposalSubmitted{ProposalID: "p2", Title: "Pigs for the gods", Summary: "神豬 contests", Proposer: string(signer), Occurred: domain.Occurred{At: at}})
	appendAll("proposal-p2")
	add(domain.MeetingScheduled{MeetingID: "m1", Kind: domain.MeetingCollaborative, Title: "A meeting", StartsAt: at, Occurred: domain.Occurred{At: at}})
	appendAll("meeting-m1")
	add(domain.TranscriptUtteranceRecorded{MeetingID: "m1", UtteranceID: "u1", Seq: 1, Kind: domain.UtteranceSpeech,
		Speaker: &domain.Speaker{Name: "Alice"}, Paragraphs: []string{"temple festival"}, Occurred: domain.Occurred{At: at}})
	add(domain.TranscriptSpeakerReattributed{MeetingID: "m1", UtteranceID: "u1", From: domain.Speaker{Name: "Alice"},
		To: domain.Speaker{Name: "Beatrice"}, Reason: "misheard", Occurred: domain.Occurred{At: at}})
	appendAll("transcript-m1")

	idx := startSearch(t, ctx, store)
	caughtUp := func() {
		t.Helper()
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		defer wcancel()
		if err := idx.WaitFor(wctx, head); err != nil {
			t.Fatal(err)
		}
	}
	find := func(text string) []string {
		t.Helper()
		res, err := idx.Query(ctx, rm.SearchQuery{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID+" "+h.Speaker)
		}
		return ids
	}
	caughtUp()
	if got := fmt.Sprint(find("神豬")); got != "[p/p2 ]" {
		t.Errorf("神豬: %s, want the proposal", got)
	}
	if got := fmt.Sprint(find("Beatrice")); got != "[u/m1/u1 Beatrice]" {
		t.Errorf("Beatrice: %s, want the utterance under its new speaker", got)
	}
	if got := find("Alice"); len(got) != 0 {
		t.Errorf("Alice: %v, want nothing (reattributed)", got)
	}

	add(domain.ProposalSubmitted{ProposalID: "p3", Title: "Later", Summary: "lanterns", Proposer: string(signer), Occurred: domain.Occurred{At: at}})
	appendAll("proposal-p3")
	caughtUp()
	if got := fmt.Sprint(find("lanterns")); got != "[p/p3 ]" {
		t.Errorf("lanterns: %s, want the later proposal", got)
	}
}
