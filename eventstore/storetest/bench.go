package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// BenchAppend measures appends of one event each from `writers` concurrent
// goroutines, each on its own stream, every append durable before it is
// acknowledged. It reports events/s and the p50 and p99 append latency.
func BenchAppend(b *testing.B, s eventstore.Store, writers int) {
	b.Helper()
	pre := prefix()
	// Events are built before the clock starts: the benchmark measures the
	// store, not JSON marshalling.
	evs := make([]eventstore.EventData, b.N)
	for i := range evs {
		evs[i] = Event(b, "bench.appended", i)
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("%sw%d", pre, w)
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if _, err := s.Append(context.Background(), stream, eventstore.Any, evs[i]); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// Prefill appends n events in appends of 1,000 (spread over 100 streams) so
// that a benchmark can measure a store that already holds n events.
func Prefill(tb testing.TB, s eventstore.Store, n int) {
	tb.Helper()
	pre := prefix()
	batch := make([]eventstore.EventData, 0, 1000)
	for i := 0; i < n; {
		batch = batch[:0]
		for j := 0; j < 1000 && i < n; j++ {
			batch = append(batch, Event(tb, "bench.prefilled", i))
			i++
		}
		if _, err := s.Append(context.Background(), fmt.Sprintf("%sfill%d", pre, (i/1000)%100), eventstore.Any, batch...); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchReadAll reads the global log from the start in pages of 1,000, b.N
// events in all (wrapping around), and reports events/s. The store must
// hold at least one event.
func BenchReadAll(b *testing.B, s eventstore.Store) {
	b.Helper()
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var after eventstore.Position
	for read := 0; read < b.N; {
		evs, err := s.ReadAll(ctx, after, min(1000, b.N-read))
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			after = 0
			continue
		}
		read += len(evs)
		after = evs[len(evs)-1].Position
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
