package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// Append implements eventstore.Store.
//
// The content hash covers each event's version and recorded-at time, so
// Append must know the stream's version before it writes. Each round it
// reads the stream's tail (the last RetryWindow+len(events) events): that
// gives the current version, and shows whether the append's IDs are
// already there (an idempotent retry, or a reused ID). It then checks the
// expectation itself, claims the IDs (see claimIDs), seals the events and
// appends them expecting exactly the revision it read. If another writer
// got in between, the server refuses; with Any or StreamExists Append
// starts another round (at most AppendAttempts), with NoStream or Exact
// the next round's read reports the conflict. Finally it reads the
// appended events back to learn their $all positions.
//
// If ctx ends while the append is in flight, Append returns ctx's error
// without knowing whether the server stored the events; retrying with the
// same events is safe.
func (s *Store) Append(ctx context.Context, stream string, exp eventstore.Expectation, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	prepared, err := s.cfg.Prepare(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	op := fmt.Sprintf("append to %q", stream)
	if strings.HasPrefix(stream, s.cfg.ClaimStreamPrefix) {
		return eventstore.AppendResult{}, fmt.Errorf("%s: %w: the prefix %q is reserved for the store's ID claims", op, eventstore.ErrInvalidStream, s.cfg.ClaimStreamPrefix)
	}
	if err := s.begin(ctx, op); err != nil {
		return eventstore.AppendResult{}, err
	}
	data := make([]esdb.EventData, len(prepared))
	claimed := false
	for attempt := 1; ; attempt++ {
		t, err := s.readTail(ctx, op, stream, len(prepared)+s.cfg.RetryWindow)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if res, done, err := s.checkStored(ctx, op, stream, exp, prepared, t, nil); done {
			return res, err
		}
		if !exp.Allows(t.current) {
			// Before calling it a conflict, look for the IDs beyond the
			// tail: a retry of an append that lies further back, or an ID
			// used elsewhere.
			if res, done, err := s.checkClaims(ctx, op, stream, exp, prepared, t); done {
				return res, err
			}
			return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: exp, Actual: t.current}
		}
		first := t.current + 1
		sealed := eventstore.Seal(stream, first, s.cfg.RecordedAt(), prepared)
		for i := range sealed {
			if data[i], err = toEventData(sealed[i]); err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("%s: %w", op, err)
			}
		}
		if size := appendSize(data); s.cfg.MaxAppendSize > 0 && size > s.cfg.MaxAppendSize {
			return eventstore.AppendResult{}, fmt.Errorf("%s: %w: %d bytes of data, metadata and types, the server takes %d per append (Config.MaxAppendSize)", op, eventstore.ErrEventTooLarge, size, s.cfg.MaxAppendSize)
		}
		if !claimed {
			hints, err := s.claimIDs(ctx, op, stream, first, prepared)
			if err != nil {
				return eventstore.AppendResult{}, err
			}
			if len(hints) > 0 {
				// Some IDs were claimed for this stream before: an earlier
				// try of this append, which may have stored them beyond
				// the tail that was read.
				located, err := s.verifyHints(ctx, op, stream, hints)
				if err != nil {
					return eventstore.AppendResult{}, err
				}
				if res, done, err := s.checkStored(ctx, op, stream, exp, prepared, t, located); done {
					return res, err
				}
			}
			claimed = true
		} else if err := s.updateClaims(ctx, op, stream, first, prepared); err != nil {
			return eventstore.AppendResult{}, err
		}

		rev := toESDBExpectation(exp)
		if exp.IsAny() || exp.IsStreamExists() {
			rev = expectedAt(t.current)
		}
		_, err = run(s, ctx, op, func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
			return c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: rev}, data...)
		})
		if err == nil {
			return s.readBack(ctx, op, sealed)
		}
		if classify(err) != kindWrongExpectedVersion {
			return eventstore.AppendResult{}, err
		}
		if attempt >= s.cfg.AppendAttempts {
			actual := t.current
			if t2, err := s.readTail(ctx, op, stream, 1); err == nil {
				actual = t2.current
			}
			return eventstore.AppendResult{}, fmt.Errorf("%s: gave up after %d attempts while other writers kept moving the stream: %w", op, attempt, &eventstore.ConflictError{Stream: stream, Expected: exp, Actual: actual})
		}
		if exp.IsAny() || exp.IsStreamExists() {
			if err := s.sleep(ctx, backoff(s.cfg.RetryBackoff/4, attempt)); err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("%s: %w", op, err)
			}
		}
	}
}

// tail is the end of a stream as Append read it.
type tail struct {
	current uint64               // the stream's version (0: no events)
	ids     map[uuid.UUID]uint64 // event ID → version, for the events read
	lowest  uint64               // the lowest version read (0: none)
}

// readTail reads the last count events of stream, backwards.
func (s *Store) readTail(ctx context.Context, op, stream string, count int) (tail, error) {
	return run(s, ctx, op, func(ctx context.Context, c *esdb.Client) (tail, error) {
		t := tail{ids: map[uuid.UUID]uint64{}}
		rs, err := c.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, uint64(max(count, 1)))
		if err != nil {
			return t, err
		}
		defer rs.Close()
		for {
			r, err := recv(rs)
			if errors.Is(err, io.EOF) {
				return t, nil
			}
			if err != nil {
				if classify(err) == kindNotFound {
					return t, nil
				}
				return t, err
			}
			rec := r.OriginalEvent()
			v := versionOf(rec.EventNumber)
			if t.current == 0 {
				t.current = v
			}
			if _, dup := t.ids[rec.EventID]; !dup {
				t.ids[rec.EventID] = v
			}
			t.lowest = v
		}
	})
}

// checkStored decides an append some of whose IDs are already in the
// stream (in the tail t, or in located). done is false when none is:
// Append goes on. Otherwise the append is an idempotent retry (the stored
// events are returned) or reuses an ID (a *DuplicateEventError), as
// eventstore.CheckRetry decides.
func (s *Store) checkStored(ctx context.Context, op, stream string, exp eventstore.Expectation, prepared []eventstore.EventData, t tail, located map[uuid.UUID]eventstore.Located) (eventstore.AppendResult, bool, error) {
	locate := func(id uuid.UUID) (eventstore.Located, bool) {
		if v, ok := t.ids[id]; ok {
			return eventstore.Located{Stream: stream, Version: v}, true
		}
		l, ok := located[id]
		return l, ok
	}
	found, minHit := 0, uint64(0)
	for _, ev := range prepared {
		if l, ok := locate(ev.ID); ok {
			found++
			if minHit == 0 || l.Version < minHit {
				minHit = l.Version
			}
		}
	}
	if found == 0 {
		return eventstore.AppendResult{}, false, nil
	}
	if found < len(prepared) && t.lowest > 1 && minHit > 0 && t.lowest+uint64(len(prepared)) > minHit {
		// The batch may begin before the tail that was read: read far
		// enough back to see all of it.
		wider, err := s.readTail(ctx, op, stream, int(t.current-minHit)+1+len(prepared))
		if err != nil {
			return eventstore.AppendResult{}, true, err
		}
		t = wider
	}
	ok, err := eventstore.CheckRetry(stream, exp, prepared, locate)
	if err != nil {
		return eventstore.AppendResult{}, true, fmt.Errorf("%s: %w", op, err)
	}
	if !ok {
		return eventstore.AppendResult{}, true, fmt.Errorf("%s: %w: inconsistent retry check", op, eventstore.ErrDuplicateEvent)
	}
	first, _ := locate(prepared[0].ID)
	res, err := s.readStored(ctx, op, stream, first.Version, prepared)
	return res, true, err
}

// readStored returns the result of an earlier append of prepared, stored
// from version first.
func (s *Store) readStored(ctx context.Context, op, stream string, first uint64, prepared []eventstore.EventData) (eventstore.AppendResult, error) {
	evs, err := s.readStream(ctx, op, stream, first, len(prepared))
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if len(evs) != len(prepared) {
		return eventstore.AppendResult{}, fmt.Errorf("%s: retry: read %d of the %d stored events from version %d", op, len(evs), len(prepared), first)
	}
	for i := range evs {
		if evs[i].ID != prepared[i].ID {
			return eventstore.AppendResult{}, fmt.Errorf("%s: retry: version %d holds event %s, not %s", op, evs[i].Version, evs[i].ID, prepared[i].ID)
		}
	}
	last := evs[len(evs)-1]
	return eventstore.AppendResult{Version: last.Version, Position: last.Position, Events: evs}, nil
}

// readBack reads just-appended events back: the server's answer to an
// append gives one position for the whole append, while every event has
// its own. It also returns the events as stored, which differ from sealed
// only if a concurrent retry of the same append won the race (the server
// treats the loser as an idempotent success). A node that has not caught
// up yet (a follower) gets a few tries.
func (s *Store) readBack(ctx context.Context, op string, sealed []eventstore.Event) (eventstore.AppendResult, error) {
	first := sealed[0]
	var evs []eventstore.Event
	var err error
	for try := 1; ; try++ {
		evs, err = s.readStream(ctx, op, first.Stream, first.Version, len(sealed))
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("%s: stored, but reading it back failed: %w", op, err)
		}
		if len(evs) == len(sealed) || try == 5 {
			break
		}
		if err := s.sleep(ctx, time.Duration(try)*20*time.Millisecond); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("%s: stored, but reading it back failed: %w", op, err)
		}
	}
	if len(evs) != len(sealed) {
		return eventstore.AppendResult{}, fmt.Errorf("%s: stored, but only %d of %d events read back from version %d", op, len(evs), len(sealed), first.Version)
	}
	for i := range evs {
		if evs[i].ID != sealed[i].ID || evs[i].Version != sealed[i].Version {
			return eventstore.AppendResult{}, fmt.Errorf("%s: version %d holds event %s after appending %s there (was the stream deleted or truncated?)", op, evs[i].Version, evs[i].ID, sealed[i].ID)
		}
	}
	last := evs[len(evs)-1]
	return eventstore.AppendResult{Version: last.Version, Position: last.Position, Events: evs}, nil
}

// claimIDs makes the append's event IDs unique across streams. KurrentDB
// checks event IDs only at the place an append expects, so the store keeps
// one claim stream per event ID (ClaimStreamPrefix + ID). Its first event,
// appended expecting NoStream, names the stream that owns the ID: exactly
// one of two appends racing to use an ID in different streams can create
// it. The other learns the owner and fails with a *DuplicateEventError.
//
// Claims are written before the events and never removed, so an ID stays
// bound to the stream of the first append that tried it, even if that
// append then failed; retrying it into the same stream is always fine.
//
// claimIDs returns the version hints of IDs already claimed for this
// stream (by an earlier try of this append).
func (s *Store) claimIDs(ctx context.Context, op, stream string, first uint64, prepared []eventstore.EventData) (map[uuid.UUID]uint64, error) {
	type result struct {
		existing *claim
		err      error
	}
	results := make([]result, len(prepared))
	sem := make(chan struct{}, s.cfg.ClaimConcurrency)
	var wg sync.WaitGroup
	for i, ev := range prepared {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i].existing, results[i].err = s.claimID(ctx, op, claim{ID: ev.ID, Stream: stream, Version: first + uint64(i)})
		}()
	}
	wg.Wait()
	hints := map[uuid.UUID]uint64{}
	for i, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		if r.existing == nil {
			continue
		}
		if r.existing.Stream == stream {
			hints[prepared[i].ID] = r.existing.Version
			continue
		}
		return nil, s.duplicateOf(ctx, op, prepared[i].ID, *r.existing)
	}
	return hints, nil
}

// duplicateOf reports an ID owned by another stream. It says where the
// event is if the claim's version hint is right; the event may also not be
// stored at all (its append failed), which the store cannot tell apart
// from an append still in flight.
func (s *Store) duplicateOf(ctx context.Context, op string, id uuid.UUID, owner claim) error {
	dup := &eventstore.DuplicateEventError{ID: id, Stream: owner.Stream}
	if v := owner.Version; v > 0 {
		if ids, err := s.readIDs(ctx, op, owner.Stream, v, 1); err == nil && len(ids) == 1 && ids[0] == id {
			dup.Version = v
		}
	}
	return fmt.Errorf("%s: %w", op, dup)
}

// checkClaims reads the claims of the append's IDs without writing any:
// an ID owned by another stream is a *DuplicateEventError; IDs claimed
// for this stream are looked for where their claims point, and handed to
// checkStored with the tail t.
func (s *Store) checkClaims(ctx context.Context, op, stream string, exp eventstore.Expectation, prepared []eventstore.EventData, t tail) (eventstore.AppendResult, bool, error) {
	claims := make([]*claim, len(prepared))
	errs := make([]error, len(prepared))
	sem := make(chan struct{}, s.cfg.ClaimConcurrency)
	var wg sync.WaitGroup
	for i, ev := range prepared {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cl, found, err := s.readClaim(ctx, op, s.claimStream(ev.ID))
			if found {
				claims[i] = &cl
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return eventstore.AppendResult{}, true, err
	}
	hints := map[uuid.UUID]uint64{}
	for i, cl := range claims {
		if cl == nil {
			continue
		}
		if cl.Stream != stream {
			return eventstore.AppendResult{}, true, s.duplicateOf(ctx, op, prepared[i].ID, *cl)
		}
		hints[prepared[i].ID] = cl.Version
	}
	if len(hints) == 0 {
		return eventstore.AppendResult{}, false, nil
	}
	located, err := s.verifyHints(ctx, op, stream, hints)
	if err != nil {
		return eventstore.AppendResult{}, true, err
	}
	return s.checkStored(ctx, op, stream, exp, prepared, t, located)
}

// claimID creates the claim stream of one ID, or returns the claim already
// there.
func (s *Store) claimID(ctx context.Context, op string, cl claim) (*claim, error) {
	ed, err := claimEventData(cl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	name := s.claimStream(cl.ID)
	_, err = run(s, ctx, op+": claim event ID "+cl.ID.String(), func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, name, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, ed)
	})
	if err == nil {
		return nil, nil
	}
	if classify(err) != kindWrongExpectedVersion {
		return nil, err
	}
	existing, found, err := s.readClaim(ctx, op, name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: claim %q: the server refused to create it, yet it is empty", op, name)
	}
	return &existing, nil
}

// readClaim reads the latest claim event of a claim stream; found is
// false if there is none. Every claim event in one claim stream names the
// same owner; later ones only move the version hint.
func (s *Store) readClaim(ctx context.Context, op, name string) (cl claim, found bool, err error) {
	op = fmt.Sprintf("%s: read claim %q", op, name)
	r, err := run(s, ctx, op, func(ctx context.Context, c *esdb.Client) (*claim, error) {
		rs, err := c.ReadStream(ctx, name, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		r, err := recv(rs)
		if err != nil {
			if errors.Is(err, io.EOF) || classify(err) == kindNotFound {
				return nil, nil
			}
			return nil, err
		}
		cl, err := decodeClaim(r.OriginalEvent())
		return &cl, err
	})
	if err != nil || r == nil {
		return claim{}, false, err
	}
	return *r, true, nil
}

// updateClaims moves the version hints of this append's claims (all owned
// by stream) to where the next round will write, so that a later retry
// finds the events even beyond the tail it reads.
func (s *Store) updateClaims(ctx context.Context, op, stream string, first uint64, prepared []eventstore.EventData) error {
	sem := make(chan struct{}, s.cfg.ClaimConcurrency)
	errs := make([]error, len(prepared))
	var wg sync.WaitGroup
	for i, ev := range prepared {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ed, err := claimEventData(claim{ID: ev.ID, Stream: stream, Version: first + uint64(i)})
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", op, err)
				return
			}
			_, errs[i] = run(s, ctx, op+": update claim of "+ev.ID.String(), func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
				return c.AppendToStream(ctx, s.claimStream(ev.ID), esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, ed)
			})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// verifyHints checks where the version hints of earlier claims point and
// returns the IDs found there.
func (s *Store) verifyHints(ctx context.Context, op, stream string, hints map[uuid.UUID]uint64) (map[uuid.UUID]eventstore.Located, error) {
	lo, hi := uint64(0), uint64(0)
	for _, v := range hints {
		if v == 0 {
			continue
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	located := map[uuid.UUID]eventstore.Located{}
	if lo == 0 {
		return located, nil
	}
	if hi-lo >= uint64(4*len(hints)+s.cfg.RetryWindow) {
		// Hints from different rounds far apart: look at each on its own.
		for id, v := range hints {
			if v == 0 {
				continue
			}
			ids, err := s.readIDs(ctx, op, stream, v, 1)
			if err != nil {
				return nil, err
			}
			if len(ids) == 1 && ids[0] == id {
				located[id] = eventstore.Located{Stream: stream, Version: v}
			}
		}
		return located, nil
	}
	ids, err := s.readIDs(ctx, op, stream, lo, int(hi-lo)+1)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if v, ok := hints[id]; ok && v == lo+uint64(i) {
			located[id] = eventstore.Located{Stream: stream, Version: v}
		}
	}
	return located, nil
}

// readIDs returns the IDs of up to count events of stream from a version,
// in order, without decoding the events.
func (s *Store) readIDs(ctx context.Context, op, stream string, from uint64, count int) ([]uuid.UUID, error) {
	return run(s, ctx, op, func(ctx context.Context, c *esdb.Client) ([]uuid.UUID, error) {
		rs, err := c.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(revisionOf(from))}, uint64(count))
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var ids []uuid.UUID
		for {
			r, err := recv(rs)
			if errors.Is(err, io.EOF) {
				return ids, nil
			}
			if err != nil {
				if classify(err) == kindNotFound {
					return ids, nil
				}
				return nil, err
			}
			ids = append(ids, r.OriginalEvent().EventID)
		}
	})
}
