package projectiontest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/projections"
)

var (
	benchMu     sync.Mutex
	benchDir    string
	benchStores = map[int]*bbolt.Store{}
)

// Prefilled returns an embedded log holding n events over 1,000 streams,
// appended 10 to an append by 32 writers, made once per test binary and
// shared by the benchmarks that ask for the same n. Call CleanupBench from
// TestMain to delete the files.
func Prefilled(tb testing.TB, n int) *bbolt.Store {
	tb.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if s := benchStores[n]; s != nil {
		return s
	}
	if benchDir == "" {
		d, err := os.MkdirTemp("", "collabledger-projections-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		benchDir = d
	}
	s, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(benchDir, fmt.Sprintf("log-%d.db", n))})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	const writers, per, streams = 32, 10, 1000
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]eventstore.EventData, per)
			for {
				i := int(next.Add(per)) - per
				if i >= n {
					return
				}
				k := min(per, n-i)
				for j := range k {
					var err error
					evs[j], err = eventstore.NewEventData("proposal.signed", 1, map[string]any{"signer": fmt.Sprintf("k%07d", i+j), "n": i + j},
						eventstore.Metadata{ActorID: fmt.Sprintf("k%07d", i+j), ActorRole: "citizen", CorrelationID: "bench"})
					if err != nil {
						failed.Store(err)
						return
					}
				}
				if _, err := s.Append(context.Background(), fmt.Sprintf("proposal-%04d", (i/per)%streams), eventstore.Any, evs[:k]...); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("prefilled %d events in %s", n, time.Since(start).Round(time.Millisecond))
	benchStores[n] = s
	return s
}

// CleanupBench closes and deletes the logs Prefilled made.
func CleanupBench() {
	benchMu.Lock()
	defer benchMu.Unlock()
	for n, s := range benchStores {
		s.Close()
		delete(benchStores, n)
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
		benchDir = ""
	}
}

// BenchCatchUp measures catching projection p up from position 0 to the
// head of store into the backend newBackend returns (fresh each iteration),
// and reports events/s.
func BenchCatchUp(b *testing.B, store eventstore.Store, p projections.Projection, newBackend func(b *testing.B) projections.Backend) {
	ctx := context.Background()
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		backend := newBackend(b)
		r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Backend: backend, Projections: []projections.Projection{p}, Logger: TestLogger()})
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { done <- r.Run(rctx) }()
		if err := r.WaitFor(ctx, p.Name(), head); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		backend.Close()
	}
	b.ReportMetric(float64(head)*float64(b.N)/total.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// BenchLiveLag appends single events at `rate` per second from 32 writers
// for d while projection p follows the log into backend, and reports the
// p50 and p99 of the time from an append being acknowledged to its event
// being visible to queries (and p99 from the start of the append call).
func BenchLiveLag(b *testing.B, store eventstore.Store, p projections.Projection, backend projections.Backend, rate int, d time.Duration) {
	ctx := context.Background()
	base, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	total := int(float64(rate) * d.Seconds())
	called := make([]atomic.Int64, total+1)
	acked := make([]atomic.Int64, total+1)
	visible := make([]atomic.Int64, total+1)
	r, err := projections.NewRunner(projections.RunnerConfig{
		Store: store, Backend: backend, Projections: []projections.Projection{p}, Logger: TestLogger(),
		OnCommit: func(c projections.CommitInfo) {
			if !c.Active {
				return
			}
			now := c.At.UnixNano()
			for pos := c.From + 1; pos <= c.To; pos++ {
				if i := int(pos - base); i > 0 && i <= total {
					visible[i].Store(now)
				}
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	<-r.Ready()
	if err := r.WaitCaughtUp(ctx); err != nil {
		b.Fatal(err)
	}
	const writers = 32
	interval := time.Duration(float64(time.Second) * writers / float64(rate))
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			due := start.Add(time.Duration(w) * interval / writers)
			for {
				if int(next.Add(1)) > total {
					return
				}
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				due = due.Add(interval)
				ev, _ := eventstore.NewEventData("proposal.signed", 1, map[string]any{"w": w}, eventstore.Metadata{ActorID: "a", ActorRole: "citizen"})
				t0 := time.Now().UnixNano()
				res, err := store.Append(ctx, fmt.Sprintf("live-%02d", w), eventstore.Any, ev)
				if err != nil {
					b.Error(err)
					return
				}
				t1 := time.Now().UnixNano()
				if i := int(res.Position - base); i > 0 && i <= total {
					called[i].Store(t0)
					acked[i].Store(t1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := r.WaitFor(ctx, p.Name(), base+eventstore.Position(total)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cancel()
	<-done
	var fromAck, fromCall []time.Duration
	for i := 1; i <= total; i++ {
		v, a, c := visible[i].Load(), acked[i].Load(), called[i].Load()
		if v == 0 || a == 0 {
			continue
		}
		fromAck = append(fromAck, max(0, time.Duration(v-a)))
		fromCall = append(fromCall, time.Duration(v-c))
	}
	if len(fromAck) < total*9/10 {
		b.Fatalf("measured %d of %d events", len(fromAck), total)
	}
	slices.Sort(fromAck)
	slices.Sort(fromCall)
	b.ReportMetric(float64(total)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(float64(fromAck[len(fromAck)/2].Microseconds())/1000, "p50-lag-ms")
	b.ReportMetric(float64(fromAck[len(fromAck)*99/100].Microseconds())/1000, "p99-lag-ms")
	b.ReportMetric(float64(fromCall[len(fromCall)*99/100].Microseconds())/1000, "p99-call-to-visible-ms")
	b.ReportMetric(0, "ns/op")
}

// Follow runs ps over store into backend until the benchmark ends and
// returns a function that waits (at most limit) until they have caught up
// with the log's head, returning how long that took: the import
// benchmarks' "with the read models caught up" figures.
func Follow(b *testing.B, store eventstore.Store, backend projections.Backend, ps []projections.Projection, limit time.Duration) func() time.Duration {
	_, wait := FollowRunner(b, store, backend, ps, limit)
	return wait
}

// FollowRunner is Follow, returning the running Runner as well (whose
// shared reader of the log the search index can follow: Runner.Follow).
func FollowRunner(b *testing.B, store eventstore.Store, backend projections.Backend, ps []projections.Projection, limit time.Duration) (*projections.Runner, func() time.Duration) {
	r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Backend: backend, Projections: ps,
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
	return r, func() time.Duration {
		start := time.Now()
		wctx, wcancel := context.WithTimeout(ctx, limit)
		defer wcancel()
		if err := r.WaitCaughtUp(wctx); err != nil {
			b.Fatalf("read models catching up: %v", err)
		}
		return time.Since(start)
	}
}

// CPUTime is the CPU time (user and system) the process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
