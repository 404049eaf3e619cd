package projections_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	projectiontest.CleanupBench()
	os.Exit(code)
}

// go test -run '^$' -bench . -benchtime 1x ./projections/
//
// BenchmarkCatchUp folds an embedded log of 10^5 (with -short) or 10^6
// events into memory with the Tally projection: one document read and
// written per event, keyed by stream. Target: 200,000 events/s.
func BenchmarkCatchUp(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		if n > 100_000 && testing.Short() {
			continue
		}
		b.Run(fmt.Sprintf("memory/events=%d", n), func(b *testing.B) {
			store := projectiontest.Prefilled(b, n)
			projectiontest.BenchCatchUp(b, store, projectiontest.Tally{}, func(*testing.B) projections.Backend { return projections.NewMemoryBackend() })
		})
	}
}

// BenchmarkLiveLag appends 5,000 events/s for 3 s (one event per append,
// 32 writers) while the Tally projection follows into memory, and reports
// the lag from append to visible read model. Target: p99 under 100 ms.
func BenchmarkLiveLag(b *testing.B) {
	store, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(b.TempDir(), "ledger.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	projectiontest.BenchLiveLag(b, store, projectiontest.Tally{}, projections.NewMemoryBackend(), 5000, 3*time.Second)
}
