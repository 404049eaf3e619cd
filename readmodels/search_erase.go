package readmodels

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// An erasure (ledger.data_erased) reaches the running index: every
// document derived from an erased event is derived again from the log as
// it reads now — where a value was erased, the log gives its commitment —
// exactly as a rebuild would make it, and written with the erasure's
// checkpoint. The write moves the index's generation, so no cached answer
// or rendered page from before the erasure is served again. The index kept
// on disk then holds what a rebuild would, and a restart resumes it; only
// an erasure that names an event without its stream (a store without
// eventstore.Finder) still has it rebuilt at the next start
// (docs/decisions/0050-erasure-reaches-search.md).

// foldErasure adds to p the documents derived from the events the erasure
// ev names, derived again from the log up to ev.
func (s *Search) foldErasure(ctx context.Context, p *pendingBatch, ev eventstore.Event) error {
	e, err := decode(ctx, ev)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	d, ok := e.(domain.DataErased)
	if !ok {
		return fmt.Errorf("search index: erasure at %d is a %T", ev.Position, e)
	}
	streams, located, err := s.erasedStreams(ctx, d)
	if err != nil {
		return fmt.Errorf("search index: erasure at %d: %w", ev.Position, err)
	}
	if !located {
		// Some erased event cannot be found: its documents may hold the
		// value until a rebuild, which the next start makes (stale).
		p.b.SetInternal(searchErasureKey, []byte("1")) // written with the checkpoint
	}
	for _, stream := range streams {
		if err := s.deriveAgain(ctx, p, stream, ev.Position); err != nil {
			return fmt.Errorf("search index: erasure at %d: stream %s: %w", ev.Position, stream, err)
		}
	}
	return nil
}

// erasedStreams returns the streams (sorted, once each) holding an erased
// event the index reads, and whether every erased event could be located.
// Where the store finds events by ID, only the streams of erased events of
// a type the index reads are returned (a signer's erasure touches none);
// otherwise every named stream is.
func (s *Search) erasedStreams(ctx context.Context, d domain.DataErased) ([]string, bool, error) {
	finder := searchFinder(s.store)
	located := true
	var streams []string
	for _, f := range d.Erased {
		if f.Stream == "" {
			located = false
			continue
		}
		if slices.Contains(streams, f.Stream) {
			continue
		}
		if finder != nil {
			id, err := uuid.Parse(f.EventID)
			if err != nil {
				return nil, false, fmt.Errorf("erased event %q: %w", f.EventID, err)
			}
			found, ok, err := finder.FindEvent(ctx, id)
			switch {
			case errors.Is(err, errors.ErrUnsupported):
			case err != nil:
				return nil, false, fmt.Errorf("find erased event %s: %w", id, err)
			case ok && !searchTypes[found.Type]:
				continue // the index derives nothing from it
			}
		}
		streams = append(streams, f.Stream)
	}
	slices.Sort(streams)
	return streams, located, nil
}

// searchFinder returns the store's eventstore.Finder (the inner store's,
// for a sealed log), or nil.
func searchFinder(store eventstore.Store) eventstore.Finder {
	for store != nil {
		if f, ok := store.(eventstore.Finder); ok {
			return f
		}
		in, ok := store.(interface{ Inner() eventstore.Store })
		if !ok {
			return nil
		}
		store = in.Inner()
	}
	return nil
}

// deriveAgain applies to p, again and in order, every event of stream
// before the position upTo that the index reads: each document derived
// from the stream ends as the last of its events makes it, as in a
// rebuild (the index's documents are derived from one stream each, with
// what remember keeps of meetings). As in apply, a reattribution first has
// what is pending written, since it reads the utterance back (add).
func (s *Search) deriveAgain(ctx context.Context, p *pendingBatch, stream string, upTo eventstore.Position) error {
	for from := uint64(1); ; {
		events, err := s.store.ReadStream(ctx, stream, from, searchBatch)
		if err != nil {
			return fmt.Errorf("read from version %d: %w", from, err)
		}
		for _, ev := range events {
			if ev.Position >= upTo {
				return nil
			}
			if _, known := domain.EventSchemaVersion(ev.Type); !known || !searchTypes[ev.Type] {
				continue
			}
			if err := s.add(ctx, p, ev); err != nil {
				return err
			}
		}
		if len(events) < searchBatch {
			return nil
		}
		from = events[len(events)-1].Version + 1
	}
}
