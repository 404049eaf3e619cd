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
// (readmodels.CaseFolds, a snapshot every 2,048 events, built beforehand
// as the server does): each operation is a view as of a point no view has
// used before, spread over the case (so that each starts from a snapshot
// not yet read), folding the events after the snapshot and answering the
// case, a meeting's first page and a trail page. It reports the median
// CPU time of one view (both cores) and the time Refresh took to build the
// snapshots.
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
		for i := range b.N {
			// The i-th of b.N points from the first 2 % to the head, each
			// past a different snapshot.
			at := first + (last-first)*eventstore.Position(i+1)/eventstore.Position(b.N) - eventstore.Position(i%7)
			cpu := projectiontest.CPUTime()
			snap, err := folds.CaseAsOf(ctx, store, r, "big", rm.AsOf{Position: at})
			if err != nil {
				b.Fatal(err)
			}
			if _, ok, err := rm.Case(ctx, snap.Reader(rm.CaseBoardName), "big", rm.Public); err != nil || !ok {
				b.Fatalf("case: %v %v", ok, err)
			}
			if _, _, err := rm.Meeting(ctx, snap.Reader(rm.TranscriptsName), "big-m0", rm.Public, rm.Window{Limit: 100}); err != nil {
				b.Fatal(err)
			}
			if _, _, err := rm.CaseTrail(ctx, snap.Reader(rm.TrailName), "big", rm.TrailQuery{Limit: 50}); err != nil {
				b.Fatal(err)
			}
			times = append(times, projectiontest.CPUTime()-cpu)
		}
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "cpu-ms-median/op")
		b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "cpu-ms-max/op")
	})
	b.Logf("%d snapshots covering %d of the case's %d events, built in %s of CPU", n, covered, events, build.Round(time.Millisecond))
}
