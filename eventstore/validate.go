package eventstore

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Limits on names, shared by every backend.
const (
	// MaxStreamLen is the longest stream name, in bytes.
	MaxStreamLen = 256
	// MaxTypeLen is the longest event type name, in bytes.
	MaxTypeLen = 128
)

// Config holds the settings every backend shares. The zero value is usable:
// WithDefaults fills what is unset.
type Config struct {
	// MaxEventSize bounds one event's data plus metadata, in bytes.
	// Default 1 MiB.
	MaxEventSize int
	// MaxAppendEvents bounds the events of one append. Default 10,000.
	MaxAppendEvents int
	// Logger receives the store's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the store's clock for recorded-at times. Default time.Now.
	Now func() time.Time
	// Guards are the store's guarded streams: every append to a stream
	// named here must pass its guard (see Guard), in every backend, or it
	// is refused with ErrStreamGuarded and nothing is stored. Streams not
	// named are not guarded.
	Guards map[string]Guard
}

// Guard decides whether an append to a guarded stream may go ahead. It is
// given the stream and the append's events after the shared checks of
// Prepare, in canonical form (Data is RFC 8785 JSON), and returns nil to
// let them all through or an error saying why not (it must not modify
// them): the whole append is
// then refused and nothing is stored. A retry of an append that was stored
// passes the guard again before the store finds it stored.
//
// A guard runs on the caller's goroutine before the store writes
// anything, on every append to its stream, from many goroutines at once:
// it must be safe for concurrent use, quick, and do no I/O. It guards the
// store's Append only: a writer with direct access to the storage (SQL, a
// copy of the file) is not stopped by it; verification catches what such a
// writer does.
type Guard func(stream string, events []EventData) error

// Refuse returns a guard that refuses every append, saying why: for a
// stream that only some processes may write (they open the store with
// another guard) and the others must not.
func Refuse(reason string) Guard {
	return func(stream string, _ []EventData) error {
		return fmt.Errorf("%w: %s", ErrStreamGuarded, reason)
	}
}

// WithDefaults returns c with unset fields filled in.
func (c Config) WithDefaults() Config {
	if c.MaxEventSize == 0 {
		c.MaxEventSize = 1 << 20
	}
	if c.MaxAppendEvents == 0 {
		c.MaxAppendEvents = 10_000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if c.MaxEventSize < 0 || c.MaxAppendEvents < 0 {
		return fmt.Errorf("eventstore config: limits must not be negative (max event size %d, max append events %d)", c.MaxEventSize, c.MaxAppendEvents)
	}
	for stream, g := range c.Guards {
		if err := ValidateStream(stream); err != nil {
			return fmt.Errorf("eventstore config: guarded stream: %w", err)
		}
		if g == nil {
			return fmt.Errorf("eventstore config: guarded stream %q has no guard", stream)
		}
	}
	return nil
}

// ValidateStream checks a stream name: not empty, at most MaxStreamLen
// bytes, valid UTF-8, no control or invisible formatting character, and not
// starting with '$' (reserved for the stores' own streams).
func ValidateStream(stream string) error {
	switch {
	case stream == "":
		return fmt.Errorf("%w: empty", ErrInvalidStream)
	case len(stream) > MaxStreamLen:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidStream, len(stream), MaxStreamLen)
	case !validUTF8(stream):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidStream, stream)
	case strings.HasPrefix(stream, "$"):
		return fmt.Errorf("%w: %q: names starting with '$' are reserved", ErrInvalidStream, stream)
	}
	for i, r := range stream {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: %q has control character %U at byte %d", ErrInvalidStream, stream, r, i)
		}
	}
	return nil
}

func validType(t string) error {
	if t == "" || len(t) > MaxTypeLen {
		return fmt.Errorf("%w: type %q must be 1 to %d bytes", ErrInvalidEvent, t, MaxTypeLen)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%w: type %q: only letters, digits, '.', '_' and '-' are allowed", ErrInvalidEvent, t)
		}
	}
	return nil
}

// Prepare validates an append and returns its events in canonical form
// (data canonicalised, times truncated to the microsecond in UTC). Every
// backend calls it before storing anything, so that bad input stores
// nothing and gets the same error everywhere. Last, an append to a guarded
// stream must pass its guard (Config.Guards): a refusal wraps both
// ErrStreamGuarded and the guard's reason.
func (c Config) Prepare(stream string, events []EventData) ([]EventData, error) {
	return c.prepare(stream, events, false)
}

// PrepareShared is Prepare for a backend that is done with the events when
// its Append returns (the embedded store, which waits for its writer's
// answer even when the caller's context ends): the result is events itself
// when Prepare would change none of them (the command side's canonical
// signatures, occurred-at already in UTC to the microsecond), else a copy
// as Prepare returns. events is never modified. (Decision 0053.)
func (c Config) PrepareShared(stream string, events []EventData) ([]EventData, error) {
	return c.prepare(stream, events, true)
}

// prepare is Prepare; shared says the result may be events itself.
func (c Config) prepare(stream string, events []EventData, shared bool) ([]EventData, error) {
	if err := ValidateStream(stream); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("append to %q: %w: no events", stream, ErrInvalidEvent)
	}
	if c.MaxAppendEvents > 0 && len(events) > c.MaxAppendEvents {
		return nil, fmt.Errorf("append to %q: %w: %d events, limit %d", stream, ErrInvalidEvent, len(events), c.MaxAppendEvents)
	}
	out := events
	if !shared {
		out = make([]EventData, len(events))
	}
	copied := !shared
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, ev := range events {
		if ev.ID == uuid.Nil {
			return nil, fmt.Errorf("append to %q: event %d: %w: no ID", stream, i, ErrInvalidEvent)
		}
		if _, dup := seen[ev.ID]; dup {
			return nil, fmt.Errorf("append to %q: event %d: %w: ID %s twice in one append", stream, i, ErrInvalidEvent, ev.ID)
		}
		seen[ev.ID] = struct{}{}
		if err := validType(ev.Type); err != nil {
			return nil, fmt.Errorf("append to %q: event %d: %w", stream, i, err)
		}
		if ev.SchemaVersion < 1 {
			return nil, fmt.Errorf("append to %q: event %d (%s): %w: schema version %d, want 1 or more", stream, i, ev.Type, ErrInvalidEvent, ev.SchemaVersion)
		}
		md := ev.Metadata
		if !validUTF8(md.ActorID, md.ActorRole, md.CommandID, md.CorrelationID, md.CausationID) {
			return nil, fmt.Errorf("append to %q: event %d (%s): %w: metadata is not valid UTF-8", stream, i, ev.Type, ErrInvalidEvent)
		}
		size := len(ev.Data) + len(md.ActorID) + len(md.ActorRole) + len(md.CommandID) + len(md.CorrelationID) + len(md.CausationID)
		if c.MaxEventSize > 0 && size > c.MaxEventSize {
			return nil, fmt.Errorf("append to %q: event %d (%s): %w: %d bytes, limit %d", stream, i, ev.Type, ErrEventTooLarge, size, c.MaxEventSize)
		}
		data := ev.Data
		if !ev.Canonical {
			var err error
			if data, err = CanonicalJSON(ev.Data); err != nil {
				return nil, fmt.Errorf("append to %q: event %d (%s): %w: data: %v", stream, i, ev.Type, ErrInvalidEvent, err)
			}
		}
		if len(data) == 0 || data[0] != '{' {
			return nil, fmt.Errorf("append to %q: event %d (%s): %w: data must be a JSON object", stream, i, ev.Type, ErrInvalidEvent)
		}
		changed := !ev.Canonical
		ev.Data = data
		if !md.OccurredAt.IsZero() {
			occ := md.OccurredAt.UTC().Truncate(time.Microsecond)
			if occ.UnixMicro() == 0 {
				// time.Unix(0, 0) is an unset time in disguise; the
				// embedded format also keeps 0 for "none".
				return nil, fmt.Errorf("append to %q: event %d (%s): %w: occurred-at is the Unix epoch 1970-01-01T00:00:00Z (an unset time?)", stream, i, ev.Type, ErrInvalidEvent)
			}
			changed = changed || occ != md.OccurredAt
			ev.Metadata.OccurredAt = occ
		}
		if changed && !copied {
			out, copied = slices.Clone(events), true
		}
		if copied {
			out[i] = ev
		}
	}
	if g := c.Guards[stream]; g != nil {
		if err := g(stream, out); err != nil {
			if errors.Is(err, ErrStreamGuarded) {
				return nil, fmt.Errorf("append to %q: %w", stream, err)
			}
			return nil, fmt.Errorf("append to %q: %w: %w", stream, ErrStreamGuarded, err)
		}
	}
	return out, nil
}

// RecordedAt returns the store clock's time, in UTC, truncated to the
// microsecond (what every backend can store exactly).
func (c Config) RecordedAt() time.Time {
	return c.Now().UTC().Truncate(time.Microsecond)
}

// Seal turns prepared events into stored ones: versions from firstVersion,
// the given recorded-at time and their content hashes. Positions are left
// for the backend to fill in.
func Seal(stream string, firstVersion uint64, recordedAt time.Time, events []EventData) []Event {
	out := make([]Event, len(events))
	for i, ev := range events {
		e := Event{
			ID:            ev.ID,
			Stream:        stream,
			Version:       firstVersion + uint64(i),
			Type:          ev.Type,
			SchemaVersion: ev.SchemaVersion,
			Data:          ev.Data,
			Metadata:      ev.Metadata,
			RecordedAt:    recordedAt,
		}
		e.Hash = ContentHash(e)
		out[i] = e
	}
	return out
}

// Located says where an event ID is stored, for the idempotency check.
type Located struct {
	Stream  string
	Version uint64
}

// CheckRetry decides what an append whose first event ID is already stored
// means. locate finds where each of the append's IDs is stored (ok false if
// it is not). If every event of the append is stored, in order, in stream,
// directly one after another, and exp allows the version before the first
// of them, the append is an idempotent retry: CheckRetry returns true and
// the caller returns the stored events. Otherwise it returns a
// *DuplicateEventError. It is called only when at least one ID is stored.
func CheckRetry(stream string, exp Expectation, events []EventData, locate func(uuid.UUID) (Located, bool)) (bool, error) {
	first, ok := locate(events[0].ID)
	for i, ev := range events {
		loc, found := locate(ev.ID)
		if !found || !ok || loc.Stream != stream || loc.Version != first.Version+uint64(i) {
			if found {
				return false, &DuplicateEventError{ID: ev.ID, Stream: loc.Stream, Version: loc.Version}
			}
			// ID i is new but an earlier one is stored: report the first stored.
			for _, prev := range events {
				if l, f := locate(prev.ID); f {
					return false, &DuplicateEventError{ID: prev.ID, Stream: l.Stream, Version: l.Version}
				}
			}
			return false, fmt.Errorf("%w: inconsistent lookup", ErrDuplicateEvent)
		}
	}
	if !exp.Allows(first.Version - 1) {
		return false, &DuplicateEventError{ID: events[0].ID, Stream: first.Stream, Version: first.Version}
	}
	return true, nil
}
