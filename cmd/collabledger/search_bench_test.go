package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/readmodels"
)

// BenchmarkSearchRealData searches the index of the real PDIS archive and
// the whole Join dataset for the words of the load test (a rare one, a
// common one, two English words), pages 1 and 3, uncached (what the first
// person to ask after a change of the index waits for; here every page
// computes the meetings facet, which with the cache only the first does)
// and from the cache, reporting CPU time per search. The store is imported
// (`import akn --process pdis`, `import join`) and the index built beside
// it once per folder: set COLLABLEDGER_SEARCH_BENCH_DIR to keep them
// between runs. Opt-in:
//
//	COLLABLEDGER_SEARCH_BENCH=1 COLLABLEDGER_SEARCH_BENCH_DIR=/tmp/search-bench \
//	  go test ./cmd/collabledger -run '^$' -bench BenchmarkSearchRealData -benchtime 20x
func BenchmarkSearchRealData(b *testing.B) {
	if os.Getenv("COLLABLEDGER_SEARCH_BENCH") != "1" {
		b.Skip("set COLLABLEDGER_SEARCH_BENCH=1 to search the real data")
	}
	shared := testenv.SharedDir(b)
	dir := os.Getenv("COLLABLEDGER_SEARCH_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ledger := filepath.Join(dir, "ledger.db")
	if _, err := os.Stat(ledger); errors.Is(err, os.ErrNotExist) {
		secretFile := filepath.Join(dir, "pseudonym.key")
		if err := os.WriteFile(secretFile, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		importPublicData(b, shared, "file:"+ledger, secretFile)
	}
	ctx := context.Background()
	store, err := openStore(ctx, "file:"+ledger)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// open follows the log into the index beside the store until it has
	// read it all, and returns the index; cacheBytes 1 keeps no answer.
	open := func(cacheBytes int) (*readmodels.Search, func()) {
		idx, err := readmodels.NewSearch(readmodels.SearchConfig{Dir: ledger + ".search", CacheBytes: cacheBytes})
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := idx.Run(rctx, store); err != nil && !errors.Is(err, context.Canceled) {
				b.Errorf("search index: %v", err)
			}
		}()
		start := time.Now()
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Minute)
		defer wcancel()
		if err := idx.WaitFor(wctx, head); err != nil {
			b.Fatal(err)
		}
		// A resumed index is at its checkpoint at once, and recalls the
		// meetings from the log; the generation moves when it has.
		for idx.Generation() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		if d := time.Since(start); d > time.Second {
			b.Logf("index caught up with %d events in %s", head, d.Round(time.Second))
		}
		return idx, func() { cancel(); <-done; _ = idx.Close() }
	}
	queries := []struct{ name, text string }{{"神豬", "神豬"}, {"健保", "健保"}, {"open_government", "open government"}}
	run := func(idx *readmodels.Search, mode string) {
		for _, q := range queries {
			for _, page := range []int{1, 3} {
				b.Run(q.name+"/page"+string(rune('0'+page))+"/"+mode, func(b *testing.B) {
					sq := readmodels.SearchQuery{Text: q.text, Offset: (page - 1) * 20, Limit: 20}
					var res readmodels.SearchResult
					if mode == "cached" { // the first search fills the cache
						if _, err := idx.Query(ctx, sq); err != nil {
							b.Fatal(err)
						}
					}
					cpu := testenv.CPUTime()
					for b.Loop() {
						if res, err = idx.Query(ctx, sq); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(testenv.CPUTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
					b.ReportMetric(float64(res.Total), "results")
				})
			}
		}
	}
	idx, closeIdx := open(1)
	run(idx, "uncached")
	closeIdx()
	idx, closeIdx = open(0)
	defer closeIdx()
	run(idx, "cached")
}
