package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/readmodels"
)

// TestSearchAfterErasure: on a sealed ledger served with its search index,
// the speaker of u-1 (a PO with an account) is erased through the ledger.
// Search over HTTP never shows the account (before or after: the index
// reads public fields only); the words, which are public, are still found
// under the speaker's shown name; and the erasure reached the running
// index without a restart: the utterance's documents were derived again
// (the generation moved), so the answer cached before the erasure is not
// served, and the page is rendered anew. A signature's erasure before it
// leaves the cache alone (no document derives from a signature).
func TestSearchAfterErasure(t *testing.T) {
	pe := newPagesEnvWith(t, sealed.NewMemory(), nil, withSearch(t))
	pe.story()
	pe.caughtUp()
	pe.searchCaughtUp()
	idx := searchIndexes[t.Name()]
	q := "/search?q=" + urlQuery("壓力很大")
	account := "/api/v1/search?q=" + urlQuery(pgMoiChief.ID)
	check := func(when string) string {
		t.Helper()
		code, body, _ := pe.get(q)
		if code != 200 {
			t.Fatalf("%s: %s: %d", when, q, code)
		}
		mustContain(t, when, body, `href="/meetings/m-1/utterances/u-1"`, "內政部主任PO")
		mustNotContain(t, when, body, pgMoiChief.ID)
		_, byAccount, _ := pe.get(account)
		var res readmodels.SearchResult
		if err := json.Unmarshal([]byte(byAccount), &res); err != nil {
			t.Fatalf("%s: %s: %v", when, account, err)
		}
		hits, _ := json.Marshal(res.Hits)
		mustNotContain(t, when+" (the account searched)", string(hits), pgMoiChief.ID)
		return body
	}
	check("before the erasure")
	gen, searches := idx.Generation(), idx.CacheStats().Searches
	check("asked again")
	if got := idx.CacheStats().Searches; got != searches {
		t.Fatalf("asked again: %d searches, want the cached answer (%d)", got, searches)
	}

	// A signature's erasure: the index derives nothing from signatures,
	// and keeps its answers.
	var signature string
	evs, err := pe.raw.ReadAll(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == "proposal.signed" && signature == "" {
			signature = ev.ID.String()
		}
	}
	pe.do("2019-07-01 10:00", staffActor, domain.Erase{EventID: signature, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
	pe.caughtUp()
	pe.searchCaughtUp()
	if idx.Generation() != gen {
		t.Error("a signature's erasure moved the index's generation (emptied its cache), although no document derives from a signature")
	}
	pe.do("2019-07-02 10:00", staffActor, domain.Erase{Person: pgMoiChief.ID, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
	pe.caughtUp()
	pe.searchCaughtUp()
	if idx.Generation() == gen {
		t.Fatal("the erasure did not reach the index: its generation did not move")
	}
	check("after the erasure")
	if got := idx.CacheStats().Searches; got == searches {
		t.Error("after the erasure, the answer cached before it was served")
	}
}

// FindEvent passes to the store's own (an erasure finds the type of the
// events it names by it), if it has one.
func (s *faultyStore) FindEvent(ctx context.Context, id uuid.UUID) (eventstore.Event, bool, error) {
	if f, ok := s.Store.(eventstore.Finder); ok {
		return f.FindEvent(ctx, id)
	}
	return eventstore.Event{}, false, fmt.Errorf("find event %s: %w", id, errors.ErrUnsupported)
}
