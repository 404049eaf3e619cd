package readmodels

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// inputTypesV6 are the types ReportInputs version 6 keeps (version 2
// added proposal.submitted, version 3 case.record_ended, version 4
// monthly.held, version 5 case.proposal_linked and case.no_proposal_recorded,
// version 6 proposal.leads_assigned).
var inputTypesV6 = []string{
	"case.co_organiser_added", "case.directive_recorded", "case.lead_assigned", "case.no_proposal_recorded", "case.opened",
	"case.proposal_linked", "case.recommendation_recorded", "case.record_ended", "case.response_recorded", "case.stage_changed", "case.stakeholder_added",
	"meeting.attendance_recorded", "meeting.participant_added", "meeting.scheduled",
	"monthly.ballot_cast", "monthly.candidate_added", "monthly.closed", "monthly.held",
	"proposal.established", "proposal.expired", "proposal.leads_assigned", "proposal.published", "proposal.responded",
	"proposal.response_deadline_extended", "proposal.response_deadline_missed", "proposal.submitted",
	"registry.ministry_registered", "transcript.utterance_edited",
}

// TestReportInputTypesPinned: the read model keeps the types the report
// decodes with their body (package reports checks that they are its
// decoders: TestDecodersAreReportInputs) and transcript edits without,
// each a domain event type, and a change of that list comes with a new
// ReportInputs.Version (which rebuilds the read models already stored).
func TestReportInputTypesPinned(t *testing.T) {
	kept := ReportInputTypes()
	for typ := range reportBodyTypes {
		if !slices.Contains(kept, typ) || !reportKeeps(typ) || !ReportInputBody(typ) {
			t.Errorf("the report decodes %s, which the read model does not keep with its body", typ)
		}
	}
	if !slices.Contains(kept, ReportEditType) || !reportKeeps(ReportEditType) || ReportInputBody(ReportEditType) {
		t.Errorf("%s: kept without its body", ReportEditType)
	}
	for _, typ := range domain.EventTypes() {
		if reportKeeps(typ) != slices.Contains(kept, typ) {
			t.Errorf("%s: keeps %v, listed %v", typ, reportKeeps(typ), slices.Contains(kept, typ))
		}
	}
	for _, typ := range kept {
		if _, ok := domain.EventSchemaVersion(typ); !ok {
			t.Errorf("%s is no domain event type", typ)
		}
	}
	if v := (ReportInputs{}).Version(); v != 6 || !slices.Equal(kept, inputTypesV6) {
		t.Fatalf("the report reads %q at version %d: the types kept changed, bump ReportInputs.Version and pin the new list here", kept, v)
	}
}

// TestReportPositionKey: keys sort as positions.
func TestReportPositionKey(t *testing.T) {
	ps := []eventstore.Position{0, 1, 9, 10, 99, 1000, 1 << 40, ^eventstore.Position(0)}
	for i := 1; i < len(ps); i++ {
		if a, b := reportPositionKey(ps[i-1]), reportPositionKey(ps[i]); len(a) != 20 || a >= b {
			t.Errorf("%s ≥ %s", a, b)
		}
	}
}

// TestParseReportInput: the fast parse of a document gives what encoding/json
// gives, and documents it does not recognise go to encoding/json.
func TestParseReportInput(t *testing.T) {
	taipei := time.FixedZone("CST", 8*3600)
	base := eventstore.Event{ID: uuid.New(), Stream: "case-57", Position: 42, Type: "case.opened", SchemaVersion: 1,
		Data: []byte(`{"caseId":"57","title":"健保卡"}`), RecordedAt: time.Date(2026, 3, 1, 2, 3, 4, 567000, time.UTC)}
	occurred := base
	occurred.Metadata.OccurredAt = time.Date(2019, 1, 25, 9, 30, 0, 0, taipei)
	escaped := base
	escaped.Stream = `case-"quoted"\back`
	edit := base
	edit.Type, edit.Stream = ReportEditType, "transcript-m1"
	for _, ev := range []eventstore.Event{base, occurred, escaped, edit} {
		doc, err := encodeReportInput(&ev, 40, 39)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow eventstore.Event
		parsed := parseReportInput(reportPositionKey(ev.Position), doc, &fast)
		if parsed == (ev.Stream == escaped.Stream) {
			t.Errorf("%s: parsed fast: %v", ev.Stream, parsed)
		}
		if err := decodeReportInput(reportPositionKey(ev.Position), doc, &fast); err != nil {
			t.Fatal(err)
		}
		d, err := unmarshalReportInput(reportPositionKey(ev.Position), doc, &slow)
		if err != nil {
			t.Fatal(err)
		}
		if d.N != 40 || d.Prev != 39 {
			t.Errorf("counts %d, %d", d.N, d.Prev)
		}
		want := ev
		if ev.Type == ReportEditType {
			want.Data = nil
		}
		for _, got := range []eventstore.Event{fast, slow} {
			if got.ID != want.ID || got.Stream != want.Stream || got.Position != want.Position || got.Type != want.Type ||
				got.SchemaVersion != want.SchemaVersion || !bytes.Equal(got.Data, want.Data) ||
				!got.RecordedAt.Equal(want.RecordedAt) || !got.OccurredAt().Equal(want.OccurredAt()) {
				t.Errorf("%s: got %+v, want %+v", ev.Stream, got, want)
			}
		}
	}
}
