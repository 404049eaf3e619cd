package projections

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// logTap is the one reader of the log that a LogSubscriber's subscriptions
// share (docs/decisions/0040-shared-log-reader.md). A Runner subscribes once
// per projection; without the tap each subscription read and copied every
// event of the log on its own, seven times over for serve's read models.
//
// The tap follows the log from where the first subscription stands and
// keeps a window of the last events it read, in chunks that are only ever
// appended to: a subscription within the window takes its next events as a
// slice of a chunk, shared with the others and never written again, so no
// event is copied per subscription. The tap reads at most ahead events past
// the furthest subscription; a subscription that falls more than the window
// behind is detached and reads the log on its own again (as one resuming
// from an older checkpoint does), until it is back within the window.
type logTap struct {
	store  eventstore.Store
	chunk  int // events per chunk: the most one take returns
	window int // events kept
	ahead  int // events read past the furthest subscription

	base context.Context // the subscriber's lifetime
	wg   sync.WaitGroup  // the reading goroutines

	mu      sync.Mutex
	chunks  [][]eventstore.Event // in position order; each only appended to
	n       int                  // events in chunks
	from    eventstore.Position  // the window holds every event after from ...
	last    eventstore.Position  // ... up to last
	readers map[*tapReader]struct{}
	waiting int                // readers blocked in take (add wakes them)
	running bool               // a goroutine is reading for the current gen
	gen     uint64             // bumped when the tap starts again elsewhere
	cancel  context.CancelFunc // ends the current gen's goroutine
	wake    chan struct{}      // the current gen's: a subscription moved on
}

// tapReader is one subscription attached to the tap.
type tapReader struct {
	after    eventstore.Position // the last event taken
	detached bool                // dropped from the window: read the store
	waiting  bool                // blocked in take, wants a signal on ready
	ready    chan struct{}       // capacity 1
}

func newLogTap(base context.Context, store eventstore.Store, chunk, ahead, window int) *logTap {
	return &logTap{store: store, chunk: chunk, ahead: ahead, window: window, base: base, readers: map[*tapReader]struct{}{}}
}

// attach returns a reader that takes the events after `after` from the
// tap, or false when the window does not hold them (the caller reads the
// store itself, and may try again later). With no subscription attached,
// the tap starts again from `after`.
func (t *logTap) attach(after eventstore.Position) (*tapReader, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.base.Err() != nil {
		return nil, false
	}
	if !t.running || (len(t.readers) == 0 && (after < t.from || after > t.last)) {
		t.restart(after)
	}
	if after < t.from || after > t.last {
		return nil, false
	}
	r := &tapReader{after: after, ready: make(chan struct{}, 1)}
	t.readers[r] = struct{}{}
	signal(t.wake)
	return r, true
}

// restart drops the window and reads on from after. Called with t.mu held.
func (t *logTap) restart(after eventstore.Position) {
	if t.cancel != nil {
		t.cancel()
	}
	t.gen++
	clear(t.chunks)
	t.chunks, t.n, t.from, t.last = t.chunks[:0], 0, after, after
	ctx, cancel := context.WithCancel(t.base)
	t.cancel, t.running, t.wake = cancel, true, make(chan struct{}, 1)
	t.wg.Add(1)
	go func(gen uint64, wake chan struct{}) {
		defer t.wg.Done()
		t.run(ctx, gen, after, wake)
	}(t.gen, t.wake)
}

// release detaches r (its subscription ended or moved elsewhere).
func (t *logTap) release(r *tapReader) {
	t.mu.Lock()
	t.drop(r)
	t.mu.Unlock()
}

// drop removes r from the attached readers, keeping the count of those
// waiting. Called with t.mu held.
func (t *logTap) drop(r *tapReader) {
	if _, ok := t.readers[r]; !ok {
		return
	}
	delete(t.readers, r)
	if r.waiting {
		r.waiting = false
		t.waiting--
	}
}

// run is one generation's reading goroutine.
func (t *logTap) run(ctx context.Context, gen uint64, after eventstore.Position, wake chan struct{}) {
	for ev, err := range t.store.Subscribe(ctx, after) {
		t.mu.Lock()
		if t.gen != gen {
			t.mu.Unlock()
			return
		}
		if err != nil {
			// Every subscription goes back to reading the store itself,
			// where it meets the error (or not) on its own.
			t.running = false
			t.detachAll()
			t.mu.Unlock()
			return
		}
		if !t.room(ctx, gen, wake) {
			return
		}
		t.add(ev)
		t.mu.Unlock()
	}
	t.mu.Lock()
	if t.gen == gen {
		t.running = false
		t.detachAll()
	}
	t.mu.Unlock()
}

// room waits, with t.mu held (it is released while waiting), until a
// subscription is near enough to the window's end for the tap to read on,
// and the window has room: the oldest chunk is needed by no subscription,
// or the subscriptions needing it took nothing for stallAfter (they are
// then detached). False when the goroutine must end.
func (t *logTap) room(ctx context.Context, gen uint64, wake chan struct{}) bool {
	var stall *time.Timer
	defer func() {
		if stall != nil {
			stall.Stop()
		}
	}()
	for {
		var timeout <-chan time.Time
		switch hungry, full := t.hungry(), t.full(); {
		case hungry && !full:
			return true
		case hungry:
			if stall == nil {
				stall = time.NewTimer(stallAfter)
			} else {
				stall.Reset(stallAfter)
			}
			timeout = stall.C
		}
		t.mu.Unlock()
		select {
		case <-wake:
		case <-timeout:
			t.mu.Lock()
			if t.gen != gen {
				t.mu.Unlock()
				return false
			}
			for r := range t.readers {
				if r.after < t.chunks[0][len(t.chunks[0])-1].Position {
					t.detach(r)
				}
			}
			continue
		case <-ctx.Done():
			return false
		}
		t.mu.Lock()
		if t.gen != gen {
			t.mu.Unlock()
			return false
		}
	}
}

// stallAfter is how long the tap waits for a subscription that holds the
// window's oldest events before it detaches it (its handler is slow or
// stuck: it reads the store on its own, and the others read on).
const stallAfter = time.Second

// hungry reports whether a subscription is within ahead events of the
// window's end. Called with t.mu held.
func (t *logTap) hungry() bool {
	for r := range t.readers {
		if t.last < r.after+eventstore.Position(t.ahead) {
			return true
		}
	}
	return false
}

// full reports whether adding an event would drop the window's oldest chunk
// and a subscription still needs it. Called with t.mu held.
func (t *logTap) full() bool {
	if len(t.chunks) < 2 || t.n+1-len(t.chunks[0]) < t.window { // with the event to add
		return false
	}
	c := t.chunks[0]
	for r := range t.readers {
		if r.after < c[len(c)-1].Position {
			return true
		}
	}
	return false
}

// add appends ev to the window, drops what the window no longer holds and
// wakes the waiting readers. Called with t.mu held.
func (t *logTap) add(ev eventstore.Event) {
	last := len(t.chunks) - 1
	if last < 0 || len(t.chunks[last]) == cap(t.chunks[last]) {
		t.chunks = append(t.chunks, make([]eventstore.Event, 0, t.chunk))
		last++
	}
	t.chunks[last] = append(t.chunks[last], ev)
	t.n++
	t.last = ev.Position
	for len(t.chunks) > 1 && t.n-len(t.chunks[0]) >= t.window {
		c := t.chunks[0]
		t.chunks[0] = nil
		t.chunks = t.chunks[1:]
		t.n -= len(c)
		t.from = c[len(c)-1].Position
		for r := range t.readers {
			if r.after < t.from {
				t.detach(r)
			}
		}
	}
	if t.waiting == 0 {
		return // nobody to wake: the usual case while the log is read in bulk
	}
	for r := range t.readers {
		if r.waiting {
			r.waiting = false
			t.waiting--
			signal(r.ready)
		}
	}
}

// detach sends r back to reading the store. Called with t.mu held.
func (t *logTap) detach(r *tapReader) {
	r.detached = true
	t.drop(r)
	signal(r.ready)
}

func (t *logTap) detachAll() {
	for r := range t.readers {
		t.detach(r)
	}
}

// take returns r's next events, up to the end of the chunk holding the
// first of them, waiting for one; false when r was detached (it reads the
// store from r.after on). The slice is shared: the caller must not write
// to it.
func (t *logTap) take(ctx context.Context, r *tapReader, closing <-chan struct{}) ([]eventstore.Event, bool, error) {
	t.mu.Lock()
	for {
		if r.detached {
			t.mu.Unlock()
			return nil, false, nil
		}
		if r.after < t.last {
			evs := t.after(r.after)
			r.after = evs[len(evs)-1].Position
			signal(t.wake)
			t.mu.Unlock()
			return evs, true, nil
		}
		if !r.waiting {
			r.waiting = true
			t.waiting++
		}
		t.mu.Unlock()
		select {
		case <-r.ready:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-closing:
			return nil, false, ErrSubscriberClosed
		}
		t.mu.Lock()
	}
}

// after returns the events after p (t.from <= p < t.last) to the end of
// their chunk. Called with t.mu held.
func (t *logTap) after(p eventstore.Position) []eventstore.Event {
	ci := sort.Search(len(t.chunks), func(i int) bool {
		c := t.chunks[i]
		return c[len(c)-1].Position > p
	})
	c := t.chunks[ci]
	i := sort.Search(len(c), func(i int) bool { return c[i].Position > p })
	return c[i:len(c):len(c)]
}
