package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/readmodels/asofstore"
)

// TestOpenFolds: serve keeps the as-of snapshots where the deployment
// keeps its state — a bbolt file beside the embedded store (PATH.asof),
// the PostgreSQL database of the store or of the read models — and
// nowhere (memory) without either; what it opens keeps snapshots across a
// close and a reopen (a restart).
func TestOpenFolds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := eventstore.Open(ctx, "file:"+path, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fold := readmodels.StoredFold{Header: []byte(`{}`), Parts: map[string][]byte{"trail/entries/keys": []byte("k")}}
	reopen := func(storeURL, readModels string) readmodels.FoldStore {
		t.Helper()
		fs, closeFS, err := openFolds(ctx, storeURL, readModels, store)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeFS)
		return fs
	}
	fs := reopen("file:"+path, "memory")
	if _, ok := fs.(*asofstore.Bolt); !ok {
		t.Fatalf("file store: %T, want the bbolt file", fs)
	}
	if _, err := os.Stat(path + ".asof"); err != nil {
		t.Fatalf("no %s.asof: %v", path, err)
	}
	if err := fs.SaveFolds(ctx, "c", 0, 0, []readmodels.StoredFold{fold}); err != nil {
		t.Fatal(err)
	}
	fs.(*asofstore.Bolt).Close()
	again := reopen("file:"+path, "memory")
	if h, err := again.LoadFolds(ctx, "c"); err != nil || len(h) != 1 || string(h[0]) != "{}" {
		t.Errorf("after a reopen: %q %v", h, err)
	}
	if fs := reopen("kurrentdb://localhost:2113", "memory"); fs != nil {
		t.Errorf("no file, no PostgreSQL: %T, want memory only", fs)
	}
	pg := reopen("kurrentdb://localhost:2113", pgtest.URL(t))
	if _, ok := pg.(*asofstore.Postgres); !ok {
		t.Fatalf("PostgreSQL read models: %T, want the table", pg)
	}
}
