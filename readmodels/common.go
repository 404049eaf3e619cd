package readmodels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// View says who reads a read model: the public, or an auditor. Public views
// leave out what only auditors may see (docs/read-models.md lists it);
// auditor views include it, with who removed what and why.
type View string

// Views.
const (
	// Public is what the accountability pages and the public JSON API show.
	Public View = "public"
	// Auditor is everything the ledger recorded, removed things included.
	Auditor View = "auditor"
)

// Valid reports whether v is Public or Auditor.
func (v View) Valid() bool { return v == Public || v == Auditor }

// auditor reports whether v shows auditor-only things. Anything but Auditor
// is treated as Public, so that a zero View never shows too much.
func (v View) auditor() bool { return v == Auditor }

// Actor is who issued the command that recorded an event, from the event's
// envelope metadata.
type Actor struct {
	// ID is the actor's ID. Public views leave it out for citizens and
	// proposers, whose IDs are signer pseudonyms.
	ID string `json:"id,omitempty"`
	// Role is the actor's role (pdis, po, ministry, citizen, ...).
	Role string `json:"role,omitempty"`
}

// Stamp says which log event recorded something, who caused it and when,
// on both clocks. Every history item of every read model carries one.
type Stamp struct {
	// Position is the event's place in the global log.
	Position eventstore.Position `json:"position"`
	// EventID is the event's UUID.
	EventID string `json:"eventId"`
	// Actor issued the command (none for anonymous questions).
	Actor Actor `json:"actor,omitzero"`
	// OccurredAt is when the thing happened (for imported history, the
	// original time).
	OccurredAt time.Time `json:"occurredAt"`
	// RecordedAt is when the ledger recorded it.
	RecordedAt time.Time `json:"recordedAt"`
	// Backdated is the reason a client gave for dating the event in the
	// past (domain.Occurred.BackdateReason); views mark such events.
	Backdated string `json:"backdated,omitempty"`
	// Erased is set once personal or confidential fields of the event were
	// erased (ledger.data_erased): where their values were, the read
	// models hold the commitments the log holds, and pages say "erased on
	// DATE (reason)".
	Erased *Erasure `json:"erased,omitempty"`
}

// stampOf returns the Stamp of a stored event.
func stampOf(ev eventstore.Event) Stamp {
	return stampWith(ev, backdateReason(ev))
}

// stampWith is stampOf for a fast path that has read the event's
// backdateReason from its JSON already (reason): domain.BackdateReason would
// decode the event again. reason counts only for an event dated on the
// occurred clock, as in backdateReason.
func stampWith(ev eventstore.Event, reason string) Stamp {
	if ev.Metadata.OccurredAt.IsZero() {
		reason = ""
	}
	return Stamp{
		Position:   ev.Position,
		EventID:    ev.ID.String(),
		Actor:      Actor{ID: ev.Metadata.ActorID, Role: ev.Metadata.ActorRole},
		OccurredAt: ev.OccurredAt().UTC(),
		RecordedAt: ev.RecordedAt.UTC(),
		Backdated:  reason,
	}
}

// backdateReason is the reason a back-dated event gives, if any.
func backdateReason(ev eventstore.Event) string {
	if ev.Metadata.OccurredAt.IsZero() {
		return ""
	}
	return domain.BackdateReason(ev.Data)
}

// pseudonymous reports whether an actor of this role is identified by a
// signer pseudonym, which public views do not show.
func pseudonymous(role string) bool {
	return role == string(domain.RoleCitizen) || role == string(domain.RoleProposer)
}

// For returns the stamp as view v may see it: public views leave out the
// pseudonyms of citizens and proposers (their role stays).
func (s Stamp) For(v View) Stamp {
	if !v.auditor() && pseudonymous(s.Actor.Role) {
		s.Actor.ID = ""
	}
	return s
}

func stampPtrFor(s *Stamp, v View) *Stamp {
	if s == nil {
		return nil
	}
	c := s.For(v)
	return &c
}

// posKey formats a position so that keys sort in log order.
func posKey(p eventstore.Position) string {
	var b [20]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + p%10)
		p /= 10
	}
	return string(b[:])
}

// parsePosKey is the inverse of posKey.
func parsePosKey(s string) (eventstore.Position, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	return eventstore.Position(n), err
}

// ---- event dispatch ----

// handler folds one decoded domain event.
type handler func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.Event) error

// table is a read model's dispatch: the domain event types it folds, and
// those it deliberately leaves alone. Every domain event type must be in
// exactly one of the two (a test checks it against domain.EventTypes), so
// that a new type is never dropped by accident.
type table struct {
	name     string
	handlers map[string]handler
	ignored  map[string]string
}

func newTable(name string) *table {
	return &table{name: name, handlers: map[string]handler{}, ignored: map[string]string{}}
}

// on registers fn for the event type T.
func on[T domain.Event](t *table, fn func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e T) error) {
	var zero T
	name := zero.EventType()
	if _, dup := t.handlers[name]; dup {
		panic("readmodels: " + t.name + " handles " + name + " twice")
	}
	t.handlers[name] = func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.Event) error {
		x, ok := e.(T)
		if !ok {
			return fmt.Errorf("event %s decoded as %T", ev.Type, e)
		}
		return fn(ctx, tx, ev, x)
	}
}

// ignore records event types the read model leaves alone on purpose, and
// why.
func (t *table) ignore(why string, types ...string) {
	for _, ty := range types {
		t.ignored[ty] = why
	}
}

// apply folds ev if the read model handles its type. Events of other types,
// domain types it ignores and types that are not the domain's (the
// transparency log's checkpoints), are skipped.
func (t *table) apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	h, ok := t.handlers[ev.Type]
	if !ok {
		return nil
	}
	e, err := decode(ctx, ev)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	if err := h(ctx, tx, ev, e); err != nil {
		return fmt.Errorf("%s: %s: %w", t.name, ev.Type, err)
	}
	return nil
}

// handles reports whether the read model folds events of type ty.
func (t *table) handles(ty string) bool {
	_, ok := t.handlers[ty]
	return ok
}

// Coverage says how a read model treats each domain event type.
type Coverage struct {
	// Handled are the types it folds.
	Handled []string
	// Ignored maps the types it deliberately leaves alone to why.
	Ignored map[string]string
	// Missing are domain types it neither folds nor ignores: a new event
	// type nobody taught it. A test keeps this empty.
	Missing []string
}

func (t *table) coverage() Coverage {
	c := Coverage{Ignored: map[string]string{}}
	for _, ty := range domain.EventTypes() {
		_, h := t.handlers[ty]
		why, ig := t.ignored[ty]
		switch {
		case h:
			c.Handled = append(c.Handled, ty)
		case ig:
			c.Ignored[ty] = why
		default:
			c.Missing = append(c.Missing, ty)
		}
	}
	return c
}

// predecoded lets a fold that feeds one event to several read models
// (CaseAsOf) decode it once: it sets the event being applied and its
// decoded form, and decode takes it from there.
type predecoded struct {
	pos eventstore.Position
	e   domain.Event
}

type predecodedKey struct{}

// withPredecoded returns ctx carrying p.
func withPredecoded(ctx context.Context, p *predecoded) context.Context {
	return context.WithValue(ctx, predecodedKey{}, p)
}

// decode returns ev's domain event.
func decode(ctx context.Context, ev eventstore.Event) (domain.Event, error) {
	if p, ok := ctx.Value(predecodedKey{}).(*predecoded); ok && p.pos == ev.Position && p.e != nil {
		return p.e, nil
	}
	e, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
	if err != nil {
		return nil, fmt.Errorf("event %s at position %d: %w", ev.ID, ev.Position, err)
	}
	return e, nil
}

// idField returns the value of the last top-level-looking string field
// `"name":"value"` in canonical JSON data, or "". It is a cheap way for
// Preload to learn a document key without decoding the event: identifiers
// cannot contain quotes or backslashes, and in RFC 8785 JSON a quote inside a
// string is always escaped, so the pattern only matches real fields. The
// last match is the top-level field, as canonical keys are sorted and the
// nested objects that repeat a name ("parts") sort before it. A miss only
// costs a round trip.
func idField(data []byte, name string) string {
	pat := make([]byte, 0, len(name)+5)
	pat = append(pat, '"')
	pat = append(pat, name...)
	pat = append(pat, '"', ':', '"')
	i := bytes.LastIndex(data, pat)
	if i < 0 {
		return ""
	}
	rest := data[i+len(pat):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// isSubjectStream reports whether a stream is a trail subject of its own:
// a proposal's, a PO monthly meeting's or a case's.
func isSubjectStream(stream string) bool {
	return domain.IsStreamKind(stream, domain.StreamProposal, domain.StreamMonthlyMeeting, domain.StreamCase)
}

// errStop ends a Scan early.
var errStop = errors.New("stop scan")

// scanStopped runs a Scan whose callback may return errStop to end it.
func scanStopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// addUnique appends s to list unless it is there.
func addUnique[T comparable](list []T, s T) []T {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// valueReader is implemented by readers that hold documents as Go values
// (an as-of Snapshot): scans then hand the values over without encoding
// and decoding them. The values are shared with the reader: queries copy
// what they change.
type valueReader interface {
	scanValues(ctx context.Context, collection, prefix string, want func(key string) bool, fn func(key string, v any, raw func() ([]byte, error)) error) error
}

// scanDocs calls fn for every document of collection whose key starts with
// prefix and for which want (if not nil) holds, in key order, decoded as a
// T. want sees only the key, so that skipped documents are not decoded. On
// an as-of snapshot the T shares memory with the snapshot: fn must not
// change what it points to.
func scanDocs[T any](ctx context.Context, r projections.Reader, collection, prefix string, want func(key string) bool, fn func(key string, v T) error) error {
	return scanDocsFrom(ctx, r, collection, prefix, want, func(t T) T { return t }, fn)
}

// scanDocsFrom is scanDocs for a T that is a part of the documents' type S:
// on an as-of snapshot, a document held as an S value is handed to fn
// through from rather than encoded and decoded.
func scanDocsFrom[S, T any](ctx context.Context, r projections.Reader, collection, prefix string, want func(key string) bool, from func(S) T, fn func(key string, v T) error) error {
	return scanDocsDecoded(ctx, r, collection, prefix, want, from, decodeJSON[T], fn)
}

// decodeJSON decodes a document's JSON as a T with encoding/json.
func decodeJSON[T any](raw []byte) (T, error) {
	var t T
	err := json.Unmarshal(raw, &t)
	return t, err
}

// scanDocsDecoded is scanDocsFrom with the documents' JSON decoded by
// decode (a hand-written decoder of a T, such as decodePlace).
func scanDocsDecoded[S, T any](ctx context.Context, r projections.Reader, collection, prefix string, want func(key string) bool, from func(S) T, decode func(raw []byte) (T, error), fn func(key string, v T) error) error {
	if vr, ok := r.(valueReader); ok {
		return vr.scanValues(ctx, collection, prefix, want, func(key string, v any, raw func() ([]byte, error)) error {
			var t T
			s, ok := v.(S)
			if ok {
				t = from(s)
			} else {
				b, err := raw()
				if err != nil {
					return err
				}
				if t, err = decode(b); err != nil {
					return fmt.Errorf("decode %s/%s: %w", collection, key, err)
				}
			}
			return fn(key, t)
		})
	}
	return r.Scan(ctx, collection, prefix, func(key string, raw []byte) error {
		if want != nil && !want(key) {
			return nil
		}
		t, err := decode(raw)
		if err != nil {
			return fmt.Errorf("decode %s/%s: %w", collection, key, err)
		}
		return fn(key, t)
	})
}
