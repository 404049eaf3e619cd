package projections

import (
	"context"
	"fmt"

	"github.com/pdis/collab-ledger/eventstore"
)

// Follower reads the log in global order for a consumer that is not a
// projection (the search index): it shares the LogSubscriber's one reader
// of the log (logTap, decision 0040) while it is within the reader's
// window, and reads the store on its own when it is far behind, exactly as
// a projection's subscription does. It keeps no checkpoint: its consumer
// says where to start (Follow) and keeps its own.
//
// The events it returns are shared with the projections and must not be
// modified. A Follower is used by one goroutine at a time.
type Follower struct {
	src  *logSource
	next eventstore.Position // the last position returned
}

// Follow returns a Follower of the log after `after`. ctx bounds its
// reading: once it ends Next returns its error. Close the Follower when
// done with it.
func (s *LogSubscriber) Follow(ctx context.Context, after eventstore.Position) (*Follower, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSubscriberClosed
	}
	return &Follower{src: &logSource{s: s, ctx: ctx}, next: after}, nil
}

// Follow returns a Follower of the log after `after` that shares the
// Runner's reader of the log (LogSubscriber.Follow).
func (r *Runner) Follow(ctx context.Context, after eventstore.Position) (*Follower, error) {
	return r.sub.Follow(ctx, after)
}

// Next returns the next events of the log, at least one, waiting for them:
// up to a batch while catching up, usually one once caught up. It returns
// ErrSubscriberClosed once the subscriber is closed, ctx's error once the
// Follow context ends, or the store's read error. The slice is shared and
// must not be modified.
func (f *Follower) Next() ([]eventstore.Event, error) {
	evs, err := f.src.take(f.next)
	if err != nil {
		return nil, err
	}
	if evs[0].Position <= f.next {
		return nil, fmt.Errorf("log follower: log went backwards after %d (got %d)", f.next, evs[0].Position)
	}
	f.next = evs[len(evs)-1].Position
	return evs, nil
}

// Close releases the Follower's place in the shared reader, or its own
// reader of the store.
func (f *Follower) Close() { f.src.close() }
