package readmodels

import (
	"container/list"
	"context"
	"sync"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/projections"
)

// MeetingCache answers Meeting from the answers it gave before while the
// meeting has not changed since: a long transcript read by many people is
// read from the read model once per change, not once per request.
//
// It knows a meeting's answer is current from the stamps the Transcripts
// projection commits with every change (the position of the meeting's last
// event, and of the last that placed or removed an utterance), which it
// reads on each query: one small document. When only the text of some
// utterances changed, the transcript's order is still taken from the cache
// and only the window is read again. Without stamps (an unknown meeting) it
// asks Meeting.
//
// One cache serves one read side (one log): stamps are positions in it.
// The records it returns are shared between callers, who must not modify
// them. It is safe for concurrent use; its size is bounded by a budget of
// bytes of transcript text, oldest-used answers going first.
type MeetingCache struct {
	mu     sync.Mutex
	budget int
	used   int
	lru    *list.List // of *cacheEntry, most recently used first
	items  map[cacheKey]*list.Element

	hits, misses uint64
}

// DefaultMeetingCacheBytes is the budget NewMeetingCache uses for 0.
const DefaultMeetingCacheBytes = 64 << 20

// NewMeetingCache returns a cache keeping answers up to about budget bytes
// of transcript text (DefaultMeetingCacheBytes for 0 or less).
func NewMeetingCache(budget int) *MeetingCache {
	if budget <= 0 {
		budget = DefaultMeetingCacheBytes
	}
	return &MeetingCache{budget: budget, lru: list.New(), items: map[cacheKey]*list.Element{}}
}

// cacheKey names one answer: a meeting's record for a view and a window
// (offset -1: none) as of a stamp, or (order set) its transcript's order
// for a view as of its layout stamp.
type cacheKey struct {
	meeting       domain.MeetingID
	stamp         uint64
	view          View
	order         bool
	offset, limit int
}

type cacheEntry struct {
	key    cacheKey
	cost   int
	record MeetingRecord
	order  orderAnswer
}

// orderAnswer is a transcript's order as view sees it (places only).
type orderAnswer struct {
	utterances    []Utterance
	live, removed int
}

// MeetingCacheStats are a cache's counters.
type MeetingCacheStats struct {
	Hits, Misses uint64
	Entries      int
	Bytes        int
}

// Stats returns the cache's counters.
func (c *MeetingCache) Stats() MeetingCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return MeetingCacheStats{Hits: c.hits, Misses: c.misses, Entries: c.lru.Len(), Bytes: c.used}
}

// Meeting is readmodels.Meeting, answered from the cache while the
// meeting is unchanged. The record is shared: do not modify it.
func (c *MeetingCache) Meeting(ctx context.Context, r projections.Reader, id domain.MeetingID, v View, window ...Window) (MeetingRecord, bool, error) {
	changed, ok, err := stamp(ctx, r, collChanges, id)
	if err != nil {
		return MeetingRecord{}, false, wrap(err, "meeting %s", id)
	}
	if !ok {
		return Meeting(ctx, r, id, v, window...)
	}
	key := cacheKey{meeting: id, stamp: changed, view: v, offset: -1}
	var w *Window
	if len(window) > 0 {
		w = &window[0]
		key.offset, key.limit = w.Offset, w.Limit
	}
	if e, ok := c.get(key); ok {
		return e.record, true, nil
	}
	m, ok, err := meeting(ctx, r, id, v, w, c.order)
	if err != nil || !ok {
		return m, ok, err
	}
	c.put(&cacheEntry{key: key, cost: recordCost(m), record: m})
	return m, true, nil
}

// order is transcriptOrder from the cache while the layout is unchanged.
// It returns a copy that the caller may fill.
func (c *MeetingCache) order(ctx context.Context, r projections.Reader, id domain.MeetingID, v View) ([]Utterance, int, int, error) {
	layout, ok, err := stamp(ctx, r, collLayouts, id)
	if err != nil {
		return nil, 0, 0, wrap(err, "transcript of meeting %s", id)
	}
	key := cacheKey{meeting: id, stamp: layout, view: v, order: true}
	if ok {
		if e, hit := c.get(key); hit {
			return cloneUtterances(e.order.utterances), e.order.live, e.order.removed, nil
		}
	}
	us, live, removed, err := transcriptOrder(ctx, r, id, v)
	if err != nil || !ok {
		return us, live, removed, err
	}
	c.put(&cacheEntry{key: key, cost: 64 * len(us), order: orderAnswer{utterances: cloneUtterances(us), live: live, removed: removed}})
	return us, live, removed, nil
}

func cloneUtterances(us []Utterance) []Utterance {
	return append([]Utterance(nil), us...)
}

// stamp reads a meeting's stamp from collection.
func stamp(ctx context.Context, r projections.Reader, collection string, id domain.MeetingID) (uint64, bool, error) {
	return projections.Get[uint64](ctx, r, collection, string(id))
}

func (c *MeetingCache) get(key cacheKey) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry), true
}

func (c *MeetingCache) put(e *cacheEntry) {
	if e.cost > c.budget/4 {
		return // one answer may not push out most of the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		c.used -= el.Value.(*cacheEntry).cost
		c.lru.Remove(el)
	}
	c.items[e.key] = c.lru.PushFront(e)
	c.used += e.cost
	for c.used > c.budget {
		last := c.lru.Back()
		old := last.Value.(*cacheEntry)
		c.lru.Remove(last)
		delete(c.items, old.key)
		c.used -= old.cost
	}
}

// recordCost estimates the bytes a meeting's record holds: its text, and a
// fixed amount per utterance, version and other entry.
func recordCost(m MeetingRecord) int {
	n := 1024 + 256*(len(m.Participants)+len(m.Notes)+len(m.Questions))
	if t := m.Transcript; t != nil {
		for _, u := range t.Utterances {
			n += 96
			for _, v := range u.Versions {
				n += 160
				for _, p := range v.Paragraphs {
					n += len(p)
				}
			}
		}
	}
	return n
}
