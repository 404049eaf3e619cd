package domain

import (
	"testing"
)

// TestRecommendationSources: a recommendation cites what it came from, and
// each source must belong to its meeting or its case.
func TestRecommendationSources(t *testing.T) {
	c := caseAt(t, StageMeetings)
	do(t, c, func(c *Case) ([]Event, error) {
		return c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-1", Category: StakeholderIndustry, Name: "養豬協會"}, staff, tCase)
	})
	m := meetingWithContent(t) // note n-1, question q-1
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.AddNote(AddNote{MeetingID: "m-1", NoteID: "n-gone", Board: BoardMindMap, Text: "斷章取義"}, staff, tMeeting)
	})
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.RemoveNote(RemoveNote{MeetingID: "m-1", NoteID: "n-gone", Reason: "斷章取義"}, staff, tMeeting)
	})
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.PostQuestion(withAuthor(PostQuestion{MeetingID: "m-1", QuestionID: "q-2", Text: "重複"}, citizenActor(1)), citizenActor(1), tMeeting)
	})
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.ArchiveQuestion(ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-2", Reason: "重複"}, staff, tMeeting)
	})
	tr := transcriptOf(t, speakerOf(moiChief, "內政部主任PO")) // u-1, u-narr
	other := NewTranscript("m-2")
	proposal := c.source.SourceRef

	src := func(k RecommendationSourceKind, id string) RecommendationSource {
		return RecommendationSource{Kind: k, ID: id}
	}
	for _, tc := range []struct {
		name       string
		sources    []RecommendationSource
		transcript *Transcript
		rule       string // "" accepted
	}{
		{"no sources", nil, nil, ""},
		{"an utterance, a note, a question, a stakeholder", []RecommendationSource{src(SourceUtterance, "u-1"), src(SourceNote, "n-1"), src(SourceQuestion, "q-1"), src(SourceStakeholder, "s-1")}, tr, ""},
		{"an utterance without its transcript", []RecommendationSource{src(SourceUtterance, "u-1")}, nil, "case.record_recommendation.source_not_of_case"},
		{"an utterance of another meeting's transcript", []RecommendationSource{src(SourceUtterance, "u-1")}, other, "case.record_recommendation.source_not_of_case"},
		{"an utterance the transcript lacks", []RecommendationSource{src(SourceUtterance, "u-9")}, tr, "case.record_recommendation.source_not_of_case"},
		{"a removed note", []RecommendationSource{src(SourceNote, "n-gone")}, tr, "case.record_recommendation.source_not_of_case"},
		{"an archived question", []RecommendationSource{src(SourceQuestion, "q-2")}, tr, "case.record_recommendation.source_not_of_case"},
		{"a stakeholder not inventoried", []RecommendationSource{src(SourceStakeholder, "s-9")}, tr, "case.record_recommendation.source_not_of_case"},
		{"another proposal", []RecommendationSource{src(SourceProposal, "p-999")}, tr, "case.record_recommendation.source_not_of_case"},
		{"the same source twice", []RecommendationSource{src(SourceNote, "n-1"), src(SourceNote, "n-1")}, tr, "case.record_recommendation.duplicate_source"},
		{"an unknown kind", []RecommendationSource{src("rumour", "x")}, tr, "case.record_recommendation.source_kind"},
		{"an ill-formed ID", []RecommendationSource{src(SourceNote, "")}, tr, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := RecordRecommendation{CaseID: "57", RecommendationID: "r-src", MeetingID: "m-1", Text: "建議", Addressees: []MinistryID{"moi"}, Sources: tc.sources}
			evs, err := c.RecordRecommendationFrom(cmd, staff, tMeeting, m, tc.transcript)
			switch {
			case tc.rule == "":
				wantOK(t, evs, err)
				if got := evs[0].(CaseRecommendationRecorded).Sources; len(got) != len(tc.sources) {
					t.Errorf("the event records %d sources, want %d", len(got), len(tc.sources))
				}
			case tc.rule == "id":
				if err == nil {
					t.Errorf("accepted an ill-formed source ID")
				}
			default:
				wantRule(t, evs, err, ErrRuleViolated, tc.rule)
			}
		})
	}
	if proposal != "" {
		evs, err := c.RecordRecommendationFrom(RecordRecommendation{CaseID: "57", RecommendationID: "r-p", MeetingID: "m-1", Text: "建議", Addressees: []MinistryID{"moi"},
			Sources: []RecommendationSource{src(SourceProposal, proposal)}}, staff, tMeeting, m, tr)
		wantOK(t, evs, err)
	}
}
