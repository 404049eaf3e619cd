package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
)

// Benchmarks. Each runs against a fresh schema of DATABASE_URL:
//
//	go test -run '^$' -bench . -benchtime 3s ./eventstore/postgres/
//	go test -run '^$' -bench . -short ./eventstore/postgres/   # without the 10^6 case
//
// Append benchmarks report events/s; read benchmarks count one event as one
// op and report events/s too.

func benchStore(b *testing.B) (*postgres.Store, pgtest.DB) {
	b.Helper()
	db := pgtest.New(b)
	s := openStore(b, db.URL, postgres.Config{})
	b.Cleanup(func() { s.Close() })
	return s, db
}

func reportEventsPerSecond(b *testing.B, events int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(events)/s, "events/s")
	}
}

// BenchmarkAppendSingleWriter: one goroutine, one event per append: the
// latency of one group-commit transaction with nothing to group.
func BenchmarkAppendSingleWriter(b *testing.B) {
	s, _ := benchStore(b)
	benchAppendSingle(b, s, "single")
}

func benchAppendSingle(b *testing.B, s *postgres.Store, stream string) {
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Append(ctx, stream, eventstore.Any, event(b, i)); err != nil {
			b.Fatal(err)
		}
	}
	reportEventsPerSecond(b, b.N)
}

// BenchmarkAppend64Writers: 64 goroutines, each appending one event at a
// time to its own stream with an exact expected version, as command
// handlers do.
func BenchmarkAppend64Writers(b *testing.B) {
	s, _ := benchStore(b)
	benchAppend64(b, s, "w")
}

func benchAppend64(b *testing.B, s *postgres.Store, prefix string) {
	const writers = 64
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((writers + procs - 1) / procs)
	var next atomic.Int64
	before := s.Stats()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		stream := fmt.Sprintf("%s%d", prefix, next.Add(1))
		ctx := context.Background()
		for v := uint64(0); pb.Next(); v++ {
			if _, err := s.Append(ctx, stream, eventstore.Exact(v), event(b, int(v))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportEventsPerSecond(b, b.N)
	after := s.Stats()
	if n := after.Batches - before.Batches; n > 0 {
		b.ReportMetric(float64(after.Appends-before.Appends)/float64(n), "appends/batch")
	}
}

// BenchmarkReadAll: reading the whole log of 100,000 events in pages of
// 1,000, over and over; one op is one event.
func BenchmarkReadAll(b *testing.B) {
	s, db := benchStore(b)
	fill(b, db, 100_000)
	b.Run("stored=100000", func(b *testing.B) { benchReadAll(b, s) })
}

func benchReadAll(b *testing.B, s *postgres.Store) {
	ctx := context.Background()
	var after eventstore.Position
	b.ResetTimer()
	for n := 0; n < b.N; {
		evs, err := s.ReadAll(ctx, after, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			after = 0
			continue
		}
		n += len(evs)
		after = evs[len(evs)-1].Position
	}
	reportEventsPerSecond(b, b.N)
}

// BenchmarkScale: append latency, concurrent append throughput and read
// throughput with 10^4 and 10^6 events already stored (10^6 skipped under
// -short; filling it takes about half a minute).
func BenchmarkScale(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d", size), func(b *testing.B) {
			if size > 10_000 && testing.Short() {
				b.Skip("10^6 events: skipped under -short")
			}
			s, db := benchStore(b)
			fill(b, db, size)
			b.Run("AppendSingleWriter", func(b *testing.B) { benchAppendSingle(b, s, "single") })
			b.Run("Append64Writers", func(b *testing.B) { benchAppend64(b, s, fmt.Sprintf("w%d-", time.Now().UnixNano())) })
			b.Run("ReadAll", func(b *testing.B) { benchReadAll(b, s) })
			// ReadAllWhole: one op reads the whole log from position 0 in
			// pages of 1,000.
			b.Run("ReadAllWhole", func(b *testing.B) {
				ctx := context.Background()
				n := 0
				for b.Loop() {
					var after eventstore.Position
					for {
						evs, err := s.ReadAll(ctx, after, 1000)
						if err != nil {
							b.Fatal(err)
						}
						if len(evs) == 0 {
							break
						}
						n += len(evs)
						after = evs[len(evs)-1].Position
					}
				}
				reportEventsPerSecond(b, n)
			})
			// ReadStream: 10 events of one of the 1,000 filled streams per op.
			b.Run("ReadStream", func(b *testing.B) {
				ctx := context.Background()
				n := 0
				for i := 0; b.Loop(); i++ {
					evs, err := s.ReadStream(ctx, fmt.Sprintf("fill-%d", i%1000), 1, 10)
					if err != nil || len(evs) != 10 {
						b.Fatalf("read stream: %d events, %v", len(evs), err)
					}
					n += len(evs)
				}
				reportEventsPerSecond(b, n)
			})
		})
	}
}

// fill stores n events directly with SQL, in the shape the store writes:
// 1,000 streams "fill-0".."fill-999", time-ordered UUIDs, ~90-byte bodies.
// Their hashes are not content hashes: they are for timing reads only.
func fill(b *testing.B, db pgtest.DB, n int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	const chunk = 200_000
	for from := 1; from <= n; from += chunk {
		to := min(from+chunk-1, n)
		if _, err := conn.Exec(ctx, `INSERT INTO events (position, stream, version, id, type, schema_version, data,
				actor_id, actor_role, command_id, correlation_id, causation_id, occurred_at, recorded_at, hash)
			SELECT g, 'fill-' || (g % 1000), (g - 1) / 1000 + 1,
				('01900000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
				'test.happened', 1,
				convert_to('{"n":' || g || ',"note":"測試 <ok> & \"quoted\""}', 'UTF8'),
				'actor-' || (g % 50), 'citizen', md5(g::text), 'corr-' || (g / 10), '', NULL,
				now(), sha256(int8send(g))
			FROM generate_series($1::bigint, $2::bigint) AS g`, from, to); err != nil {
			b.Fatalf("fill: %v", err)
		}
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE events"); err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	b.Logf("filled %d events in %v", n, time.Since(start).Round(time.Millisecond))
}
