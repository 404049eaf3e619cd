package readmodels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// SearchFeed is a shared reader of the log the search index can follow
// instead of reading the log on its own: the projections' Runner, whose
// one reader (decision 0040) then serves the index as well (decision 0046).
type SearchFeed interface {
	Follow(ctx context.Context, after eventstore.Position) (*projections.Follower, error)
}

// searchLog is where Run reads the log: the store itself or, with a feed,
// the feed's batches, taken by a goroutine into a small queue so that Run
// can tell a momentary end of the log (the queue is empty) from a wait.
type searchLog struct {
	store eventstore.Store
	ch    chan searchFed // nil: read the store
	held  *searchFed     // received while waiting, not yet read
	stop  context.CancelFunc
	done  chan struct{}
}

// searchFed is one batch of the feed, or the error that ended it.
type searchFed struct {
	evs []eventstore.Event
	err error
}

// newSearchLog reads store after `after`, through feed when there is one.
func newSearchLog(ctx context.Context, store eventstore.Store, feed SearchFeed, after eventstore.Position) (*searchLog, error) {
	l := &searchLog{store: store}
	if feed == nil {
		return l, nil
	}
	fctx, stop := context.WithCancel(ctx)
	f, err := feed.Follow(fctx, after)
	if errors.Is(err, projections.ErrSubscriberClosed) {
		stop()
		return l, nil // the projections have stopped: read the store
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("search index: follow the log after %d: %w", after, err)
	}
	l.ch, l.stop, l.done = make(chan searchFed, 4), stop, make(chan struct{})
	go func() {
		defer close(l.done)
		defer f.Close()
		for {
			evs, err := f.Next()
			select {
			case l.ch <- searchFed{evs, err}:
			case <-fctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return l, nil
}

// read returns the next events after `after`, and whether they reach the
// end of the log as far as it is known (Run then waits before reading
// again). From the store: up to searchBatch events; from the feed: what
// one batch of it holds, without waiting.
func (l *searchLog) read(ctx context.Context, after eventstore.Position) ([]eventstore.Event, bool, error) {
	if l.ch != nil {
		var got searchFed
		switch {
		case l.held != nil:
			got, l.held = *l.held, nil
		default:
			select {
			case got = <-l.ch:
			default:
				return nil, true, nil
			}
		}
		switch {
		case errors.Is(got.err, projections.ErrSubscriberClosed):
			// The projections stopped before the index: read on alone.
			l.close()
		case got.err != nil:
			return nil, false, got.err
		default:
			return got.evs, len(l.ch) == 0, nil
		}
	}
	events, err := l.store.ReadAll(ctx, after, searchBatch)
	return events, len(events) < searchBatch, err
}

// wait waits, once caught up, until the log may have moved: at most
// 100 ms, less when the feed brings something. False when ctx ended.
func (l *searchLog) wait(ctx context.Context) bool {
	timer := time.NewTimer(100 * time.Millisecond)
	defer timer.Stop()
	var ch <-chan searchFed
	if l.ch != nil && l.held == nil {
		ch = l.ch
	}
	select {
	case <-ctx.Done():
		return false
	case got := <-ch:
		l.held = &got
	case <-timer.C:
	}
	return true
}

// close ends the feed's goroutine.
func (l *searchLog) close() {
	if l.ch != nil {
		l.stop()
		<-l.done
		l.ch, l.held = nil, nil
	}
}
