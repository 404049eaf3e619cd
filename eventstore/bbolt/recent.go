package bbolt

import (
	"sync"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// recentCap is how many of the last committed events the store keeps for
// ReadAll. Followers (the projections' subscribers, one per read model)
// read the log just behind its head: they get the events the writer has
// just stored without decoding them from the file again, each reader its
// own copy of the events (their data and strings are shared and never
// written to). An older position is read from the file as before.
//
// 65,536 (8,192 before decision 0053): a bulk import commits up to 8,192
// events at a time, and the read side, folding on the other core, runs
// tens of thousands of events behind it; with 8,192 it read nearly the
// whole import back from the file (decodeRecord: a copy of every record,
// 2 of the caught-up import's 44 CPU-s with what the collector spent on
// those copies). The window holds at most 2 × recentCap events' envelopes
// (256 bytes each) and keeps their data alive: ≈ 80 MB for signatures.
const recentCap = 65536

// recentEvents is a window of the last committed events, in position
// order, contiguous.
type recentEvents struct {
	keep   int // recentCap, or a test's size
	mu     sync.RWMutex
	events []eventstore.Event // positions first .. first+len-1
	first  eventstore.Position
}

// add appends what one commit stored (each append's events, in position
// order), exactly as ReadAll decodes them from the file.
func (t *recentEvents) add(stored [][]eventstore.Event) {
	if len(stored) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, evs := range stored {
		for _, e := range evs {
			if len(t.events) > 0 && e.Position != t.first+eventstore.Position(len(t.events)) {
				t.events = t.events[:0] // not contiguous (cannot happen): start again
			}
			if len(t.events) == 0 {
				t.first = e.Position
			}
			t.events = append(t.events, asDecoded(e))
		}
	}
	if n := len(t.events); n > 2*t.keep {
		// Keep the last t.keep, moved to the front: readers copy out
		// under the lock, so nothing refers to the slice, and reusing it
		// spares a window's allocation every t.keep events.
		t.first += eventstore.Position(n - t.keep)
		t.events = t.events[:copy(t.events, t.events[n-t.keep:])]
	}
}

// read appends to out the events after `after` up to head (at most limit)
// if the window holds the first of them; ok false means the caller reads
// the file.
func (t *recentEvents) read(out []eventstore.Event, after, head eventstore.Position, limit int) ([]eventstore.Event, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if len(t.events) == 0 || after+1 < t.first || after+1 >= t.first+eventstore.Position(len(t.events)) {
		return out, false
	}
	from := int(after + 1 - t.first)
	to := min(len(t.events), from+limit, int(head-t.first)+1)
	if to <= from {
		return out, false
	}
	return append(out, t.events[from:to]...), true
}

// asDecoded returns e as decodeRecord returns it: times in UTC from whole
// microseconds, data without spare capacity. (An occurred-at of exactly
// the Unix epoch, which the file would store a microsecond later, is
// refused by validation before it gets here.)
func asDecoded(e eventstore.Event) eventstore.Event {
	e.RecordedAt = time.UnixMicro(e.RecordedAt.UnixMicro()).UTC()
	if !e.Metadata.OccurredAt.IsZero() {
		e.Metadata.OccurredAt = time.UnixMicro(e.Metadata.OccurredAt.UnixMicro()).UTC()
	}
	e.Data = e.Data[:len(e.Data):len(e.Data)]
	return e
}
