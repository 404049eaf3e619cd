package readmodels

import (
	"context"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/lru"
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
	c *lru.Cache[cacheKey, *cacheEntry]
}

// DefaultMeetingCacheBytes is the budget NewMeetingCache uses for 0.
const DefaultMeetingCacheBytes = 64 << 20

// NewMeetingCache returns a cache keeping answers up to about budget bytes
// of transcript text (DefaultMeetingCacheBytes for 0 or less).
func NewMeetingCache(budget int) *MeetingCache {
	if budget <= 0 {
		budget = DefaultMeetingCacheBytes
	}
	return &MeetingCache{c: lru.New[cacheKey, *cacheEntry](budget)}
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
	st := c.c.Stats()
	return MeetingCacheStats{Hits: st.Hits, Misses: st.Misses, Entries: st.Entries, Bytes: st.Cost}
}

// Meeting is readmodels.Meeting, answered from the cache while the
// meeting is unchanged. The record is shared: do not modify it.
func (c *MeetingCache) Meeting(ctx context.Context, r projections.Reader, id domain.MeetingID, v View, window ...Window) (MeetingRecord, bool, error) {
	m, _, ok, err := c.MeetingAt(ctx, r, id, v, window...)
	return m, ok, err
}

// MeetingAt is Meeting, with the meeting's revision the answer is current
// for: the position of the last event that changed anything Meeting
// answers about it (0: the read model has no stamp of it), so that a
// caller may key what it derives from the answer (a rendered page) by it.
// The record is at least as recent as the revision.
func (c *MeetingCache) MeetingAt(ctx context.Context, r projections.Reader, id domain.MeetingID, v View, window ...Window) (MeetingRecord, uint64, bool, error) {
	changed, ok, err := stamp(ctx, r, collChanges, id)
	if err != nil {
		return MeetingRecord{}, 0, false, wrap(err, "meeting %s", id)
	}
	if !ok {
		m, ok, err := Meeting(ctx, r, id, v, window...)
		return m, 0, ok, err
	}
	key := cacheKey{meeting: id, stamp: changed, view: v, offset: -1}
	var w *Window
	if len(window) > 0 {
		w = &window[0]
		key.offset, key.limit = w.Offset, w.Limit
	}
	if e, ok := c.c.Get(key); ok {
		return e.record, changed, true, nil
	}
	m, ok, err := meeting(ctx, r, id, v, w, c.order)
	if err != nil || !ok {
		return m, changed, ok, err
	}
	c.c.Put(key, &cacheEntry{record: m}, recordCost(m))
	return m, changed, true, nil
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
		if e, hit := c.c.Get(key); hit {
			return cloneUtterances(e.order.utterances), e.order.live, e.order.removed, nil
		}
	}
	us, live, removed, err := transcriptOrder(ctx, r, id, v)
	if err != nil || !ok {
		return us, live, removed, err
	}
	c.c.Put(key, &cacheEntry{order: orderAnswer{utterances: cloneUtterances(us), live: live, removed: removed}}, 64*len(us))
	return us, live, removed, nil
}

func cloneUtterances(us []Utterance) []Utterance {
	return append([]Utterance(nil), us...)
}

// stamp reads a meeting's stamp from collection.
func stamp(ctx context.Context, r projections.Reader, collection string, id domain.MeetingID) (uint64, bool, error) {
	return projections.Get[uint64](ctx, r, collection, string(id))
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
