package readmodels

import (
	"testing"
	"time"
)

// TestSearchPace: the search index writes promptly at a live rate and when
// the log goes quiet; while the log is read in bulk (an import) each write
// waits twice as long as the one before, up to searchFlushDelayBulk, and a
// short pause does not write at once (decision 0040); a pause of
// searchQuietBulk writes without leaving the bulk pace (decision 0046).
func TestSearchPace(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	// Live: a command, then a quiet read, is written at once; steady live
	// traffic waits searchFlushDelay, never longer.
	p := newSearchPace(t0)
	p.observe(3, at(0))
	if p.due(at(100*time.Millisecond), at(0)) {
		t.Error("due while the log moves, before the delay")
	}
	p.observe(0, at(100*time.Millisecond))
	if !p.due(at(100*time.Millisecond), at(0)) {
		t.Error("not due when the log went quiet at a live rate")
	}
	p.wrote(at(100 * time.Millisecond))
	for i := range 30 {
		now := at(time.Duration(i+1) * time.Second)
		p.observe(20, now)
		if !p.due(now, now.Add(-searchFlushDelay)) {
			t.Fatalf("live traffic (20 events a second): not due after %s at write %d", searchFlushDelay, i)
		}
		p.wrote(now)
	}

	// Bulk: 10,000 events a second. The delay doubles with each write.
	p = newSearchPace(t0)
	now, want := t0, []time.Duration{2, 4, 8, 16, 16}
	for i, w := range want {
		since := now
		for !p.due(now, since) {
			now = now.Add(100 * time.Millisecond)
			p.observe(1000, now)
		}
		p.wrote(now)
		if p.delay != w*time.Second {
			t.Fatalf("write %d in bulk: next delay %s, want %ds", i, p.delay, w)
		}
	}
	// A pause shorter than searchQuietBulk does not write.
	p.observe(0, now.Add(100*time.Millisecond))
	if p.due(now.Add(300*time.Millisecond), now) {
		t.Error("due 200 ms into a pause in bulk")
	}
	// A pause of searchQuietBulk writes (the import may be over), and
	// keeps the bulk pace while the log moves on.
	if !p.due(now.Add(100*time.Millisecond+searchQuietBulk), now) {
		t.Errorf("not due %s into a pause in bulk", searchQuietBulk)
	}
	p.wrote(now.Add(100*time.Millisecond + searchQuietBulk))
	if p.delay != searchFlushDelayBulk {
		t.Errorf("after a pause in bulk: delay %s, want %s", p.delay, searchFlushDelayBulk)
	}
	now = now.Add(time.Second)
	p.observe(1000, now)
	if p.due(now.Add(2*time.Second), now) {
		t.Error("due 2 s after a write once the bulk went on")
	}
	// A second of quiet writes, and makes writes prompt again.
	p.observe(0, now.Add(100*time.Millisecond))
	p.observe(0, now.Add(1100*time.Millisecond))
	if !p.due(now.Add(1100*time.Millisecond), now) {
		t.Error("not due after a second of quiet")
	}
	p.wrote(now.Add(1100 * time.Millisecond))
	if p.delay != searchFlushDelay {
		t.Errorf("after the bulk: delay %s, want %s", p.delay, searchFlushDelay)
	}
}
