package eventstore

import (
	"context"
	"iter"
	"sync"
	"time"
)

// Notifier tells waiting subscribers that the log's head moved. Backends
// whose ReadAll never shows a gap (an event becomes readable only after
// every event before it) build Subscribe from a Notifier and Follow.
// The zero value is ready to use.
type Notifier struct {
	mu   sync.Mutex
	head Position
	ch   chan struct{}
}

// Publish records that the log's head is at least p and wakes every waiter.
func (n *Notifier) Publish(p Position) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p > n.head {
		n.head = p
	}
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// Wait returns when the head is known to be beyond after, when poll has
// passed (poll <= 0: never), or with ctx's error.
func (n *Notifier) Wait(ctx context.Context, after Position, poll time.Duration) error {
	n.mu.Lock()
	if n.head > after {
		n.mu.Unlock()
		return nil
	}
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	ch := n.ch
	n.mu.Unlock()
	var timeout <-chan time.Time
	if poll > 0 {
		t := time.NewTimer(poll)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
		return nil
	case <-timeout:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FollowBatch is how many events Follow reads at a time.
const FollowBatch = 512

// Follow yields every event after `after` by reading the log in batches with
// read and, once caught up, waiting with wait before reading again. read
// must be gap-free: it never returns an event while an earlier position can
// still appear.
func Follow(ctx context.Context, after Position, read func(ctx context.Context, after Position, limit int) ([]Event, error), wait func(ctx context.Context, after Position) error) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			if err := ctx.Err(); err != nil {
				yield(Event{}, err)
				return
			}
			batch, err := read(ctx, after, FollowBatch)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, ev := range batch {
				if !yield(ev, nil) {
					return
				}
				after = ev.Position
			}
			if len(batch) == FollowBatch {
				continue
			}
			if err := wait(ctx, after); err != nil {
				yield(Event{}, err)
				return
			}
		}
	}
}
