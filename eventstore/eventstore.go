// Package eventstore is the ledger's append-only event log: one small
// interface, the envelope every stored event carries, and the rules every
// backend shares.
//
// An event, once Append has returned without error, is durable, never changes
// and is read back in one global order. Streams group the events of one
// aggregate (a proposal, a case, a meeting); the global log orders every event
// of every stream by Position.
//
// Use it like this:
//
//	store, err := eventstore.Open(ctx, "file:./data/ledger.db", eventstore.Config{})
//	...
//	ev, err := eventstore.NewEventData("proposal.signed", 1, signed, md)
//	res, err := store.Append(ctx, "proposal-42", eventstore.Exact(7), ev)
//	var conflict *eventstore.ConflictError
//	if errors.As(err, &conflict) { /* reload at conflict.Actual and decide again */ }
//
//	for ev, err := range store.Subscribe(ctx, checkpoint) { ... }
//
// Backends live in sub-packages named after what they depend on (bbolt,
// postgres, kurrentdb) and register a URL scheme with Register; importing one
// for its side effect makes Open understand its URLs. Every backend passes the
// shared conformance suite in eventstore/storetest.
//
// Numbering: stream versions start at 1 (version 0 means "no events yet") and
// global positions are strictly increasing and start above 0, so a checkpoint
// of 0 means "from the very beginning". Positions of the embedded and
// PostgreSQL stores are dense (1, 2, 3, ...); KurrentDB's are the server's
// commit positions, increasing but not dense.
package eventstore

import (
	"context"
	"iter"

	"github.com/google/uuid"
)

// Position is an event's place in the global log. Positions only grow; 0 is
// "before the first event".
type Position uint64

// Store is an append-only event log. Implementations are safe for concurrent
// use by many goroutines.
type Store interface {
	// Append stores events at the end of stream if the stream satisfies exp,
	// atomically: all of them or none. It returns once they are durable.
	// A stream that does not satisfy exp yields a *ConflictError (errors.Is
	// ErrConflict) carrying the actual version. Appending events whose IDs are
	// already stored at the same place in the same stream succeeds again
	// without storing them twice and returns the original result.
	Append(ctx context.Context, stream string, exp Expectation, events ...EventData) (AppendResult, error)

	// ReadStream returns up to limit events of stream with a version of at
	// least from, in version order. A stream with no events reads as empty,
	// and so does a limit of 0 or less.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]Event, error)

	// ReadAll returns up to limit events of the global log with a position
	// greater than after, in position order; none for a limit of 0 or less.
	ReadAll(ctx context.Context, after Position, limit int) ([]Event, error)

	// Subscribe yields every event with a position greater than after: first
	// those already stored, then each new one as it is appended, with no gap,
	// no duplicate and no reordering. It ends when ctx is done (yielding
	// ctx.Err()), when the consumer stops ranging, or after yielding a
	// non-nil error.
	Subscribe(ctx context.Context, after Position) iter.Seq2[Event, error]

	// Head returns the position of the last stored event, 0 if there is none.
	Head(ctx context.Context) (Position, error)

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// AppendResult tells where an append put its events.
type AppendResult struct {
	// Version is the stream's version after the append: the version of its
	// last event.
	Version uint64
	// Position is the global position of the last appended event.
	Position Position
	// Events are the stored events, with the versions, positions,
	// recorded-at times and content hashes the store gave them.
	Events []Event
}

// Finder is implemented by stores that can read one event by its ID (the
// embedded and PostgreSQL stores index it; KurrentDB does not). An erasure
// uses it to name the stream of each event it erases, so read models can
// forget the values in place.
type Finder interface {
	// FindEvent returns the stored event with the given ID, and false if
	// there is none.
	FindEvent(ctx context.Context, id uuid.UUID) (Event, bool, error)
}
