package bbolt

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/eventstore/storetest"
)

// go test -run '^$' -bench . -benchtime 20000x ./eventstore/bbolt/

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
			defer s.Close()
			storetest.BenchAppend(b, s, writers)
		})
	}
}

// BenchmarkAtSize shows how append latency and read throughput change as
// the file grows from 10^4 to 10^6 events.
func BenchmarkAtSize(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		if size > 10_000 && testing.Short() {
			continue
		}
		s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
		storetest.Prefill(b, s, size)
		b.Run(fmt.Sprintf("size=%d/append-writers=1", size), func(b *testing.B) { storetest.BenchAppend(b, s, 1) })
		b.Run(fmt.Sprintf("size=%d/append-writers=64", size), func(b *testing.B) { storetest.BenchAppend(b, s, 64) })
		b.Run(fmt.Sprintf("size=%d/read-all", size), func(b *testing.B) { storetest.BenchReadAll(b, s) })
		s.Close()
	}
}
