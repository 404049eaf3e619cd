package join_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	"github.com/pdis/collab-ledger/readmodels"
)

// The whole Join dataset (2,091 proposals with metadata, 1,210,648
// signatures recorded) into a fresh store; docs/performance.md has the
// figures:
//
//	go test -run '^$' -bench 'ImportJoinBolt$' -benchtime 1x ./importer/join/
//	go test -run '^$' -bench ImportJoinBoltCaughtUp -benchtime 1x ./importer/join/   # ≥ 100,000 signatures/s
//	go test -run '^$' -bench 'ImportJoinPostgres$' -benchtime 1x ./importer/join/
//	go test -run '^$' -bench ImportJoinPostgresCaughtUp -benchtime 1x ./importer/join/
//
// Each reports signatures/s (wall), the events stored and cpu-s, the CPU
// time the process used (the machine is shared: wall time varies more).
// "Caught up" means every read model serve runs (the projections and the
// search index) has folded the last event.

func benchJoin(b *testing.B, open func(b *testing.B) eventstore.Store, newBackend func(b *testing.B) projections.Backend, caughtUp bool) {
	dir := realDir(b)
	if d := os.Getenv("COLLABLEDGER_JOIN_BENCH_DIR"); d != "" {
		dir = d // a smaller folder of the same shape, for profiling
	}
	if b.N > 3 {
		b.Skipf("one operation is the whole dataset (%d iterations asked): run with -benchtime 1x", b.N)
	}
	if !caughtUp {
		// The import alone is what `collabledger import join` runs, and it
		// tunes the collector so. Caught up, the process is also serve's
		// read models, which run with Go's defaults (decision 0045).
		defer join.TuneGCForBulk()()
	}
	ctx := context.Background()
	var sigs, events int
	var tail time.Duration
	cpu0 := projectiontest.CPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		store := open(b)
		var wait func() time.Duration
		if caughtUp {
			var backend projections.Backend
			if newBackend != nil {
				backend = newBackend(b)
			}
			wait = followAsServe(b, store, backend)
		}
		l, err := app.NewLedger(store, app.LedgerConfig{Secret: testSecret, Handler: join.HandlerConfig()})
		if err != nil {
			b.Fatal(err)
		}
		im, err := join.New(join.Config{Ledger: l, Store: store, Secret: testSecret})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := im.ImportDir(ctx, dir, join.DirOptions{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if wait != nil {
			tail += wait()
		}
		b.StopTimer()
		if sum.Refused != 0 {
			b.Fatalf("refused records:\n%s", sum)
		}
		sigs, events = sum.Signatures, sum.Events
		l.Close()
		store.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(sigs)*float64(b.N)/b.Elapsed().Seconds(), "signatures/s")
	b.ReportMetric((projectiontest.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s")
	if caughtUp {
		b.ReportMetric(tail.Seconds()/float64(b.N), "catchup-tail-s")
	}
}

func openBoltBench(b *testing.B) eventstore.Store {
	s, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(b.TempDir(), "ledger.db")})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func openPostgresBench(b *testing.B) eventstore.Store {
	s, err := postgres.Open(context.Background(), pgtest.New(b).URL, postgres.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkImportJoinBolt: the dataset into the embedded store.
func BenchmarkImportJoinBolt(b *testing.B) { benchJoin(b, openBoltBench, nil, false) }

// BenchmarkImportJoinBoltCaughtUp: the dataset into the embedded store with
// the read models (in memory, as serve keeps them) caught up.
func BenchmarkImportJoinBoltCaughtUp(b *testing.B) { benchJoin(b, openBoltBench, nil, true) }

// BenchmarkImportJoinPostgres: the dataset into PostgreSQL.
func BenchmarkImportJoinPostgres(b *testing.B) { benchJoin(b, openPostgresBench, nil, false) }

// BenchmarkImportJoinPostgresCaughtUp: the dataset into PostgreSQL with the
// read models in memory caught up.
func BenchmarkImportJoinPostgresCaughtUp(b *testing.B) { benchJoin(b, openPostgresBench, nil, true) }

// followAsServe follows store with every read model `collabledger serve`
// runs — its projections (readmodels.All and the report inputs) and the
// search index — and returns a function that waits until all of them have
// caught up with the log's head, and says how long that took.
func followAsServe(b *testing.B, store eventstore.Store, backend projections.Backend) func() time.Duration {
	ps := append(readmodels.All(), readmodels.ReportInputs{})
	runner, waitProjections := projectiontest.FollowRunner(b, store, backend, ps, 10*time.Minute)
	idx, err := readmodels.NewSearch(readmodels.SearchConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- idx.RunFed(ctx, store, runner) }()
	b.Cleanup(func() {
		cancel()
		// The store may be closed first (Cleanup runs after the loop).
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, eventstore.ErrClosed) {
			b.Errorf("search index: %v", err)
		}
		idx.Close()
	})
	return func() time.Duration {
		start := time.Now()
		waitProjections()
		head, err := store.Head(ctx)
		if err != nil {
			b.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Minute)
		defer wcancel()
		if err := idx.WaitFor(wctx, head); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
}
