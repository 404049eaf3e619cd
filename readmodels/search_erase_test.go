package readmodels_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestSearchErasureInPlace: the story on a sealed log, followed by a
// search index kept in a folder. No personal or confidential value of the
// story is in any of its documents (the index reads public fields only).
// An utterance's document is then planted holding the speaker's account
// (as an index made when the speaker's name field held it would), and
// found, and the answer cached. Erasing the speaker through the command
// side derives that utterance's documents again from the log as it reads
// now: without a restart the account is found nowhere (the cached answer
// is not served), every document equals a fresh rebuild's, and the index
// kept on disk resumes at the next start — not rebuilt — still equal to
// the rebuild, the account still not found.
func TestSearchErasureInPlace(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	inner := projectiontest.NewStore(t)
	secrets := sealed.NewMemory()
	store := sealed.NewLog(inner, secrets, sealed.Policy{Fields: domain.PrivateFields, Actor: domain.IsPseudonymousRole})
	dir := filepath.Join(t.TempDir(), "search")
	open := func() (*rm.Search, func()) {
		t.Helper()
		idx, err := rm.OpenSearch(ctx, rm.SearchConfig{Dir: dir}, store)
		if err != nil {
			t.Fatal(err)
		}
		stop := follow(t, ctx, idx, store)
		t.Cleanup(stop)
		return idx, stop
	}
	idx, stop := open()
	l := newLedger(t, store)
	story(l, func(string) {})
	waitSearch(t, ctx, idx, l.last.Position)

	private := []string{speakerA.ID, citizen(3).ID, "duplicate account"}
	docs := searchDocs(t, idx)
	for id, d := range docs {
		for _, v := range private {
			if strings.Contains(docJSON(t, d), v) {
				t.Errorf("before any erasure, %s holds the private value %q: %+v", id, v, d)
			}
		}
	}
	var planted string
	for id, d := range docs {
		if d.Kind == "utterance" && d.UtteranceID == "u-1" {
			planted = id
			d.Speaker += " " + speakerA.ID
			if err := rm.PlantSearchDoc(idx, id, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	if planted == "" {
		t.Fatal("the story's utterance u-1 is not in the index")
	}
	find := func(what string) rm.SearchResult {
		t.Helper()
		res, err := idx.Query(ctx, rm.SearchQuery{Text: speakerA.ID})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res
	}
	if res := find("planted"); res.Total != 1 || res.Hits[0].ID != planted {
		t.Fatalf("the planted account: %s, want %s", hitIDs(res), planted)
	}
	before := idx.CacheStats().Searches
	find("asked again") // served from the cache
	if idx.CacheStats().Searches != before {
		t.Fatal("the answer was not cached: the test would not show the cache emptied")
	}

	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: secret, Erasable: secrets})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	res, err := ledger.Execute(ctx, staff, domain.Erase{Person: speakerA.ID, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
	if err != nil {
		t.Fatalf("erase the speaker: %v", err)
	}
	var d domain.DataErased
	if err := json.Unmarshal(res.Events[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Erased) == 0 || d.Erased[0].Stream == "" {
		t.Fatalf("the erasure names no stream: %+v", d)
	}
	last := res.Events[len(res.Events)-1].Position
	waitSearch(t, ctx, idx, last)
	if res := find("after the erasure"); res.Total != 0 {
		t.Errorf("after the erasure, the speaker's account is found: %s", hitIDs(res))
	}
	if idx.CacheStats().Searches == before {
		t.Error("after the erasure, the cached answer was served")
	}

	fresh := startSearch(t, ctx, store)
	waitSearch(t, ctx, fresh, last)
	rebuilt := searchDocs(t, fresh)
	sameDocs(t, "after the erasure", searchDocs(t, idx), rebuilt)

	stop()
	idx, _ = open()
	if idx.Position() == 0 {
		t.Error("the index kept on disk was rebuilt after an erasure carried out in place")
	}
	waitSearch(t, ctx, idx, last)
	sameDocs(t, "resumed", searchDocs(t, idx), rebuilt)
	if res := find("resumed"); res.Total != 0 {
		t.Errorf("resumed, the speaker's account is found: %s", hitIDs(res))
	}
}

// waitSearch waits (20 s at most) for idx to reflect pos.
func waitSearch(t *testing.T, ctx context.Context, idx *rm.Search, pos eventstore.Position) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := idx.WaitFor(wctx, pos); err != nil {
		t.Fatal(err)
	}
}

func searchDocs(t *testing.T, idx *rm.Search) map[string]rm.SearchDoc {
	t.Helper()
	docs, err := rm.SearchDocs(idx)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("the index holds no document")
	}
	return docs
}

func docJSON(t *testing.T, d rm.SearchDoc) string {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameDocs fails unless got and want hold the same documents.
func sameDocs(t *testing.T, what string, got, want map[string]rm.SearchDoc) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[id]; !ok {
			t.Errorf("%s: %s only in the rebuild", what, id)
		} else if !reflect.DeepEqual(g, want[id]) {
			t.Errorf("%s: %s differs from a fresh rebuild:\n live    %+v\n rebuilt %+v", what, id, g, want[id])
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: %s not in the rebuild", what, id)
		}
	}
}
