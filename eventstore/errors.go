package eventstore

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Sentinel errors that callers branch on with errors.Is. Each has a stable
// code (see Code) for APIs and logs.
var (
	// ErrConflict: the stream did not satisfy the append's expectation. The
	// error is a *ConflictError carrying the actual version.
	ErrConflict = errors.New("wrong expected version")
	// ErrInvalidStream: the stream name is empty, too long, not UTF-8 or
	// holds a control character.
	ErrInvalidStream = errors.New("invalid stream name")
	// ErrInvalidEvent: an event lacks an ID or type, its data is not a JSON
	// object, or the append holds no events.
	ErrInvalidEvent = errors.New("invalid event")
	// ErrEventTooLarge: an event's data and metadata exceed the configured
	// size limit.
	ErrEventTooLarge = errors.New("event too large")
	// ErrDuplicateEvent: an event ID is already stored somewhere other than
	// the place this append would put it.
	ErrDuplicateEvent = errors.New("event id already stored elsewhere")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("event store closed")
	// ErrHashMismatch: a stored event's content hash does not match its
	// content.
	ErrHashMismatch = errors.New("content hash mismatch")
	// ErrUnknownScheme: Open was given a URL no registered backend serves.
	ErrUnknownScheme = errors.New("unknown event store URL scheme")
	// ErrUnavailable: the backend could not be reached.
	ErrUnavailable = errors.New("event store unavailable")
	// ErrStreamGuarded: the guard of a guarded stream (Config.Guards)
	// refused the append; nothing was stored. The error also wraps the
	// guard's own reason.
	ErrStreamGuarded = errors.New("append refused by the stream's guard")
)

// Code returns the stable machine-readable code of err's eventstore sentinel,
// or "" if it has none.
func Code(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{ErrConflict, "wrong_expected_version"},
		{ErrInvalidStream, "invalid_stream"},
		{ErrInvalidEvent, "invalid_event"},
		{ErrEventTooLarge, "event_too_large"},
		{ErrDuplicateEvent, "duplicate_event_id"},
		{ErrClosed, "store_closed"},
		{ErrHashMismatch, "hash_mismatch"},
		{ErrUnknownScheme, "unknown_store_scheme"},
		{ErrUnavailable, "store_unavailable"},
		{ErrStreamGuarded, "stream_guarded"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// ConflictError reports a failed expectation with the stream's actual
// version. errors.Is(err, ErrConflict) holds for it.
type ConflictError struct {
	Stream   string
	Expected Expectation
	// Actual is the stream's version when the append was refused (0: no
	// events).
	Actual uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("append to %q: %v: expected %s, stream is at version %d", e.Stream, ErrConflict, e.Expected, e.Actual)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// DuplicateEventError reports an event ID that is already stored at another
// place. errors.Is(err, ErrDuplicateEvent) holds for it.
type DuplicateEventError struct {
	ID uuid.UUID
	// Stream and Version say where the ID is stored.
	Stream  string
	Version uint64
}

func (e *DuplicateEventError) Error() string {
	return fmt.Sprintf("event %s: %v (%q version %d)", e.ID, ErrDuplicateEvent, e.Stream, e.Version)
}

// Unwrap makes errors.Is(err, ErrDuplicateEvent) true.
func (e *DuplicateEventError) Unwrap() error { return ErrDuplicateEvent }
