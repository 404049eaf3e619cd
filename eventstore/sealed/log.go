package sealed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// Log is an eventstore.Store that seals on the way in and opens on the way
// out: Append commits each event's private fields (private(eventType), e.g.
// domain.PrivateFields) and keeps their secrets before the append, so an
// acknowledged event never lacks them; reads put the values back where
// they are still kept. What the inner store holds, exports and hashes is
// the sealed form: the transparency log, the exports and verify read Inner,
// never the opened events (whose data no longer matches their hash).
type Log struct {
	closed  atomic.Bool
	inner   eventstore.Store
	secrets Secrets
	policy  Policy
}

var _ eventstore.Store = (*Log)(nil)

// Policy says what a Log seals.
type Policy struct {
	// Fields returns the paths of an event type's personal and
	// confidential fields (domain.PrivateFields).
	Fields func(eventType string) []string
	// Actor reports whether the actor of a role acts under a pseudonym
	// (domain.IsPseudonymousRole): its actor ID in the envelope metadata
	// is sealed too (secret path ActorPath), so that the public log does
	// not link one person's events. Nil seals no actor.
	Actor func(role string) bool
}

// ActorPath is the path of the secret of a sealed actor ID: the
// metadata's actorId, which holds the commitment in the stored envelope.
const ActorPath = "$metadata.actorId"

// NewLog wraps inner.
func NewLog(inner eventstore.Store, secrets Secrets, policy Policy) *Log {
	if policy.Actor == nil {
		policy.Actor = func(string) bool { return false }
	}
	return &Log{inner: inner, secrets: secrets, policy: policy}
}

// sealsActor reports whether ev's actor ID is to be sealed.
func (l *Log) sealsActor(md eventstore.Metadata) bool {
	return md.ActorID != "" && l.policy.Actor(md.ActorRole)
}

// Inner returns the store the sealed events are in.
func (l *Log) Inner() eventstore.Store { return l.inner }

// Secrets returns the store of the secrets.
func (l *Log) Secrets() Secrets { return l.secrets }

// Append implements eventstore.Store.
func (l *Log) Append(ctx context.Context, stream string, exp eventstore.Expectation, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if l.closed.Load() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	var ids []uuid.UUID
	for _, ev := range events {
		if len(l.policy.Fields(ev.Type)) > 0 || l.sealsActor(ev.Metadata) {
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) == 0 {
		return l.inner.Append(ctx, stream, exp, events...)
	}
	kept, err := l.secrets.Get(ctx, ids...)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("seal: %w", err)
	}
	sealedEvents := slices.Clone(events)
	put := make(map[uuid.UUID][]Secret, len(ids))
	for i, ev := range sealedEvents {
		saltFor := func(path string) ([]byte, error) {
			for _, k := range kept[ev.ID] { // a retry seals with the salts of the first try
				if k.Path == path {
					return k.Salt, nil
				}
			}
			return randomSalt(path)
		}
		if l.sealsActor(ev.Metadata) {
			value, err := canonical(ev.Metadata.ActorID)
			if err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("%w: seal %s actor: %v", eventstore.ErrInvalidEvent, ev.ID, err)
			}
			salt, err := saltFor(ActorPath)
			if err != nil {
				return eventstore.AppendResult{}, err
			}
			put[ev.ID] = append(put[ev.ID], Secret{Path: ActorPath, Salt: salt, Value: value})
			sealedEvents[i].Metadata.ActorID = Commitment(salt, value)
		}
		paths := l.policy.Fields(ev.Type)
		if len(paths) == 0 {
			continue
		}
		data, secrets, err := SealWith(ev.Data, paths, saltFor)
		if errors.Is(err, ErrMalformed) {
			return eventstore.AppendResult{}, fmt.Errorf("%w: seal %s %s: %v", eventstore.ErrInvalidEvent, ev.Type, ev.ID, err)
		}
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("seal %s %s: %w", ev.Type, ev.ID, err)
		}
		if len(secrets) > 0 {
			put[ev.ID] = append(put[ev.ID], secrets...)
		}
		sealedEvents[i].Data = data
	}
	// The secrets are durable before the events: an acknowledged event
	// never lacks them (secrets of an append that then failed open
	// nothing, and a retry reuses them).
	if err := l.secrets.Put(ctx, put); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("seal: %w", err)
	}
	res, err := l.inner.Append(ctx, stream, exp, sealedEvents...)
	if err != nil {
		return res, err
	}
	res.Events, err = l.openAll(ctx, res.Events, nil)
	return res, err
}

// openAll puts back the kept values of the sealed events of evs, reading
// their secrets at once.
func (l *Log) openAll(ctx context.Context, evs []eventstore.Event, err error) ([]eventstore.Event, error) {
	if err != nil {
		return evs, err
	}
	if l.closed.Load() {
		return nil, eventstore.ErrClosed
	}
	var ids []uuid.UUID
	for i := range evs {
		if isSealedEvent(&evs[i]) {
			ids = append(ids, evs[i].ID)
		}
	}
	if len(ids) == 0 {
		return evs, nil
	}
	secrets, err := l.secrets.Get(ctx, ids...)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	for i := range evs {
		ev := &evs[i]
		if !isSealedEvent(ev) {
			continue
		}
		if err := OpenEvent(ev, secrets[ev.ID]); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// ReadStream implements eventstore.Store.
func (l *Log) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	evs, err := l.inner.ReadStream(ctx, stream, from, limit)
	return l.openAll(ctx, evs, err)
}

// ReadAll implements eventstore.Store.
func (l *Log) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	evs, err := l.inner.ReadAll(ctx, after, limit)
	return l.openAll(ctx, evs, err)
}

// Subscribe implements eventstore.Store.
func (l *Log) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for ev, err := range l.inner.Subscribe(ctx, after) {
			if err == nil && isSealedEvent(&ev) {
				var one []eventstore.Event
				if one, err = l.openAll(ctx, []eventstore.Event{ev}, nil); err == nil {
					ev = one[0]
				}
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// Head implements eventstore.Store.
func (l *Log) Head(ctx context.Context) (eventstore.Position, error) { return l.inner.Head(ctx) }

// Close closes the inner store, and the secrets store if it has a Close.
func (l *Log) Close() error {
	if l.closed.Swap(true) {
		return l.inner.Close()
	}
	err := l.inner.Close()
	if c, ok := l.secrets.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// isSealedEvent reports whether ev's data or actor holds commitments.
func isSealedEvent(ev *eventstore.Event) bool {
	return IsSealed(ev.Data) || strings.HasPrefix(ev.Metadata.ActorID, Prefix)
}

// OpenEvent puts back, in place, the values of a stored event's sealed
// data and actor that secrets hold (each checked against its commitment);
// what was erased keeps its commitment.
func OpenEvent(ev *eventstore.Event, secrets []Secret) error {
	var dataSecrets []Secret
	for _, s := range secrets {
		if s.Path != ActorPath {
			dataSecrets = append(dataSecrets, s)
			continue
		}
		if err := s.Check(ev.Metadata.ActorID); err != nil {
			return fmt.Errorf("open event %s (%s/%d): %w", ev.ID, ev.Stream, ev.Version, err)
		}
		var actor string
		if err := json.Unmarshal(s.Value, &actor); err != nil {
			return fmt.Errorf("open event %s actor: %w", ev.ID, err)
		}
		ev.Metadata.ActorID = actor
	}
	data, _, err := Open(ev.Data, dataSecrets)
	if err != nil {
		return fmt.Errorf("open event %s (%s/%d): %w", ev.ID, ev.Stream, ev.Version, err)
	}
	ev.Data = data
	return nil
}

// VerifyEvent checks secrets against the commitments of a stored event:
// its data's, and its actor's (ActorPath). It names each field that does
// not match.
func VerifyEvent(ev eventstore.Event, secrets []Secret) error {
	var dataSecrets []Secret
	var errs []error
	for _, s := range secrets {
		if s.Path == ActorPath {
			errs = append(errs, s.Check(ev.Metadata.ActorID))
			continue
		}
		dataSecrets = append(dataSecrets, s)
	}
	errs = append(errs, Verify(ev.Data, dataSecrets))
	return errors.Join(errs...)
}

// FindEvent implements eventstore.Finder when the inner store does: it
// returns the event opened, as the other reads do.
func (l *Log) FindEvent(ctx context.Context, id uuid.UUID) (eventstore.Event, bool, error) {
	f, ok := l.inner.(eventstore.Finder)
	if !ok {
		return eventstore.Event{}, false, fmt.Errorf("find event %s: %w", id, errors.ErrUnsupported)
	}
	ev, found, err := f.FindEvent(ctx, id)
	if err != nil || !found {
		return ev, found, err
	}
	evs, err := l.openAll(ctx, []eventstore.Event{ev}, nil)
	if err != nil {
		return eventstore.Event{}, false, err
	}
	return evs[0], true, nil
}
