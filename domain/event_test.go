package domain

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleEvents returns at least one decided event of every type: the
// fixtures' events and the allowed decisions of the matrix.
func sampleEvents(t *testing.T) []Event {
	recorded = nil
	var out []Event
	for _, cmd := range CommandNames() {
		for _, r := range Roles() {
			if Allowed(cmd, r) {
				evs, err := matrixCases[cmd](t, r)
				if err != nil {
					t.Fatalf("%s as %s: %v", cmd, r, err)
				}
				out = append(out, evs...)
			}
		}
	}
	caseAt(t, StageClosed)
	return append(out, recorded...)
}

func TestEveryEventTypeRoundTripsThroughTheRegistry(t *testing.T) {
	samples := sampleEvents(t)
	seen := map[string]bool{}
	name := regexp.MustCompile(`^(proposal|registry|monthly|case|meeting|transcript|ledger)\.[a-z_]+$`)
	for _, e := range samples {
		seen[e.EventType()] = true
		typ, v, data, err := Encode(e)
		if err != nil {
			t.Fatalf("encode %s: %v", e.EventType(), err)
		}
		if !name.MatchString(typ) || v != 1 {
			t.Errorf("type %q v%d does not follow <aggregate>.<snake_case> v1", typ, v)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if strings.ContainsAny(k, "_-") || strings.ToLower(k[:1]) != k[:1] {
				t.Errorf("%s: key %q is not camelCase", typ, k)
			}
		}
		if _, ok := keys["at"]; !ok {
			t.Errorf("%s has no \"at\"", typ)
		}
		back, err := Decode(typ, v, data)
		if err != nil {
			t.Fatalf("decode %s: %v (%s)", typ, err, data)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("%s does not round-trip:\n got %#v\nwant %#v", typ, back, e)
		}
		if back.OccurredAt().IsZero() {
			t.Errorf("%s has no occurrence time", typ)
		}
	}
	types := EventTypes()
	if !slices.IsSorted(types) {
		t.Errorf("EventTypes not sorted")
	}
	for _, typ := range types {
		if !seen[typ] {
			t.Errorf("no decision produced %s (untested or dead event type)", typ)
		}
		if v, ok := EventSchemaVersion(typ); !ok || v != 1 {
			t.Errorf("EventSchemaVersion(%s) = %d, %v", typ, v, ok)
		}
	}
	if len(types) != 66 {
		t.Errorf("%d event types, expected 66: %v", len(types), types)
	}
}

func TestDecodeRefusesWhatItDoesNotKnow(t *testing.T) {
	good := `{"proposalId":"p-1","signatureId":"00000000-0000-0000-0000-000000000000","signer":"ab","count":1,"at":"2019-01-07T02:00:00Z"}`
	if _, err := Decode("proposal.signed", 1, []byte(good)); err != nil {
		t.Fatalf("good data refused: %v", err)
	}
	for name, c := range map[string]struct {
		typ     string
		version int
		data    string
	}{
		"unknown type":      {"proposal.teleported", 1, good},
		"newer version":     {"proposal.signed", 2, good},
		"unknown field":     {"proposal.signed", 1, strings.Replace(good, `"count":1`, `"count":1,"identity":"A123456789"`, 1)},
		"malformed JSON":    {"proposal.signed", 1, `{"proposalId":`},
		"trailing data":     {"proposal.signed", 1, good + `{}`},
		"wrong field types": {"proposal.signed", 1, strings.Replace(good, `"count":1`, `"count":"one"`, 1)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(c.typ, c.version, []byte(c.data)); err == nil {
				t.Errorf("Decode accepted %s", name)
			}
		})
	}
	if _, _, _, err := Encode(fakeEvent{}); err == nil {
		t.Errorf("Encode accepted an unregistered type")
	}
}

type fakeEvent struct{ Occurred }

func (fakeEvent) EventType() string  { return "proposal.faked" }
func (fakeEvent) SchemaVersion() int { return 1 }

func TestApplyRefusesEventsThatCannotFollow(t *testing.T) {
	at := occurred(t0)
	tests := []struct {
		name string
		agg  Aggregate
		e    Event
	}{
		{"a signature before publication", submittedProposal(t), ProposalSigned{ProposalID: "p-1", Signer: signer(1), Count: 1, Occurred: at}},
		{"a second signature of one signer", establishedProposal(t), ProposalSigned{ProposalID: "p-1", Signer: signer(101), Count: 4, Occurred: at}},
		{"a signature with a wrong count", establishedProposal(t), ProposalSigned{ProposalID: "p-1", Signer: signer(1), Count: 9, Occurred: at}},
		{"a second establishment", establishedProposal(t), ProposalEstablished{ProposalID: "p-1", Occurred: at}},
		{"a milestone out of order", publishedProposal(t, smallConfig), ProposalMilestoneReached{ProposalID: "p-1", Milestone: 2, Occurred: at}},
		{"another aggregate's event", establishedProposal(t), MeetingClosed{MeetingID: "m-1", Occurred: at}},
		{"a case event before the case opened", NewCase("57"), CaseStageChanged{CaseID: "57", From: StageTopicSet, To: StageDivisionOfLabour, Occurred: at}},
		{"a stage change the machine forbids", openedCase(t), CaseStageChanged{CaseID: "57", From: StageTopicSet, To: StageResponses, Occurred: at}},
		{"an utterance out of sequence", transcriptOf(t), TranscriptUtteranceRecorded{MeetingID: "m-1", UtteranceID: "u-5", Seq: 5, Kind: UtteranceNarration, Occurred: at}},
		{"a second ballot of a ministry", closedMonthly(t), MonthlyBallotCast{MeetingID: "2019-03", Ministry: "moi", Occurred: at}},
		{"a renewal of an unknown PO", testRegistry(t), PORenewed{POID: "po-x", Year: 2020, Occurred: at}},
		{"a note revision of an unknown note", meetingWithContent(t), MeetingNoteRevised{MeetingID: "m-1", NoteID: "n-9", Occurred: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.agg.Version()
			if err := tt.agg.Apply(tt.e); !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("Apply = %v, want ErrInvalidEvent", err)
			}
			if tt.agg.Version() != v {
				t.Errorf("a refused event changed the version")
			}
		})
	}
}

func TestDecideAndApplyLeavesTheStateAloneOnRefusal(t *testing.T) {
	p := publishedProposal(t, smallConfig)
	v := p.Version()
	if _, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.Sign(SignProposal{ProposalID: "p-1", Signer: signer(1)}, citizenActor(2), t0)
	}); err == nil || p.Version() != v {
		t.Errorf("refused decision: err %v, version %d → %d", err, v, p.Version())
	}
	if err := ApplyAll(NewProposal("p-1"), ProposalSigned{}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("ApplyAll = %v", err)
	}
	_ = time.Second
}
