package readmodels

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// ReportInputsName is the name of the report-inputs projection
// (ReportInputs).
const ReportInputsName = "report-inputs"

// The report-inputs read model's collections.
const (
	// reportInputsEvents holds one document per event the report reads, keyed
	// by its global position, zero-padded to 20 digits (reportPositionKey), so
	// that key order is log order.
	reportInputsEvents = "events"
	// reportInputsLog holds one document, reportInputsTailKey: the position of the
	// last event applied and how many events the log holds up to it.
	reportInputsLog     = "log"
	reportInputsTailKey = "tail"
)

// ReportInputs is the projection of the period report's inputs (package
// reports computes and renders the report): of the global log it keeps,
// keyed by position, exactly the events the report's computation uses
// (ReportInputTypes: the types reports/compute.go decodes, and transcript
// edits, which it counts by stream and time), each with what it reads of the
// envelope: ID, stream, type, schema version, recorded-at, the occurred-at
// of its metadata, and its data (none for transcript edits, whose body the
// report does not read). Signatures, notes, utterances and the other types
// (about nine events in ten) are left out, so a report folds a tenth of the
// log; it also keeps how many events the log holds up to each kept event and
// up to its checkpoint, so that the report names the same count
// (Report.Events) as when it folds the whole log.
//
// ReportInputsLog reads it as a reports.Log: reports.Compute over it gives,
// at any position up to the read model's checkpoint, the same report byte
// for byte as over the log
// (docs/decisions/0014-report-inputs-read-model.md).
type ReportInputs struct{}

// Name implements projections.Projection.
func (ReportInputs) Name() string { return ReportInputsName }

// Version implements projections.Projection. Bump it when
// ReportInputTypes or the documents change: TestReportInputTypesPinned
// fails until then.
//
// Version 2 keeps proposal.submitted too: the briefing names each late
// proposal by its title.
//
// Version 3 keeps case.record_ended: a historical case stops counting in
// its stage (reports/historical.go).
//
// Version 4 keeps monthly.held too: archived monthly meetings held.
//
// Version 5 keeps case.proposal_linked and case.no_proposal_recorded: the
// report says which imported cases came from which Join proposal
// (decision 0055).
//
// Version 6 keeps proposal.leads_assigned: leads named after publication
// owe their answers, and a ministry filter follows them (decision 0056).
func (ReportInputs) Version() int { return 6 }

// reportBodyTypes are the event types the report decodes: the read model
// keeps them with their body. A test in package reports checks that they
// are exactly the types its computation decodes.
var reportBodyTypes = map[string]bool{
	"proposal.submitted": true, "proposal.published": true, "proposal.established": true, "proposal.expired": true,
	"proposal.response_deadline_extended": true, "proposal.responded": true, "proposal.response_deadline_missed": true, "proposal.leads_assigned": true,
	"monthly.candidate_added": true, "monthly.ballot_cast": true, "monthly.closed": true, "monthly.held": true,
	"case.opened": true, "case.lead_assigned": true, "case.co_organiser_added": true, "case.stage_changed": true,
	"case.stakeholder_added": true, "case.recommendation_recorded": true, "case.directive_recorded": true,
	"case.response_recorded": true, "case.record_ended": true, "case.proposal_linked": true, "case.no_proposal_recorded": true,
	"meeting.scheduled": true, "meeting.participant_added": true, "meeting.attendance_recorded": true,
	"registry.ministry_registered": true,
}

// ReportEditType is the one event type the report reads without its body:
// it counts transcript edits by stream and time.
const ReportEditType = "transcript.utterance_edited"

// ReportInputTypes lists, sorted, the event types the report's
// computation uses: those the report-inputs read model keeps.
func ReportInputTypes() []string {
	out := make([]string, 0, len(reportBodyTypes)+1)
	for t := range reportBodyTypes {
		out = append(out, t)
	}
	out = append(out, ReportEditType)
	slices.Sort(out)
	return out
}

// ReportInputBody reports whether the read model keeps the body of events
// of type typ (the types the report decodes).
func ReportInputBody(typ string) bool { return reportBodyTypes[typ] }

// reportKeeps reports whether the read model keeps events of type typ.
func reportKeeps(typ string) bool { return reportBodyTypes[typ] || typ == ReportEditType }

// reportInputsTail is the inputsLog/reportInputsTailKey document: the last event
// applied and how many events the log holds up to it.
type reportInputsTail struct {
	Position eventstore.Position `json:"position"`
	Events   uint64              `json:"events"`
}

// reportInputDoc is an reportInputsEvents document.
type reportInputDoc struct {
	ID       string    `json:"id"`
	Stream   string    `json:"stream"`
	Type     string    `json:"type"`
	Schema   int       `json:"schema"`
	Recorded time.Time `json:"recorded"`
	// Occurred is the metadata's occurred-at (zero: when recorded).
	Occurred time.Time `json:"occurred,omitzero"`
	// N is how many events the log holds up to and including this one;
	// Prev is the position of the event before it in the log (0: none).
	N    uint64              `json:"n"`
	Prev eventstore.Position `json:"prev"`
	// Data is the event's body (canonical JSON), for the types the report
	// decodes.
	Data json.RawMessage `json:"data,omitempty"`
}

// Apply implements projections.Projection: it counts every event, and
// keeps those the report reads.
func (ReportInputs) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	// The tail through Update: inside the Runner it is decoded once per
	// batch, not once per event (a million signatures move it).
	var n uint64
	var prev eventstore.Position
	if err := projections.Update(ctx, tx, reportInputsLog, reportInputsTailKey, func(tail *reportInputsTail) error {
		n, prev = tail.Events+1, tail.Position
		tail.Position, tail.Events = ev.Position, n
		return nil
	}); err != nil {
		return fmt.Errorf("report inputs: the tail: %w", err)
	}
	if reportKeeps(ev.Type) {
		doc, err := encodeReportInput(&ev, n, prev)
		if err != nil {
			return fmt.Errorf("report inputs: event %s at %d: %w", ev.ID, ev.Position, err)
		}
		if err := tx.Put(ctx, reportInputsEvents, reportPositionKey(ev.Position), projections.Encoded(doc)); err != nil {
			return fmt.Errorf("report inputs: %w", err)
		}
	}
	return nil
}

// encodeReportInput encodes ev as an reportInputDoc, the body included as the store
// holds it (canonical JSON) for the types the report decodes.
func encodeReportInput(ev *eventstore.Event, n uint64, prev eventstore.Position) ([]byte, error) {
	stream, err := json.Marshal(ev.Stream)
	if err != nil {
		return nil, fmt.Errorf("encode stream: %w", err)
	}
	b := make([]byte, 0, 200+len(ev.Data))
	b = append(b, `{"id":"`...)
	b = append(b, ev.ID.String()...)
	b = append(b, `","stream":`...)
	b = append(b, stream...)
	b = append(b, `,"type":`...)
	b = strconv.AppendQuote(b, ev.Type) // one of ReportInputTypes: plain ASCII
	b = append(b, `,"schema":`...)
	b = strconv.AppendInt(b, int64(ev.SchemaVersion), 10)
	b = append(b, `,"recorded":"`...)
	b = ev.RecordedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if t := ev.Metadata.OccurredAt; !t.IsZero() {
		b = append(b, `,"occurred":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"n":`...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, `,"prev":`...)
	b = strconv.AppendUint(b, uint64(prev), 10)
	if ReportInputBody(ev.Type) {
		if !json.Valid(ev.Data) {
			return nil, fmt.Errorf("%s data is not JSON", ev.Type)
		}
		b = append(b, `,"data":`...)
		b = append(b, ev.Data...)
	}
	return append(b, '}'), nil
}

// reportPositionKey is the key of the document of the event at p: its position,
// zero-padded to 20 digits (any uint64), so that keys sort as positions.
func reportPositionKey(p eventstore.Position) string {
	var b [20]byte
	s := strconv.AppendUint(b[:0], uint64(p), 10)
	out := make([]byte, 20)
	for i := range out {
		out[i] = '0'
	}
	copy(out[20-len(s):], s)
	return string(out)
}
