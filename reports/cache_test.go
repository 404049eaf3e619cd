package reports

import (
	"context"
	"errors"
	"fmt"
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

// ask asks svc for the report of from..to (and ministry) at at, failing
// the test on an error.
func ask(t *testing.T, svc *Service, from, to, ministry string, at eventstore.Position) Computed {
	t.Helper()
	p, err := DatePeriod(from, to)
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Report(context.Background(), p, Filter{Ministry: ministry}, at)
	if err != nil {
		t.Fatalf("%s..%s %s at %d: %v", from, to, ministry, at, err)
	}
	return c
}

// TestServiceCache: a report is computed once per (period, ministry,
// position); asked again it is kept; a new event gives a fresh report; an
// old position is still the old report; a position beyond the head is
// refused.
func TestServiceCache(t *testing.T) {
	all := fixture()
	log := &countingLog{evs: memLog(all[:38])}
	svc := NewService(log, ServiceOptions{})
	steps := []struct {
		from, to, ministry string
		at                 eventstore.Position
		hit                bool
		folds              int64
	}{
		{"2026-01-01", "2026-06-30", "", 0, false, 1},
		{"2026-01-01", "2026-06-30", "", 0, true, 1},
		{"2026-01-01", "2026-06-30", "", 38, true, 1},
		{"2026-01-01", "2026-06-30", "moi", 0, false, 2},
		{"2026-01-01", "2026-06-30", "moi", 0, true, 2},
		{"2026-01-01", "2026-03-31", "", 0, false, 3},
	}
	for _, st := range steps {
		c := ask(t, svc, st.from, st.to, st.ministry, st.at)
		if c.Hit != st.hit || c.Report.At != 38 || c.Source != SourceLog {
			t.Errorf("%+v: hit %v at %d from %s", st, c.Hit, c.Report.At, c.Source)
		}
		if n := log.folds.Load(); n != st.folds {
			t.Errorf("%+v: %d folds of the log so far, want %d", st, n, st.folds)
		}
	}
	p, _ := DatePeriod("2026-01-01", "2026-06-30")
	if !svc.Keeps(p, Filter{}, 38) || svc.Keeps(p, Filter{}, 37) {
		t.Error("Keeps does not say which reports are kept")
	}

	// A new event: a fresh report at the new head, which counts it.
	log.append(all[38])
	c := ask(t, svc, "2026-01-01", "2026-06-30", "", 0)
	f, _ := c.Report.Figure("responses.partly_adopted")
	if c.Hit || c.Report.At != 39 || f.Value != 0 || log.folds.Load() != 4 {
		t.Errorf("after an event: hit %v, at %d, value %v, %d folds", c.Hit, c.Report.At, f.Value, log.folds.Load())
	}
	// (the response of 07-05 is after the period; the whole year counts it)
	year, ok := Narrow(ask(t, svc, "2026-01-01", "2026-12-31", "", 0).Report, "responses.partly_adopted")
	if !ok || len(year.Sections) != 1 || len(year.Sections[0].Figures) != 1 {
		t.Fatalf("the figure narrowed: %v %+v", ok, year.Sections)
	}
	if f := year.Sections[0].Figures[0]; year.Sections[0].Key != "responses" || f.Key != "responses.partly_adopted" || f.Value != 1 ||
		len(f.Source.Events) != 1 || f.Source.Events[0].Position != 39 || f.Source.Events[0].Subject != "case-1" {
		t.Errorf("the year's partly adopted responses: %+v", year.Sections[0])
	}
	if _, ok := Narrow(year, "no.such.figure"); ok {
		t.Error("narrowed to a figure the report has not")
	}
	// The old position is still the old report, from the cache.
	if c := ask(t, svc, "2026-01-01", "2026-06-30", "", 38); !c.Hit || c.Report.At != 38 {
		t.Errorf("at the old position: hit %v at %d", c.Hit, c.Report.At)
	}
	if _, err := svc.Report(context.Background(), p, Filter{}, 40); !errors.Is(err, ErrBeyondHead) {
		t.Errorf("beyond the head: %v", err)
	}
}

// TestServiceCacheBounds: the least recently used report goes when the
// entries or the events they hold exceed the bounds; a report above the
// events bound is answered but not kept.
func TestServiceCacheBounds(t *testing.T) {
	log := &countingLog{evs: memLog(fixture())}
	svc := NewService(log, ServiceOptions{CacheEntries: 2})
	month := func(svc *Service, m int) Computed {
		return ask(t, svc, fmt.Sprintf("2026-%02d-01", m), fmt.Sprintf("2026-%02d-28", m), "", 0)
	}
	for _, m := range []int{1, 2, 1, 3} { // 1, 2; 1 again (a hit); 3 pushes out 2
		month(svc, m)
	}
	if n := log.folds.Load(); n != 3 {
		t.Fatalf("%d folds, want 3", n)
	}
	if !month(svc, 1).Hit {
		t.Error("January, recently used: computed again")
	}
	if month(svc, 2).Hit {
		t.Error("February, least recently used: kept")
	}
	if entries, _ := svc.cache.len(); entries != 2 {
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
	small := NewService(log, ServiceOptions{CacheEvents: dec})
	for range 2 {
		if ask(t, small, "2026-01-01", "2026-06-30", "", 0).Hit {
			t.Errorf("a report of more events than the bound was kept")
		}
	}
	if entries, events := small.cache.len(); entries != 0 || events != 0 {
		t.Errorf("kept %d reports of %d events above the bound", entries, events)
	}
	if ask(t, small, "2026-12-01", "2026-12-31", "", 0).Hit {
		t.Errorf("December: kept before it was asked")
	}
	if !ask(t, small, "2026-12-01", "2026-12-31", "", 0).Hit {
		t.Errorf("December again: computed again")
	}
	if entries, events := small.cache.len(); entries != 1 || events != dec {
		t.Errorf("kept %d reports of %d events, want 1 of %d", entries, events, dec)
	}

	off := NewService(log, ServiceOptions{CacheEntries: -1})
	before := log.folds.Load()
	month(off, 1)
	month(off, 1)
	if n := log.folds.Load() - before; n != 2 {
		t.Errorf("without a cache: %d folds for 2 requests", n)
	}
}

// TestServiceCacheConcurrent: requests for the same report while it is
// being computed wait for that computation.
func TestServiceCacheConcurrent(t *testing.T) {
	log := &countingLog{evs: memLog(fixture()), gate: make(chan struct{})}
	svc := NewService(log, ServiceOptions{})
	p, _ := DatePeriod("2026-01-01", "2026-06-30")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = svc.Report(context.Background(), p, Filter{}, 0) })
	}
	for log.folds.Load() == 0 {
		runtime.Gosched()
	}
	close(log.gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if n := log.folds.Load(); n != 1 {
		t.Errorf("%d folds for 8 concurrent requests of one report", n)
	}
}
