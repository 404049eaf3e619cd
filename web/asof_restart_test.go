package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/readmodels/asofstore"
	"github.com/pdis/collab-ledger/web"
)

// countingFolds is a FoldStore that counts its reads and writes.
type countingFolds struct {
	readmodels.FoldStore
	loads, parts, saves atomic.Int64
}

func (c *countingFolds) LoadFolds(ctx context.Context, id domain.CaseID) ([][]byte, error) {
	c.loads.Add(1)
	return c.FoldStore.LoadFolds(ctx, id)
}

func (c *countingFolds) LoadFoldParts(ctx context.Context, id domain.CaseID, part string, seqs []int) ([][]byte, error) {
	c.parts.Add(1)
	return c.FoldStore.LoadFoldParts(ctx, id, part, seqs)
}

func (c *countingFolds) SaveFolds(ctx context.Context, id domain.CaseID, from int, erasures uint64, folds []readmodels.StoredFold) error {
	c.saves.Add(1)
	return c.FoldStore.SaveFolds(ctx, id, from, erasures, folds)
}

// TestAsOfCaseAfterRestart: the server path of a large case's as-of view
// is the one BenchmarkAsOfFirstViewAfterRestart measures. A server with a
// fold store (bbolt, as serve opens beside the embedded store) folds a
// case of about 4,500 events from scratch on its first as-of view and
// saves the case's snapshots in the background; a restarted server over
// the same store, read models and fold store (nothing in memory) answers
// the case's page, card and trail, and its meeting's page and JSON, as of
// other points from the persisted snapshots — it reads their parts, folds
// only the events after one (asOf.resumed), rebuilds nothing — and answers
// exactly as a server folding from scratch.
func TestAsOfCaseAfterRestart(t *testing.T) {
	ctx := context.Background()
	bolt, err := asofstore.OpenBolt(filepath.Join(t.TempDir(), "ledger.db.asof"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	first := &countingFolds{FoldStore: bolt}
	pe := newPagesEnv(t, func(cfg *web.Config) { cfg.Folds = first })
	events := pe.bigCase("big", 1, 2000, 2)
	pe.caughtUp()
	head, err := pe.raw.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := head - eventstore.Position(events)
	point := func(frac float64) string {
		return strconv.FormatUint(uint64(start)+uint64(frac*float64(events)), 10)
	}
	getJSON := func(srv *httptest.Server, path string, v any) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
	}

	// The first server: a fold from scratch, then the snapshots saved.
	var cv web.CaseView
	getJSON(pe.srv, "/api/v1/cases/big?asof="+point(0.95), &cv)
	if cv.AsOf == nil || cv.AsOf.Events < 4096 || cv.AsOf.Resumed != 0 {
		t.Fatalf("first view: %+v, want a fold from scratch of over 4,096 events", cv.AsOf)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		headers, err := bolt.LoadFolds(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		if len(headers) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshots not saved: %d stored", len(headers))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A restart: new servers over the same log, read models and fold store.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	serve := func(folds readmodels.FoldStore) *httptest.Server {
		h, err := web.New(web.Config{Store: pe.store, StoreKind: "file", Logger: quiet, Ledger: pe.ledger, Tokens: pe.tokens, Queries: pe.runner, Folds: folds})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	second := &countingFolds{FoldStore: bolt}
	restarted := serve(second)
	// same checks that the restarted server answers path as a server with
	// no snapshots (a new one each time: a server keeps snapshots in memory
	// after its first view of a large case) folding the case from scratch.
	same := func(path string) {
		t.Helper()
		var got, want map[string]any
		getJSON(restarted, path, &got)
		getJSON(serve(nil), path, &want)
		asOf, _ := got["asOf"].(map[string]any)
		if resumed, _ := asOf["resumed"].(float64); resumed < 1024 {
			t.Errorf("%s after a restart: asOf %v, want events resumed from a stored snapshot", path, asOf)
		}
		if scratch, _ := want["asOf"].(map[string]any); scratch["resumed"] != nil {
			t.Fatalf("%s: the server without snapshots resumed: %v", path, scratch)
		}
		delete(asOf, "resumed")
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s after a restart:\n%.800s\nfrom scratch:\n%.800s", path, g, w)
		}
	}

	// The case's page as of a point, the restarted server's first request.
	res, err := http.Get(restarted.URL + "/cases/big?asof=" + point(0.5) + "&lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("page after a restart: %d", res.StatusCode)
	}
	mustContain(t, "page after a restart", string(page), `id="asof-banner"`, "大案 big", "log position "+point(0.5))
	if second.loads.Load() == 0 || second.parts.Load() == 0 {
		t.Errorf("page after a restart: %d loads of the chain, %d of its parts: not answered from the stored snapshots", second.loads.Load(), second.parts.Load())
	}

	// The card and the trail at points along the case: from the stored
	// snapshots, as from scratch.
	for _, frac := range []float64{0.3, 0.5, 0.71, 0.97} {
		for _, path := range []string{"/api/v1/cases/big?asof=" + point(frac), "/api/v1/cases/big/trail?limit=50&asof=" + point(frac),
			"/api/v1/cases/big/trail?limit=20&after=" + point(frac/2) + "&asof=" + point(frac)} {
			same(path)
		}
	}
	// A meeting of the case as of a point: read from the case's stored
	// snapshots too (its page, then its JSON), as from scratch.
	parts := second.parts.Load()
	res, err = http.Get(restarted.URL + "/meetings/big-m0?asof=" + point(0.62) + "&lang=en&page=3")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("meeting page after a restart: %d", res.StatusCode)
	}
	mustContain(t, "meeting page after a restart", string(page), `id="asof-banner"`, "log position "+point(0.62), `id="u-u-200"`)
	if second.parts.Load() == parts {
		t.Errorf("meeting page after a restart: no part of the stored snapshots read")
	}
	for _, frac := range []float64{0.4, 0.62, 0.88} {
		same("/api/v1/meetings/big-m0?asof=" + point(frac))
	}
	if n := second.saves.Load(); n != 0 {
		t.Errorf("after a restart the snapshots were saved %d times: the stored chain was not used as it was", n)
	}
}
