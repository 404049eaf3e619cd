package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// TestExportSpeed measures GET /api/v1/export over loopback on a log of
// 200,000 events (COLLABLEDGER_EXPORT_SPEED=1): events a second, the CPU
// an event costs (server and reader share the process) and the largest
// heap seen while streaming, which stays far below the body's size: the
// export is streamed, not held.
func TestExportSpeed(t *testing.T) {
	if os.Getenv("COLLABLEDGER_EXPORT_SPEED") == "" {
		t.Skip("set COLLABLEDGER_EXPORT_SPEED=1 to measure")
	}
	const events = 200_000
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	batch := make([]eventstore.EventData, 0, 1000)
	for i := range events {
		ev, _ := eventstore.NewEventData("test.signed", 1, map[string]any{"proposal": "p-1", "n": i, "county": "臺北市"}, eventstore.Metadata{ActorID: fmt.Sprintf("%064x", i), ActorRole: "citizen"})
		batch = append(batch, ev)
		if len(batch) == cap(batch) {
			if _, err := store.Append(ctx, fmt.Sprintf("proposal-%d", i/50_000), eventstore.Any, batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	toks := tokens.NewService(store, tokens.Config{Secret: apiSecret, Logger: quiet})
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go toks.Run(tctx)
	tok, err := toks.Issue(ctx, testIssuer, tokens.Request{Role: domain.RoleAuditor, ActorID: "auditor-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := toks.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{Store: store, StoreKind: "file", Logger: quiet, Tokens: toks, Export: &web.ExportConfig{Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var rates, cpuPerEvent []float64
	var peak atomic.Uint64
	var bytes int64
	for range 3 {
		runtime.GC()
		stop := make(chan struct{})
		go func() { // sample the heap while the export streams
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}
		}()
		req, _ := http.NewRequest("GET", srv.URL+web.ExportPath, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		cpu0, t0 := projectiontest.CPUTime(), time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReaderSize(resp.Body, 1<<16)
		lines := 0
		bytes = 0
		for {
			l, err := r.ReadSlice('\n')
			bytes += int64(len(l))
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			lines++
		}
		resp.Body.Close()
		wall, cpu := time.Since(t0), projectiontest.CPUTime()-cpu0
		close(stop)
		if lines < events {
			t.Fatalf("%d lines, want ≥ %d", lines, events)
		}
		rates = append(rates, float64(lines)/wall.Seconds())
		cpuPerEvent = append(cpuPerEvent, float64(cpu.Microseconds())/float64(lines))
	}
	slices.Sort(rates)
	slices.Sort(cpuPerEvent)
	t.Logf("export of %d events (%.0f MB) over loopback: median %.0f events/s (busy wall), CPU %.1f µs an event (median of 3, server and reader), peak heap in use %.0f MB",
		events, float64(bytes)/1e6, rates[1], cpuPerEvent[1], float64(peak.Load())/1e6)
}
