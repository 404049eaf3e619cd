package readmodels_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// BenchmarkAsOfFirstView measures the first as-of view of the case of about
// 100,000 events of BenchmarkAsOf with its periodic snapshots kept
// (readmodels.CaseFolds, a snapshot every 1,024 events, built beforehand
// as the server does): each operation is a view as of a point no view has
// used before, spread over the case (so that each starts from a snapshot
// not yet read), folding the events after the snapshot and answering the
// case, a trail page and a meeting's first page (bigView). It reports the
// median CPU time of one view (both cores), of its case page's part, and
// the time Refresh took to build the snapshots.
//
//	go test ./readmodels -run '^$' -bench BenchmarkAsOfFirstView -benchtime 20x
func BenchmarkAsOfFirstView(b *testing.B) {
	ctx := context.Background()
	store, events, head, r := bigLedgerIndexed(b)
	folds := &rm.CaseFolds{}
	cpu := projectiontest.CPUTime()
	if err := folds.Refresh(ctx, store, r, "big"); err != nil {
		b.Fatal(err)
	}
	build := projectiontest.CPUTime() - cpu
	n, covered := folds.Snapshots("big")
	runtime.GC()
	// The case's positions, to spread the points over it.
	first, last := head-eventstore.Position(events), head
	b.Run("Position", func(b *testing.B) {
		times := make([]time.Duration, 0, b.N)
		pages := make([]time.Duration, 0, b.N)
		for i := range b.N {
			// The i-th of b.N points from the first 2 % to the head, each
			// past a different snapshot.
			at := first + (last-first)*eventstore.Position(i+1)/eventstore.Position(b.N) - eventstore.Position(i%7)
			cpu := projectiontest.CPUTime()
			_, page := bigView(b, folds, store, r, rm.AsOf{Position: at})
			times = append(times, projectiontest.CPUTime()-cpu)
			pages = append(pages, page)
		}
		slices.Sort(times)
		slices.Sort(pages)
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "cpu-ms-median/op")
		b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "cpu-ms-max/op")
		b.ReportMetric(float64(pages[len(pages)/2].Microseconds())/1000, "page-cpu-ms-median/op")
	})
	b.Logf("%d snapshots covering %d of the case's %d events, built in %s of CPU", n, covered, events, build.Round(time.Millisecond))
}

// bigView is one as-of view of case "big" of the benchmarks' log, started
// from folds' snapshots: the fold, the case card and a trail page (what
// serve answers /cases/big?asof= with, TestAsOfCaseAfterRestart), then a
// meeting's first 100 utterances from the same fold. It returns the events
// taken from a snapshot and the CPU time of the case page's part.
func bigView(b *testing.B, folds *rm.CaseFolds, store eventstore.Store, r rm.Index, at rm.AsOf) (int, time.Duration) {
	ctx := context.Background()
	cpu := projectiontest.CPUTime()
	snap, err := folds.CaseAsOf(ctx, store, r, "big", at)
	if err != nil {
		b.Fatal(err)
	}
	if _, ok, err := rm.Case(ctx, snap.Reader(rm.CaseBoardName), "big", rm.Public); err != nil || !ok {
		b.Fatalf("case: %v %v", ok, err)
	}
	if _, _, err := rm.CaseTrail(ctx, snap.Reader(rm.TrailName), "big", rm.TrailQuery{Limit: 50}); err != nil {
		b.Fatal(err)
	}
	page := projectiontest.CPUTime() - cpu
	if _, _, err := rm.Meeting(ctx, snap.Reader(rm.TranscriptsName), "big-m0", rm.Public, rm.Window{Limit: 100}); err != nil {
		b.Fatal(err)
	}
	return snap.Resumed, page
}

// BenchmarkAsOfFirstViewAfterRestart measures the first as-of view of the
// case of BenchmarkAsOf (about 100,000 events) after a restart: its
// snapshots were built and saved to a FoldStore (bbolt in a file,
// PostgreSQL when DATABASE_URL is reachable) beforehand, and each
// operation is a new CaseFolds over that store — a restarted server — and
// one view as of a point spread over the case: loading and checking the
// chain against the log, folding the events after the snapshot, the case
// card, a trail page and a meeting's first 100 utterances. It reports the
// median and max wall and CPU time of one (CPU of this process: both
// cores; PostgreSQL's own is not in it), and the median CPU time of the
// case page's part (bigView).
//
//	go test ./readmodels -run '^$' -bench BenchmarkAsOfFirstViewAfterRestart -benchtime 20x
func BenchmarkAsOfFirstViewAfterRestart(b *testing.B) {
	ctx := context.Background()
	store, events, head, r := bigLedgerIndexed(b)
	first, last := head-eventstore.Position(events), head
	for _, kind := range []string{"bbolt", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			fs := foldStores[kind](b)
			cpu := projectiontest.CPUTime()
			if err := (&rm.CaseFolds{Store: fs}).Refresh(ctx, store, r, "big"); err != nil {
				b.Fatal(err)
			}
			build := projectiontest.CPUTime() - cpu
			headers, err := fs.LoadFolds(ctx, "big")
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			b.ResetTimer()
			walls := make([]time.Duration, 0, b.N)
			cpus := make([]time.Duration, 0, b.N)
			pages := make([]time.Duration, 0, b.N)
			for i := range b.N {
				at := first + (last-first)*eventstore.Position(i+1)/eventstore.Position(b.N) - eventstore.Position(i%7)
				start, cpu := time.Now(), projectiontest.CPUTime()
				restarted := &rm.CaseFolds{Store: fs}
				resumed, page := bigView(b, restarted, store, r, rm.AsOf{Position: at})
				if resumed == 0 && at-first > 4096 {
					b.Fatalf("the view as of %d did not start from a stored snapshot", at)
				}
				walls = append(walls, time.Since(start))
				cpus = append(cpus, projectiontest.CPUTime()-cpu)
				pages = append(pages, page)
			}
			b.StopTimer()
			slices.Sort(walls)
			slices.Sort(cpus)
			slices.Sort(pages)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(walls[len(walls)/2]), "wall-ms-median/op")
			b.ReportMetric(ms(walls[len(walls)-1]), "wall-ms-max/op")
			b.ReportMetric(ms(cpus[len(cpus)/2]), "cpu-ms-median/op")
			b.ReportMetric(ms(cpus[len(cpus)-1]), "cpu-ms-max/op")
			b.ReportMetric(ms(pages[len(pages)/2]), "page-cpu-ms-median/op")
			b.Logf("%s: %d snapshots of the case's %d events, built and saved in %s of CPU", kind, len(headers), events, build.Round(time.Millisecond))
		})
	}
}
