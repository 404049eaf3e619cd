package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Erasure: a lawful erasure of personal data (Taiwan's Personal Data
// Protection Act). The values of sealed fields live beside the log in an
// erasable secrets store (eventstore/sealed); erasing deletes them there and
// records DataErased on the one erasures stream, so the record says what
// was erased, when, why and on what legal basis, while every content hash,
// proof and checkpoint stays valid. The event holds no erased value: only
// the IDs of the events whose fields were erased, and their paths.

// CmdErase is the erasure command's name.
const CmdErase = "ledger.erase"

// StreamErasures is the one stream of erasures ("ledger-erasures").
const StreamErasures StreamKind = "ledger-erasures"

// ErasuresStream returns the name of the erasures stream.
func ErasuresStream() string { return string(StreamErasures) }

// Rule codes of the erasure decision.
const (
	RuleEraseReasonRequired     = "ledger.erase.reason_required"
	RuleEraseLegalBasisRequired = "ledger.erase.legal_basis_required"
	RuleEraseOneTarget          = "ledger.erase.one_target"
	RuleEraseTargetNotFound     = "ledger.erase.target_not_found"
)

// Erase asks to erase a person's sealed values (Person: their pseudonym or
// actor ID as recorded) or one event's (EventID), for a reason and on a
// legal basis. Person is personal and never recorded: the event names only
// what was erased.
type Erase struct {
	Person     string
	EventID    string
	Reason     string
	LegalBasis string
}

// CommandName implements Command.
func (Erase) CommandName() string { return CmdErase }

// ErasedField is one event's erased fields: the event's ID, its stream
// (so read models find what they derived from it; empty where the store
// cannot look an event up by ID), the paths of the fields whose values and
// salts are deleted, and each path's commitment as the log holds it (the
// same place in Commitments; public, like the log), which read models put
// where the value was, exactly as a rebuild from the log would.
type ErasedField struct {
	EventID     string   `json:"eventId" ledger:"public"`
	Stream      string   `json:"stream,omitempty" ledger:"public"`
	Paths       []string `json:"paths" ledger:"public"`
	Commitments []string `json:"commitments,omitempty" ledger:"public"`
}

// sortPaths sorts the paths, keeping each commitment with its path.
func (f ErasedField) sortPaths() ErasedField {
	type pc struct{ p, c string }
	pairs := make([]pc, len(f.Paths))
	for i, p := range f.Paths {
		pairs[i].p = p
		if i < len(f.Commitments) {
			pairs[i].c = f.Commitments[i]
		}
	}
	slices.SortFunc(pairs, func(a, b pc) int { return strings.Compare(a.p, b.p) })
	out := ErasedField{EventID: f.EventID, Stream: f.Stream, Paths: make([]string, len(pairs))}
	for i, x := range pairs {
		out.Paths[i] = x.p
	}
	if len(f.Commitments) == len(f.Paths) {
		out.Commitments = make([]string, len(pairs))
		for i, x := range pairs {
			out.Commitments[i] = x.c
		}
	}
	return out
}

// Commitment returns the commitment recorded for path, if any.
func (f ErasedField) Commitment(path string) (string, bool) {
	i := slices.Index(f.Paths, path)
	if i < 0 || i >= len(f.Commitments) {
		return "", false
	}
	return f.Commitments[i], true
}

// DataErased: the values and salts of the listed events' sealed fields
// were deleted, for Reason on LegalBasis. Their commitments stay in the
// log, so every hash still verifies; pages show the fields as erased.
type DataErased struct {
	Target     string        `json:"target" ledger:"public"` // "person" or "event"
	Erased     []ErasedField `json:"erased"`
	Reason     string        `json:"reason" ledger:"public"`
	LegalBasis string        `json:"legalBasis" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (DataErased) EventType() string { return "ledger.data_erased" }

// SchemaVersion implements Event.
func (DataErased) SchemaVersion() int { return 1 }

// Erasures is the state of the erasures stream: which events' fields were
// erased, and by which erasure.
type Erasures struct {
	version uint64
	erased  map[string]DataErased
}

// NewErasures returns the empty erasures state.
func NewErasures() *Erasures { return &Erasures{erased: map[string]DataErased{}} }

// Version implements Aggregate.
func (e *Erasures) Version() uint64 { return e.version }

// Of returns the erasure that erased fields of event id, if any (the
// latest).
func (e *Erasures) Of(id string) (DataErased, bool) {
	d, ok := e.erased[id]
	return d, ok
}

// Apply implements Aggregate.
func (e *Erasures) Apply(ev Event) error {
	d, ok := ev.(DataErased)
	if !ok {
		return badEvent("erasures", ev, "not an erasure event")
	}
	if len(d.Erased) == 0 {
		return badEvent("erasures", ev, "an erasure of nothing")
	}
	for _, f := range d.Erased {
		e.erased[f.EventID] = d
	}
	e.version++
	return nil
}

// Decide implements the erasures' decision for cmd. found is what the
// secrets store keeps for the target, by event (the command side records
// the erasure first, then deletes what it lists, and finishes an
// unfinished one at start-up: see docs/decisions/0037-erasure-in-place.md);
// an erasure that finds nothing is refused as not found, and records
// nothing.
func (e *Erasures) Decide(cmd Command, actor Actor, at time.Time, found []ErasedField) ([]Event, error) {
	c, ok := cmd.(Erase)
	if !ok {
		return nil, violated("ledger.unknown_command", "%T is not an erasures command", cmd)
	}
	if err := Authorize(CmdErase, actor); err != nil {
		return nil, err
	}
	if err := requireAt(CmdErase, at); err != nil {
		return nil, err
	}
	if err := CheckEraseTarget(c); err != nil {
		return nil, err
	}
	target := "person"
	if c.EventID != "" {
		target = "event"
	}
	d := DataErased{Target: target, Reason: strings.TrimSpace(c.Reason), LegalBasis: strings.TrimSpace(c.LegalBasis), Occurred: occurred(at)}
	for _, f := range found {
		if len(f.Paths) == 0 {
			continue
		}
		d.Erased = append(d.Erased, f.sortPaths())
	}
	if len(d.Erased) == 0 {
		return nil, notFound(RuleEraseTargetNotFound, "no sealed value of the %s named is kept (unknown, or erased already)", target)
	}
	slices.SortFunc(d.Erased, func(a, b ErasedField) int { return strings.Compare(a.EventID, b.EventID) })
	return []Event{d}, nil
}

// CheckEraseTarget checks an Erase before anything is erased: a reason, a
// legal basis, and exactly one target (a person, or an event ID that is a
// UUID).
func CheckEraseTarget(c Erase) error {
	if strings.TrimSpace(c.Reason) == "" {
		return violated(RuleEraseReasonRequired, "an erasure needs a reason")
	}
	if strings.TrimSpace(c.LegalBasis) == "" {
		return violated(RuleEraseLegalBasisRequired, "an erasure needs its legal basis (e.g. 個人資料保護法第11條第3項)")
	}
	if (c.Person == "") == (c.EventID == "") {
		return violated(RuleEraseOneTarget, "name either a person or an event, not both or neither")
	}
	if c.EventID != "" {
		if _, err := uuid.Parse(c.EventID); err != nil {
			return violated(RuleEraseOneTarget, "event ID %q is not a UUID", c.EventID)
		}
	}
	return nil
}
