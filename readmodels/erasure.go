package readmodels

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/projections"
)

// Erasure marks a stamp whose event had personal or confidential fields
// erased (ledger.data_erased): when, why, on what basis, and which fields.
// Pages say "erased on DATE (reason)" where such a value was. Everything in
// it is public, as the erasure event is.
type Erasure struct {
	// On is when the erasure was recorded.
	On time.Time `json:"on"`
	// Reason and LegalBasis are the erasure's.
	Reason     string `json:"reason"`
	LegalBasis string `json:"legalBasis"`
	// Paths are the event's erased fields ("signer", "$metadata.actorId").
	Paths []string `json:"paths"`
	// Position is the erasure event's place in the log.
	Position eventstore.Position `json:"position"`
}

// Erased reports whether the field at path of the stamp's event was erased.
func (s Stamp) ErasedField(path string) bool {
	return s.Erased != nil && slices.Contains(s.Erased.Paths, path)
}

// erasedEvent is one erased event of an erasure: what to put where its
// values were (the commitments, as a rebuild from the log would show
// them), and the mark for its stamps.
type erasedEvent struct {
	field domain.ErasedField
	mark  Erasure
}

// with returns the value an erased field at path (an event field's
// concrete path: "signer", "from.actorId", "parts.0.speaker.actorId") is
// left with: its commitment ("" where the erasure did not record one),
// and whether the path was erased at all.
func (e *erasedEvent) with(path string) (string, bool) {
	i := slices.Index(e.field.Paths, path)
	if i < 0 {
		return "", false
	}
	if i < len(e.field.Commitments) {
		return e.field.Commitments[i], true
	}
	return "", true
}

var stampType = reflect.TypeFor[Stamp]()

// forget puts, in the read-model document v points to, each erased value's
// commitment where the value was, and marks the stamps of erased events;
// it reports whether anything changed. A value is found by the stamp that
// governs it — the embedded Stamp of the struct it is in, or of the
// nearest struct around it that has one — and by its JSON path from that
// struct, which is the event field's path: a string field is erasable
// when domain declares it `ledger:"personal|confidential"` (domain types
// kept in documents) or the read model tags it `erase:"path"` (its event
// field's path), or `erase:"path,StampField"` to be governed by a named
// stamp field of its struct instead.
func forget(v any, erased map[string]*erasedEvent) bool {
	return forgetValue(reflect.ValueOf(v), erased, nil, "")
}

func forgetValue(v reflect.Value, erased map[string]*erasedEvent, cur *erasedEvent, prefix string) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return false
		}
		return forgetValue(v.Elem(), erased, cur, prefix)
	case reflect.Slice, reflect.Array:
		changed := false
		for i := range v.Len() {
			changed = forgetValue(v.Index(i), erased, cur, prefix) || changed
		}
		return changed
	case reflect.Struct:
	default:
		return false
	}
	t := v.Type()
	if t == stampType {
		return markStamp(v, erased)
	}
	for i := range t.NumField() {
		if sf := t.Field(i); sf.Anonymous && sf.Type == stampType {
			cur, prefix = erased[v.Field(i).FieldByName("EventID").String()], ""
		}
	}
	changed := false
	for i := range t.NumField() {
		sf, fv := t.Field(i), v.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = sf.Name
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if fv.Kind() != reflect.String {
			changed = forgetValue(fv, erased, cur, path) || changed
			continue
		}
		gov, field := governing(v, sf, cur, path, erased)
		if gov == nil || !fv.CanSet() || fv.String() == "" {
			continue
		}
		if c, ok := gov.with(field); ok && fv.String() != c {
			fv.SetString(c)
			changed = true
		}
	}
	return changed
}

// governing returns the erased event governing a string field of struct v
// (at path from the governing struct) and the event field it holds, or
// nil.
func governing(v reflect.Value, sf reflect.StructField, cur *erasedEvent, path string, erased map[string]*erasedEvent) (*erasedEvent, string) {
	if tag, ok := sf.Tag.Lookup("erase"); ok {
		field, stampField, named := strings.Cut(tag, ",")
		if !named {
			return cur, field
		}
		s := v.FieldByName(stampField)
		if s.Kind() == reflect.Pointer {
			if s.IsNil() {
				return nil, ""
			}
			s = s.Elem()
		}
		if s.Type() != stampType {
			return nil, ""
		}
		return erased[s.FieldByName("EventID").String()], field
	}
	switch sf.Tag.Get("ledger") {
	case "personal", "confidential":
		return cur, path
	}
	return nil, ""
}

// markStamp marks a stamp of an erased event and puts the actor ID's
// commitment in place of a sealed actor's ID.
func markStamp(v reflect.Value, erased map[string]*erasedEvent) bool {
	s := v.Addr().Interface().(*Stamp)
	e := erased[s.EventID]
	if e == nil {
		return false
	}
	changed := false
	if c, ok := e.with(sealed.ActorPath); ok && s.Actor.ID != "" && s.Actor.ID != c {
		s.Actor.ID = c
		changed = true
	}
	if s.Erased == nil || s.Erased.Position != e.mark.Position {
		m := e.mark
		s.Erased = &m
		changed = true
	}
	return changed
}

// forgetDoc applies forget to one document, if it exists, storing it if
// it changed.
func forgetDoc[T any](ctx context.Context, tx projections.Tx, collection, key string, erased map[string]*erasedEvent) error {
	v, ok, err := projections.Get[T](ctx, tx, collection, key)
	if err != nil || !ok || !forget(&v, erased) {
		return err
	}
	return projections.Update(ctx, tx, collection, key, func(v *T) error {
		forget(v, erased)
		return nil
	})
}

// forgetDocs applies forget to every document of collection under prefix,
// storing those that changed.
func forgetDocs[T any](ctx context.Context, tx projections.Tx, collection, prefix string, erased map[string]*erasedEvent) error {
	var keys []string
	err := projections.ScanAll(ctx, tx, collection, prefix, func(key string, v T) error {
		if forget(&v, erased) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := projections.Update(ctx, tx, collection, key, func(v *T) error {
			forget(v, erased)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// erasuresOf returns an erasure event's erased events by stream, each by
// event ID.
func erasuresOf(ev eventstore.Event, d domain.DataErased) map[string]map[string]*erasedEvent {
	out := map[string]map[string]*erasedEvent{}
	for _, f := range d.Erased {
		if out[f.Stream] == nil {
			out[f.Stream] = map[string]*erasedEvent{}
		}
		out[f.Stream][f.EventID] = &erasedEvent{field: f, mark: Erasure{
			On: ev.RecordedAt.UTC(), Reason: d.Reason, LegalBasis: d.LegalBasis,
			Paths: slices.Clone(f.Paths), Position: ev.Position,
		}}
	}
	return out
}
