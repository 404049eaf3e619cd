package join_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/projections"
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

func benchJoin(b *testing.B, open func(b *testing.B) eventstore.Store, newBackend func(b *testing.B) projections.Backend, caughtUp bool) {
	dir := realDir(b)
	if b.N > 3 {
		b.Skipf("one operation is the whole dataset (%d iterations asked): run with -benchtime 1x", b.N)
	}
	ctx := context.Background()
	var sigs, events int
	var tail time.Duration
	cpu0 := cpuTime()
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
			wait = followLog(b, store, backend)
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
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s")
	if caughtUp {
		b.ReportMetric(tail.Seconds()/float64(b.N), "catchup-tail-s")
	}
}

// followLog runs the read models over store until the benchmark ends and
// returns a function that waits until they have caught up with the head.
func followLog(b *testing.B, store eventstore.Store, backend projections.Backend) func() time.Duration {
	r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Backend: backend, Projections: readmodels.All(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			b.Errorf("projections: %v", err)
		}
	})
	return func() time.Duration {
		start := time.Now()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Minute)
		defer wcancel()
		if err := r.WaitCaughtUp(wctx); err != nil {
			b.Fatalf("read models catching up: %v", err)
		}
		return time.Since(start)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
