package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// IntegrationEvent is a fact a projection announces to other systems: a
// proposal passing 1,000 signatures, a response deadline near or missed. It
// is published as a watermill message after the batch that emitted it is
// committed.
type IntegrationEvent struct {
	// ID is the message UUID, derived from the projection, the source
	// event's ID, Name and Key: the same announcement always has the same ID,
	// so consumers (and JetStream's duplicate window) can drop repeats.
	ID         string
	Projection string
	// Name says what happened, as "proposal.milestone_reached".
	Name string
	// Key says of what, as "proposal-42/5000".
	Key string
	// Payload is the announcement's JSON body.
	Payload json.RawMessage
	// SourceEventID and SourcePosition name the log event that caused it.
	SourceEventID  uuid.UUID
	SourcePosition eventstore.Position
	// OccurredAt is the source event's OccurredAt.
	OccurredAt time.Time
}

// integrationNamespace roots the name-based (SHA-1, version 5) UUIDs of
// integration events.
var integrationNamespace = uuid.MustParse("6f1c9c2e-5b0e-4d4b-9d57-6c6564676572")

// IntegrationEventID returns the deterministic message UUID of the
// announcement (name, key) that projection makes for the log event with ID
// source.
func IntegrationEventID(projection string, source uuid.UUID, name, key string) string {
	b := make([]byte, 0, len(projection)+len(name)+len(key)+40)
	b = append(b, projection...)
	b = append(b, 0)
	b = append(b, source.String()...)
	b = append(b, 0)
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, key...)
	return uuid.NewSHA1(integrationNamespace, b).String()
}

func newIntegrationEvent(projection string, ev *eventstore.Event, name, key string, payload any) (IntegrationEvent, error) {
	if name == "" {
		return IntegrationEvent{}, fmt.Errorf("emit: integration event needs a name")
	}
	var raw []byte
	switch p := payload.(type) {
	case json.RawMessage:
		raw = p
	case nil:
		raw = []byte("{}")
	default:
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			return IntegrationEvent{}, fmt.Errorf("emit %s %s: encode payload: %w", name, key, err)
		}
	}
	return IntegrationEvent{
		ID:             IntegrationEventID(projection, ev.ID, name, key),
		Projection:     projection,
		Name:           name,
		Key:            key,
		Payload:        raw,
		SourceEventID:  ev.ID,
		SourcePosition: ev.Position,
		OccurredAt:     ev.OccurredAt(),
	}, nil
}

// emitter is implemented by the Tx of a Runner's batch.
type emitter interface {
	emitEvent(name, key string, payload any) error
}

// Emit announces, from a projection's Apply, that something other systems
// care about happened: name says what, key of what, payload the details
// (encoded as JSON). The announcement is published to the Runner's
// integration topic once the batch is committed, never for a batch that is
// rolled back, and never again for the same log event when the projection
// is rebuilt or restarted (see Backend.InitMark). Through a Tx that does not
// publish, such as an as-of fold's, Emit does nothing.
func Emit(ctx context.Context, tx Tx, name, key string, payload any) error {
	if e, ok := tx.(emitter); ok {
		return e.emitEvent(name, key, payload)
	}
	return nil
}

// Metadata keys of integration event messages.
const (
	MetaName           = "name"
	MetaKey            = "key"
	MetaProjection     = "projection"
	MetaSourceEventID  = "source_event_id"
	MetaSourcePosition = "source_position"
	MetaOccurredAt     = "occurred_at"
)

// Message turns the integration event into a watermill message: its UUID is
// ID, its payload the JSON payload, its metadata the name, key, projection,
// source event and time.
func (e IntegrationEvent) Message() *message.Message {
	m := message.NewMessage(e.ID, message.Payload(e.Payload))
	m.Metadata.Set(MetaName, e.Name)
	m.Metadata.Set(MetaKey, e.Key)
	m.Metadata.Set(MetaProjection, e.Projection)
	m.Metadata.Set(MetaSourceEventID, e.SourceEventID.String())
	m.Metadata.Set(MetaSourcePosition, strconv.FormatUint(uint64(e.SourcePosition), 10))
	if !e.OccurredAt.IsZero() {
		m.Metadata.Set(MetaOccurredAt, eventstore.FormatTime(e.OccurredAt))
	}
	return m
}
