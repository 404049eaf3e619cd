package readmodels_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// BenchmarkJoinReadSide measures the read side of the Join import alone
// (issue 16 item 2, decision 0046): every read model `serve` runs — the
// projections of readmodels.All and the report inputs, in memory, and the
// search index — catching up with a store that already holds the whole Join
// dataset. The store is built once by the importer and kept under the
// system's temporary folder, keyed by the dataset's files (set
// COLLABLEDGER_JOIN_STORE to use another path); only the catch-up is timed,
// so cpu-s is the read side's CPU, without the import's.
//
//	go test -run '^$' -bench JoinReadSide -benchtime 1x ./readmodels/
//
// It reports cpu-s (user + system of the catch-up), signatures/s (the
// signatures in the store over the catch-up's wall time) and
// projections-s and search-s, when each finished (wall).
func BenchmarkJoinReadSide(b *testing.B) {
	if b.N > 3 {
		b.Skipf("one operation is the whole dataset (%d iterations asked): run with -benchtime 1x", b.N)
	}
	path := joinStore(b)
	ctx := context.Background()
	store, err := bbolt.Open(ctx, bbolt.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var projWall, searchWall time.Duration
	cpu0 := projectiontest.CPUTime()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		ps := append(rm.All(), rm.ReportInputs{})
		r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Projections: ps,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		idx, err := rm.NewSearch(rm.SearchConfig{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		rdone, sdone := make(chan error, 1), make(chan error, 1)
		go func() { rdone <- r.Run(rctx) }()
		go func() { sdone <- idx.RunFed(rctx, store, r) }()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Minute)
		pc := make(chan error, 1)
		go func() {
			err := r.WaitCaughtUp(wctx)
			projWall += time.Since(start)
			pc <- err
		}()
		if err := idx.WaitFor(wctx, head); err != nil {
			b.Fatal(err)
		}
		searchWall += time.Since(start)
		if err := <-pc; err != nil {
			b.Fatal(err)
		}
		wcancel()
		cancel()
		for _, c := range []chan error{rdone, sdone} {
			if err := <-c; err != nil && !errors.Is(err, context.Canceled) {
				b.Fatal(err)
			}
		}
		idx.Close()
	}
	b.StopTimer()
	b.ReportMetric((projectiontest.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s")
	sigs := joinSignatures(b, store)
	b.ReportMetric(float64(sigs)*float64(b.N)/b.Elapsed().Seconds(), "signatures/s")
	b.ReportMetric(projWall.Seconds()/float64(b.N), "projections-s")
	b.ReportMetric(searchWall.Seconds()/float64(b.N), "search-s")
}

// joinSignatures counts the proposal.signed events in store.
func joinSignatures(b *testing.B, store eventstore.Store) int {
	n := 0
	var after eventstore.Position
	for {
		evs, err := store.ReadAll(context.Background(), after, 8192)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Type == "proposal.signed" {
				n++
			}
		}
		after = evs[len(evs)-1].Position
	}
	return n
}

// joinStore returns the path of an embedded store holding the whole Join
// dataset, importing it the first time (a minute or more of CPU).
func joinStore(b *testing.B) string {
	if p := os.Getenv("COLLABLEDGER_JOIN_STORE"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	dir := filepath.Join(testenv.SharedDir(b), "data", "join-archive")
	key, err := datasetKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	path := os.Getenv("COLLABLEDGER_JOIN_STORE")
	if path == "" {
		path = filepath.Join(os.TempDir(), "collab-ledger-join-"+key+".db")
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("importing %s into %s once", dir, path)
	ctx := context.Background()
	tmp := path + ".partial"
	_ = os.Remove(tmp)
	store, err := bbolt.Open(ctx, bbolt.Config{Path: tmp})
	if err != nil {
		b.Fatal(err)
	}
	secret := []byte("join-read-side-bench-0123456789ab")
	l, err := app.NewLedger(store, app.LedgerConfig{Secret: secret, Handler: join.HandlerConfig()})
	if err != nil {
		b.Fatal(err)
	}
	im, err := join.New(join.Config{Ledger: l, Store: store, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	sum, err := im.ImportDir(ctx, dir, join.DirOptions{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if sum.Refused != 0 {
		b.Fatalf("refused records:\n%s", sum)
	}
	l.Close()
	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// datasetKey names a dataset folder by its files' names, sizes and times.
func datasetKey(dir string) (string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		lines = append(lines, fmt.Sprintf("%s %d %d", rel, info.Size(), info.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dataset %s: %w", dir, err)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		fmt.Fprintln(h, l)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
