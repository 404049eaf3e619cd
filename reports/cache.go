package reports

import (
	"container/list"
	"context"
	"sync"

	"github.com/pdis/collab-ledger/eventstore"
)

// cacheKey names one computed report: the period (Unix nanoseconds), the
// ministry and the log position it was computed at. Language and format are
// renderings of the same report, not part of the key.
type cacheKey struct {
	from, to int64
	ministry string
	at       eventstore.Position
}

// cacheEntry is a report being computed (done open) or computed.
type cacheEntry struct {
	key    cacheKey
	done   chan struct{}
	rep    Report
	err    error
	weight int           // event references held, once computed
	el     *list.Element // nil once evicted
}

// reportCache keeps the most recently used reports, at most maxEntries of
// them holding at most maxEvents event references together; a report
// asked for while it is being computed is computed once.
type reportCache struct {
	mu         sync.Mutex
	maxEntries int
	maxEvents  int
	events     int
	lru        *list.List // of *cacheEntry, most recent first
	byKey      map[cacheKey]*cacheEntry
}

func newReportCache(maxEntries, maxEvents int) *reportCache {
	return &reportCache{maxEntries: maxEntries, maxEvents: maxEvents, lru: list.New(), byKey: map[cacheKey]*cacheEntry{}}
}

// get returns the report for key, computing it with compute when it is
// neither cached nor being computed; hit says it was not computed for this
// call. compute runs with ctx's values but not its cancellation, since other
// callers may be waiting for it; a waiter whose own ctx ends stops waiting.
// A failed computation is not kept.
func (c *reportCache) get(ctx context.Context, key cacheKey, compute func(context.Context) (Report, error)) (rep Report, hit bool, err error) {
	if c.maxEntries < 0 {
		rep, err = compute(ctx)
		return rep, false, err
	}
	c.mu.Lock()
	if e, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(e.el)
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.rep, true, e.err
		case <-ctx.Done():
			return Report{}, true, ctx.Err()
		}
	}
	e := &cacheEntry{key: key, done: make(chan struct{})}
	e.el = c.lru.PushFront(e)
	c.byKey[key] = e
	c.mu.Unlock()

	e.rep, e.err = compute(context.WithoutCancel(ctx))

	c.mu.Lock()
	if e.err == nil {
		e.weight = refsIn(e.rep)
	}
	if e.el != nil { // not evicted while computing
		if e.err != nil || e.weight > c.maxEvents {
			c.remove(e)
		} else {
			c.events += e.weight
		}
	}
	c.evict()
	close(e.done) // under the lock: remove sees done and weight together
	c.mu.Unlock()
	return e.rep, false, e.err
}

// evict drops the least recently used reports beyond the bounds. Reports
// still being computed count as entries but weigh nothing yet.
func (c *reportCache) evict() {
	for c.lru.Len() > 0 && (c.lru.Len() > c.maxEntries || c.events > c.maxEvents) {
		c.remove(c.lru.Back().Value.(*cacheEntry))
	}
}

func (c *reportCache) remove(e *cacheEntry) {
	c.lru.Remove(e.el)
	e.el = nil
	delete(c.byKey, e.key)
	select {
	case <-e.done:
		c.events -= e.weight
	default: // still computing: its weight was never added
	}
}

// len returns the number of reports kept or being computed, and the event
// references they hold.
// holds reports whether the computed report of key is kept, and marks it
// used.
func (c *reportCache) holds(key cacheKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return false
	}
	select {
	case <-e.done:
	default:
		return false // still being computed
	}
	if e.err != nil || e.el == nil {
		return false
	}
	c.lru.MoveToFront(e.el)
	return true
}

func (c *reportCache) len() (entries, events int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.events
}

func refsIn(rep Report) int {
	n := 0
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			n += len(f.Source.Events)
		}
	}
	return n
}
