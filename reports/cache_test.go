package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pdis/collab-ledger/eventstore"
)

// countingLog is a growing in-memory log that counts the folds read from it
// (reads from the start), and can hold them until released.
type countingLog struct {
	mu    sync.Mutex
	evs   memLog
	folds atomic.Int64
	gate  chan struct{} // non-nil: a fold waits for it to close
}

func (l *countingLog) Head(ctx context.Context) (eventstore.Position, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.evs.Head(ctx)
}

func (l *countingLog) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	l.mu.Lock()
	evs, gate := l.evs, l.gate
	l.mu.Unlock()
	if after == 0 {
		l.folds.Add(1)
		if gate != nil {
			<-gate
		}
	}
	return evs.ReadAll(ctx, after, limit)
}

func (l *countingLog) append(e eventstore.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs[:len(l.evs):len(l.evs)], e)
}

func get(t *testing.T, h http.Handler, url string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", url, rec.Code, rec.Body)
	}
	return rec
}

// TestHandlerCache: a report is computed once per (period, ministry,
// position); its other languages, formats and figures come from the cache;
// a new event gives a fresh report; an old position is still the old
// report.
func TestHandlerCache(t *testing.T) {
	all := fixture()
	log := &countingLog{evs: memLog(all[:38])}
	h := HandlerWith(log, HandlerOptions{})
	const q = "/reports?from=2026-01-01&to=2026-06-30"

	steps := []struct {
		url, cache, at string
		folds          int64
	}{
		{q, "miss", "38", 1},
		{q, "hit", "38", 1},
		{q + "&lang=en", "hit", "38", 1},
		{q + "&format=csv", "hit", "38", 1},
		{q + "&format=json&figure=responses.deferred", "hit", "38", 1},
		{q + "&at=38&format=md", "hit", "38", 1},
		{q + "&ministry=moi", "miss", "38", 2},
		{q + "&ministry=moi&lang=en", "hit", "38", 2},
		{"/reports?from=2026-01-01&to=2026-03-31", "miss", "38", 3},
	}
	for _, s := range steps {
		rec := get(t, h, s.url)
		if c, at := rec.Header().Get("X-Report-Cache"), rec.Header().Get("X-Ledger-Position"); c != s.cache || at != s.at {
			t.Errorf("%s: cache %s at %s, want %s at %s", s.url, c, at, s.cache, s.at)
		}
		if n := log.folds.Load(); n != s.folds {
			t.Errorf("%s: %d folds of the log so far, want %d", s.url, n, s.folds)
		}
	}

	// A new event: a fresh report at the new head, which counts it.
	log.append(all[38])
	rec := get(t, h, q+"&format=json&figure=responses.partly_adopted")
	var ans Report
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	f, _ := ans.Figure("responses.partly_adopted")
	if rec.Header().Get("X-Report-Cache") != "miss" || ans.At != 39 || f.Value != 0 || log.folds.Load() != 4 {
		t.Errorf("after an event: cache %s, at %d, value %v, %d folds", rec.Header().Get("X-Report-Cache"), ans.At, f.Value, log.folds.Load())
	}
	// (the response of 07-05 is after the period; the whole year counts it)
	rec = get(t, h, "/reports?from=2026-01-01&to=2026-12-31&format=json&figure=responses.partly_adopted")
	ans = Report{}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Sections) != 1 || len(ans.Sections[0].Figures) != 1 {
		t.Fatalf("the figure's query answers %d sections", len(ans.Sections))
	}
	if f := ans.Sections[0].Figures[0]; ans.Sections[0].Key != "responses" || f.Key != "responses.partly_adopted" || f.Value != 1 ||
		len(f.Source.Events) != 1 || f.Source.Events[0].Position != 39 || f.Source.Events[0].Subject != "case-1" {
		t.Errorf("the year's partly adopted responses: %+v", ans.Sections[0])
	}
	// The old position is still the old report, from the cache.
	rec = get(t, h, q+"&at=38")
	if rec.Header().Get("X-Report-Cache") != "hit" || rec.Header().Get("X-Ledger-Position") != "38" {
		t.Errorf("at the old position: cache %s at %s", rec.Header().Get("X-Report-Cache"), rec.Header().Get("X-Ledger-Position"))
	}
}

// TestHandlerCacheBounds: the least recently used report goes when the
// entries or the events they hold exceed the bounds; a report above the
// events bound is served but not kept.
func TestHandlerCacheBounds(t *testing.T) {
	log := &countingLog{evs: memLog(fixture())}
	h := HandlerWith(log, HandlerOptions{CacheEntries: 2})
	url := func(month int) string { return fmt.Sprintf("/reports?from=2026-%02d-01&to=2026-%02d-28", month, month) }
	for _, m := range []int{1, 2, 1, 3} { // 1, 2; 1 again (a hit); 3 pushes out 2
		get(t, h, url(m))
	}
	if n := log.folds.Load(); n != 3 {
		t.Fatalf("%d folds, want 3", n)
	}
	if c := get(t, h, url(1)).Header().Get("X-Report-Cache"); c != "hit" {
		t.Errorf("January, recently used: %s", c)
	}
	if c := get(t, h, url(2)).Header().Get("X-Report-Cache"); c != "miss" {
		t.Errorf("February, least recently used: %s", c)
	}
	if entries, _ := h.(*handler).cache.len(); entries != 2 {
		t.Errorf("%d reports kept, bound 2", entries)
	}

	// A bound that holds December's report but not the half-year's.
	weigh := func(from, to string) int {
		p, _ := DatePeriod(from, to)
		rep, err := ComputeEvents(fixture(), p, Filter{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return refsIn(rep)
	}
	dec, half := weigh("2026-12-01", "2026-12-31"), weigh("2026-01-01", "2026-06-30")
	if dec >= half {
		t.Fatalf("December's report holds %d events, the half-year's %d", dec, half)
	}
	small := HandlerWith(log, HandlerOptions{CacheEvents: dec})
	for range 2 {
		if c := get(t, small, "/reports?from=2026-01-01&to=2026-06-30").Header().Get("X-Report-Cache"); c != "miss" {
			t.Errorf("a report of more events than the bound: %s", c)
		}
	}
	if entries, events := small.(*handler).cache.len(); entries != 0 || events != 0 {
		t.Errorf("kept %d reports of %d events above the bound", entries, events)
	}
	defer func() {
		if entries, events := small.(*handler).cache.len(); entries != 1 || events != dec {
			t.Errorf("kept %d reports of %d events, want 1 of %d", entries, events, dec)
		}
	}()
	if c := get(t, small, "/reports?from=2026-12-01&to=2026-12-31").Header().Get("X-Report-Cache"); c != "miss" {
		t.Errorf("December: %s", c)
	}
	if c := get(t, small, "/reports?from=2026-12-01&to=2026-12-31").Header().Get("X-Report-Cache"); c != "hit" {
		t.Errorf("December again: %s", c)
	}

	off := HandlerWith(log, HandlerOptions{CacheEntries: -1})
	before := log.folds.Load()
	get(t, off, url(1))
	get(t, off, url(1))
	if n := log.folds.Load() - before; n != 2 {
		t.Errorf("without a cache: %d folds for 2 requests", n)
	}
}

// TestHandlerCacheConcurrent: requests for the same report while it is
// being computed wait for that computation.
func TestHandlerCacheConcurrent(t *testing.T) {
	log := &countingLog{evs: memLog(fixture()), gate: make(chan struct{})}
	h := HandlerWith(log, HandlerOptions{})
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/reports?from=2026-01-01&to=2026-06-30&format=json", nil))
			codes[i] = rec.Code
		})
	}
	for log.folds.Load() == 0 {
		runtime.Gosched()
	}
	close(log.gate)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("request %d: %d", i, c)
		}
	}
	if n := log.folds.Load(); n != 1 {
		t.Errorf("%d folds for 8 concurrent requests of one report", n)
	}
}
