package transparency

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
)

// writeBenchExport writes an export of n events (10,000 streams, a
// checkpoint every 10,000 events) to a file, sealing the events in memory
// as a store would, and returns its path.
func writeBenchExport(b *testing.B, n int, k testKeys) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ledger.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := export.NewWriter(bufio.NewWriterSize(f, 1<<20))
	ctx := context.Background()
	l, err := Open(ctx, Config{})
	if err != nil {
		b.Fatal(err)
	}
	s := newSynth(10_000, 8)
	batch := make([]eventstore.Event, 0, 1000)
	flush := func() {
		if err := l.Append(ctx, batch...); err != nil {
			b.Fatal(err)
		}
		for _, e := range batch {
			if err := w.Write(e); err != nil {
				b.Fatal(err)
			}
		}
		batch = batch[:0]
	}
	for i := range n {
		batch = append(batch, s.event(i))
		if len(batch) == cap(batch) {
			flush()
		}
		if (i+1)%10_000 == 0 {
			flush()
			batch = append(batch, s.checkpoint(b, l, k))
			flush()
		}
	}
	flush()
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkVerifyExport verifies an export of 1,000,000 events offline:
// parse every line, recompute every content hash, rebuild the tree, check
// every checkpoint (100 of them).
func BenchmarkVerifyExport(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-event export")
	}
	const n = 1_000_000
	k := newKeys(b, DefaultOrigin)
	path := writeBenchExport(b, n, k)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := VerifyExport(context.Background(), bufio.NewReaderSize(f, 1<<20), VerifyConfig{Verifiers: k.verifiers})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if r.Err() != nil || r.Events != n+n/10_000 || len(r.Checkpoints) != n/10_000 {
			b.Fatalf("%v: %d events, %d checkpoints", r.Err(), r.Events, len(r.Checkpoints))
		}
	}
	b.ReportMetric(float64(b.N)*(n+n/10_000)/b.Elapsed().Seconds(), "events/s")
	// The machine is shared: events per second of CPU used says what the
	// code costs whatever else runs.
	b.ReportMetric(float64(b.N)*(n+n/10_000)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bigTree is a tree of 10,000,000 leaves in a MemoryStore, built once.
var bigTree struct {
	once sync.Once
	log  *Log
	err  error
}

const bigLeaves = 10_000_000

// syntheticLeaf is leaf i of the big trees: position i+1, an ID and content
// hash derived from i.
func syntheticLeaf(i int64) (Leaf, tlog.Hash) {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i))
	content := sha256.Sum256(seed[:])
	var id uuid.UUID
	copy(id[:], content[16:])
	return Leaf{Position: eventstore.Position(i + 1), ID: id}, tlog.RecordHash(content[:])
}

// fill appends leaves [from, to) to store directly, in batches, computing
// the stored hashes with tlog.
func fill(ctx context.Context, store HashStore, to int64, batch int64) error {
	st, err := store.Load(ctx)
	if err != nil {
		return err
	}
	// A frontier for tlog's reads, as Log keeps one.
	l, err := Open(ctx, Config{Store: store})
	if err != nil {
		return err
	}
	fr := l.front
	for st.Size < to {
		end := min(st.Size+batch, to)
		bt := Batch{From: st, Leaves: make([]Leaf, 0, end-st.Size), Hashes: make([]tlog.Hash, 0, 2*(end-st.Size)+64)}
		for i := st.Size; i < end; i++ {
			leaf, h := syntheticLeaf(i)
			hs, err := tlog.StoredHashesForRecordHash(i, h, fr.reader(i))
			if err != nil {
				return err
			}
			fr.add(i, hs)
			bt.Leaves = append(bt.Leaves, leaf)
			bt.Hashes = append(bt.Hashes, hs...)
		}
		st.Size, st.Position, st.ContentSize = end, eventstore.Position(end), end
		bt.To = st
		if err := store.Commit(ctx, bt); err != nil {
			return err
		}
	}
	return nil
}

func bigMemoryLog(b *testing.B) *Log {
	if testing.Short() {
		b.Skip("builds a tree of 10,000,000 leaves")
	}
	bigTree.once.Do(func() {
		ctx := context.Background()
		start := time.Now()
		store := NewMemoryStore()
		if bigTree.err = fill(ctx, store, bigLeaves, 1<<16); bigTree.err != nil {
			return
		}
		bigTree.log, bigTree.err = Open(ctx, Config{Store: store})
		b.Logf("built a tree of %d leaves in memory in %v", bigLeaves, time.Since(start).Round(time.Millisecond))
	})
	if bigTree.err != nil {
		b.Fatal(bigTree.err)
	}
	return bigTree.log
}

// benchProofs measures inclusion (by event ID, by position) and consistency
// proofs on l, each proof also checked, with latency percentiles.
func benchProofs(b *testing.B, l *Log, leaves int64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	lat := func(b *testing.B, fn func() error) {
		ds := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			if err := fn(); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
	}
	b.Run("InclusionByID", func(b *testing.B) {
		lat(b, func() error {
			i := rng.Int64N(leaves)
			leaf, _ := syntheticLeaf(i)
			p, err := l.ProveInclusion(ctx, LeafRef{ID: leaf.ID}, leaves)
			if err != nil {
				return err
			}
			return p.Verify()
		})
	})
	b.Run("InclusionByPosition", func(b *testing.B) {
		lat(b, func() error {
			i := rng.Int64N(leaves)
			p, err := l.ProveInclusion(ctx, LeafRef{Position: eventstore.Position(i + 1)}, max(i+1, leaves-rng.Int64N(1000)))
			if err != nil {
				return err
			}
			return p.Verify()
		})
	})
	b.Run("Consistency", func(b *testing.B) {
		lat(b, func() error {
			from := rng.Int64N(leaves-1) + 1
			p, err := l.ProveConsistency(ctx, from, from+rng.Int64N(leaves-from)+1)
			if err != nil {
				return err
			}
			return p.Verify()
		})
	})
}

// BenchmarkProofs10M: proofs on a tree of 10,000,000 leaves in memory.
func BenchmarkProofs10M(b *testing.B) {
	benchProofs(b, bigMemoryLog(b), bigLeaves)
}

// BenchmarkProofsPostgres1M: proofs on a tree of 1,000,000 leaves in
// PostgreSQL (10,000,000 takes too long to fill for a benchmark run; the
// proof reads 2 queries of about log₂ n rows either way, by primary key).
func BenchmarkProofsPostgres1M(b *testing.B) {
	if testing.Short() {
		b.Skip("fills a PostgreSQL tree of 1,000,000 leaves")
	}
	const n = 1_000_000
	db := pgtest.New(b)
	ctx := context.Background()
	store, err := OpenPostgres(ctx, PostgresConfig{URL: db.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	start := time.Now()
	if err := fill(ctx, store, n, 50_000); err != nil {
		b.Fatal(err)
	}
	if _, err := store.pool.Exec(ctx, "ANALYZE transparency_hashes; ANALYZE transparency_leaves"); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled a PostgreSQL tree of %d leaves in %v", n, time.Since(start).Round(time.Millisecond))
	l, err := Open(ctx, Config{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	benchProofs(b, l, n)
}

// benchHashStore returns an empty hash store: a MemoryStore for
// "memory", a PostgresStore in a fresh schema for "postgres" (closed when
// b ends).
func benchHashStore(b *testing.B, backend string) HashStore {
	b.Helper()
	if backend != "postgres" {
		return NewMemoryStore()
	}
	db := pgtest.New(b)
	s, err := OpenPostgres(context.Background(), PostgresConfig{URL: db.URL})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkAppend measures appending events as leaves (content hash check,
// tlog's stored hashes, the commit) in batches of 1 (a live log, one event
// at a time) and 512 (catching up).
func BenchmarkAppend(b *testing.B) {
	for _, backend := range []string{"memory", "postgres"} {
		for _, size := range []int{1, 64, 512} {
			b.Run(fmt.Sprintf("%s/batch=%d", backend, size), func(b *testing.B) {
				ctx := context.Background()
				l, err := Open(ctx, Config{Store: benchHashStore(b, backend)})
				if err != nil {
					b.Fatal(err)
				}
				s := newSynth(100, 8)
				evs := make([]eventstore.Event, b.N)
				for i := range evs {
					evs[i] = s.event(i)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i += size {
					if err := l.Append(ctx, evs[i:min(i+size, b.N)]...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// memLog is a minimal in-memory event log for driving Follow at a chosen
// rate, without a store's own costs.
type memLog struct {
	mu     sync.Mutex
	events []eventstore.Event
	notify eventstore.Notifier
}

func (m *memLog) add(ev eventstore.Event) {
	m.mu.Lock()
	m.events = append(m.events, ev)
	m.mu.Unlock()
	m.notify.Publish(ev.Position)
}

func (m *memLog) Append(context.Context, string, eventstore.Expectation, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, fmt.Errorf("read only")
}
func (m *memLog) ReadStream(context.Context, string, uint64, int) ([]eventstore.Event, error) {
	return nil, nil
}
func (m *memLog) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(after) >= len(m.events) {
		return nil, nil
	}
	return slices.Clone(m.events[after:min(len(m.events), int(after)+limit)]), nil
}
func (m *memLog) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return eventstore.Follow(ctx, after, m.ReadAll, func(ctx context.Context, after eventstore.Position) error {
		return m.notify.Wait(ctx, after, 0)
	})
}
func (m *memLog) Head(context.Context) (eventstore.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return eventstore.Position(len(m.events)), nil
}
func (m *memLog) Close() error { return nil }

// BenchmarkFollowLive appends 5,000 events/s for 3 s to a log the tree
// follows and reports the lag from each append to the tree holding the
// event (p50, p99, max).
func BenchmarkFollowLive(b *testing.B) {
	if testing.Short() {
		b.Skip("runs for 3 s per backend")
	}
	const rate, seconds = 5000, 3
	for _, backend := range []string{"memory", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store := benchHashStore(b, backend)
			s := newSynth(1000, 8)
			evs := make([]eventstore.Event, rate*seconds)
			for i := range evs {
				evs[i] = s.event(i)
			}
			var lags []time.Duration
			for range b.N {
				src := &memLog{}
				l, err := Open(ctx, Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					b.Fatal(err)
				}
				base := l.State().Position
				for i := range int(base) { // positions continue from the tree's
					src.events = append(src.events, eventstore.Event{Position: eventstore.Position(i + 1)})
				}
				fctx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- l.Follow(fctx, src) }()
				appendedAt := make([]atomic.Int64, len(evs))
				watched := make(chan []time.Duration, 1)
				go func() {
					out := make([]time.Duration, 0, len(evs))
					for next := 1; next <= len(evs); {
						if err := l.WaitFor(ctx, base+eventstore.Position(next)); err != nil {
							break
						}
						now, upto := time.Now().UnixNano(), int(l.State().Position-base)
						for ; next <= upto; next++ {
							out = append(out, time.Duration(now-appendedAt[next-1].Load()))
						}
					}
					watched <- out
				}()
				start := time.Now()
				for i, ev := range evs {
					// Events are due at start + i/rate; sleep when ahead.
					if due := start.Add(time.Duration(i) * time.Second / rate); time.Until(due) > 0 {
						time.Sleep(time.Until(due))
					}
					ev.Position = base + eventstore.Position(i+1)
					appendedAt[i].Store(time.Now().UnixNano())
					src.add(ev)
				}
				lags = append(lags, <-watched...)
				b.ReportMetric(float64(len(evs))/time.Since(start).Seconds(), "events/s")
				stop()
				<-done
			}
			slices.Sort(lags)
			b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-lag-ms")
			b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-lag-ms")
			b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-lag-ms")
		})
	}
}

// BenchmarkPageBadges measures what a public page of 100 entries costs the
// tree for its inclusion badges, on a tree of 100,000 leaves with a
// checkpoint over all of them: Entry for each entry (a leaf lookup and a
// proof each, what web.Badge does), a leaf lookup for each entry
// (LeafByID), or Entries for the whole page (one LeafIndexes lookup, one
// query in PostgreSQL). ns/op is per page.
func BenchmarkPageBadges(b *testing.B) {
	const leaves, page = 100_000, 100
	for _, backend := range []string{"memory", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			store := benchHashStore(b, backend)
			if err := fill(ctx, store, leaves, 50_000); err != nil {
				b.Fatal(err)
			}
			if pg, ok := store.(*PostgresStore); ok {
				if _, err := pg.pool.Exec(ctx, "ANALYZE transparency_hashes; ANALYZE transparency_leaves"); err != nil {
					b.Fatal(err)
				}
			}
			l, err := Open(ctx, Config{Store: store})
			if err != nil {
				b.Fatal(err)
			}
			root, err := l.Root(ctx, leaves)
			if err != nil {
				b.Fatal(err)
			}
			cp, err := SignCheckpoint(newKeys(b, DefaultOrigin).signer, DefaultOrigin, leaves, root)
			if err != nil {
				b.Fatal(err)
			}
			l.mu.Lock()
			l.state.Checkpoint = cp // as if the tree had read it from the log
			l.mu.Unlock()
			rng := rand.New(rand.NewPCG(7, 8))
			ids := make([]uuid.UUID, page)
			newPage := func() {
				for i := range ids {
					leaf, _ := syntheticLeaf(rng.Int64N(leaves))
					ids[i] = leaf.ID
				}
			}
			b.Run("EntryEach", func(b *testing.B) {
				for b.Loop() {
					newPage()
					for _, id := range ids {
						if e, err := l.Entry(ctx, id); err != nil || !e.Included {
							b.Fatal(e, err)
						}
					}
				}
			})
			b.Run("LeafByIDEach", func(b *testing.B) {
				for b.Loop() {
					newPage()
					for _, id := range ids {
						if _, _, err := store.LeafByID(ctx, id); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.Run("Entries", func(b *testing.B) {
				for b.Loop() {
					newPage()
					es, err := l.Entries(ctx, ids)
					if err != nil || len(es) != page || !es[0].Included || !es[page-1].Included {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
