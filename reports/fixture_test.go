package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// d is 10:00 Taipei (02:00 UTC) on a 2026 date "MM-DD", or "YYYY-MM-DD".
func d(s string) time.Time {
	if len(s) == 5 {
		s = "2026-" + s
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(2 * time.Hour)
}

func at(s string) domain.Occurred { return domain.Occurred{At: d(s)} }

// fixture is a small log with known answers (see fixture_test's
// expectations): events are encoded by the domain and given fixed IDs,
// streams, positions and times, so the golden files do not move.
func fixture() []eventstore.Event {
	type ev = logEvent
	sel := func(c, org string) domain.SelectedTopic {
		return domain.SelectedTopic{CandidateID: domain.CandidateID(c), Organiser: domain.MinistryID(org), MeetingMonth: "2026-03"}
	}
	evs := []ev{
		{"proposal-p3", domain.ProposalPublished{ProposalID: "p3", CompetentMinistry: "moi", Threshold: 5000, Occurred: at("2025-12-20")}},
		{"proposal-p3", domain.ProposalEstablished{ProposalID: "p3", CompetentMinistry: "moi", Count: 5000, Threshold: 5000, ResponseDueAt: d("03-04"), Occurred: at("01-04")}},
		{"proposal-p1", domain.ProposalPublished{ProposalID: "p1", CompetentMinistry: "moi", Threshold: 5000, Occurred: at("01-05")}},
		{"proposal-p2", domain.ProposalPublished{ProposalID: "p2", CompetentMinistry: "mohw", Threshold: 5000, Occurred: at("01-10")}},
		{"proposal-p1", nil}, // a signature: skipped, never decoded
		{"proposal-p1", domain.ProposalEstablished{ProposalID: "p1", CompetentMinistry: "moi", Count: 5000, Threshold: 5000, ResponseDueAt: d("03-25"), Occurred: at("01-25")}},
		{"proposal-p3", domain.ProposalResponded{ProposalID: "p3", Ministry: "moi", Summary: "ok", DueAt: d("03-04"), OnTime: true, Occurred: at("02-20")}},
		{"po-monthly-mm1", domain.MonthlyCandidateAdded{MeetingID: "mm1", CandidateID: "c1", Kind: domain.CandidateEstablishedProposal, Title: "t1", Organiser: "moi", Occurred: at("02-01")}},
		{"po-monthly-mm1", domain.MonthlyCandidateAdded{MeetingID: "mm1", CandidateID: "c2", Kind: domain.CandidateMinistryProposal, Title: "t2", Organiser: "mohw", Occurred: at("02-01")}},
		{"po-monthly-mm1", domain.MonthlyCandidateAdded{MeetingID: "mm1", CandidateID: "c3", Kind: domain.CandidatePDISProposal, Title: "t3", Organiser: "mot", Occurred: at("02-01")}},
		{"po-monthly-mm1", domain.MonthlyBallotCast{MeetingID: "mm1", Ministry: "moi", PO: "po-moi", Choices: []domain.CandidateID{"c1"}, Occurred: at("02-05")}},
		{"po-monthly-mm1", domain.MonthlyBallotCast{MeetingID: "mm1", Ministry: "mohw", PO: "po-mohw", Choices: []domain.CandidateID{"c2"}, Occurred: at("02-05")}},
		{"po-monthly-mm1", domain.MonthlyBallotCast{MeetingID: "mm1", Ministry: "mot", PO: "po-mot", Choices: []domain.CandidateID{"c1"}, Occurred: at("02-05")}},
		{"po-monthly-mm1", domain.MonthlyMeetingClosed{MeetingID: "mm1", Ballots: 3, Selected: []domain.SelectedTopic{sel("c1", "moi"), sel("c2", "mohw")}, Occurred: at("02-05")}},
		{"case-1", domain.CaseOpened{CaseID: "1", Title: "one", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "mm1", CandidateID: "c1", CandidateKind: domain.CandidateEstablishedProposal, Organiser: "moi", Occurred: at("02-06")}},
		{"case-2", domain.CaseOpened{CaseID: "2", Title: "two", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "mm1", CandidateID: "c2", CandidateKind: domain.CandidateMinistryProposal, Organiser: "mohw", Occurred: at("02-06")}},
		{"case-1", domain.CaseLeadAssigned{CaseID: "1", Ministry: "moi", Occurred: at("02-10")}},
		{"case-2", domain.CaseLeadAssigned{CaseID: "2", Ministry: "mohw", Occurred: at("02-10")}},
		{"case-1", domain.CaseStageChanged{CaseID: "1", From: domain.StageTopicSet, To: domain.StageDivisionOfLabour, Reason: "r", Occurred: at("02-10")}},
		{"case-1", domain.CaseStageChanged{CaseID: "1", From: domain.StageDivisionOfLabour, To: domain.StageResearch, Reason: "r", Occurred: at("02-20")}},
		{"case-1", domain.CaseStakeholderAdded{CaseID: "1", StakeholderID: "s1", Category: domain.StakeholderCivilSociety, Name: "NGO", Occurred: at("02-21")}},
		{"case-1", domain.CaseStakeholderAdded{CaseID: "1", StakeholderID: "s2", Category: domain.StakeholderIndustry, Name: "Co", Occurred: at("02-21")}},
		{"case-3", domain.CaseOpened{CaseID: "3", Title: "three", SourceKind: domain.SourceAssignment, Occurred: at("03-01")}},
		{"case-3", domain.CaseLeadAssigned{CaseID: "3", Ministry: "moi", Occurred: at("03-02")}},
		{"proposal-p2", domain.ProposalExpired{ProposalID: "p2", Count: 10, Threshold: 5000, Occurred: at("03-11")}},
		{"case-1", domain.CaseStageChanged{CaseID: "1", From: domain.StageResearch, To: domain.StagePreMeeting, Reason: "r", Occurred: at("03-20")}},
		{"proposal-p1", domain.ProposalResponseDeadlineMissed{ProposalID: "p1", Ministry: "moi", DueAt: d("03-25"), Occurred: at("03-26")}},
		{"case-1", domain.CaseStageChanged{CaseID: "1", From: domain.StagePreMeeting, To: domain.StageMeetings, Reason: "r", Occurred: at("03-30")}},
		{"meeting-m1", domain.MeetingScheduled{MeetingID: "m1", CaseID: "1", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "m1", StartsAt: d("04-01"), Occurred: at("03-25")}},
		{"meeting-m1", domain.MeetingParticipantAdded{MeetingID: "m1", ParticipantID: "pa1", Name: "NGO rep", Role: "stakeholder", StakeholderID: "s1", Occurred: at("03-26")}},
		{"meeting-m1", domain.MeetingAttendanceRecorded{MeetingID: "m1", ParticipantID: "pa1", Present: true, Occurred: at("04-01")}},
		{"transcript-m1", domain.TranscriptUtteranceEdited{MeetingID: "m1", UtteranceID: "u1", Version: 2, Editor: "speaker", Paragraphs: []string{"x"}, Occurred: at("04-05")}},
		{"case-1", domain.CaseRecommendationRecorded{CaseID: "1", RecommendationID: "r1", MeetingID: "m1", Text: "do", Addressees: []domain.MinistryID{"moi", "mohw"}, Occurred: at("04-10")}},
		{"meeting-m2", domain.MeetingScheduled{MeetingID: "m2", CaseID: "2", Kind: domain.MeetingPreMeeting, Title: "m2", StartsAt: d("05-01"), Occurred: at("04-20")}},
		{"case-1", domain.CaseDirectiveRecorded{CaseID: "1", Kind: domain.DirectiveWithinAuthority, Text: "act", Occurred: at("05-01")}},
		{"case-1", domain.CaseResponseRecorded{CaseID: "1", RecommendationID: "r1", Ministry: "moi", Verdict: domain.VerdictAdopted, Reasons: "r", Occurred: at("06-01")}},
		{"case-1", domain.CaseResponseRecorded{CaseID: "1", RecommendationID: "r1", Ministry: "mohw", Verdict: domain.VerdictDeferred, Reasons: "r", Occurred: at("06-02")}},
		{"transcript-m1", domain.TranscriptUtteranceEdited{MeetingID: "m1", UtteranceID: "u1", Version: 3, Editor: "speaker", Paragraphs: []string{"y"}, Occurred: at("07-02")}},
		{"case-1", domain.CaseResponseRecorded{CaseID: "1", RecommendationID: "r1", Ministry: "mot", Verdict: domain.VerdictPartly, Reasons: "r", Occurred: at("07-05")}},
	}
	return logOf("report-fixture", evs)
}

// logEvent is an event of a fixture log and its stream (a nil event: a
// signature, never decoded).
type logEvent struct {
	stream string
	e      domain.Event
}

// logOf encodes evs as a log: fixed IDs (named by prefix and the place),
// streams, positions and times.
func logOf(prefix string, evs []logEvent) []eventstore.Event {
	out := make([]eventstore.Event, 0, len(evs))
	versions := map[string]uint64{}
	for i, x := range evs {
		versions[x.stream]++
		e := eventstore.Event{
			ID:       uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%s/%d", prefix, i+1)),
			Stream:   x.stream,
			Version:  versions[x.stream],
			Position: eventstore.Position(i + 1),
		}
		if x.e == nil {
			e.Type, e.SchemaVersion, e.Data = "proposal.signed", 1, []byte(`{}`)
			e.RecordedAt = d("01-06")
		} else {
			typ, v, data, err := domain.Encode(x.e)
			if err != nil {
				panic(err)
			}
			e.Type, e.SchemaVersion, e.Data = typ, v, data
			e.RecordedAt = x.e.OccurredAt()
		}
		out = append(out, e)
	}
	return out
}

// memLog serves events from memory as a Log.
type memLog []eventstore.Event

func (m memLog) Head(context.Context) (eventstore.Position, error) {
	if len(m) == 0 {
		return 0, nil
	}
	return m[len(m)-1].Position, nil
}

func (m memLog) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for _, e := range m {
		if e.Position > after {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
