package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// readBatch is how many events a load reads at a time.
const readBatch = 4096

// loaded is one aggregate kept in memory for reading: a dependency of other
// aggregates' decisions (the registry a ballot is checked against, the
// monthly meeting a case is opened from). Its state only moves forward, by
// catching up with its stream; readers hold mu for reading while they look.
type loaded[A domain.Aggregate] struct {
	mu    sync.RWMutex
	state A
}

// read calls f with the state, holding the read lock. The state must not be
// kept after f returns.
func (e *loaded[A]) read(f func(A) ([]domain.Event, error)) ([]domain.Event, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return f(e.state)
}

// loader loads aggregates of one kind for reading and keeps up to max of
// them, so that a dependency read again (the registry, for every ballot) is
// caught up with the events appended since, not read from the start.
type loader[A domain.Aggregate] struct {
	store eventstore.Store
	max   int

	mu      sync.Mutex
	entries map[string]*loaded[A]
}

func newLoader[A domain.Aggregate](store eventstore.Store, max int) *loader[A] {
	return &loader[A]{store: store, max: max, entries: map[string]*loaded[A]{}}
}

// load returns the aggregate of stream, caught up with every event stored
// when it was called. newFn makes the empty aggregate.
func (l *loader[A]) load(ctx context.Context, stream string, newFn func() A) (*loaded[A], error) {
	l.mu.Lock()
	e, ok := l.entries[stream]
	if !ok {
		if len(l.entries) >= l.max {
			// Drop an arbitrary quarter: cheap, and a dropped entry that is
			// still in use stays valid for its user.
			n := 0
			for k := range l.entries {
				delete(l.entries, k)
				if n++; n >= max(1, l.max/4) {
					break
				}
			}
		}
		e = &loaded[A]{state: newFn()}
		l.entries[stream] = e
	}
	l.mu.Unlock()

	e.mu.RLock()
	from := e.state.Version() + 1
	e.mu.RUnlock()
	for {
		evs, err := l.store.ReadStream(ctx, stream, from, readBatch)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", stream, err)
		}
		decoded := make([]domain.Event, len(evs))
		for i, se := range evs {
			if decoded[i], err = domain.Decode(se.Type, se.SchemaVersion, se.Data); err != nil {
				return nil, fmt.Errorf("load %s at version %d: %w", stream, se.Version, err)
			}
		}
		e.mu.Lock()
		for i, se := range evs {
			// Another load may have applied some of these already.
			if se.Version != e.state.Version()+1 {
				continue
			}
			if err := e.state.Apply(decoded[i]); err != nil {
				e.state = newFn()
				e.mu.Unlock()
				l.mu.Lock()
				delete(l.entries, stream)
				l.mu.Unlock()
				return nil, fmt.Errorf("load %s at version %d: %w", stream, se.Version, err)
			}
		}
		from = e.state.Version() + 1
		e.mu.Unlock()
		if len(evs) < readBatch {
			return e, nil
		}
	}
}
