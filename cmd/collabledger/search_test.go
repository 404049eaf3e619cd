package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/readmodels"
)

// TestServeKeepsSearchIndex: serve on a file store keeps the search index
// beside it (LEDGER.search), and the index it leaves resumes from the
// position it had read; --search-index temp keeps none.
func TestServeKeepsSearchIndex(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.db")
	store := "file:" + ledger
	for range 2 {
		if _, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1"); err != nil {
			t.Fatal(err)
		}
	}
	serve := func(extra ...string) (position func() uint64, stop func()) {
		base, stop := serveStoppable(t, store, append([]string{"--deadline-check=0"}, extra...)...)
		t.Cleanup(stop)
		return func() uint64 {
			res, err := http.Get(base + "/api/v1/search?q=x")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var r readmodels.SearchResult
			if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
				t.Fatal(err)
			}
			return uint64(r.Position)
		}, stop
	}
	position, stop := serve()
	for deadline := time.Now().Add(20 * time.Second); position() < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the search index did not read the 2 events: at %d", position())
		}
	}
	stop()
	idx, err := readmodels.NewSearch(readmodels.SearchConfig{Dir: ledger + ".search"})
	if err != nil {
		t.Fatal(err)
	}
	if got := idx.Position(); got < 2 {
		t.Errorf("the index beside the store is at %d, want 2 or more (what serve had read)", got)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.RemoveAll(ledger + ".search"); err != nil {
		t.Fatal(err)
	}
	position, stop = serve("--search-index", "temp")
	for deadline := time.Now().Add(20 * time.Second); position() < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the search index did not read the 2 events: at %d", position())
		}
	}
	stop()
	if _, err := os.Stat(ledger + ".search"); !os.IsNotExist(err) {
		t.Errorf("--search-index temp: %s.search exists (%v)", ledger, err)
	}
}
