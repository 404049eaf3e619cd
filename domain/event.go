package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// Event is something that happened, as a domain decision records it. Each
// event type is one Go struct with a stable type name ("proposal.signed") and
// a schema version; its JSON (camelCase) is the stored event data.
type Event interface {
	// EventType returns the stable type name, "<aggregate>.<past tense>".
	EventType() string
	// SchemaVersion returns the version of the type's data shape, from 1.
	SchemaVersion() int
	// OccurredAt returns when the recorded thing happened (the "at" given to
	// the decision). For a live command it is now; for an import it is the
	// original time. The command side copies it into the envelope's
	// Metadata.OccurredAt when it differs from the recording time.
	OccurredAt() time.Time
}

// Occurred is embedded in every event: when the thing happened. Its field is
// serialised as "at" (RFC 3339, UTC).
type Occurred struct {
	// At is when the thing happened.
	At time.Time `json:"at"`
	// BackdateReason says why the event was recorded with an At earlier
	// than its recording (a back-dated command: an archive imported, a
	// paper record entered late); empty for live commands. The command
	// side sets it (WithBackdateReason); pages mark such events.
	BackdateReason string `json:"backdateReason,omitempty" ledger:"public"`
}

// BackdateReason returns the BackdateReason in a stored event's data, ""
// when there is none (only data that names one is decoded).
func BackdateReason(data []byte) string {
	if !bytes.Contains(data, []byte(`"backdateReason"`)) {
		return ""
	}
	var o Occurred
	if err := json.Unmarshal(data, &o); err != nil {
		return ""
	}
	return o.BackdateReason
}

// WithBackdateReason returns e with its Occurred.BackdateReason set: the
// command side records why a back-dated command was dated in the past.
// Every event embeds Occurred; e is returned unchanged if it does not.
func WithBackdateReason(e Event, reason string) Event {
	v := reflect.New(reflect.TypeOf(e)).Elem()
	v.Set(reflect.ValueOf(e))
	f := v.FieldByName("Occurred")
	if !f.IsValid() || f.Type() != reflect.TypeFor[Occurred]() {
		return e
	}
	f.FieldByName("BackdateReason").SetString(reason)
	return v.Interface().(Event)
}

// OccurredAt returns At.
func (o Occurred) OccurredAt() time.Time { return o.At }

// occurred returns the Occurred of instant t, in UTC without a monotonic
// reading, so that events compare equal after a JSON round trip.
func occurred(t time.Time) Occurred { return Occurred{At: t.UTC()} }

// Anonymous is implemented by events whose author must not be recorded
// (meeting.question_posted): the command side leaves the actor out of their
// envelope metadata.
type Anonymous interface {
	Event
	// AnonymousAuthor marks the event type as anonymous.
	AnonymousAuthor()
}

// IsAnonymous reports whether e's author must not be recorded.
func IsAnonymous(e Event) bool {
	_, ok := e.(Anonymous)
	return ok
}

type eventCodec struct {
	version int
	typ     reflect.Type
	class   classification
	removal bool
	decode  func(data []byte) (Event, error)
}

var registry = map[string]eventCodec{}

// register adds event type T to the registry. It panics on a duplicate type
// name, which a test would catch at package init.
func register[T Event]() {
	var zero T
	name := zero.EventType()
	if _, dup := registry[name]; dup {
		panic("domain: event type registered twice: " + name)
	}
	registry[name] = eventCodec{
		version: zero.SchemaVersion(),
		typ:     reflect.TypeFor[T](),
		class:   classify(reflect.TypeFor[T]()),
		removal: isRemoval(zero),
		decode: func(data []byte) (Event, error) {
			var v T
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			if dec.More() {
				return nil, fmt.Errorf("trailing data after the JSON object")
			}
			return v, nil
		},
	}
}

// EventTypes returns the names of every event type, sorted.
func EventTypes() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// EventSchemaVersion returns the current schema version of an event type.
func EventSchemaVersion(eventType string) (int, bool) {
	c, ok := registry[eventType]
	return c.version, ok
}

// Decode turns a stored event's type name, schema version and JSON data into
// its typed struct (a value, e.g. ProposalSigned). Unknown types, versions
// other than the current one, unknown fields and malformed JSON are errors.
// When a type's shape changes, its version goes up and Decode learns to
// upcast the older versions here.
func Decode(eventType string, schemaVersion int, data []byte) (Event, error) {
	c, ok := registry[eventType]
	if !ok {
		return nil, fmt.Errorf("decode event: unknown type %q", eventType)
	}
	if schemaVersion != c.version {
		return nil, fmt.Errorf("decode event %s: schema version %d, this build knows %d", eventType, schemaVersion, c.version)
	}
	e, err := c.decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode event %s v%d: %w", eventType, schemaVersion, err)
	}
	return e, nil
}

// Encode returns the type name, schema version and JSON data to store for e.
func Encode(e Event) (eventType string, schemaVersion int, data []byte, err error) {
	if _, ok := registry[e.EventType()]; !ok {
		return "", 0, nil, fmt.Errorf("encode event: unregistered type %q", e.EventType())
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode event %s: %w", e.EventType(), err)
	}
	return e.EventType(), e.SchemaVersion(), data, nil
}

// Aggregate is the state of one event stream, rebuilt by applying its events
// in order. Every aggregate of the domain implements it.
type Aggregate interface {
	// Apply folds one event into the state. It returns an error wrapping
	// ErrInvalidEvent if the event cannot follow the events applied so far.
	Apply(e Event) error
	// Version returns the number of events applied: the stream version the
	// state reflects (0 for a new stream).
	Version() uint64
}

// ApplyAll applies events to agg in order, stopping at the first error.
func ApplyAll(agg Aggregate, events ...Event) error {
	for _, e := range events {
		if err := agg.Apply(e); err != nil {
			return err
		}
	}
	return nil
}

// DecideAndApply runs one decision against agg and, if it succeeds, applies
// the events it returned, so that the next decision sees them. It is how the
// command side decides a batch of commands on one loaded state (a hot
// proposal): each decision is O(1) in the state's size, and a refused
// command leaves the state untouched.
//
//	for _, c := range batch {
//		evs, err := domain.DecideAndApply(p, func(p *domain.Proposal) ([]domain.Event, error) {
//			return p.Sign(c.cmd, c.actor, c.at)
//		})
//		c.reply(evs, err) // append all accepted events with one expected version
//	}
func DecideAndApply[A Aggregate](agg A, decide func(A) ([]Event, error)) ([]Event, error) {
	events, err := decide(agg)
	if err != nil {
		return nil, err
	}
	if err := ApplyAll(agg, events...); err != nil {
		return nil, fmt.Errorf("apply decided events: %w", err)
	}
	return events, nil
}

// Command is a request to change one aggregate. CommandName is its key in
// the policy table ("proposal.sign").
type Command interface {
	// CommandName returns the command's stable name.
	CommandName() string
}

func requireAt(cmd string, at time.Time) error {
	if at.IsZero() {
		return violated(cmd+".time_required", "no time given for %s", cmd)
	}
	return checkInstant("the time of "+cmd, at)
}

func isRemoval(e Event) bool {
	_, ok := e.(Removal)
	return ok
}
