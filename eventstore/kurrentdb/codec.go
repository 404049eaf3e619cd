package kurrentdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// metadataFormat marks the metadata JSON of every event this package
// writes; an event of a non-system stream without it is foreign.
const metadataFormat = "collab-ledger/1"

// claimEventType is the type of the events in claim streams. It starts
// with '$' so that subscriptions' server-side filter drops them.
const claimEventType = "$ledger-id-claimed"

// ErrForeignEvent: an event of a non-system stream was not written by this
// package (its metadata is not the ledger's). It wraps
// eventstore.ErrHashMismatch: such an event carries no content hash the
// ledger vouches for.
var ErrForeignEvent = fmt.Errorf("%w: not written by the ledger", eventstore.ErrHashMismatch)

// errNoPosition: the server did not report an event's $all position on a
// stream read (servers before EventStoreDB 22.6 do not).
var errNoPosition = errors.New("the server reports no $all position for events read from a stream (KurrentDB, or EventStoreDB 22.6 or later, is required)")

// wireMetadata is the JSON stored as a KurrentDB event's metadata: what the
// envelope holds beyond the server's own fields (ID, stream, revision,
// type, data). Times use eventstore.TimeLayout.
type wireMetadata struct {
	Format        string `json:"format"`
	SchemaVersion int    `json:"schemaVersion"`
	RecordedAt    string `json:"recordedAt"`
	Hash          string `json:"hash"`
	ActorID       string `json:"actorId,omitempty"`
	ActorRole     string `json:"actorRole,omitempty"`
	CommandID     string `json:"commandId,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	CausationID   string `json:"causationId,omitempty"`
	OccurredAt    string `json:"occurredAt,omitempty"`
}

// encodeMetadata returns the metadata JSON stored with a sealed event.
func encodeMetadata(e eventstore.Event) ([]byte, error) {
	w := wireMetadata{
		Format:        metadataFormat,
		SchemaVersion: e.SchemaVersion,
		RecordedAt:    eventstore.FormatTime(e.RecordedAt),
		Hash:          e.Hash.String(),
		ActorID:       e.Metadata.ActorID,
		ActorRole:     e.Metadata.ActorRole,
		CommandID:     e.Metadata.CommandID,
		CorrelationID: e.Metadata.CorrelationID,
		CausationID:   e.Metadata.CausationID,
	}
	if !e.Metadata.OccurredAt.IsZero() {
		w.OccurredAt = eventstore.FormatTime(e.Metadata.OccurredAt)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode metadata of event %s: %w", e.ID, err)
	}
	return b, nil
}

// decodedMetadata is what decodeMetadata recovers.
type decodedMetadata struct {
	SchemaVersion int
	Metadata      eventstore.Metadata
	RecordedAt    time.Time
	Hash          eventstore.Hash
}

// isLedgerMetadata reports whether b looks like metadata this package
// wrote, without decoding all of it.
func isLedgerMetadata(b []byte) bool {
	if !bytes.Contains(b, []byte(metadataFormat)) {
		return false
	}
	var probe struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(b, &probe) == nil && probe.Format == metadataFormat
}

// decodeMetadata parses metadata written by encodeMetadata. A document that
// is not the ledger's yields ErrForeignEvent.
func decodeMetadata(b []byte) (decodedMetadata, error) {
	var w wireMetadata
	if err := json.Unmarshal(b, &w); err != nil || w.Format != metadataFormat {
		return decodedMetadata{}, ErrForeignEvent
	}
	d := decodedMetadata{
		SchemaVersion: w.SchemaVersion,
		Metadata: eventstore.Metadata{
			ActorID:       w.ActorID,
			ActorRole:     w.ActorRole,
			CommandID:     w.CommandID,
			CorrelationID: w.CorrelationID,
			CausationID:   w.CausationID,
		},
	}
	var err error
	if d.RecordedAt, err = parseTime(w.RecordedAt); err != nil {
		return d, fmt.Errorf("metadata: recordedAt: %w", err)
	}
	if w.OccurredAt != "" {
		if d.Metadata.OccurredAt, err = parseTime(w.OccurredAt); err != nil {
			return d, fmt.Errorf("metadata: occurredAt: %w", err)
		}
	}
	if d.Hash, err = eventstore.ParseHash(w.Hash); err != nil {
		return d, fmt.Errorf("metadata: %w", err)
	}
	return d, nil
}

// parseTime reads a time written with eventstore.TimeLayout, in UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(eventstore.TimeLayout, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// toEventData turns a sealed event into what the client appends: the
// canonical data as JSON content, the rest of the envelope as metadata.
func toEventData(e eventstore.Event) (esdb.EventData, error) {
	md, err := encodeMetadata(e)
	if err != nil {
		return esdb.EventData{}, err
	}
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        e.Data,
		Metadata:    md,
	}, nil
}

// appendSize estimates what the server counts against its MaxAppendSize.
func appendSize(events []esdb.EventData) int {
	n := 0
	for _, e := range events {
		n += len(e.Data) + len(e.Metadata) + len(e.EventType)
	}
	return n
}

// fromRecorded turns an event read from the server into the envelope.
// Events not written by this package yield an error wrapping
// ErrForeignEvent.
func fromRecorded(rec *esdb.RecordedEvent) (eventstore.Event, error) {
	where := func() string {
		return fmt.Sprintf("event %s in %q at revision %d", rec.EventID, rec.StreamID, rec.EventNumber)
	}
	d, err := decodeMetadata(rec.UserMetadata)
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("%s: %w", where(), err)
	}
	if rec.Position.Commit == math.MaxUint64 {
		return eventstore.Event{}, fmt.Errorf("%s: %w", where(), errNoPosition)
	}
	if rec.EventNumber == math.MaxUint64 {
		return eventstore.Event{}, fmt.Errorf("%s: invalid revision", where())
	}
	return eventstore.Event{
		ID:            rec.EventID,
		Stream:        rec.StreamID,
		Version:       versionOf(rec.EventNumber),
		Position:      eventstore.Position(rec.Position.Commit),
		Type:          rec.EventType,
		SchemaVersion: d.SchemaVersion,
		Data:          json.RawMessage(rec.Data),
		Metadata:      d.Metadata,
		RecordedAt:    d.RecordedAt,
		Hash:          d.Hash,
	}, nil
}

// isSystem reports whether a record belongs to the server rather than to
// the ledger: a '$' stream (system, metadata, projection and claim
// streams) or a '$' type (links, metadata, statistics, tombstones).
func isSystem(rec *esdb.RecordedEvent) bool {
	return strings.HasPrefix(rec.StreamID, "$") || strings.HasPrefix(rec.EventType, "$")
}

// versionOf converts a server revision (from 0) to a ledger version (from
// 1).
func versionOf(revision uint64) uint64 { return revision + 1 }

// revisionOf converts a ledger version (from 1) to a server revision (from
// 0). Version 0 ("no events") has no revision; callers map it to NoStream.
func revisionOf(version uint64) uint64 { return version - 1 }

// toESDBExpectation maps an expectation to the server's: Any, NoStream,
// StreamExists, or the revision of version v (v-1).
func toESDBExpectation(exp eventstore.Expectation) esdb.ExpectedRevision {
	switch {
	case exp.IsAny():
		return esdb.Any{}
	case exp.IsStreamExists():
		return esdb.StreamExists{}
	}
	v, _ := exp.ExactVersion()
	if v == 0 {
		return esdb.NoStream{}
	}
	return esdb.Revision(revisionOf(v))
}

// expectedAt is the exact server expectation for a stream at version
// current: NoStream for 0, else the revision of its last event.
func expectedAt(current uint64) esdb.ExpectedRevision {
	if current == 0 {
		return esdb.NoStream{}
	}
	return esdb.Revision(revisionOf(current))
}

// allPosition maps a ledger position to a $all position. The ledger keeps
// only the commit position; every event the ledger writes is committed by
// itself, so its prepare position is the same number. Position 0 is the
// start of $all.
func allPosition(p eventstore.Position) esdb.AllPosition {
	if p == 0 {
		return esdb.Start{}
	}
	return esdb.Position{Commit: uint64(p), Prepare: uint64(p)}
}

// claim is the body of a claim event: the event ID belongs to Stream; it
// was last planned for Version (a hint: the append may have failed, or
// landed elsewhere after a conflict).
type claim struct {
	ID      uuid.UUID `json:"id"`
	Stream  string    `json:"stream"`
	Version uint64    `json:"version"`
}

func (s *Store) claimStream(id uuid.UUID) string { return s.cfg.ClaimStreamPrefix + id.String() }

func claimEventData(c claim) (esdb.EventData, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("encode claim of %s: %w", c.ID, err)
	}
	return esdb.EventData{EventID: uuid.New(), EventType: claimEventType, ContentType: esdb.ContentTypeJson, Data: b}, nil
}

func decodeClaim(rec *esdb.RecordedEvent) (claim, error) {
	var c claim
	if rec.EventType != claimEventType {
		return c, fmt.Errorf("claim stream %q holds a %q event", rec.StreamID, rec.EventType)
	}
	if err := json.Unmarshal(rec.Data, &c); err != nil || c.Stream == "" {
		return c, fmt.Errorf("claim stream %q: undecodable claim %q", rec.StreamID, rec.Data)
	}
	return c, nil
}
