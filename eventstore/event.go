package eventstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Metadata says who caused an event and in answer to what. It is part of the
// content hash.
type Metadata struct {
	// ActorID is the pseudonymous ID of whoever issued the command.
	ActorID string `json:"actorId,omitempty"`
	// ActorRole is that actor's role (citizen, po, pdis, ...).
	ActorRole string `json:"actorRole,omitempty"`
	// CommandID identifies the command that produced the event.
	CommandID string `json:"commandId,omitempty"`
	// CorrelationID ties together everything one request set off.
	CorrelationID string `json:"correlationId,omitempty"`
	// CausationID is the ID of the command or event that caused this one.
	CausationID string `json:"causationId,omitempty"`
	// OccurredAt is when the recorded thing happened, if that differs from
	// when the ledger recorded it (an imported 2019 meeting). Zero means it
	// happened when it was recorded.
	OccurredAt time.Time `json:"occurredAt,omitzero"`
}

// EventData is an event to append: what happened, not yet where it is stored.
type EventData struct {
	// ID identifies the event for ever. Retrying an append with the same IDs
	// is idempotent. Use NewEventData, or uuid.NewV7, to fill it.
	ID uuid.UUID
	// Type names the event, as "proposal.signed".
	Type string
	// SchemaVersion is the version of Data's shape for this Type, from 1.
	SchemaVersion int
	// Data is the event's body: a JSON object. The store keeps it in RFC 8785
	// canonical form.
	Data json.RawMessage
	// Metadata says who caused the event.
	Metadata Metadata
	// Canonical says Data is already in RFC 8785 canonical form, written by
	// an encoder tested to give exactly CanonicalJSON's bytes (the domain's
	// EncodeCanonical): the store then checks only that it is an object
	// instead of canonicalising it again. Leave it false for anything else.
	Canonical bool
}

// NewEventData makes an EventData with a fresh UUIDv7 ID, marshalling data to
// JSON.
func NewEventData(eventType string, schemaVersion int, data any, md Metadata) (EventData, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return EventData{}, fmt.Errorf("marshal %s: %w", eventType, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return EventData{}, fmt.Errorf("new event id: %w", err)
	}
	return EventData{ID: id, Type: eventType, SchemaVersion: schemaVersion, Data: raw, Metadata: md}, nil
}

// Event is a stored event: the full envelope.
type Event struct {
	// ID is the event's UUID.
	ID uuid.UUID
	// Stream is the stream the event belongs to.
	Stream string
	// Version is the event's version in its stream, from 1.
	Version uint64
	// Position is the event's place in the global log. It is not part of the
	// content hash.
	Position Position
	// Type names the event.
	Type string
	// SchemaVersion is the version of Data's shape.
	SchemaVersion int
	// Data is the event's body in RFC 8785 canonical JSON.
	Data json.RawMessage
	// Metadata says who caused the event.
	Metadata Metadata
	// RecordedAt is when the store recorded the event, UTC, to the
	// microsecond.
	RecordedAt time.Time
	// Hash is the SHA-256 content hash of the envelope without its position;
	// see ContentHash.
	Hash Hash
}

// OccurredAt is when the recorded thing happened: Metadata.OccurredAt if set,
// else RecordedAt.
func (e Event) OccurredAt() time.Time {
	if !e.Metadata.OccurredAt.IsZero() {
		return e.Metadata.OccurredAt
	}
	return e.RecordedAt
}

// Verify recomputes the event's content hash and reports whether it matches
// the stored one.
func (e Event) Verify() error {
	got := ContentHash(e)
	if got != e.Hash {
		return fmt.Errorf("event %s at %s/%d: %w: stored %s, computed %s", e.ID, e.Stream, e.Version, ErrHashMismatch, e.Hash, got)
	}
	return nil
}
