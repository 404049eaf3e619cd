package app_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// BenchmarkHotProposal: 64 concurrent signers on one proposal through the
// command side (load once, decide in batches, one append per batch), each
// signature durable before it is acknowledged.
//
//	go test -run '^$' -bench HotProposal -benchtime 20000x ./app/
func BenchmarkHotProposal(b *testing.B) {
	for _, name := range []string{"bbolt", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s, _ := backends[name](b)
			h := handler(s)
			p := publish(b, h, "hot", 5000)
			actors := make([]domain.Actor, b.N)
			for i := range actors {
				actors[i] = citizen(i)
			}
			// One duplicate every 16 signatures, refused by the domain.
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var refused atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						a := actors[i]
						if i%16 == 15 {
							a = actors[i-1]
						}
						t0 := time.Now()
						_, err := p.sign(context.Background(), a)
						lat[i] = time.Since(t0)
						if err != nil {
							if domain.RuleOf(err) == "proposal.sign.once_per_signer" {
								refused.Add(1)
								continue
							}
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "signatures/s")
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			batches, conflicts := h.Stats()
			b.ReportMetric(float64(b.N)/float64(max(batches, 1)), "cmds/batch")
			if conflicts > 0 {
				b.Errorf("%d conflicts with a single handler", conflicts)
			}
			if want := int64(b.N / 16); refused.Load() < want-1 {
				b.Errorf("refused %d duplicates, want about %d", refused.Load(), want)
			}
		})
	}
}
